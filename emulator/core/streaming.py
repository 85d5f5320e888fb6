"""Long lists without holding them in memory: rows come from a DB-API cursor a chunk at a time,
each chunk is rendered to the provider's bytes at once, and a list past ``JOINED_BODY_LIMIT`` is
spooled to an unnamed temporary file as it is rendered, then sent from there a block at a time.

The body is complete before the first byte leaves, so the answer keeps its ``Content-Length``
and every header as the one-piece rendering has them (a client sees the same response), the read
transaction ends before sending starts (a slow client holds no snapshot of the store), and a slow
client holds no worker thread either. What the process holds meanwhile is a chunk and a block, at
any length of list; the file lives in the system's page cache and goes with the response.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from emulator.core.fastread import FastReader
from emulator.core.threads import in_thread

CHUNK_ROWS = 100
"""Rows per chunk (about 50 KiB of body): with 1,000 a list of 10,000 addresses grew the server
by 1.6 times its body and took twice as long as with 100 (1.1 times; bench/big_lists.py)."""
JOINED_BODY_LIMIT = 262_144
"""Bodies up to this size are joined into one ordinary response (which the render cache may keep);
members past it are spooled."""
SEND_BLOCK = 1_048_576
"""Bytes read back from a spool per worker-thread hop while sending."""

RenderRows = Callable[[Sequence[Sequence[Any]]], bytes]


class Spooled:
    """Rendered bytes kept in an unnamed temporary file (gone with it once closed): a part of a
    list's body as ``render_rows`` returns it, with its length."""

    def __init__(self, file: IO[bytes], length: int) -> None:
        self.file = file
        self.length = length

    def __len__(self) -> int:
        return self.length

    def read_block(self, at: int) -> bytes:
        self.file.seek(at)
        return self.file.read(min(SEND_BLOCK, self.length - at))

    def close(self) -> None:
        self.file.close()


Part = bytes | Spooled
"""A piece of a body: bytes in memory, or a spool."""


def render_rows(fast: FastReader, sql: str, params: dict, render: RenderRows, separator: bytes) -> list[Part]:
    """Every row of a read-only statement, rendered ``CHUNK_ROWS`` at a time by ``render`` (its
    items joined by ``separator``); each chunk after the first starts with ``separator``: what a
    list body holds between its brackets. Chunks past ``JOINED_BODY_LIMIT`` in all go to a spool,
    which is then the one part; where no temporary file can be made they stay in memory. Runs in
    the calling thread."""
    chunks: list[Part] = []
    held = 0
    spool: Spooled | None = None
    for rows in fast.each_chunk(sql, params, CHUNK_ROWS):
        chunk = separator + render(rows) if held or spool is not None else render(rows)
        if spool is not None:
            spool.file.write(chunk)
            spool.length += len(chunk)
            continue
        chunks.append(chunk)
        held += len(chunk)
        if held > JOINED_BODY_LIMIT:
            spool = _spool(chunks)
            if spool is not None:
                chunks = [spool]
    return chunks


def _spool(chunks: list[Part]) -> Spooled | None:
    try:
        file = tempfile.TemporaryFile()
    except OSError:  # no writable temporary directory: the list is held in memory instead
        return None
    spool = Spooled(file, 0)
    for chunk in chunks:
        assert isinstance(chunk, bytes)
        file.write(chunk)
        spool.length += len(chunk)
    return spool


async def read_rendered_rows(
    fast: FastReader, sql: str, params: dict, render: RenderRows, separator: bytes
) -> list[Part]:
    """``render_rows`` for a request: a list of one chunk is read and rendered on the event loop
    (a local SQLite file: microseconds a row); a longer one is read again from its start, in one
    statement, on a worker thread, so the loop answers other requests meanwhile."""
    if fast.inline:
        rows = fast.first_rows(sql, params, CHUNK_ROWS)
        if len(rows) < CHUNK_ROWS:
            return [render(rows)] if rows else []
    return await in_thread(render_rows, fast, sql, params, render, separator)


@dataclass(frozen=True)
class RenderedList:
    """A list's members as rendered chunks (``render_rows``), for a renderer to frame."""

    members: list[Part]


class ChunkedResponse(Response):
    """A response whose body is sent as the parts it was rendered in (a spool a block at a time),
    with their total length; it is sent once, and its spool closed then."""

    def __init__(self, chunks: list[Part], status_code: int = 200, media_type: str | None = None) -> None:
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = None
        self.chunks = chunks
        self.length = sum(len(chunk) for chunk in chunks)
        self.init_headers()  # what Starlette sends, but for the length it cannot see
        self.raw_headers.insert(0, (b"content-length", str(self.length).encode("latin-1")))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.send_to(send)

    async def send_to(self, send: Send) -> None:
        # Sent once (never kept by the render cache): each chunk is let go once it is handed on.
        chunks, self.chunks = self.chunks, []
        chunks.reverse()
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            while chunks:
                chunk = chunks.pop()
                if isinstance(chunk, bytes):
                    await send({"type": "http.response.body", "body": chunk, "more_body": bool(chunks)})
                    continue
                try:
                    at = 0
                    while at < chunk.length:
                        block = await in_thread(chunk.read_block, at)
                        at += len(block)
                        more = at < chunk.length or bool(chunks)
                        await send({"type": "http.response.body", "body": block, "more_body": more})
                finally:
                    chunk.close()
        finally:  # the client went away, say: what was not sent goes now
            for chunk in chunks:
                if isinstance(chunk, Spooled):
                    chunk.close()


def chunked_response(chunks: list[Part], status_code: int = 200, media_type: str | None = None) -> Response:
    """The body made of ``chunks``: one ordinary response when small, sent as the parts otherwise."""
    if sum(len(chunk) for chunk in chunks) <= JOINED_BODY_LIMIT and all(isinstance(c, bytes) for c in chunks):
        return Response(b"".join(chunks), status_code, media_type=media_type)  # type: ignore[arg-type]
    return ChunkedResponse(chunks, status_code, media_type)


def list_frame(whole: bytes, marker: bytes) -> tuple[bytes, bytes]:
    """What comes before and after a list's members in a rendered body: ``whole`` is the body with
    one member, ``marker`` that member as rendered alone (e.g. by ``perl_pretty_items``)."""
    at = whole.index(marker)
    return whole[:at], whole[at + len(marker) :]
