"""The outermost ASGI layer: HTTP as clients expect it, and bounded requests.

- ``HEAD`` is answered wherever ``GET`` is: the request runs as ``GET`` and only the status and
  headers are sent.
- Headers are limited in count and total size (431 before any route sees them).
- Control-plane bodies are read incrementally and refused with 413 past their limit, before they
  are held whole (provider routes bound their bodies themselves, in their own error format).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTROL_PREFIX = "/_emulator"
STATE_PATH = "/_emulator/state"


async def _answer(
    send: Send, status: int, body: dict, content_type: str = "application/json", *, head: bool = False
) -> None:
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(raw)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if head else raw})


async def _drain(receive: Receive, limit: int) -> None:
    """Read (and drop) what is left of a refused body, so the client sees the answer instead of a
    reset connection; bounded, so a client cannot keep the server reading forever."""
    seen = 0
    while seen < limit:
        message = await receive()
        if message["type"] != "http.request":
            return
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


class HttpGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_header_bytes: int,
        max_header_count: int,
        max_control_body_bytes: int,
        max_snapshot_bytes: int,
        drain_bytes: int = 256 * 1_048_576,
    ) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes
        self.max_header_count = max_header_count
        self.max_control_body_bytes = max_control_body_bytes
        self.max_snapshot_bytes = max_snapshot_bytes
        self.drain_bytes = drain_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        headers = scope.get("headers") or []
        size = sum(len(name) + len(value) + 4 for name, value in headers)
        if len(headers) > self.max_header_count or size > self.max_header_bytes:
            await _drain(receive, self.drain_bytes)
            await _answer(
                send,
                431,
                {
                    "detail": f"request headers too large (at most {self.max_header_count} headers, {self.max_header_bytes} bytes)"
                },
                head=head,
            )
            return
        if head:
            scope = {**scope, "method": "GET"}
            send = _headers_only(send)
        path = scope.get("path", "")
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            limit = self.max_snapshot_bytes if path == STATE_PATH else self.max_control_body_bytes
            buffered, complete = await _bounded_body(scope, receive, limit)
            if buffered is None:
                if not complete:
                    await _drain(receive, self.drain_bytes)
                await _answer(send, 413, {"detail": f"body larger than {limit} bytes"}, head=head)
                return
            receive = _replay(buffered, receive)
        await self.app(scope, receive, send)


def _headers_only(send: Send) -> Send:
    async def headers_only(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return headers_only


async def _bounded_body(scope: Scope, receive: Receive, limit: int) -> tuple[bytes | None, bool]:
    """The whole body when it is within ``limit``, read chunk by chunk; ``None`` as soon as it is
    known to be larger (from ``Content-Length`` or from what has arrived). The flag says whether
    the body has been read to its end (asking for more then would wait for the disconnect)."""
    for name, value in scope.get("headers") or []:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            return None, False
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


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
