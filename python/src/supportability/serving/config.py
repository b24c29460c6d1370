"""Server configuration: defaults, then a TOML file, then SUPPORTABILITY_* environment variables,
then command-line options (each overriding the one before)."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_PREFIX = "SUPPORTABILITY_"


def _setting(default: Any, help: str) -> Any:
    return dataclasses.field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class ServerConfig:
    """Every setting of `supportability serve`; the field names are the TOML keys, and the
    environment variables are the upper-cased names with the SUPPORTABILITY_ prefix."""

    address: str = _setting("127.0.0.1:50051", "host:port to listen on; port 0 picks a free port")
    registry: str = _setting("var/registry", "model registry directory; its promoted version is served")
    ready_file: str = _setting("", "file to write 'host:port' to once serving (for scripts and tests)")
    metrics_address: str = _setting("", "host:port for Prometheus /metrics (make run uses 127.0.0.1:9464); empty: off")
    workers: int = _setting(
        1, "server processes sharing the port (SO_REUSEPORT), forked by a supervising parent; see python/README.md"
    )
    max_concurrent_calls: int = _setting(64, "calls in flight beyond this are shed with RESOURCE_EXHAUSTED")
    max_concurrent_streams: int = _setting(
        0,
        "calls in flight per client connection (HTTP/2 MAX_CONCURRENT_STREAMS); a client holds its calls beyond "
        "it, so a flood from one connection queues in the client, not in this server; 0 = no limit",
    )
    shed_deadline_margin_seconds: float = _setting(
        0.0,
        "a call with less than this left of its deadline when its handler starts (it waited in gRPC's queue) "
        "is shed with RESOURCE_EXHAUSTED, unparsed; 0 (the default) = only calls already past their deadline "
        "are refused: the server cannot tell a call that waited from one sent with a short deadline, and an "
        "idle server must not call the latter overloaded",
    )
    shed_retry_delay_seconds: float = _setting(0.05, "retry delay suggested to shed callers (RetryInfo)")
    shutdown_grace_seconds: float = _setting(10.0, "on SIGTERM, how long in-flight calls may take to finish")
    reload_interval_seconds: float = _setting(2.0, "how often to check for a newly promoted version; 0 = never")
    token_file: str = _setting("", "file of bearer tokens, one per line; with no tokens, no authentication")
    tokens: str = _setting("", "comma-separated bearer tokens (prefer token_file or the environment)")
    tls_cert: str = _setting("", "PEM certificate chain; with tls_key, serve TLS")
    tls_key: str = _setting("", "PEM private key of tls_cert")
    tls_client_ca: str = _setting("", "PEM CA bundle; when set, clients must present a certificate (mTLS)")
    tracing: str = _setting(
        "", "OpenTelemetry span exporter: 'otlp' (OTEL_EXPORTER_OTLP_* variables) or 'console'; empty: off"
    )
    log_level: str = _setting("INFO", "DEBUG, INFO, WARNING or ERROR")
    store: str = _setting(
        "sqlite:///var/online.db",
        "online store (prediction log and outcomes): a SQLAlchemy URL such as sqlite:///var/online.db or "
        "postgresql+psycopg://user@host/db; 'none' turns the log and the OutcomeService off",
    )
    log_predictions: bool = _setting(True, "log every served prediction to the online store (off the request path)")
    store_case_text: bool = _setting(False, "also keep each case's subject and body in the log (for retraining)")
    prediction_log_queue: int = _setting(10_000, "predictions waiting to be logged; beyond this they are dropped")
    monitor_interval_seconds: float = _setting(
        60.0, "how often the online gauges (live accuracy, decision precision vs target) are refreshed; 0 = off"
    )
    bandit_update_interval_seconds: float = _setting(
        300.0,
        "how often running bandits get new weights from the stored outcomes (off the request path; server "
        "processes sharing a registry make one update per interval between them); 0 = off",
    )
    retention_days: float = _setting(90.0, "delete logged predictions and their outcomes older than this; 0 = keep")

    @classmethod
    def load(cls, file: str | Path | None = None, env: dict[str, str] | None = None, **overrides: Any) -> ServerConfig:
        """Merge the layers; unknown keys in the file are an error, not a silent no-op."""
        values: dict[str, Any] = {}
        fields = {f.name: f for f in dataclasses.fields(cls)}
        if file:
            with open(file, "rb") as handle:
                data = tomllib.load(handle)
            unknown = sorted(set(data) - set(fields))
            if unknown:
                raise ValueError(f"{file}: unknown setting(s) {', '.join(unknown)}")
            values.update(data)
        environment: Mapping[str, str] = os.environ if env is None else env
        for name in fields:
            raw = environment.get(ENV_PREFIX + name.upper())
            if raw is not None:
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**{name: _coerce(str(fields[name].type), value, name) for name, value in values.items()})

    def bearer_tokens(self) -> list[str]:
        tokens = [t.strip() for t in self.tokens.split(",") if t.strip()]
        if self.token_file:
            tokens += [line.strip() for line in Path(self.token_file).read_text().splitlines() if line.strip()]
        return tokens


def _coerce(type_name: str, value: Any, name: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if type_name == "int":
            return int(value)
        if type_name == "float":
            return float(value)
        if type_name == "bool":
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(value)
    except ValueError:
        raise ValueError(f"setting {name}: {value!r} is not a valid {type_name}") from None
    return value
