"""A number request's life driven by the clock and the control plane, and the callbacks each
status change sends to a real local HTTP receiver."""

from __future__ import annotations

import pytest

from tests.cm.conftest import AUTH, REQUESTS, TOKEN, advance, create, get

pytestmark = pytest.mark.each_backend

ACCEPT_AFTER = 60  # the default settings
COMPLETE_AFTER = 300


def control(client, request_id: str, action: str, **body):
    url = f"/_emulator/cm/numberrequests/{request_id}/{action}"
    return client.post(url, params={"tenant": TOKEN}, json=body if body else None)


def deliveries(client, **filters) -> list[dict]:
    response = client.get("/_emulator/callbacks", params=filters)
    assert response.status_code == 200, response.text
    return response.json()


def test_pending_then_accepted_then_completed_as_the_clock_moves(cm, callback_receiver):
    order = create(cm, quantity=50, areaCode="0113", callbackUrl=callback_receiver.url)
    assert order["status"] == "Pending"
    advance(cm, ACCEPT_AFTER - 1)
    assert get(cm, order["requestId"])["status"] == "Pending" and callback_receiver.requests == []

    advance(cm, 1)
    accepted = get(cm, order["requestId"])
    assert accepted["status"] == "Accepted" and accepted["updatedOn"] == "2023-06-01T10:01:00Z"
    assert accepted["id"] is None and accepted["numbers"] == []

    advance(cm, COMPLETE_AFTER)
    completed = get(cm, order["requestId"])
    assert completed["status"] == "Completed" and len(completed["numbers"]) == 50
    assert completed["validFrom"] == completed["updatedOn"] == "2023-06-01T10:06:00Z"
    assert completed["start"] == completed["numbers"][0] and completed["id"] is not None
    assert completed["validTo"] is None

    # Each callback is the whole request as "get" returned it at that moment, byte for byte.
    assert callback_receiver.received_json() == [accepted, completed]
    texts = [request.body.decode() for request in callback_receiver.requests]
    assert texts[1] == cm.get(f"{REQUESTS}/{order['requestId']}", headers=AUTH).text
    assert callback_receiver.requests[0].headers["Content-Type"] == "application/json; charset=utf-8"


def test_one_long_jump_runs_every_due_transition_in_order(cm, callback_receiver):
    first = create(cm, quantity=20, areaCode="020", callbackUrl=callback_receiver.url)
    advance(cm, 30)
    second = create(cm, quantity=20, areaCode="0161", callbackUrl=callback_receiver.url)
    advance(cm, 10 * 86400)
    seen = [(body["requestId"], body["status"], body["updatedOn"]) for body in callback_receiver.received_json()]
    assert seen == [
        (first["requestId"], "Accepted", "2023-06-01T10:01:00Z"),
        (second["requestId"], "Accepted", "2023-06-01T10:01:30Z"),
        (first["requestId"], "Completed", "2023-06-01T10:06:00Z"),
        (second["requestId"], "Completed", "2023-06-01T10:06:30Z"),
    ]


def test_an_order_for_an_unknown_area_is_rejected_with_a_reason(cm, callback_receiver):
    order = create(cm, quantity=1, areaCode="0999", callbackUrl=callback_receiver.url)
    assert order["status"] == "Pending"
    advance(cm, ACCEPT_AFTER)
    rejected = get(cm, order["requestId"])
    assert rejected["status"] == "Rejected"
    assert rejected["statusReason"] == "No LOCAL numbers are available for 0999 in GB."
    assert callback_receiver.received_json() == [rejected]


