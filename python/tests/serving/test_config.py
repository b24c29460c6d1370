"""Server settings: defaults, then the TOML file, then SUPPORTABILITY_* variables, then options."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportability.serving.config import ServerConfig


def test_layers_override_in_order(tmp_path: Path) -> None:
    file = tmp_path / "serve.toml"
    file.write_text('address = "0.0.0.0:6000"\nmax_concurrent_calls = 10\nregistry = "/srv/models"\n')
    env = {"SUPPORTABILITY_MAX_CONCURRENT_CALLS": "20", "SUPPORTABILITY_TRACING": "console"}
    config = ServerConfig.load(file, env=env, registry="/override", shutdown_grace_seconds=None)
    assert config.address == "0.0.0.0:6000"  # file over default
    assert config.max_concurrent_calls == 20  # environment over file
    assert config.registry == "/override"  # option over file
    assert config.tracing == "console"
    assert config.shutdown_grace_seconds == ServerConfig().shutdown_grace_seconds  # None: not given


def test_unknown_file_keys_and_bad_values_are_errors(tmp_path: Path) -> None:
    file = tmp_path / "serve.toml"
    file.write_text("max_concurent_calls = 10\n")
    with pytest.raises(ValueError, match="unknown setting"):
        ServerConfig.load(file, env={})
    with pytest.raises(ValueError, match="max_concurrent_calls"):
        ServerConfig.load(env={"SUPPORTABILITY_MAX_CONCURRENT_CALLS": "many"})


def test_tokens_come_from_the_environment_and_the_token_file(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("from-file\n\n")
    config = ServerConfig.load(env={"SUPPORTABILITY_TOKENS": "a, b", "SUPPORTABILITY_TOKEN_FILE": str(tokens)})
    assert config.bearer_tokens() == ["a", "b", "from-file"]
