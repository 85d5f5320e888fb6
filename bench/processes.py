"""Callback deliveries per second: a real ``serve`` process on SQLite sending N due deliveries to a
fast local receiver (a separate process answering 200 with keep-alive), to one URL and spread over
ten URLs.

    python bench/processes.py [--deliveries 3000] [--out bench/RESULTS.md]

The deliveries are written straight into the outbox, due an hour ahead on a frozen clock; the
measured time runs from ``POST /_emulator/clock/advance`` to the end of
``POST /_emulator/callbacks/settle`` (every delivery attempted and recorded), and the receiver's
count is checked. Writes its section of the results file between its own markers.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import load_average  # noqa: E402
from results import publish  # noqa: E402

from emulator.core.callbacks import delivery_row, enqueue_all
from emulator.core.db import Database
from tests.support import EmulatorProcess, free_port


def receive(port: int) -> None:
    """The receiver: HTTP/1.1 with keep-alive, answers every request 200 with an empty body and
    counts them (``GET /count`` answers the count)."""
    count = 0

    class Receiver(asyncio.Protocol):
        def connection_made(self, transport) -> None:
            self.transport = transport
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            nonlocal count
            self.buffer += data
            while b"\r\n\r\n" in self.buffer:
                head, rest = self.buffer.split(b"\r\n\r\n", 1)
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if len(rest) < length:
                    return
                self.buffer = rest[length:]
                if head.startswith(b"GET /count"):
                    body = str(count).encode()
                    self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                else:
                    count += 1
                    self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(Receiver, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def fill(database_url: str, now: datetime, deliveries: int, urls: list[str]) -> None:
    db = Database(database_url)
    due = now + timedelta(hours=1)
    rows = [
        delivery_row(
            provider="cm",
            tenant="bench",
            event="Accepted",
            url=urls[n % len(urls)],
            payload=b'{"n":%d}' % n,
            content_type="application/json",
            now=due,
        )
        for n in range(deliveries)
    ]
    with db.session() as session:
        enqueue_all(session, rows)
        session.commit()
    db.dispose()


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def run(deliveries: int, url_count: int) -> float:
    port = free_port()
    receiver = subprocess.Popen([sys.executable, __file__, "--receiver", str(port)])
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/count")
        with tempfile.TemporaryDirectory() as folder:
            database_url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            with EmulatorProcess(database_url) as emulator, httpx.Client(timeout=600) as http:
                clock = http.post(f"{emulator.base_url}/_emulator/clock/freeze").json()
                now = datetime.fromisoformat(clock["now"].replace("Z", "+00:00"))
                urls = [f"http://127.0.0.1:{port}/hook/{n}" for n in range(url_count)]
                fill(database_url, now, deliveries, urls)
                started = time.perf_counter()
                http.post(f"{emulator.base_url}/_emulator/clock/advance", json={"seconds": 3600}).raise_for_status()
                settled = http.post(f"{emulator.base_url}/_emulator/callbacks/settle", params={"timeout": 300}).json()
                elapsed = time.perf_counter() - started
                assert settled["settled"], settled
                received = int(http.get(f"http://127.0.0.1:{port}/count").text)
                assert received == deliveries, (received, deliveries)
    finally:
        receiver.terminate()
        receiver.wait()
    return deliveries / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--receiver", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        receive(args.receiver)
        return 0
    load = load_average()
    one = run(args.deliveries, 1)
    print(f"one URL: {one:,.0f} deliveries/s")
    ten = run(args.deliveries, 10)
    print(f"ten URLs: {ten:,.0f} deliveries/s")
    section = (
        f"`python bench/processes.py --deliveries {args.deliveries}`: a `serve` process on SQLite sends "
        f"{args.deliveries:,} due deliveries to a keep-alive receiver in another process, from "
        "`clock/advance` to the end of `callbacks/settle` (load average before: "
        f"{load}).\n\n"
        "| receiver URLs | deliveries/s |\n|---|---|\n"
        f"| 1 | {one:,.0f} |\n| 10 | {ten:,.0f} |\n"
    )
    publish(args.out, "processes.py", "Callback deliveries (one process)", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