def test_support_can_accept_reject_with_a_reason_and_complete(cm, callback_receiver):
    accepted = create(cm, quantity=40, city="Leeds", callbackUrl=callback_receiver.url)
    rejected = create(cm, quantity=40, city="Leeds", callbackUrl=callback_receiver.url)

    assert control(cm, accepted["requestId"], "accept").json()["status"] == "Accepted"
    completed = control(cm, accepted["requestId"], "complete").json()
    assert completed["status"] == "Completed" and len(completed["numbers"]) == 40
    reason = "Proof of address is missing."
    refusal = control(cm, rejected["requestId"], "reject", reason=reason).json()
    assert (refusal["status"], refusal["statusReason"]) == ("Rejected", reason)

    assert control(cm, accepted["requestId"], "reject", reason="late").status_code == 409
    assert control(cm, rejected["requestId"], "accept").status_code == 409
    assert control(cm, rejected["requestId"], "reject").status_code == 422  # a reason is required
    assert control(cm, "6f1c2c1e-0000-4000-8000-000000000000", "accept").status_code == 404

    advance(cm, 0)
    statuses = [(body["requestId"], body["status"]) for body in callback_receiver.received_json()]
    assert statuses == [
        (accepted["requestId"], "Accepted"),
        (accepted["requestId"], "Completed"),
        (rejected["requestId"], "Rejected"),
    ]
    # Nothing more happens to them as time goes on.
    advance(cm, 86400)
    assert len(callback_receiver.received) == 3


def test_cancel_while_not_final_and_refused_once_final(cm, callback_receiver):
    order = create(cm, quantity=40, areaCode="0161", callbackUrl=callback_receiver.url)
    advance(cm, ACCEPT_AFTER)
    cancel = cm.post(f"{REQUESTS}/{order['requestId']}/cancel", headers=AUTH)
    assert cancel.status_code == 200 and cancel.json()["status"] == "Cancelled"
    advance(cm, 86400)  # an accepted order that was cancelled does not complete
    assert get(cm, order["requestId"])["status"] == "Cancelled"
    assert [body["status"] for body in callback_receiver.received_json()] == ["Accepted", "Cancelled"]

    again = cm.post(f"{REQUESTS}/{order['requestId']}/cancel", headers=AUTH)
    assert again.status_code == 409
    assert again.json()["detail"] == "The number request is cancelled and can no longer be cancelled."
    completed = create(cm, quantity=1, areaCode="020")
    refused = cm.post(f"{REQUESTS}/{completed['requestId']}/cancel", headers=AUTH)
    assert refused.status_code == 409 and get(cm, completed["requestId"])["status"] == "Completed"


def test_a_failing_receiver_still_gets_every_callback_in_order_exactly_once(cm, callback_receiver):
    callback_receiver.fail_next(3, status=503)
    order = create(cm, quantity=40, areaCode="0113", callbackUrl=callback_receiver.url)
    advance(cm, ACCEPT_AFTER + COMPLETE_AFTER)  # Accepted and Completed are both due; Accepted fails
    assert callback_receiver.received == []
    pending = deliveries(cm, tenant=TOKEN, status="pending")
    assert [(d["event"], d["attempt_count"]) for d in pending] == [("Accepted", 1), ("Completed", 0)]
    assert pending[0]["attempts"][0]["status_code"] == 503 and pending[0]["attempts"][0]["error"] == "HTTP 503"

    for _ in range(3):  # backoff 2 s, 4 s, 8 s: each advance brings the next attempt due
        advance(cm, 8)
    bodies = callback_receiver.received_json()
    assert [(b["requestId"], b["status"]) for b in bodies] == [
        (order["requestId"], "Accepted"),
        (order["requestId"], "Completed"),
    ]
    # The later callback never went out while the earlier one was still failing.
    answered = [(r.status, r.headers["X-Emulator-Delivery"]) for r in callback_receiver.requests]
    accepted_id, completed_id = str(pending[0]["id"]), str(pending[1]["id"])
    assert answered == [
        (503, accepted_id),
        (503, accepted_id),
        (503, accepted_id),
        (200, accepted_id),
        (200, completed_id),
    ]
    done = deliveries(cm, tenant=TOKEN)
    assert [(d["status"], d["attempt_count"]) for d in done] == [("delivered", 4), ("delivered", 1)]
    assert [a["status_code"] for a in done[0]["attempts"]] == [503, 503, 503, 200]
    assert done[0]["delivered_at"] == done[0]["attempts"][-1]["at"]


