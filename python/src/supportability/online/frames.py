"""`FrameReader`: a `multiprocessing` pipe's messages, read on an event loop without ever blocking it.

`Connection.recv()` blocks until a whole message is in, and a message larger than the pipe's
buffer (a batch's thousand results) arrives in parts: called from an event loop's reader, it would
stall every call on the loop for as long as the sender takes. This reads whatever the pipe holds,
without blocking, and hands back only the whole messages, in `Connection`'s own framing: a 4-byte
big-endian length (-1, then an 8-byte one, above 2 GiB), then the pickle.

The pipe must be one-way, read only here: a descriptor an event loop watches is made non-blocking
(uvloop does so itself), and a duplex pipe's sends through it would then break off mid-message.
"""

from __future__ import annotations

import os
import pickle
import struct
from multiprocessing.connection import Connection
from typing import Any

CHUNK_BYTES = 256 * 1024
_LENGTH = struct.Struct("!i")
_LONG_LENGTH = struct.Struct("!Q")


class FrameReader:
    """Reads the messages sent to `conn`, the reading end of a `multiprocessing.Pipe(duplex=False)`."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._fd = conn.fileno()
        os.set_blocking(self._fd, False)
        self._buffer = bytearray()

    def fileno(self) -> int:
        """The descriptor to watch (`loop.add_reader`)."""
        return self._fd

    def read(self) -> tuple[list[Any], bool]:
        """(the whole messages that arrived, whether the peer has gone); never waits."""
        ended = False
        while True:
            try:
                chunk = os.read(self._fd, CHUNK_BYTES)
            except BlockingIOError:
                break
            if not chunk:
                ended = True
                break
            self._buffer += chunk
            if len(chunk) < CHUNK_BYTES:  # the pipe is drained: spare the call that would say so
                break
        return self._messages(), ended

    def _messages(self) -> list[Any]:
        buffer, start, messages = self._buffer, 0, []
        while len(buffer) - start >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(buffer, start)
            header = _LENGTH.size
            if size == -1:
                if len(buffer) - start < header + _LONG_LENGTH.size:
                    break
                (size,) = _LONG_LENGTH.unpack_from(buffer, start + header)
                header += _LONG_LENGTH.size
            end = start + header + size
            if len(buffer) < end:
                break  # the rest of this message is still on its way
            messages.append(pickle.loads(buffer[start + header : end]))
            start = end
        del buffer[:start]
        return messages

    def close(self) -> None:
        self._conn.close()
