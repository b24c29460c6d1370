"""`make bench`: our service beside a bare grpcio server and MLServer, driven by ghz on loopback.

In one run it installs its tools if missing (bench/tools.py), starts every server on 127.0.0.1,
measures each at concurrency 1 and 8, runs the client benches of bench/clients.json against the
service, prints one table and writes it as JSON to .cache/bench/latest.json. Every server it starts
is stopped on the way out, whatever happens. Exits 1 if anything could not be measured.

    .venv/bin/python bench/run.py [--seconds 10] [--warmup-calls 200] [--registry var/registry]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import grpc

import ghz
import mlserver_target
import targets
import tools
from processes import Server, run_command
from report import (BARE, BATCH, CONCURRENCIES, MLSERVER, ONE_WORKER, SERVICE, TWO_WORKERS, WORKERS_CONNECTIONS,
                    ClientRun, Report, ServerFigures)
from supportability.v1 import prediction_service_pb2

BENCH_DIR = Path(__file__).resolve().parent
REPO = Path(os.environ.get("SUPPORTABILITY_ROOT") or BENCH_DIR.parent)
CACHE = REPO / ".cache"
WORKDIR = CACHE / "bench"
LOCK_FILE = BENCH_DIR / "mlserver-requirements.lock"
VECTORS = REPO / "tests" / "vectors" / "cases.json"
BATCH_WARMUP_CALLS = 3
CLIENT_TIMEOUT_SECONDS = 300

Requests = list[prediction_service_pb2.PredictCaseRequest]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="about how long each measured ghz run lasts")
    parser.add_argument("--warmup-calls", type=int, default=200, help="discarded calls before each single-case run")
    parser.add_argument("--registry", type=Path, default=REPO / "var" / "registry")
    parser.add_argument("--clients", type=Path, default=BENCH_DIR / "clients.json",
                        help="client benches to run against the service (see run_clients)")
    args = parser.parse_args()

    WORKDIR.mkdir(parents=True, exist_ok=True)
    ghz_binary = tools.ensure_ghz(CACHE)
    mlserver_python = tools.ensure_mlserver(CACHE, LOCK_FILE)
    requests = targets.golden_requests(VECTORS)
    report = Report(settings={"seconds": args.seconds, "warmup_calls": args.warmup_calls,
                              "concurrencies": list(CONCURRENCIES), "batch_size": targets.BATCH_SIZE})
    report.context = {
        "ghz": tools.GHZ_VERSION, "mlserver": tools.MLSERVER_VERSION, "python": platform.python_version(),
        "grpcio": grpc.__version__, "cpus": os.cpu_count(), "loadavg_at_start": os.getloadavg(),
    }

    # Every server stays up for the whole run, so measurements at the same concurrency sit side by
    # side in time (the machine is shared and its load drifts); an idle server costs no CPU.
    with contextlib.ExitStack() as stack:
        running, loads = start_servers(stack, args.registry, mlserver_python, requests, report)
        measure_all(ghz_binary, running, loads, args, report)
        # After the load: resident memory of each server, and how long each took to become ready.
        report.servers = [ServerFigures(name, s.ready_seconds, s.rss_bytes()) for name, s in running.items()]
        if SERVICE in running:
            report.clients = run_clients(args.clients, running[SERVICE].address)
            report.failures += [f"client bench {c.name} failed" for c in report.clients if c.returncode != 0]
        report.context["loadavg_at_end"] = os.getloadavg()

    print(report.render())
    print(f"\n{context_lines(report)}")
    (WORKDIR / "latest.json").write_text(json.dumps(report.to_json(), indent=2) + "\n")
    print(f"\nwritten to {WORKDIR / 'latest.json'}")
    return 1 if report.failures else 0


def start_servers(stack: contextlib.ExitStack, registry: Path, mlserver_python: Path, requests: Requests,
                  report: Report) -> tuple[dict[str, Server], dict[str, ghz.Load]]:
    """Start what can start (a target that cannot is a failure in the report, not the end of the
    bench); returns the servers up and what ghz sends to each target."""
    running: dict[str, Server] = {}

    def start(name: str, server: Callable[[], AbstractContextManager[Server]]) -> None:
        try:
            running[name] = stack.enter_context(server())
        except Exception as exc:
            report.failures.append(f"{name} did not start: {exc}")
            return
        print(f"bench: {name} ready at {running[name].address} in {running[name].ready_seconds:.2f} s",
              file=sys.stderr)

    # The service first: its reply to the first golden case is the bare server's constant reply.
    start(SERVICE, lambda: targets.service(registry, WORKDIR))
    reply = capture_reply(running, requests, report)
    start(BARE, lambda: targets.constant_server(reply, WORKDIR))

    start(TWO_WORKERS, lambda: targets.service(registry, WORKDIR, "--workers", "2", name="service-workers-2"))

    single_case = targets.predict_load(requests, WORKDIR)
    loads = {BARE: single_case, TWO_WORKERS: single_case}
    if SERVICE in running:
        loads[SERVICE] = loads[ONE_WORKER] = single_case
        loads[BATCH] = targets.batch_load(requests, WORKDIR)
    mlserver = prepare_mlserver(mlserver_python, requests, registry, report)
    if mlserver is not None:
        model, loads[MLSERVER] = mlserver
        start(MLSERVER, lambda: mlserver_target.mlserver(mlserver_python, model, WORKDIR))
    return running, loads


def capture_reply(running: dict[str, Server], requests: Requests, report: Report) -> bytes:
    """The service's real reply to the first golden case, or a stand-in if it cannot predict."""
    if SERVICE in running:
        try:
            reply = targets.capture_reply(running[SERVICE].address, requests[0])
        except grpc.RpcError as exc:  # e.g. no promoted model: it runs, but cannot predict
            report.failures.append(f"service cannot predict: {exc.code().name} {exc.details()}")
            del running[SERVICE]  # not measured; the exit stack still stops it
        else:
            report.context["reply"] = "captured from the service"
            report.context["served_model_version"] = (
                prediction_service_pb2.PredictCaseResponse.FromString(reply).prediction.model_version)
            report.context["reply_bytes"] = len(reply)
            return reply
    reply = targets.stand_in_reply(requests[0])
    report.context["reply"] = "stand-in (the service cannot predict)"
    report.context["reply_bytes"] = len(reply)
    return reply


