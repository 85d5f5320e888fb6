"""uvicorn's httptools protocol with a bounded request head, and refusals the app words.

httptools gathers each header value (and uvicorn the URL) whole before anyone sees it, so one
endless header would be held in memory as it grows, copied again with every read. This protocol
counts the bytes of each request head as they arrive; past ``max_head_bytes`` it stops parsing.
A head that cannot be parsed (a NUL in a header, an unknown method, a byte no URL may hold) stops
it too. Either way the app gets the request as far as it got (the path, the headers complete so
far, no body) marked with ``REFUSED_HEAD`` (431 or 400), whatever else the client sends is
dropped, and the connection closes once the app has answered: the guard (``core/guard.py``)
answers in the format of the provider the path names, where uvicorn would send plain text.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import urllib.parse
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from emulator.core.guard import REFUSED_HEAD

# Enough of the request target to tell whose path it is.
_KEPT_TARGET_BYTES = 2048
_REQUEST_TARGET = re.compile(rb"\s*\S+ +(\S+)")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"

logger = logging.getLogger(__name__)


class BoundedHeadProtocol(HttpToolsProtocol):
    def __init__(self, *args, max_head_bytes: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_head_bytes = max_head_bytes
        self._in_head = True
        self._head_bytes = 0
        self._head_start = b""
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._in_head:
            if not self._head_bytes:
                self._head_start = data[:_KEPT_TARGET_BYTES]
            self._head_bytes += len(data)
        super().data_received(data)
        if not self._refused and self._in_head and self._head_bytes > self.max_head_bytes:
            self._refuse(431)

    def send_400_response(self, msg: str) -> None:
        if self._in_head:
            self._refuse(400)
        else:  # the body is malformed: the app has the request already
            super().send_400_response(msg)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()
        cycle = self.cycle
        # A response to a HEAD writes no body chunk to join its head to.
        if cycle is not None and cycle.transport is self.transport and self.scope["method"] != "HEAD":
            cycle.transport = _HeadWithBody(self.transport, cycle)  # type: ignore[assignment]

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._head_bytes = 0

    def _request_path(self) -> bytes:
        """The path of the request target as far as it arrived, percent-encoded where it holds
        bytes no URL may (so it routes like the request would have)."""
        target = self.url
        if not target:
            match = _REQUEST_TARGET.match(self._head_start)
            target = match.group(1) if match else b"/"
        path = target[:_KEPT_TARGET_BYTES].split(b"?", 1)[0].split(b"#", 1)[0]
        if not path.startswith(b"/"):
            path = b"/"
        return urllib.parse.quote(path, safe=_PATH_SAFE).encode("ascii")

    def _refuse(self, status: int) -> None:
        self._refused = True
        try:
            self.url = self._request_path()
            # uvicorn types the scope as the ASGI keys alone; this one is ours, for the app to read.
            cast(dict[str, Any], self.scope)[REFUSED_HEAD] = status
            self.on_headers_complete()
            self.cycle.keep_alive = False
            self.on_message_complete()
        except Exception:  # not even the start of a request arrived
            logger.debug("refused a request head without dispatching it", exc_info=True)
            reason = "Request Header Fields Too Large" if status == 431 else "Bad Request"
            self.transport.write(
                f"HTTP/1.1 {status} {reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode()
            )
            self.transport.close()


class _HeadWithBody:
    """The connection as one response writes to it: the response's head goes out with the first
    chunk of its body, in one write (one system call, one packet, where uvicorn makes two).
    Anything written before the head (``100 Continue``) or after that chunk goes out as it is."""

    __slots__ = ("_transport", "_cycle", "_head")

    def __init__(self, transport: asyncio.Transport, cycle: Any) -> None:
        self._transport = transport
        self._cycle = cycle  # until the head is out (then let go: no reference cycle to collect)
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head + data)
        elif self._cycle is not None and self._cycle.response_started:
            self._head, self._cycle = data, None
        else:
            self._transport.write(data)

    def close(self) -> None:
        if self._head is not None:  # the app failed after its head: it goes out, as without joining
            head, self._head = self._head, None
            self._transport.write(head)
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


# Room for the request line beside the headers (whose own limit the guard applies).
REQUEST_LINE_BYTES = 16_384


def bounded_head_protocol(max_header_bytes: int) -> type[asyncio.Protocol]:
    """What uvicorn's ``http`` option takes: a factory of protocols whose request heads are bounded
    by the header limit plus room for the request line (uvicorn only calls it, so a partial will do
    where its types name a class)."""
    factory = functools.partial(BoundedHeadProtocol, max_head_bytes=max_header_bytes + REQUEST_LINE_BYTES)
    return cast(type[asyncio.Protocol], factory)


def protocol_options(max_header_bytes: int) -> dict[str, Any]:
    """The protocols every server of the emulator runs uvicorn with: HTTP with bounded request
    heads, and no WebSockets. Every API emulated is plain HTTP, so a request asking to upgrade is
    answered as the HTTP request it also is (with WebSockets on, it got an empty 403 that is no
    provider's format), and uvicorn imports no WebSocket implementation at start."""
    return {"http": bounded_head_protocol(max_header_bytes), "ws": "none"}
