"""The MCP server: the tools and the help centre's articles on the SDK's low-level `Server`, over
stdio or streamable HTTP on loopback. A thin transport, as `serving/server.py` is over `Predictor`.

The low-level server (not `MCPServer`) because the tools' schemas come from the contract, not
from Python signatures. Tool calls block (gRPC or the model), so they run in worker threads and
concurrent calls overlap.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from importlib import metadata
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError

from supportability.assistant.tools import Tools

log = logging.getLogger(__name__)
RESOURCE_NOT_FOUND = -32002  # the MCP specification's code for resources/read of an unknown URI
HTTP_PATH = "/mcp"
INSTRUCTIONS = """Supportability predicts what a merchant's support case needs, with calibrated probabilities.
1. Before drafting any answer to a case, call triage_case with the case.
2. If its decision is HUMAN_TRIAGE, stop: hand the case to a human agent with the triage result.
3. If it is AUTO_ROUTE, draft an answer for the routed queue; read suggested articles (resources) before citing them.
4. When the case closes, call record_outcome with the prediction_id and what really happened."""


def build_server(tools: Tools) -> Server[Any]:
    """The MCP server over `tools` and its help centre."""

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools.definitions())

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        return await anyio.to_thread.run_sync(tools.call, params.name, params.arguments)

    async def list_resources(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=tools.help_centre.resources())

    async def list_templates(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=[tools.help_centre.template()])

    async def read_resource(
        ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        contents = tools.help_centre.read(str(params.uri))
        if contents is None:
            raise MCPError(RESOURCE_NOT_FOUND, f"no help-centre article at {params.uri}", {"uri": str(params.uri)})
        return types.ReadResourceResult(contents=[contents])

    return Server(
        "supportability",
        version=metadata.version("supportability"),
        title="Supportability: triage for merchant support cases",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_templates,
        on_read_resource=read_resource,
    )


async def serve_stdio(server: Server[Any]) -> None:
    """Serve one client on this process's stdin and stdout (logs go to stderr)."""
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def serve_http(server: Server[Any], host: str, port: int, ready_file: Path | None = None) -> None:
    """Serve streamable HTTP at http://host:port/mcp until cancelled. Loopback only: the endpoint has
    no authentication of its own, and the SDK's DNS-rebinding protection is set for loopback hosts."""
    import uvicorn

    if not is_loopback(host):
        raise ValueError(f"{host} is not a loopback address; the MCP endpoint serves this machine only")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))  # bound here so port 0 works and the port is known before serving
    bound = listener.getsockname()[1]
    app = server.streamable_http_app(streamable_http_path=HTTP_PATH, host=host)
    web = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    url = f"http://{f'[{host}]' if family == socket.AF_INET6 else host}:{bound}{HTTP_PATH}"

    async def announce() -> None:
        while not web.started:
            await anyio.sleep(0.01)
        log.info("serving MCP over streamable HTTP", extra={"url": url})
        if ready_file is not None:  # written whole, then renamed: a reader never sees half a URL
            partial = ready_file.with_name(ready_file.name + ".partial")
            partial.write_text(url)
            partial.replace(ready_file)

    async with anyio.create_task_group() as group:
        group.start_soon(announce)
        await web.serve(sockets=[listener])
        group.cancel_scope.cancel()
