"""A replica killed with SIGKILL while it sends callbacks: the deliveries it had leased are sent by
another replica once the leases expire, and nothing is lost. Real ``serve`` processes on one
database, a real slow receiver."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import text

from emulator.core.db import make_engine
from tests.cm.conftest import AUTH, REQUESTS
from tests.support import EmulatorProcess

ORDERS = 20
URLS = 10
# The receiver answers each callback after HOLD seconds: a replica's attempts are in flight (its
# leases held) long enough to kill it in the middle of them.
HOLD = 1.0
# The lease is never shorter than twice the attempt timeout: 10 s here.
ENV = {
    "EMULATOR_TICK_SECONDS": "0.05",
    "EMULATOR_CALLBACK_TIMEOUT_SECONDS": "5",
    "EMULATOR_CALLBACK_LEASE_SECONDS": "10",
    "EMULATOR_CALLBACK_WORKERS": "40",  # every URL at once for the one tenant
}


@dataclass(frozen=True)
class Arrival:
    path: str
    delivery: int
    body: bytes


class SlowReceiver:
    """Records every callback as it arrives, then answers 200 after ``HOLD`` seconds (to whoever
    is still there to hear it)."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.arrivals.append(Arrival(self.path, int(self.headers["X-Emulator-Delivery"]), body))
                time.sleep(HOLD)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender was killed meanwhile
                    pass

            def log_message(self, *_args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def count(self) -> int:
        with self._lock:
            return len(self.arrivals)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def slow_receiver() -> Iterator[SlowReceiver]:
    receiver = SlowReceiver()
    yield receiver
    receiver.close()


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.02)


def test_a_replica_killed_while_sending_hands_its_leases_over_and_nothing_is_lost(shared_database, slow_receiver):
    first = EmulatorProcess(shared_database, env=ENV).start()
    second = EmulatorProcess(shared_database, env=ENV).start()
    survivor, doomed = first, second
    engine = make_engine(shared_database)
    http = httpx.Client(timeout=60)  # a first request to a provider imports it: slow on a loaded machine
    try:
        http.post(f"{first.base_url}/_emulator/clock/freeze")
        ids = []
        for n in range(ORDERS):
            body = {"quantity": 40, "areaCode": "0113", "callbackUrl": f"{slow_receiver.url}/hook/{n % URLS}"}
            order = http.post(first.base_url + REQUESTS, headers=AUTH, json=body).json()
            assert order["status"] == "Pending"
            ids.append(order["requestId"])
        # Accepted and Completed both due: two deliveries per order, four per URL, in order.
        assert http.post(f"{first.base_url}/_emulator/clock/advance", json={"seconds": 360}).status_code == 200
        _wait(lambda: slow_receiver.count() >= URLS // 2, 30, "the first attempts did not arrive")

        # Whichever replica holds leases now (both send; either may have taken every URL) is killed.
        leased = "SELECT id, lease_owner FROM emulator_callback WHERE status = 'pending' AND lease_owner IS NOT NULL"
        with engine.connect() as connection:
            owners = {row[1] for row in connection.execute(text(leased))}
        pids = {int(owner.split(":")[-2]) for owner in owners}
        assert pids, "no replica held a lease while the receiver held its attempts"
        for process in (first, second):
            assert process.process is not None
            if process.process.pid in pids:
                doomed, survivor = process, (second if process is first else first)
                break
        assert doomed.process is not None
        doomed_pid = doomed.process.pid
        doomed.process.kill()  # SIGKILL: no shutdown, its leases stay in the store
        doomed.process.wait()
        doomed.process = None
        with engine.connect() as connection:
            orphaned = {
                row[0]
                for row in connection.execute(
                    text("SELECT id FROM emulator_callback WHERE status = 'pending' AND lease_owner LIKE :owner"),
                    {"owner": f"%:{doomed_pid}:%"},
                )
            }
        assert orphaned, "the killed replica held no lease"

        # The survivor takes the orphaned deliveries over once their leases expire.
        settled = http.post(f"{survivor.base_url}/_emulator/callbacks/settle", params={"timeout": 120}, timeout=150)
        assert settled.json() == {"settled": True, "in_flight": 0, "due": 0}
        deliveries = http.get(f"{survivor.base_url}/_emulator/callbacks", params={"limit": 1000}).json()
        assert len(deliveries) == 2 * ORDERS
        assert {d["status"] for d in deliveries} == {"delivered"}

        arrivals = list(slow_receiver.arrivals)
        times = Counter(arrival.delivery for arrival in arrivals)
        # Every delivery arrived; those the killed replica was not sending arrived exactly once.
        assert set(times) == {d["id"] for d in deliveries}
        assert {delivery: n for delivery, n in times.items() if delivery not in orphaned} == {
            d["id"]: 1 for d in deliveries if d["id"] not in orphaned
        }
        # Each status change of each order reached its receiver, Accepted before Completed.
        for request_id in ids:
            statuses = [a.body for a in arrivals if request_id.encode() in a.body]
            firsts = [b'"status":"Accepted"' in body for body in statuses]
            assert firsts[0] and any(b'"status":"Completed"' in body for body in statuses)
            last_accepted = max(i for i, accepted in enumerate(firsts) if accepted)
            first_completed = min(i for i, accepted in enumerate(firsts) if not accepted)
            assert last_accepted < first_completed
    finally:
        http.close()
        engine.dispose()
        doomed.stop()
        survivor.stop()
