"""What `supportability mcp` adds to a PredictCase: triage_case over stdio against the gRPC call it wraps,
and the MCP process's memory in the gRPC-client mode.

Three paths send the same case with the same options (explain on, as triage_case sets) to one gRPC
server, one call of each in turn (the order rotating), so their p50s are taken under the same load:
- the gRPC call itself (`Client.predict_case`);
- triage_case over stdio from a bare JSON-RPC client (one line out, one line in): what the MCP
  server adds, with no client library's cost in it;
- triage_case through the SDK's own `Client`, as a host built on it sees it (it also parses the
  result into models and checks it against the tool's output schema).

    .venv/bin/python bench/assistant.py [--calls 2000] [--registry var/registry]

Prints a table and writes it as JSON to .cache/bench/assistant.json.
"""

# Named assistant.py, not mcp.py: a bench/mcp.py would shadow the SDK for every script in bench/.
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
from google.protobuf import json_format
from mcp import Client, StdioServerParameters
from supportability.client import Client as GrpcClient
from supportability.testing import ServerProcess
from supportability.v1 import prediction_pb2, support_case_pb2

REPO = Path(
    os.environ.get("SUPPORTABILITY_ROOT") or Path(__file__).resolve().parents[1]
)
CASE = {
    "subject": "Payout missing",
    "body": "Our payout from Monday did not arrive in our bank account.",
    "channel": "CHANNEL_EMAIL",
    "account": {
        "country_code": "DE",
        "support_plan": "SUPPORT_PLAN_PREMIUM",
        "failed_payouts_30d": 2,
    },
}
WARMUP = 50


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return (
        next(
            int(line.split()[1])
            for line in status.splitlines()
            if line.startswith("VmRSS:")
        )
        / 1024
    )


def _children_rss_mb(command_word: str, exclude: int) -> float:
    """The resident memory of this process's (other) child whose command line has `command_word`."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        pid = int(stat.parent.name)
        if ppid == os.getpid() and pid != exclude and command_word.encode() in cmdline:
            return _rss_mb(pid)
    raise RuntimeError(f"no child process running {command_word}")


def _p50_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1e3


class BareStdioClient:
    """MCP over a child's stdin/stdout with nothing but json: the initialize handshake, then tools/call."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self._id = 0
        self.request(
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"},
            },
        )
        self._send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._id += 1
        self._send(
            {"jsonrpc": "2.0", "id": self._id, "method": method, "params": params}
        )
        assert self.process.stdout is not None
        while True:
            reply = json.loads(self.process.stdout.readline())
            if reply.get("id") == self._id:
                return reply  # notifications (logs) in between are skipped

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(15)


async def run(target: str, calls: int) -> dict[str, float]:
    grpc_client = GrpcClient(target)
    case = json_format.ParseDict(CASE, support_case_pb2.SupportCase())
    options = prediction_pb2.PredictionOptions(explain=True)
    command = [sys.executable, "-m", "supportability", "mcp", "--target", target]
    bare = BareStdioClient(command)
    arguments = {"name": "triage_case", "arguments": {"support_case": CASE}}
    times: dict[str, list[float]] = {"grpc": [], "bare": [], "sdk": []}
    async with Client(
        StdioServerParameters(command=command[0], args=command[1:])
    ) as client:

        async def sdk() -> None:
            result = await client.call_tool("triage_case", {"support_case": CASE})
            assert not result.is_error, result.content

        async def direct() -> None:
            grpc_client.predict_case(case, options=options)

        async def via_bare() -> None:
            reply = bare.request("tools/call", arguments)
            assert not reply["result"].get("isError"), reply

        paths = {"grpc": direct, "bare": via_bare, "sdk": sdk}
        for _ in range(WARMUP):
            for call in paths.values():
                await call()
        for i in range(calls):
            names = list(paths)
            for name in names[i % 3 :] + names[: i % 3]:
                started = time.perf_counter()
                await paths[name]()
                times[name].append(time.perf_counter() - started)
        rss = {
            "bare": _rss_mb(bare.process.pid),
            "sdk": _children_rss_mb("mcp", exclude=bare.process.pid),
        }
    bare.close()
    grpc_client.close()
    p50 = {name: _p50_ms(seconds) for name, seconds in times.items()}
    return {
        "calls_each": calls,
        "grpc_p50_ms": p50["grpc"],
        "mcp_bare_stdio_p50_ms": p50["bare"],
        "mcp_sdk_client_p50_ms": p50["sdk"],
        "server_overhead_p50_ms": p50["bare"] - p50["grpc"],
        "sdk_client_overhead_p50_ms": p50["sdk"] - p50["grpc"],
        **{
            f"{name}_p99_ms": statistics.quantiles(t, n=100)[98] * 1e3
            for name, t in times.items()
        },
        "mcp_process_rss_mb": max(rss.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--registry", default=str(REPO / "var" / "registry"))
    args = parser.parse_args()
    with ServerProcess(args.registry) as server:
        figures = anyio.run(run, server.target, args.calls)
    for name, value in figures.items():
        print(f"{name:22} {value:10.3f}")
    out = REPO / ".cache" / "bench" / "assistant.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
