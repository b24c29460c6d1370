"""Progress for long jobs: a tqdm bar on a terminal, plain lines everywhere else.

tqdm redraws its bar with carriage returns, which is right on a terminal and garbage in a log
file (`supportability train > train.log`) or CI output. `progress_bar` picks by the stream:
a bar when it is a TTY, else `LineProgress`, which writes a readable line at the start, at most
one every `LINE_INTERVAL_SECONDS` while running, and one at the end.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, Generic, TextIO, TypeVar

T = TypeVar("T")
LINE_INTERVAL_SECONDS = 10.0


class LineProgress(Generic[T]):
    """The part of tqdm's interface the package uses, reported as plain lines."""

    def __init__(
        self,
        iterable: Iterable[T] | None,
        *,
        total: int | None,
        desc: str,
        unit: str,
        file: TextIO,
        interval: float,
    ) -> None:
        self.iterable = iterable
        self.total = total if total is not None else _length(iterable)
        self.desc, self.unit, self.file, self.interval = desc, unit, file, interval
        self.n = 0
        self.postfix = ""
        self._started = self._last_line = time.monotonic()
        self._closed = False
        self._write(self._started)

    def __iter__(self) -> Iterator[T]:
        assert self.iterable is not None, "LineProgress without an iterable is advanced with update()"
        for item in self.iterable:
            yield item
            self.update(1)

    def __enter__(self) -> LineProgress[T]:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.monotonic()
        if now - self._last_line >= self.interval:
            self._write(now)

    def set_postfix_str(self, postfix: str) -> None:
        self.postfix = postfix

    def set_postfix(self, **values: Any) -> None:
        self.postfix = ", ".join(f"{k}={v}" for k, v in values.items())

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._write(time.monotonic())

    def _write(self, now: float) -> None:
        self._last_line = now
        count = f"{self.n}/{self.total}" if self.total is not None else str(self.n)
        elapsed = now - self._started
        postfix = f" {self.postfix}" if self.postfix else ""
        print(f"{self.desc}: {count} {self.unit}{postfix} [{elapsed:.0f}s]", file=self.file, flush=True)


def progress_bar(
    iterable: Iterable[T] | None = None,
    *,
    total: int | None = None,
    desc: str,
    unit: str,
    file: TextIO | None = None,
    leave: bool = True,
    bar_format: str | None = None,
    line_interval: float = LINE_INTERVAL_SECONDS,
) -> Any:
    """A tqdm bar over `iterable` (or advanced by `update`) when `file` (default stderr) is a
    terminal, else a `LineProgress` with the same interface, writing at most one line per
    `line_interval` seconds (0: one per update). `leave` and `bar_format` apply to the bar only."""
    stream = file if file is not None else sys.stderr
    if not _is_terminal(stream):
        return LineProgress(iterable, total=total, desc=desc, unit=unit, file=stream, interval=line_interval)
    from tqdm import tqdm  # imported here: a process that never shows a bar never loads it

    return tqdm(iterable, total=total, desc=desc, unit=unit, file=stream, leave=leave, bar_format=bar_format)


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _length(iterable: Iterable[object] | None) -> int | None:
    try:
        return len(iterable)  # type: ignore[arg-type]
    except TypeError:
        return None
