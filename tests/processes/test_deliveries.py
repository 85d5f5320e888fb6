"""Background work one tenant cannot stall: a real ``serve`` process whose callbacks for one tenant
go to a receiver that accepts connections and never answers, while another tenant's callbacks
reach a real receiver as they come due and the clock keeps answering."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.cm.conftest import BASE
from tests.support import EmulatorProcess

# Far longer than any bound below: an attempt to the silent receiver outlasts the whole test.
ATTEMPT_TIMEOUT = 30
# What "answers at once" means here: a bound far below the attempt timeout, not a benchmark.
PROMPT = 5.0


class SilentReceiver:
    """A TCP server on 127.0.0.1 that accepts every connection, reads what comes, never answers."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        self._listener.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def silent_receiver() -> Iterator[SilentReceiver]:
    receiver = SilentReceiver()
    yield receiver
    receiver.close()


def _order(emulator: EmulatorProcess, token: str, callback_url: str) -> str:
    response = httpx.post(  # a provider's first request imports it: slow on a loaded machine
        f"{emulator.base_url}{BASE}/numberrequests",
        timeout=60,
        headers={"X-CM-PRODUCTTOKEN": token},
        json={"quantity": 50, "areaCode": "0113", "callbackUrl": callback_url},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "Pending"
    return response.json()["requestId"]


def _advance(emulator: EmulatorProcess, seconds: float) -> float:
    """Move the shared clock; how long the answer took (real seconds)."""
    started = time.monotonic()
    response = httpx.post(f"{emulator.base_url}/_emulator/clock/advance", json={"seconds": seconds}, timeout=60)
    assert response.status_code == 200, response.text
    return time.monotonic() - started


def test_a_receiver_that_never_answers_stalls_neither_the_clock_nor_another_tenant(
    shared_database, callback_receiver, silent_receiver
):
    stalled, prompt = str(uuid.uuid4()), str(uuid.uuid4())
    env = {"EMULATOR_CALLBACK_TIMEOUT_SECONDS": str(ATTEMPT_TIMEOUT), "EMULATOR_TICK_SECONDS": "0.05"}
    with EmulatorProcess(shared_database, env=env) as emulator:
        httpx.post(f"{emulator.base_url}/_emulator/clock/freeze", timeout=60)
        stalled_order = _order(emulator, stalled, silent_receiver.url)
        prompt_order = _order(emulator, prompt, callback_receiver.url)

        # Both accepted: the silent receiver takes the first attempt and holds it.
        assert _advance(emulator, 60) < PROMPT
        [accepted] = callback_receiver.wait_for(1, timeout=PROMPT)
        assert (accepted.json()["requestId"], accepted.json()["status"]) == (prompt_order, "Accepted")

        # Later transitions do not wait behind the attempt still in flight.
        assert _advance(emulator, 300) < PROMPT
        _, completed = callback_receiver.wait_for(2, timeout=PROMPT)
        assert (completed.json()["requestId"], completed.json()["status"]) == (prompt_order, "Completed")

        control = f"{emulator.base_url}/_emulator/callbacks"
        # The prompt tenant is settled; the stalled one still has its first attempt in flight.
        assert httpx.post(f"{control}/settle", params={"tenant": prompt, "timeout": 0}).json() == {
            "settled": True,
            "in_flight": 0,
            "due": 0,
        }
        assert httpx.post(f"{control}/settle", params={"tenant": stalled, "timeout": 0}).json() == {
            "settled": False,
            "in_flight": 1,
            "due": 0,
        }
        held = httpx.get(control, params={"tenant": stalled}).json()
        assert [(d["event"], d["status"], d["attempt_count"]) for d in held] == [
            ("Accepted", "pending", 0),  # its attempt is in flight
            ("Completed", "pending", 0),  # in line behind it, to the same URL
        ]
        assert len(silent_receiver.connections) == 1
        body = httpx.get(
            f"{emulator.base_url}{BASE}/numberrequests/{stalled_order}", headers={"X-CM-PRODUCTTOKEN": stalled}
        ).json()
        assert body["status"] == "Completed"  # its transitions ran; only its callbacks wait
    assert [request.json()["status"] for request in callback_receiver.requests] == ["Accepted", "Completed"]
