"""The outermost ASGI layer: HTTP as clients expect it, and bounded requests.

- ``HEAD`` is answered wherever ``GET`` is: the request runs as ``GET`` and only the status and
  headers are sent.
- Headers are limited in count and total size (431 before any route sees them; the server
  protocol refuses a request head past its own bound the same way, and one it cannot parse with
  400, see ``core/protocol.py``).
- Bodies are limited (one setting; whole-state snapshots have a larger one of their own): a
  declared ``Content-Length`` past the limit is refused at once, a chunked body is read
  incrementally and refused with 413 as soon as it passes the limit, before it is held whole.

A refusal under a provider's prefix is that provider's own error body; elsewhere it is the
control plane's ``{"detail": ...}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from starlette.responses import JSONResponse, Response

from emulator.core.http import replaying
from emulator.core.provider import Provider

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

STATE_PATH = "/_emulator/state"
REFUSED_HEAD = "emulator.refused_head"
"""Scope key the server protocol sets, to 431 or 400, on a request whose head it cut short or
could not parse (a client cannot set it)."""


async def _drain(receive: Receive, limit: int) -> None:
    """Read (and drop) what is left of a refused body, so a client that sends its whole body
    before reading sees the answer instead of a reset connection; bounded, so a client cannot keep
    the server reading forever, and stopped by the client's disconnect."""
    seen = 0
    while seen < limit:
        message = await receive()
        if message["type"] != "http.request":
            return
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _lingering(send: Send, receive: Receive, drain_bytes: int) -> Send:
    """Sends the whole answer first, then drains the body before the response ends (and the
    server closes the connection): a client reading as it sends gets the answer at once."""

    async def lingering(message: Message) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            await send({**message, "more_body": True})
            await _drain(receive, drain_bytes)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await send(message)

    return lingering


def _headers_only(send: Send) -> Send:
    async def headers_only(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return headers_only


def _body_framing(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, bool]:
    """The declared ``Content-Length`` (the server has checked it is a number) and whether the
    body is chunked."""
    length, chunked = None, False
    for name, value in headers:
        if name == b"content-length" and value.isdigit():
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    return length, chunked


async def _bounded_body(receive: Receive, limit: int) -> tuple[bytes | None, bool]:
    """The whole body when it is within ``limit``, read chunk by chunk; ``None`` as soon as it is
    larger. The flag says whether the body has been read to its end (asking for more then would
    wait for the disconnect)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None, True
        chunk = message.get("body", b"")
        size += len(chunk)
        more = message.get("more_body", False)
        if size > limit:
            return None, not more
        chunks.append(chunk)
        if not more:
            return b"".join(chunks), True


class HttpGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        providers: Iterable[Provider],
        max_header_bytes: int,
        max_header_count: int,
        max_body_bytes: int,
        max_snapshot_bytes: int,
        drain_bytes: int = 256 * 1_048_576,
    ) -> None:
        self.app = app
        self.error_responses = {provider.name: provider.errors.status for provider in providers}
        self.max_header_bytes = max_header_bytes
        self.max_header_count = max_header_count
        self.max_body_bytes = max_body_bytes
        self.max_snapshot_bytes = max_snapshot_bytes
        self.drain_bytes = drain_bytes

    def _refusal(self, path: str, status: int, detail: str) -> Response:
        """The answer to a refused request: the provider's own error body under its prefix."""
        render = self.error_responses.get(path[1:].split("/", 1)[0]) if path.startswith("/") else None
        response = render(status) if render is not None else JSONResponse({"detail": detail}, status_code=status)
        # What is left of the request is not read: the connection cannot serve another one.
        response.headers["connection"] = "close"
        return response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            scope = {**scope, "method": "GET"}
            send = _headers_only(send)
        headers = scope.get("headers") or []
        length, chunked = _body_framing(headers)
        size = sum(len(name) + len(value) + 4 for name, value in headers)
        if scope.get(REFUSED_HEAD) == 400:
            await self._refuse(scope, receive, send, 400, "malformed HTTP request", body_pending=False)
            return
        if scope.get(REFUSED_HEAD) or len(headers) > self.max_header_count or size > self.max_header_bytes:
            detail = (
                f"request headers too large (at most {self.max_header_count} headers, {self.max_header_bytes} bytes)"
            )
            await self._refuse(scope, receive, send, 431, detail, body_pending=bool(length) or chunked)
            return
        snapshot = scope["method"] == "PUT" and scope.get("path") == STATE_PATH
        limit = self.max_snapshot_bytes if snapshot else self.max_body_bytes
        if length is not None and length > limit:
            await self._refuse(scope, receive, send, 413, f"body larger than {limit} bytes", body_pending=True)
            return
        if chunked:
            buffered, complete = await _bounded_body(receive, limit)
            if buffered is None:
                detail = f"body larger than {limit} bytes"
                await self._refuse(scope, receive, send, 413, detail, body_pending=not complete)
                return
            receive = replaying(buffered, receive)
        await self.app(scope, receive, send)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, detail: str, *, body_pending: bool
    ) -> None:
        if body_pending:
            send = _lingering(send, receive, self.drain_bytes)
        await self._refusal(scope.get("path", ""), status, detail)(scope, receive, send)
