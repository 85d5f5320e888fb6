"""Callbacks survive the emulator: a real process, killed between a status change and its
delivery, restarted on the same SQLite file, delivers what it owed."""

from __future__ import annotations

import httpx

from tests.cm.conftest import AUTH, REQUESTS, TOKEN
from tests.support import EmulatorProcess


def test_a_callback_written_before_a_crash_is_delivered_after_the_restart(tmp_path, callback_receiver):
    database = f"sqlite:///{tmp_path / 'emulator.sqlite3'}"
    # A tick this long runs once at start-up and not again: nothing is delivered before the kill.
    emulator = EmulatorProcess(database, env={"EMULATOR_TICK_SECONDS": "3600"}).start()
    try:
        order = httpx.post(
            emulator.base_url + REQUESTS,
            headers=AUTH,
            json={"quantity": 40, "areaCode": "0113", "callbackUrl": callback_receiver.url},
        ).json()
        accept = httpx.post(
            f"{emulator.base_url}/_emulator/cm/numberrequests/{order['requestId']}/accept", params={"tenant": TOKEN}
        )
        assert accept.status_code == 200
        [owed] = httpx.get(f"{emulator.base_url}/_emulator/callbacks").json()
        assert (owed["status"], owed["attempt_count"]) == ("pending", 0)
    finally:
        emulator.process.kill()  # no shutdown, no flush: a crash
        emulator.process.wait()

    with EmulatorProcess(database):
        [callback] = callback_receiver.wait_for(1)
        assert (callback.json()["requestId"], callback.json()["status"]) == (order["requestId"], "Accepted")
    assert len(callback_receiver.requests) == 1


def test_a_retry_pending_at_shutdown_is_made_after_the_restart(tmp_path, callback_receiver):
    database = f"sqlite:///{tmp_path / 'emulator.sqlite3'}"
    callback_receiver.stop()  # the receiver is down: the first attempt fails
    with EmulatorProcess(database) as emulator:
        httpx.post(f"{emulator.base_url}/_emulator/clock/freeze")
        order = httpx.post(
            emulator.base_url + REQUESTS,
            headers=AUTH,
            json={"quantity": 40, "areaCode": "0113", "callbackUrl": callback_receiver.url},
        ).json()
        httpx.post(emulator.base_url + f"{REQUESTS}/{order['requestId']}/cancel", headers=AUTH)
        httpx.post(f"{emulator.base_url}/_emulator/clock/advance", json={"seconds": 0})
        httpx.post(f"{emulator.base_url}/_emulator/callbacks/settle")  # the advance only starts it
        [owed] = httpx.get(f"{emulator.base_url}/_emulator/callbacks").json()
        assert (owed["status"], owed["attempt_count"]) == ("pending", 1)

    callback_receiver.start()
    with EmulatorProcess(database) as emulator:
        # The clock stayed frozen across the restart; the retry comes due when it moves past the backoff.
        assert httpx.get(f"{emulator.base_url}/_emulator/clock").json()["frozen"] is True
        httpx.post(f"{emulator.base_url}/_emulator/clock/advance", json={"seconds": 2})
        [callback] = callback_receiver.wait_for(1)
        assert (callback.json()["requestId"], callback.json()["status"]) == (order["requestId"], "Cancelled")
        httpx.post(f"{emulator.base_url}/_emulator/callbacks/settle")  # the answer recorded
        [delivered] = httpx.get(f"{emulator.base_url}/_emulator/callbacks").json()
        assert (delivered["status"], delivered["attempt_count"]) == ("delivered", 2)
