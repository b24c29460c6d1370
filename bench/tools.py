"""Installs the bench's own tools, quickly when they are already there.

ghz comes from the Go module proxy, MLServer from PyPI into a venv of its own (its dependency set
clashes with ours: protobuf 6, pandas, FastAPI). Each install leaves a stamp naming what it
installed, so a second `make bench` costs a file read.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

# The newest ghz release; it builds with go 1.26. `ghz --version` says "dev" when built by
# `go install`, so the version we report is this pin.
GHZ_VERSION = "v0.121.0"
MLSERVER_VERSION = "1.7.1"
GO_FALLBACK = "/usr/local/go/bin/go"

INSTALL_TIMEOUT_SECONDS = 600


def _stamp_matches(stamp: Path, wanted: str) -> bool:
    return stamp.is_file() and stamp.read_text() == wanted


def ensure_ghz(cache: Path) -> Path:
    """The path of a ghz binary built at GHZ_VERSION, building it first if needed."""
    binary = cache / "bin" / "ghz"
    stamp = cache / "bin" / "ghz.version"
    if binary.is_file() and _stamp_matches(stamp, GHZ_VERSION):
        return binary
    print(f"bench: installing ghz {GHZ_VERSION} from the Go module proxy", file=sys.stderr)
    go = shutil.which("go") or GO_FALLBACK  # make's PATH may lack Go's own bin directory
    env = dict(os.environ, GOBIN=str(binary.parent), GOFLAGS="-buildvcs=false")
    subprocess.run(
        [go, "install", f"github.com/bojand/ghz/cmd/ghz@{GHZ_VERSION}"],
        env=env, check=True, timeout=INSTALL_TIMEOUT_SECONDS,
    )
    stamp.write_text(GHZ_VERSION)
    return binary


def ensure_mlserver(cache: Path, lock_file: Path) -> Path:
    """The python of a venv holding exactly the packages of `lock_file`, creating it if needed."""
    venv = cache / "mlserver-venv"
    python = venv / "bin" / "python"
    stamp = venv / "bench-lock.sha256"
    wanted = hashlib.sha256(lock_file.read_bytes()).hexdigest()
    if python.is_file() and _stamp_matches(stamp, wanted):
        return python
    print(f"bench: installing MLServer {MLSERVER_VERSION} into {venv}", file=sys.stderr)
    if not python.is_file():
        # The system python3 (3.11), not our venv's: a venv made from a venv works but is confusing.
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(lock_file)],
        check=True, timeout=INSTALL_TIMEOUT_SECONDS,
    )
    stamp.write_text(wanted)
    return python
