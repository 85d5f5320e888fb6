"""POSTing callbacks: HTTP/1.1 (h11) over kept-alive plain or TLS sockets, each attempt bounded by
one deadline for everything it does (connecting, sending, every read), so a receiver that trickles
its answer a byte at a time is cut off at the timeout like one that never answers.

A general client (httpx) spends most of a callback's cost on what a callback never needs (cookies,
redirects, auth flows, a connection pool's bookkeeping); this is the part it does need. Failures
read as httpx's did (``ConnectError: [Errno 111] Connection refused``, ``timed out``), so recorded
attempts keep their meaning.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

# Bytes taken from the socket per read.
READ_SIZE = 65_536
DISCONNECTED = "RemoteProtocolError: Server disconnected without sending a response."


@dataclass(frozen=True)
class Answer:
    """What one POST got: the answer's status (``None`` when none came) and what went wrong."""

    status_code: int | None
    error: str | None


class _Failed(Exception):
    pass


@dataclass
class _Connection:
    sock: socket.socket
    protocol: h11.Connection

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def usable(self) -> bool:
        """An idle kept-alive connection is usable while nothing is waiting to be read on it (an
        idle receiver that closed it, or sent something unasked, makes it readable)."""
        try:
            poller = select.poll()
            poller.register(self.sock, select.POLLIN | select.POLLERR | select.POLLHUP)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False


class Poster:
    """Sends POSTs for any number of threads; idle connections are kept per origin, at most
    ``max_idle`` in all (the oldest closed first). HTTPS receivers are verified against the system's
    certificate authorities unless ``tls`` says otherwise."""

    def __init__(
        self, *, timeout: float, max_answer_bytes: int, max_idle: int, tls: ssl.SSLContext | None = None
    ) -> None:
        self._timeout = timeout
        self._max_answer_bytes = max_answer_bytes
        self._max_idle = max_idle
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._idle_count = 0
        self._lock = threading.Lock()
        self._tls = tls

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        deadline = time.monotonic() + self._timeout
        try:
            parts = urlsplit(url)
            host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            return Answer(None, f"InvalidURL: {exc}")
        if parts.scheme not in ("http", "https") or not host:
            return Answer(None, f"UnsupportedProtocol: {url[:100]!r} is not an http or https URL")
        origin = (parts.scheme, host, port)
        authority = parts.netloc.rpartition("@")[2]
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        fields = [("Host", authority), ("Accept", "*/*"), ("Content-Length", str(len(body))), *headers.items()]
        status_code: int | None = None
        connection: _Connection | None = None
        try:
            connection = self._take(origin) or self._connect(origin, deadline)
            protocol = connection.protocol
            request = protocol.send(h11.Request(method="POST", target=target, headers=fields))
            data = (
                (request or b"")
                + (protocol.send(h11.Data(data=body)) or b"")
                + (protocol.send(h11.EndOfMessage()) or b"")
            )
            try:
                connection.sock.settimeout(_remaining(deadline))
                connection.sock.sendall(data)
            except TimeoutError:
                raise
            except OSError as exc:
                raise _Failed(f"WriteError: {exc}") from exc
            status_code, complete = self._read_answer(connection, deadline)
        except TimeoutError:
            self._discard(connection)
            return Answer(status_code, "timed out")
        except _Failed as failure:
            self._discard(connection)
            return Answer(status_code, str(failure))
        except h11.ProtocolError as exc:
            self._discard(connection)
            return Answer(status_code, f"RemoteProtocolError: {exc}")
        if complete:
            self._keep(origin, connection)
        else:
            connection.close()
        return Answer(status_code, None if 200 <= status_code < 300 else f"HTTP {status_code}")

    def _read_answer(self, connection: _Connection, deadline: float) -> tuple[int, bool]:
        """The answer's status, and whether the connection may carry the next request (the whole
        answer read, at most ``max_answer_bytes`` of body, and neither side closing)."""
        protocol = connection.protocol
        status_code: int | None = None
        read = 0
        while True:
            event = protocol.next_event()
            if event is h11.NEED_DATA:
                try:
                    connection.sock.settimeout(_remaining(deadline))
                    data = connection.sock.recv(READ_SIZE)
                except TimeoutError:
                    raise
                except OSError as exc:
                    raise _Failed(f"ReadError: {exc}") from exc
                if not data and status_code is None:
                    raise _Failed(DISCONNECTED)
                protocol.receive_data(data)
            elif isinstance(event, h11.Response):
                status_code = event.status_code
            elif isinstance(event, h11.Data):
                read += len(event.data)
                if read > self._max_answer_bytes and status_code is not None:
                    return status_code, False
            elif isinstance(event, h11.EndOfMessage) and status_code is not None:
                reusable = protocol.our_state is h11.DONE and protocol.their_state is h11.DONE
                if reusable:
                    protocol.start_next_cycle()
                return status_code, reusable
            elif isinstance(event, h11.ConnectionClosed):
                raise _Failed(DISCONNECTED)
            # InformationalResponse (1xx): the real answer follows.

    def _connect(self, origin: tuple[str, str, int], deadline: float) -> _Connection:
        scheme, host, port = origin
        try:
            sock = socket.create_connection((host, port), timeout=_remaining(deadline))
        except TimeoutError:
            raise
        except OSError as exc:
            raise _Failed(f"ConnectError: {exc}") from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                if self._tls is None:
                    self._tls = ssl.create_default_context()
                sock.settimeout(_remaining(deadline))
                sock = self._tls.wrap_socket(sock, server_hostname=host)
        except TimeoutError:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            raise _Failed(f"ConnectError: {exc}") from exc
        return _Connection(sock, h11.Connection(h11.CLIENT))

    def _take(self, origin: tuple[str, str, int]) -> _Connection | None:
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    return None
                connection = idle.pop()
                self._idle_count -= 1
                if not idle:
                    del self._idle[origin]
            if connection.usable():
                return connection
            connection.close()

    def _keep(self, origin: tuple[str, str, int], connection: _Connection) -> None:
        oldest: _Connection | None = None
        with self._lock:
            self._idle.setdefault(origin, []).append(connection)
            self._idle_count += 1
            if self._idle_count > self._max_idle:
                first = next(iter(self._idle))
                oldest = self._idle[first].pop(0)
                self._idle_count -= 1
                if not self._idle[first]:
                    del self._idle[first]
        if oldest is not None:
            oldest.close()

    @staticmethod
    def _discard(connection: _Connection | None) -> None:
        if connection is not None:
            connection.close()

    def close(self) -> None:
        with self._lock:
            idle = [connection for connections in self._idle.values() for connection in connections]
            self._idle.clear()
            self._idle_count = 0
        for connection in idle:
            connection.close()


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("timed out")
    return left
