"""Progress: a tqdm bar on a terminal, plain lines in a log (no carriage-return frames)."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from supportability import progress
from supportability.progress import LineProgress, progress_bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_tqdm_bar() -> None:
    from tqdm import tqdm

    with progress_bar(range(3), desc="fit", unit="batch", file=_Terminal()) as bar:
        assert isinstance(bar, tqdm)
        assert list(bar) == [0, 1, 2]


def test_a_file_gets_plain_lines_at_the_start_and_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(range(0, 1000, 4))  # every reading of the clock is 4 s after the last
    monkeypatch.setattr(progress.time, "monotonic", lambda: float(next(clock)))
    log = io.StringIO()
    with progress_bar(range(6), desc="teacher epoch 1/3", unit="batch", file=log, line_interval=10) as bar:
        assert isinstance(bar, LineProgress)
        for _ in bar:
            bar.set_postfix(loss="0.5000")
    assert "\r" not in log.getvalue()
    lines = log.getvalue().splitlines()
    assert lines[0] == "teacher epoch 1/3: 0/6 batch [0s]"
    assert lines[-1].startswith("teacher epoch 1/3: 6/6 batch loss=0.5000 [")
    assert 3 <= len(lines) < 6, lines  # a line per 10 s, not one per batch


def test_steps_write_a_line_per_stage_when_asked() -> None:
    log = io.StringIO()
    bar = progress_bar(total=3, desc="train", unit="step", file=log, line_interval=0)
    for stage in ("featurising text", "fitting heads", "calibrating"):
        bar.set_postfix_str(stage)
        bar.update(1)
    bar.close()
    bar.close()  # closing twice writes once
    assert [line.rsplit(" [", 1)[0] for line in log.getvalue().splitlines()] == [
        "train: 0/3 step",
        "train: 1/3 step featurising text",
        "train: 2/3 step fitting heads",
        "train: 3/3 step calibrating",
        "train: 3/3 step calibrating",
    ]


def test_the_train_command_writes_readable_lines_into_a_log(tmp_path) -> None:
    """`supportability train ... > train.log`, as a user runs it: stderr is a file, not a terminal."""
    log = tmp_path / "train.log"
    registry = tmp_path / "registry"
    with log.open("w") as out:
        result = subprocess.run(
            [sys.executable, "-m", "supportability", "train", "--registry", str(registry), "--cases", "1500"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "80"},
            timeout=600,
            check=False,
        )
    text = log.read_text()
    assert result.returncode == 0, text
    assert "\r" not in text
    assert any(line.startswith("train") and " step" in line for line in text.splitlines()), text
