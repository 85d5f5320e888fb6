"""A raw HTTP/1.1 client for input no HTTP library would send, reading the answer while it sends
(so a server that answers before taking a whole body is seen doing so)."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

CHUNK = 65_536


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int
    """Bytes the client had sent (head and body) when the answer was complete."""

    def json(self) -> object:
        return json.loads(self.body)


class Dropped(AssertionError):
    """The connection ended without a complete HTTP answer."""


def request_head(method: str, target: str | bytes, headers: dict[str, str | bytes]) -> bytes:
    target = target.encode("latin-1") if isinstance(target, str) else target
    lines = [method.encode("latin-1") + b" " + target + b" HTTP/1.1"]
    for name, value in {"Host": "127.0.0.1", "Connection": "close", **headers}.items():
        lines.append(name.encode("latin-1") + b": " + (value if isinstance(value, bytes) else value.encode("latin-1")))
    return b"\r\n".join(lines) + b"\r\n\r\n"


def fixed_body(body: bytes) -> Iterator[bytes]:
    for start in range(0, len(body), CHUNK):
        yield body[start : start + CHUNK]


def repeated(total: int, chunk: bytes = b" " * CHUNK) -> Iterator[bytes]:
    """``total`` bytes of filler, made as they are sent (never held whole by the client)."""
    left = total
    while left > 0:
        yield chunk[:left]
        left -= len(chunk)


def chunked(parts: Iterable[bytes]) -> Iterator[bytes]:
    for part in parts:
        yield b"%x\r\n" % len(part) + part + b"\r\n"
    yield b"0\r\n\r\n"


def _parse(raw: bytes) -> tuple[int, dict[str, str], int] | None:
    """Status, headers and where the body starts, once the head has arrived."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = raw[:end].decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, end + 4


def _complete(raw: bytes) -> Answer | None:
    parsed = _parse(raw)
    if parsed is None:
        return None
    status, headers, start = parsed
    if "content-length" not in headers:
        return None  # read to the end of the connection
    length = int(headers["content-length"])
    if len(raw) - start < length:
        return None
    return Answer(status, headers, raw[start : start + length], 0)


def exchange(port: int, head: bytes | Iterable[bytes], body: Iterable[bytes] = (), timeout: float = 30.0) -> Answer:
    """Send ``head`` then ``body`` chunk by chunk, reading all the while; stop sending as soon as a
    complete answer is in. A connection that ends (or resets) without one raises ``Dropped``."""
    pending = iter(fixed_body(head) if isinstance(head, bytes) else head)
    body_chunks = iter(body)
    received = bytearray()
    sent = 0
    deadline = time.monotonic() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        # Little queued on this side: what counts as sent has mostly reached the server.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, CHUNK)
        sock.setblocking(False)
        outgoing = b""
        open_for_writing = True
        while time.monotonic() < deadline:
            if not outgoing and open_for_writing:
                outgoing = next(pending, b"")
                if not outgoing:
                    pending = body_chunks
                    outgoing = next(pending, b"")
                if not outgoing:
                    open_for_writing = False
            readable, writable, _ = select.select([sock], [sock] if outgoing else [], [], 1.0)
            if readable:
                try:
                    data = sock.recv(CHUNK)
                except ConnectionResetError:
                    data = b""
                if not data:
                    break
                received += data
                answer = _complete(bytes(received))
                if answer is not None:
                    answer.sent = sent
                    return answer
            if writable and outgoing:
                try:
                    count = sock.send(outgoing)
                except (BrokenPipeError, ConnectionResetError):
                    outgoing, open_for_writing = b"", False
                    continue
                sent += count
                outgoing = outgoing[count:]
        answer = _complete(bytes(received))
        if answer is None:
            raise Dropped(f"no complete answer; received {bytes(received[:200])!r}")
        answer.sent = sent
        return answer