def prepare_mlserver(mlserver_python: Path, requests: Requests, registry: Path,
                     report: Report) -> tuple[mlserver_target.RoutingModel, ghz.Load] | None:
    """The model MLServer serves and the requests ghz sends it; None (and a failure) if either fails."""
    try:
        model = mlserver_target.routing_model(mlserver_python, LOCK_FILE, WORKDIR, registry)
        protoset = mlserver_target.dataplane_protoset(mlserver_python, WORKDIR)
        load = mlserver_target.infer_load(requests, protoset, WORKDIR)
    except Exception as exc:  # reported; the other targets still run
        report.failures.append(f"MLServer model preparation failed: {exc!r}")
        return None
    report.context["mlserver_model"] = model.description
    return model, load


def measure_all(ghz_binary: Path, running: dict[str, Server], loads: dict[str, ghz.Load],
                args: argparse.Namespace, report: Report) -> None:
    for concurrency in CONCURRENCIES:
        workers = (ONE_WORKER, TWO_WORKERS) if concurrency == 8 else ()
        for name in (BARE, SERVICE, MLSERVER, BATCH, *workers):
            server = running.get(SERVICE if name in (BATCH, ONE_WORKER) else name)
            if server is None or name not in loads:
                continue
            print(f"bench: {name} at concurrency {concurrency}, about {args.seconds:g} s", file=sys.stderr)
            try:
                measurement = ghz.measure(
                    ghz_binary, name, server.address, loads[name], server.cpu_seconds, concurrency=concurrency,
                    seconds=args.seconds, warmup_calls=BATCH_WARMUP_CALLS if name == BATCH else args.warmup_calls,
                    connections=WORKERS_CONNECTIONS if name in workers else 1)
            except Exception as exc:  # reported; the other measurements still run
                report.failures.append(f"ghz against {name} at c={concurrency}: {exc}")
                continue
            report.measurements.append(measurement)
            if measurement.errors:
                report.failures.append(f"{name} at c={concurrency} returned errors: {measurement.errors}")


def run_clients(clients_file: Path, address: str) -> list[ClientRun]:
    """The client engineers' sequential-latency benches, against the running service.

    `clients_file` is a JSON list of {"name": ..., "command": [...]}; in each argument "{target}"
    becomes the service's host:port and "{vectors}" the golden vectors file. Commands run from the
    repository root, each for at most CLIENT_TIMEOUT_SECONDS.
    """
    runs = []
    for entry in json.loads(clients_file.read_text()):
        command = [arg.replace("{target}", address).replace("{vectors}", str(VECTORS)) for arg in entry["command"]]
        print(f"bench: client bench {entry['name']}", file=sys.stderr)
        try:
            returncode, output = run_command(command, CLIENT_TIMEOUT_SECONDS, cwd=REPO)
        except OSError as exc:  # not installed, not executable
            returncode, output = -1, str(exc)
        runs.append(ClientRun(entry["name"], command, returncode, output))
    return runs


def context_lines(report: Report) -> str:
    c = report.context
    return "\n".join([
        f"ghz {c['ghz']}, MLServer {c['mlserver']}, Python {c['python']}, grpcio {c['grpcio']}, {c['cpus']} CPUs "
        f"shared by client and servers; load average {_loadavg(c['loadavg_at_start'])} at start, "
        f"{_loadavg(c['loadavg_at_end'])} at end (other work on the machine makes the figures noisy).",
        f"constant reply: {c['reply_bytes']} bytes, {c['reply']}"
        + (f"; service model version {c['served_model_version']}" if "served_model_version" in c else ""),
        f"MLServer model: {c.get('mlserver_model', '-')}",
    ])


def _loadavg(values: tuple[float, float, float]) -> str:
    return "/".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    sys.exit(main())
