"""Two real emulator processes on one database act as one: CM orders made through both, the
clock moved through one, every status change reaches a real receiver exactly once and in order,
and each order's numbers are assigned once."""

from __future__ import annotations

import httpx

from tests.cm.conftest import AUTH, REQUESTS
from tests.support import EmulatorProcess

ORDERS = 40
FAST = {"EMULATOR_TICK_SECONDS": "0.01", "EMULATOR_CALLBACK_LEASE_SECONDS": "5"}


def test_orders_through_two_replicas_are_reported_once_each_in_order(shared_database, callback_receiver):
    with EmulatorProcess(shared_database, env=FAST) as first, EmulatorProcess(shared_database, env=FAST) as second:
        replicas = [first, second]
        httpx.post(f"{first.base_url}/_emulator/clock/freeze")
        ids = []
        for n in range(ORDERS):
            replica = replicas[n % 2]
            order = httpx.post(
                replica.base_url + REQUESTS,
                headers=AUTH,
                json={"quantity": 40, "areaCode": "0113", "callbackUrl": callback_receiver.url},
            ).json()
            assert order["status"] == "Pending"
            ids.append(order["requestId"])
        # Through one replica only: accepted after a minute, completed five minutes later.
        assert httpx.post(f"{first.base_url}/_emulator/clock/advance", json={"seconds": 60}).status_code == 200
        assert httpx.post(f"{first.base_url}/_emulator/clock/advance", json={"seconds": 300}).status_code == 200
        bodies = [callback.json() for callback in callback_receiver.wait_for(2 * ORDERS)]
        seen = {request_id: [b["status"] for b in bodies if b["requestId"] == request_id] for request_id in ids}
        assert seen == {request_id: ["Accepted", "Completed"] for request_id in ids}
        completed = {b["requestId"]: b["numbers"] for b in bodies if b["status"] == "Completed"}
        # Both replicas answer with the numbers assigned once.
        for request_id in ids:
            for replica in replicas:
                stored = httpx.get(f"{replica.base_url}{REQUESTS}/{request_id}", headers=AUTH).json()
                assert (stored["status"], stored["numbers"]) == ("Completed", completed[request_id])
        deliveries = httpx.get(f"{second.base_url}/_emulator/callbacks", params={"limit": 100}).json()
        assert sorted(d["attempt_count"] for d in deliveries) == [1] * (2 * ORDERS)
    assert len(callback_receiver.requests) == 2 * ORDERS


def test_three_replicas_share_the_journal_the_fault_rules_the_clock_and_resets(shared_database):
    with (
        EmulatorProcess(shared_database, env=FAST) as first,
        EmulatorProcess(shared_database, env=FAST) as second,
        EmulatorProcess(shared_database, env=FAST) as third,
    ):
        replicas = [first, second, third]
        # The journal: requests through every replica, listed by each.
        for n in range(9):
            assert httpx.get(replicas[n % 3].base_url + REQUESTS, headers=AUTH).status_code == 200
        for replica in replicas:
            entries = httpx.get(f"{replica.base_url}/_emulator/requests", params={"provider": "cm"}).json()
            assert [(entry["method"], entry["status"]) for entry in entries] == [("GET", 200)] * 9
            assert len({entry["id"] for entry in entries}) == 9

        # A fault rule set through one replica fires on all, its count honoured once overall.
        rule = httpx.post(
            f"{first.base_url}/_emulator/faults", json={"kind": "error", "provider": "cm", "status": 503, "count": 4}
        ).json()
        statuses = [httpx.get(replicas[n % 3].base_url + REQUESTS, headers=AUTH).status_code for n in range(9)]
        assert statuses == [503] * 4 + [200] * 5
        for replica in replicas:
            assert httpx.get(f"{replica.base_url}/_emulator/faults/{rule['id']}").json()["fired"] == 4

        # The clock moved through one is the clock of all, at once.
        frozen = httpx.post(f"{second.base_url}/_emulator/clock/freeze").json()
        moved = httpx.post(f"{second.base_url}/_emulator/clock/advance", json={"seconds": 3600}).json()
        assert moved["now"] != frozen["now"]
        for replica in replicas:
            assert httpx.get(f"{replica.base_url}/_emulator/clock").json() == moved

        # A snapshot restored through one is the state of all; so is a reset.
        snapshot = httpx.get(f"{first.base_url}/_emulator/state").json()
        created = httpx.post(third.base_url + REQUESTS, headers=AUTH, json={"quantity": 1, "areaCode": "0113"}).json()
        assert httpx.put(f"{second.base_url}/_emulator/state", json=snapshot).status_code == 200
        for replica in replicas:
            listed = httpx.get(replica.base_url + REQUESTS, headers=AUTH).json()
            assert created["requestId"] not in str(listed)
        created = httpx.post(first.base_url + REQUESTS, headers=AUTH, json={"quantity": 1, "areaCode": "0113"}).json()
        assert httpx.post(f"{third.base_url}/_emulator/reset").status_code == 200
        for replica in replicas:
            assert httpx.get(f"{replica.base_url}/_emulator/requests").json() == []
            assert httpx.get(f"{replica.base_url}/_emulator/faults").json() == []
        for replica in replicas:
            assert created["requestId"] not in str(httpx.get(replica.base_url + REQUESTS, headers=AUTH).json())
