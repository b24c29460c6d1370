"""`supportability mcp`: the predictions as tools for an LLM assistant (Model Context Protocol)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from supportability.cli.options import fail

if TYPE_CHECKING:
    import grpc

    from supportability.assistant import Backend, OnlineFigures

DEFAULT_TARGET = "127.0.0.1:50051"
UVLOOP = {"use_uvloop": True}  # as `serve`: uvloop costs measurably less per call than asyncio's loop


def _read(path: str | None) -> bytes | None:
    return Path(path).read_bytes() if path else None


@click.command("mcp")
@click.option(
    "--transport",
    type=click.Choice(["stdio", "http"]),
    default="stdio",
    show_default=True,
    help="stdio for a host that starts this process; http for streamable HTTP on loopback.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to listen on (http).")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (http; 0: any free)."
)
@click.option(
    "--ready-file", type=click.Path(dir_okay=False), help="Write the endpoint's URL here once serving (http)."
)
@click.option("--target", default=DEFAULT_TARGET, show_default=True, help="The gRPC service's host:port.")
@click.option("--token", envvar="SUPPORTABILITY_TOKEN", default=None, help="Bearer token [env SUPPORTABILITY_TOKEN].")
@click.option(
    "--timeout", default=5.0, show_default=True, type=click.FloatRange(min=0.001), help="Deadline per call, seconds."
)
@click.option("--tls/--no-tls", default=False, help="TLS to the service with the system's roots (or --tls-ca).")
@click.option(
    "--tls-ca",
    type=click.Path(exists=True, dir_okay=False),
    help="PEM CA bundle that signed the service's certificate.",
)
@click.option(
    "--tls-cert", type=click.Path(exists=True, dir_okay=False), help="PEM client certificate chain (mutual TLS)."
)
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="PEM private key of --tls-cert.")
@click.option(
    "--registry",
    "registry_path",
    type=click.Path(file_okay=False, exists=True),
    help="Answer from this model registry in-process instead of calling --target.",
)
@click.option(
    "--store",
    "store_url",
    default=None,
    help="Online store URL: with --registry it logs predictions and records outcomes; with --target "
    "it is only read, for get_model's online metrics.",
)
@click.option(
    "--articles",
    "articles_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Help-centre articles (as for train --articles) served as resources [default: the synthetic help centre].",
)
@click.option("--log-level", default="WARNING", show_default=True, help="Log level (JSON logs on stderr).")
def mcp_command(
    transport: str,
    host: str,
    port: int,
    ready_file: str | None,
    target: str,
    token: str | None,
    timeout: float,
    tls: bool,
    tls_ca: str | None,
    tls_cert: str | None,
    tls_key: str | None,
    registry_path: str | None,
    store_url: str | None,
    articles_path: str | None,
    log_level: str,
) -> None:
    """Serve triage_case, suggest_articles, record_outcome and get_model as MCP tools, and the
    help centre's articles as resources, for an LLM support assistant.

    They call the gRPC service at --target (token and TLS as for any client), or, with --registry,
    a Predictor in this process.
    """
    try:
        import anyio

        from supportability.assistant import Tools, build_server
        from supportability.assistant.articles import HelpCentre
        from supportability.assistant.server import is_loopback, serve_http, serve_stdio
    except ImportError as exc:
        fail(f"supportability mcp needs the assistant extra (pip install 'supportability[assistant]'): {exc}")
    from supportability.serving.logs import configure_logging

    if transport == "http" and not is_loopback(host):
        raise click.BadParameter(
            f"{host} is not a loopback address (the endpoint has no authentication)", param_hint="--host"
        )
    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("--tls-cert and --tls-key go together")
    configure_logging(log_level)
    try:
        help_centre = HelpCentre.load(articles_path)
    except (OSError, ValueError) as exc:
        fail(f"--articles: {exc}")
    credentials = _credentials(tls_ca, tls_cert, tls_key) if tls or tls_ca or tls_cert else None
    if registry_path is not None:
        backend, online = _local(registry_path, store_url)
    else:
        backend, online = _remote(target, token, timeout, credentials, store_url)
    server = build_server(Tools(backend, help_centre, online))
    try:
        if transport == "stdio":
            anyio.run(serve_stdio, server, backend_options=UVLOOP)
        else:
            anyio.run(serve_http, server, host, port, Path(ready_file) if ready_file else None, backend_options=UVLOOP)
    except KeyboardInterrupt:
        pass
    finally:
        backend.close()  # a local backend's online loop owns the store it shares with `online`
        if online is not None and registry_path is None:
            online.store.close()


def _credentials(tls_ca: str | None, tls_cert: str | None, tls_key: str | None) -> grpc.ChannelCredentials:
    import grpc

    return grpc.ssl_channel_credentials(_read(tls_ca), _read(tls_key), _read(tls_cert))


def _local(registry_path: str, store_url: str | None) -> tuple[Backend, OnlineFigures | None]:
    from supportability.assistant import LocalBackend, OnlineFigures
    from supportability.online.loop import open_loop
    from supportability.online.store import StoreError
    from supportability.registry import Registry
    from supportability.serving.predictor import Predictor

    registry = Registry(registry_path)
    try:
        loop = open_loop(store_url, registry) if store_url else None
    except StoreError as exc:
        fail(f"--store: {exc}")
    predictor = Predictor(registry, online=loop)
    if predictor.model is None:
        fail(f"{registry_path}: no promoted model loads (supportability ensure-model --registry {registry_path})")
    return LocalBackend(predictor), OnlineFigures(loop.store, registry) if loop else None


def _remote(
    target: str, token: str | None, timeout: float, credentials: grpc.ChannelCredentials | None, store_url: str | None
) -> tuple[Backend, OnlineFigures | None]:
    from supportability.assistant import OnlineFigures, RemoteBackend
    from supportability.client import Client

    online = None
    if store_url:
        from supportability.cli.online import _open as open_store  # refuses a missing SQLite file, as `online report`

        online = OnlineFigures(open_store(store_url))
    return RemoteBackend(Client(target, token=token, timeout=timeout, credentials=credentials)), online
