"""The callback outbox and dispatcher on their own: timeouts, backoff, per-URL order, headers."""

from __future__ import annotations

import pytest

from emulator.core.callbacks import CallbackDelivery, CallbackDispatcher, enqueue
from emulator.core.clock import Clock
from emulator.core.db import Database
from emulator.settings import Settings
from emulator.testing import CallbackReceiver


@pytest.fixture
def outbox(database_url, tmp_path):
    db = Database(database_url)
    db.create_all()
    clock = Clock(db)
    clock.freeze()
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        callback_timeout_seconds=0.5,
        callback_backoff_seconds=1,
        callback_backoff_max_seconds=4,
        callback_max_attempts=5,
    )
    dispatcher = CallbackDispatcher(db, clock, settings)
    yield db, clock, dispatcher
    dispatcher.close()
    db.dispose()


def write(db, clock, url: str, payload: bytes) -> int:
    with db.session() as session:
        delivery = enqueue(
            session,
            provider="test",
            tenant="t",
            event="changed",
            url=url,
            payload=payload,
            content_type="application/json; charset=utf-8",
            now=clock.now(),
        )
        session.commit()
        return delivery.id


def state(db, delivery_id: int) -> CallbackDelivery:
    with db.session() as session:
        return session.get(CallbackDelivery, delivery_id)


def test_the_body_goes_out_as_written_with_its_content_type(outbox, callback_receiver):
    db, clock, dispatcher = outbox
    delivery_id = write(db, clock, callback_receiver.url, b'{"a":"\\u002B1"}')
    dispatcher.deliver_due(clock.now())
    [request] = callback_receiver.requests
    assert request.body == b'{"a":"\\u002B1"}'
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert (request.headers["X-Emulator-Delivery"], request.headers["X-Emulator-Attempt"]) == (
        str(delivery_id),
        "1",
    )
    assert state(db, delivery_id).status == "delivered"


def test_an_answer_that_does_not_come_in_time_is_a_failed_attempt(outbox, callback_receiver):
    db, clock, dispatcher = outbox
    callback_receiver.delay_next(1, 2.0)
    delivery_id = write(db, clock, callback_receiver.url, b"{}")
    dispatcher.deliver_due(clock.now())
    delivery = state(db, delivery_id)
    assert delivery.status == "pending" and delivery.attempts[0]["error"] == "timed out"
    clock.advance(1)
    dispatcher.deliver_due(clock.now())
    assert state(db, delivery_id).status == "delivered" and callback_receiver.received == [b"{}"]


def test_backoff_doubles_up_to_its_cap_and_the_limit_ends_the_retries(outbox, callback_receiver):
    db, clock, dispatcher = outbox
    callback_receiver.fail_next(10, status=500)
    delivery_id = write(db, clock, callback_receiver.url, b"{}")
    waits = []
    for _ in range(5):
        attempted_at = clock.now()
        dispatcher.deliver_due(attempted_at)
        delivery = state(db, delivery_id)
        if delivery.next_attempt_at is not None:
            waits.append((delivery.next_attempt_at - attempted_at).total_seconds())
            clock.set(delivery.next_attempt_at)
    assert waits == [1, 2, 4, 4]
    assert (delivery.status, delivery.attempt_count) == ("failed", 5)
    clock.advance(3600)
    dispatcher.deliver_due(clock.now())
    assert len(callback_receiver.requests) == 5


def test_a_failing_url_holds_back_only_its_own_later_deliveries(outbox, callback_receiver):
    db, clock, dispatcher = outbox
    callback_receiver.fail_next(1, status=500)
    with CallbackReceiver() as other_receiver:
        first = write(db, clock, callback_receiver.url, b'"first"')
        second = write(db, clock, callback_receiver.url, b'"second"')
        elsewhere = write(db, clock, other_receiver.url, b'"elsewhere"')
        dispatcher.deliver_due(clock.now())
        assert [state(db, i).status for i in (first, second, elsewhere)] == ["pending", "pending", "delivered"]
        assert state(db, second).attempt_count == 0 and other_receiver.received == [b'"elsewhere"']
        clock.advance(1)
        dispatcher.deliver_due(clock.now())
        assert callback_receiver.received == [b'"first"', b'"second"']
