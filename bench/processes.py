"""Server processes the bench starts: spawn, wait until ready, measure, and always stop."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

READY_TIMEOUT_SECONDS = 90.0
STOP_GRACE_SECONDS = 10.0


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    address: str  # host:port
    ready_seconds: float  # from spawn to ready
    log_path: Path

    def rss_bytes(self) -> int:
        """Resident memory of the server and any processes it started."""
        return sum(_vm_rss(pid) for pid in _process_tree(self.process.pid))

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and any processes it started."""
        return sum(_cpu_seconds(pid) for pid in _process_tree(self.process.pid))


def ready_file_probe(path: Path) -> Callable[[], str | None]:
    """Readiness for servers that write host:port to a file once serving (ours and the bare one)."""

    def probe() -> str | None:
        try:
            return path.read_text().strip() or None
        except FileNotFoundError:
            return None

    return probe


@contextlib.contextmanager
def running(name: str, command: list[str], probe: Callable[[], str | None], log_path: Path,
            env: dict[str, str] | None = None, cwd: Path | None = None) -> Iterator[Server]:
    """Start `command`, wait until `probe` gives its address, yield it, and stop it on the way out."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        started = time.perf_counter()
        # A session of its own: signals go to its whole process group and to nothing else.
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                   start_new_session=True)
        try:
            address = _wait_ready(name, process, probe, log_path)
            yield Server(name, process, address, time.perf_counter() - started, log_path)
        finally:
            _stop(process)


def run_command(command: list[str], timeout: float, cwd: Path | None = None) -> tuple[int | None, str]:
    """Run a command to completion; (exit code or None if it timed out, its stdout and stderr).

    In a session of its own, so a timeout stops everything it started (a build tool's JVM, say),
    not just the direct child.
    """
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd,
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
        return process.returncode, output.decode(errors="replace")
    except subprocess.TimeoutExpired:
        _stop(process)
        output, _ = process.communicate()
        return None, output.decode(errors="replace") + f"\n(stopped after {timeout:.0f} s)"


def _wait_ready(name: str, process: subprocess.Popen[bytes], probe: Callable[[], str | None],
                log_path: Path) -> str:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        address = probe()
        if address:
            return address
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode} before it was ready:\n"
                               f"{_tail(log_path)}")
        time.sleep(0.01)
    raise TimeoutError(f"{name} not ready after {READY_TIMEOUT_SECONDS:.0f} s:\n{_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (graceful), then SIGKILL after a grace period, to the server's process group."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_GRACE_SECONDS)


def _process_tree(pid: int) -> list[int]:
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                pending.extend(int(child) for child in children.read_text().split())
    return pids


def _vm_rss(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024  # the kernel reports kB
    return 0


def _cpu_seconds(pid: int) -> float:
    with contextlib.suppress(OSError):
        # The fields after the parenthesised command name; utime and stime are fields 14 and 15.
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

