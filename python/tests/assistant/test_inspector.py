"""`supportability mcp` through an MCP client that no one here wrote: the MCP Inspector's CLI (npm
`@modelcontextprotocol/inspector`, pinned in package.json; it runs offline), over stdio and HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from supportability.testing import McpHttpProcess

CASE = {"subject": "Refund for a disputed charge", "body": "The customer opened a dispute.", "channel": "CHANNEL_CHAT"}
INSPECTOR = Path(__file__).resolve().parents[3] / "node_modules" / ".bin" / "mcp-inspector"
pytestmark = pytest.mark.skipif(not INSPECTOR.exists(), reason="the MCP Inspector is not installed (make setup)")


def _inspect(server: list[str], *args: str) -> dict:
    done = subprocess.run(
        [str(INSPECTOR), "--cli", *server, *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(params=["stdio", "http"])
def inspector_server(request, server):
    if request.param == "stdio":
        yield [sys.executable, "-m", "supportability", "mcp", "--target", server.target]
    else:
        with McpHttpProcess("--target", server.target) as running:
            yield [running.url, "--transport", "http"]


def test_the_inspector_lists_and_calls_the_tools(inspector_server):
    listed = _inspect(inspector_server, "--method", "tools/list")
    assert {t["name"] for t in listed["tools"]} == {"triage_case", "suggest_articles", "record_outcome", "get_model"}
    triage = _inspect(
        inspector_server,
        "--method",
        "tools/call",
        "--tool-name",
        "triage_case",
        "--tool-arg",
        f"support_case={json.dumps(CASE)}",
    )
    assert not triage.get("isError") and triage["structuredContent"]["prediction_id"]
    assert triage["content"][0]["text"].startswith("Decision: ")
    bad = _inspect(
        inspector_server,
        "--method",
        "tools/call",
        "--tool-name",
        "triage_case",
        "--tool-arg",
        'support_case={"channel": "CHANNEL_FAX"}',
    )
    assert bad["isError"] is True
    assert json.loads(bad["content"][1]["text"])["error"]["field_violations"][0]["field"] == "support_case.channel"
    resources = _inspect(inspector_server, "--method", "resources/list")
    uri = resources["resources"][0]["uri"]
    read = _inspect(inspector_server, "--method", "resources/read", "--uri", uri)
    assert read["contents"][0]["text"].startswith("# ")
