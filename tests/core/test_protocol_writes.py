"""The serving protocol writes a response's head with the first chunk of its body, in one write
to the connection, and everything else as uvicorn does: ``100 Continue`` first, later chunks as
they come, a bodiless answer (to a HEAD) once it is complete."""

from __future__ import annotations

import asyncio

from uvicorn.config import Config
from uvicorn.server import ServerState

from emulator.core.protocol import bounded_head_protocol


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 8080), "peername": ("127.0.0.1", 5000)}.get(name, default)

    def write(self, data) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    message = await receive()
    chunks = [message.get("body", b"")] if scope["path"] == "/echo" else [b"first", b"second"]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    for number, chunk in enumerate(chunks):
        await send({"type": "http.response.body", "body": chunk, "more_body": number < len(chunks) - 1})


async def _writes(request: bytes) -> list[bytes]:
    config = Config(app=_app, lifespan="off", log_level="warning", date_header=False, server_header=False)
    config.load()
    protocol = bounded_head_protocol(65_536)(config=config, server_state=ServerState(), app_state={})  # type: ignore[call-arg]
    transport = _Transport()
    protocol.connection_made(transport)
    protocol.data_received(request)
    for _ in range(50):
        await asyncio.sleep(0)
    protocol.connection_lost(None)
    return transport.writes


def test_the_head_goes_out_with_the_body():
    writes = asyncio.run(_writes(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"))
    assert writes == [
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    ]


def test_later_chunks_go_out_as_they_come():
    writes = asyncio.run(_writes(b"GET /chunks HTTP/1.1\r\nHost: x\r\n\r\n"))
    assert len(writes) == 2
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and writes[0].endswith(b"\r\n\r\n5\r\nfirst\r\n")
    assert writes[1] == b"6\r\nsecond\r\n0\r\n\r\n"


def test_continue_goes_out_first():
    writes = asyncio.run(
        _writes(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello")
    )
    assert writes[0] == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert (
        len(writes) == 2 and writes[1].startswith(b"HTTP/1.1 200 OK\r\n") and writes[1].endswith(b"hello\r\n0\r\n\r\n")
    )


def test_a_head_request_gets_its_head():
    writes = asyncio.run(_writes(b"HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\n"))
    assert writes == [b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n"]
