"""`serve --workers N`: N server processes on one port, under a parent that supervises them.

Python runs one thread of Python at a time, so more cores mean more processes. The parent binds
the port with SO_REUSEPORT (so port 0 picks one port for all), forks the workers before any gRPC
object exists (gRPC's core does not survive a fork), and each worker builds its own server on
that port; the kernel hands each new connection to one of them. The parent serves nothing:

- ready (its --ready-file is written) once every worker is serving;
- SIGTERM or SIGINT is passed to every worker, each shuts down gracefully as a single server does,
  and the parent exits 0 once all have;
- a worker that exits on its own (a crash, the OOM killer) is logged with its exit code, the others
  are stopped gracefully, and the parent exits 1: the service's own supervisor (systemd,
  Kubernetes) restarts it whole, rather than this process hiding a worker that crash-loops;
- each worker checks the registry and hot-reloads on its own, and exposes its own /metrics:
  worker i on the metrics port + i (port 0: a free port each, in its "serving" log line).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType

import uvloop

from supportability.online.sql_store import SqlStore
from supportability.serving.config import ServerConfig
from supportability.serving.server import serve, write_ready_file

log = logging.getLogger(__name__)
# A worker gets this long past the shutdown grace to exit before it is killed.
EXIT_SLACK_SECONDS = 5.0
POLL_SECONDS = 0.05
_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def run(config: ServerConfig) -> int:
    """Serve with `config.workers` processes until SIGTERM or SIGINT; returns the exit code."""
    if config.store != "none":
        SqlStore(config.store).close()  # creates (or refuses) the schema once, not in N racing workers
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    scratch = Path(tempfile.mkdtemp(prefix="supportability-workers-"))
    try:
        with _shared_port(config.address) as address:
            configs = [_worker_config(config, address, scratch, i) for i in range(config.workers)]
            workers = [_start(c) for c in configs]
            return _supervise(config, address, workers, [Path(c.ready_file) for c in configs], lambda: stopping)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _worker_config(config: ServerConfig, address: str, scratch: Path, index: int) -> ServerConfig:
    metrics = config.metrics_address
    if metrics:
        host, _, port = metrics.rpartition(":")
        metrics = f"{host}:{int(port) + index if int(port) else 0}"
    ready = str(scratch / f"worker-{index}.ready")
    return dataclasses.replace(config, address=address, ready_file=ready, metrics_address=metrics)


@contextlib.contextmanager
def _shared_port(address: str) -> Iterator[str]:
    """host:port with the port held (bound with SO_REUSEPORT, not listening) for as long as the workers
    run, so a port 0 is resolved once and no other program takes the port between worker starts."""
    host, _, port = address.rpartition(":")
    bare_host = host.strip("[]")
    family, _, _, _, sockaddr = socket.getaddrinfo(bare_host or None, int(port), type=socket.SOCK_STREAM)[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(sockaddr)
        yield f"{host}:{sock.getsockname()[1]}"


def _start(config: ServerConfig) -> BaseProcess:
    # fork, not spawn: the workers share the parent's imported modules (memory, start-up time), and
    # the parent has made no gRPC object yet.
    process = multiprocessing.get_context("fork").Process(target=_work, args=(config,))
    process.start()
    return process


def _work(config: ServerConfig) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):  # the parent's handlers are not a worker's
        signal.signal(sig, signal.SIG_DFL)
    parent = os.getppid()
    # Linux: a worker is sent SIGTERM when its parent dies (even by SIGKILL), so none is left serving
    # the port unsupervised.
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before prctl took effect
        return
    uvloop.run(serve(config))


def _supervise(
    config: ServerConfig,
    address: str,
    workers: list[BaseProcess],
    ready_files: list[Path],
    stopping: Callable[[], bool],
) -> int:
    """Wait for every worker's ready file, then for a signal or a worker's end; returns the exit code."""
    ready = False
    while not stopping():
        dead = [w for w in workers if w.exitcode is not None]
        if dead:
            for w in dead:
                log.error("worker exited", extra={"pid": w.pid, "exit_code": w.exitcode})
            _stop(workers, config.shutdown_grace_seconds)
            return 1
        if not ready and all(f.exists() for f in ready_files):
            ready = True
            if config.ready_file:
                write_ready_file(config.ready_file, address)
            log.info("workers serving", extra={"address": address, "pids": [w.pid for w in workers]})
        wait([w.sentinel for w in workers], timeout=POLL_SECONDS)
    log.info("shutting down workers", extra={"grace_seconds": config.shutdown_grace_seconds})
    return 0 if _stop(workers, config.shutdown_grace_seconds) else 1


def _stop(workers: list[BaseProcess], grace: float) -> bool:
    """SIGTERM to every live worker, SIGKILL to any still alive after the grace; whether all exited 0."""
    for w in workers:
        if w.exitcode is None and w.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(w.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace + EXIT_SLACK_SECONDS
    for w in workers:
        w.join(max(0.0, deadline - time.monotonic()))
        if w.exitcode is None:
            log.error("worker did not stop in time; killing it", extra={"pid": w.pid})
            w.kill()
            w.join()
    return all(w.exitcode == 0 for w in workers)
