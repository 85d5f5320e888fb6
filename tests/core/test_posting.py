"""The callback sender against real sockets on loopback: kept-alive connections, one deadline per
attempt, answers that are cut short, oversized or not HTTP at all, and TLS."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable

import pytest

from emulator.core.posting import Poster

Handler = Callable[[socket.socket], None]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


class ScriptedServer:
    """Accepts connections on 127.0.0.1 and hands each to ``handler`` in its own thread; counts
    connections and the requests ``read_request`` took."""

    def __init__(self, handler: Handler, wrap: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.connections = 0
        self.requests = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._wrap = wrap
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            if self._wrap is not None:
                try:
                    sock = self._wrap.wrap_socket(sock, server_side=True)
                except (OSError, ssl.SSLError):
                    sock.close()
                    continue
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        with sock:
            try:
                self.handler(sock)
            except OSError:
                pass

    def read_request(self, sock: socket.socket) -> bool:
        """Reads one request (headers and a Content-Length body); False at the end of the stream."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return False
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        length = next(
            int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
        while len(body) < length:
            body += sock.recv(65536)
        self.requests += 1
        return True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def poster():
    sender = Poster(timeout=0.5, max_answer_bytes=1000, max_idle=8)
    yield sender
    sender.close()


@pytest.fixture
def serve():
    servers: list[ScriptedServer] = []

    def start(handler: Handler, wrap: ssl.SSLContext | None = None) -> ScriptedServer:
        server = ScriptedServer(handler, wrap)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def post(poster: Poster, url: str):
    return poster.post(url, b'{"a":1}', {"Content-Type": "application/json"})


def test_one_connection_carries_every_delivery_while_the_receiver_keeps_it(poster, serve):
    def keep_alive(sock):
        while server.read_request(sock):
            sock.sendall(OK)

    server = serve(keep_alive)
    answers = [post(poster, server.url) for _ in range(5)]
    assert [(answer.status_code, answer.error) for answer in answers] == [(200, None)] * 5
    assert server.connections == 1 and server.requests == 5


def test_a_kept_connection_the_receiver_closed_is_replaced_not_failed(poster, serve):
    def one_answer_then_close(sock):
        server.read_request(sock)
        sock.sendall(OK)  # HTTP/1.1 without "Connection: close": looks reusable, then goes away

    server = serve(one_answer_then_close)
    first = post(poster, server.url)
    time.sleep(0.1)  # the receiver's close arrives before the next delivery
    second = post(poster, server.url)
    assert (first.error, second.error) == (None, None)
    assert server.connections == 2


def test_an_answer_trickled_past_the_timeout_is_cut_off_at_the_timeout(poster, serve):
    # Every byte comes well within the timeout, the whole answer well after it: one deadline for
    # the attempt, not one per read.
    def trickle(sock):
        server.read_request(sock)
        for byte in OK:
            sock.sendall(bytes([byte]))
            time.sleep(0.05)

    server = serve(trickle)
    started = time.monotonic()
    answer = post(poster, server.url)
    assert answer.error == "timed out"
    assert time.monotonic() - started < len(OK) * 0.05


def test_a_receiver_that_never_answers_times_out(poster, serve):
    def silent(sock):
        server.read_request(sock)
        time.sleep(2)

    server = serve(silent)
    assert post(poster, server.url).error == "timed out"


def test_refused_and_closed_without_answer_read_as_before(poster, serve):
    unused = socket.create_server(("127.0.0.1", 0))
    port = unused.getsockname()[1]
    unused.close()
    assert post(poster, f"http://127.0.0.1:{port}/x").error == "ConnectError: [Errno 111] Connection refused"

    def hang_up(sock):
        server.read_request(sock)

    server = serve(hang_up)
    answer = post(poster, server.url)
    assert (answer.status_code, answer.error) == (
        None,
        "RemoteProtocolError: Server disconnected without sending a response.",
    )


def test_non_2xx_garbage_and_oversized_answers(poster, serve):
    def answer_with(payload: bytes) -> Handler:
        def handler(sock):
            while server.read_request(sock):
                sock.sendall(payload)

        return handler

    server = serve(answer_with(b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"))
    assert (post(poster, server.url).status_code, post(poster, server.url).error) == (503, "HTTP 503")

    server = serve(answer_with(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"))
    assert post(poster, server.url).error.startswith("RemoteProtocolError: ")

    big = b"x" * 5000  # over max_answer_bytes: answered, and the connection is not kept
    server = serve(answer_with(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(big), big)))
    assert [post(poster, server.url).error for _ in range(2)] == [None, None]
    assert server.connections == 2


def test_what_the_receiver_sees(poster, serve):
    seen: list[bytes] = []

    def record(sock):
        data = b""
        while not data.endswith(b'{"a":1}'):
            data += sock.recv(65536)
        seen.append(data)
        sock.sendall(OK)

    server = serve(record)
    poster.post(f"http://127.0.0.1:{server.port}/hook/path?x=1", b'{"a":1}', {"Content-Type": "application/json"})
    head, body = seen[0].split(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /hook/path?x=1 HTTP/1.1"
    assert {line.split(b": ")[0].lower() for line in lines[1:]} == {
        b"host",
        b"accept",
        b"content-length",
        b"content-type",
    }
    assert f"host: 127.0.0.1:{server.port}".encode() in head.lower() and body == b'{"a":1}'


def test_https_receivers_are_verified(poster, serve, tmp_path):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl (the command) is needed to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def keep_alive(sock):
        while server.read_request(sock):
            sock.sendall(OK)

    server = serve(keep_alive, wrap=context)
    url = f"https://127.0.0.1:{server.port}/hook"
    refused = post(poster, url)  # a self-signed certificate is not trusted
    assert refused.status_code is None and "CERTIFICATE_VERIFY_FAILED" in refused.error
    trusting = Poster(timeout=2, max_answer_bytes=1000, max_idle=8, tls=ssl.create_default_context(cafile=cert))
    try:
        assert [trusting.post(url, b"{}", {}).error for _ in range(3)] == [None] * 3
    finally:
        trusting.close()