def test_a_delivery_that_reaches_the_limit_fails_and_can_be_redelivered(database_url, tmp_path, callback_receiver):
    from fastapi.testclient import TestClient

    from emulator.app import create_app
    from emulator.settings import Settings

    # No background ticks: only the clock moves below attempt deliveries, so the redelivered one is
    # still pending when it is asked to be redelivered again (a tick could have delivered it).
    settings = Settings(database_url=database_url, data_dir=tmp_path, callback_max_attempts=2, tick_seconds=3600)
    with TestClient(create_app(settings)) as client:
        client.post("/_emulator/clock/freeze")
        callback_receiver.fail_next(2, status=500)
        order = create(client, quantity=40, areaCode="0113", callbackUrl=callback_receiver.url)
        client.post(f"{REQUESTS}/{order['requestId']}/cancel", headers=AUTH)
        advance(client, 0)
        advance(client, 2)
        [failed] = deliveries(client, status="failed")
        assert (failed["event"], failed["attempt_count"], failed["next_attempt_at"]) == ("Cancelled", 2, None)
        assert client.post(f"/_emulator/callbacks/{failed['id']}/redeliver").json()["status"] == "pending"
        assert client.post(f"/_emulator/callbacks/{failed['id']}/redeliver").status_code == 409
        advance(client, 0)
        assert [body["status"] for body in callback_receiver.received_json()] == ["Cancelled"]
        assert deliveries(client)[0]["status"] == "delivered"
        assert client.post("/_emulator/callbacks/999/redeliver").status_code == 404


def test_an_unreachable_receiver_counts_as_a_failed_attempt(cm, callback_receiver):
    callback_receiver.stop()  # connection refused
    order = create(cm, quantity=40, areaCode="0113", callbackUrl=callback_receiver.url)
    cm.post(f"{REQUESTS}/{order['requestId']}/cancel", headers=AUTH)
    advance(cm, 0)
    [delivery] = deliveries(cm)
    assert delivery["status"] == "pending" and delivery["attempts"][0]["status_code"] is None
    assert "ConnectError" in delivery["attempts"][0]["error"]
    callback_receiver.start()
    advance(cm, 2)
    assert [body["status"] for body in callback_receiver.received_json()] == ["Cancelled"]


def test_a_reset_drops_the_callbacks_the_tenant_still_owed(cm, callback_receiver):
    callback_receiver.stop()
    order = create(cm, quantity=40, areaCode="0113", callbackUrl=callback_receiver.url)
    cm.post(f"{REQUESTS}/{order['requestId']}/cancel", headers=AUTH)
    assert len(deliveries(cm, provider="cm")) == 1
    cm.post("/_emulator/reset", params={"tenant": TOKEN})
    assert deliveries(cm, provider="cm") == []


@pytest.mark.only_backend("sqlite")
def test_a_tick_with_no_change_due_takes_no_write_lock(database_url, tmp_path):
    """The transitions take SQLite's write lock before they read; a tick with no order due does
    not, so it neither waits on another writer nor makes one wait."""
    import sqlite3

    from fastapi.testclient import TestClient

    from emulator.app import create_app
    from emulator.providers.cm import PROVIDER
    from emulator.settings import Settings

    settings = Settings(database_url=database_url, data_dir=tmp_path, tick_seconds=3600)
    with TestClient(create_app(settings)) as client:
        runtime = client.app.state.runtime
        order = create(client, quantity=40, areaCode="0113")  # due a minute from now
        assert PROVIDER.background_jobs is not None
        run_due = PROVIDER.background_jobs(runtime)["cm.number-requests"]
        writer = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")  # another process, in the middle of a write
            run_due(runtime.clock.latest_now())  # raised "database is locked" after the busy timeout
        finally:
            writer.close()
        assert get(client, order["requestId"])["status"] == "Pending"
