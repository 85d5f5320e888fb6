"""Long lists without holding them twice: rows come from a DB-API cursor a chunk at a time, each
chunk is rendered to the provider's bytes at once, and the answer is sent chunk by chunk.

The body is complete before the first byte leaves, so the answer keeps its ``Content-Length``
and every header as the one-piece rendering has them (a client sees the same response); what is
saved is everything but the bytes: no list of all rows, no list of all dicts, no joined copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from emulator.core.fastread import FastReader

CHUNK_ROWS = 100
"""Rows per chunk (about 50 KiB of body): with 1,000 a list of 10,000 addresses grew the server
by 1.6 times its body and took twice as long as with 100 (1.1 times; bench/big_lists.py)."""
JOINED_BODY_LIMIT = 262_144
"""Bodies up to this size are joined into one ordinary response (which the render cache may keep)."""

RenderRows = Callable[[Sequence[Sequence[Any]]], bytes]


def render_rows(fast: FastReader, sql: str, params: dict, render: RenderRows, separator: bytes) -> list[bytes]:
    """Every row of a read-only statement, rendered ``CHUNK_ROWS`` at a time by ``render`` (its
    items joined by ``separator``); each chunk after the first starts with ``separator``: what a
    list body holds between its brackets. Runs in the calling thread."""
    chunks: list[bytes] = []
    for rows in fast.each_chunk(sql, params, CHUNK_ROWS):
        chunks.append(separator + render(rows) if chunks else render(rows))
    return chunks


async def read_rendered_rows(
    fast: FastReader, sql: str, params: dict, render: RenderRows, separator: bytes
) -> list[bytes]:
    """``render_rows`` for a request: a list of one chunk is read and rendered on the event loop
    (a local SQLite file: microseconds a row); a longer one is read again from its start, in one
    statement, on a worker thread, so the loop answers other requests meanwhile."""
    if fast.inline:
        rows = fast.first_rows(sql, params, CHUNK_ROWS)
        if len(rows) < CHUNK_ROWS:
            return [render(rows)] if rows else []
    return await run_in_threadpool(render_rows, fast, sql, params, render, separator)


@dataclass(frozen=True)
class RenderedList:
    """A list's members as rendered chunks (``render_rows``), for a renderer to frame."""

    members: list[bytes]


class ChunkedResponse(Response):
    """A response whose body is sent as the chunks it was rendered in, with their total length;
    it is sent once."""

    def __init__(self, chunks: list[bytes], status_code: int = 200, media_type: str | None = None) -> None:
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
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        # Sent once (never kept by the render cache): each chunk is let go once it is handed on.
        chunks, self.chunks = self.chunks, []
        chunks.reverse()
        while chunks:
            chunk = chunks.pop()
            await send({"type": "http.response.body", "body": chunk, "more_body": bool(chunks)})


def chunked_response(chunks: list[bytes], status_code: int = 200, media_type: str | None = None) -> Response:
    """The body made of ``chunks``: one ordinary response when small, sent as the chunks otherwise."""
    if sum(len(chunk) for chunk in chunks) <= JOINED_BODY_LIMIT:
        return Response(b"".join(chunks), status_code, media_type=media_type)
    return ChunkedResponse(chunks, status_code, media_type)


def list_frame(whole: bytes, marker: bytes) -> tuple[bytes, bytes]:
    """What comes before and after a list's members in a rendered body: ``whole`` is the body with
    one member, ``marker`` that member as rendered alone (e.g. by ``perl_pretty_items``)."""
    at = whole.index(marker)
    return whole[:at], whole[at + len(marker) :]
