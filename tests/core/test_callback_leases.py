"""Several dispatchers on one outbox (as several processes on one database): each delivery is
claimed before it is sent, so it goes out once and in order; a dead claimant's lease runs out."""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import select

from emulator.core.callbacks import CallbackDelivery, CallbackDispatcher, _wall_now, enqueue
from emulator.core.clock import Clock
from emulator.core.db import Database
from emulator.settings import Settings


@pytest.fixture
def shared_outbox(request, database_url, tmp_path):
    """Three dispatchers on one outbox. The lease and attempt timeout (``request.param``, 10 s and
    5 s unless a test asks for less) outlast any attempt on a loaded machine, so only a test that
    waits a lease out sees one run out."""
    lease, timeout = getattr(request, "param", (10.0, 5.0))
    db = Database(database_url)
    db.create_all()
    clock = Clock(db)
    clock.freeze()
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        callback_timeout_seconds=timeout,
        callback_lease_seconds=lease,
    )
    # Each dispatcher has its own engine, as a separate process would.
    dispatchers = [CallbackDispatcher(Database(database_url), clock, settings) for _ in range(3)]
    yield db, clock, dispatchers
    for dispatcher in dispatchers:
        dispatcher.close()
        dispatcher._db.dispose()
    db.dispose()


def write(db, clock, url: str, payload: bytes) -> CallbackDelivery:
    with db.session() as session:
        delivery = enqueue(
            session,
            provider="test",
            tenant="t",
            event="changed",
            url=url,
            payload=payload,
            content_type="application/json",
            now=clock.now(),
        )
        session.commit()
        return delivery


def test_dispatchers_passing_at_once_send_each_delivery_once_and_in_order(shared_outbox, callback_receiver):
    db, clock, dispatchers = shared_outbox
    payloads = [f'{{"n":{n}}}'.encode() for n in range(30)]
    for payload in payloads:
        write(db, clock, callback_receiver.url, payload)
    start = threading.Barrier(len(dispatchers))

    def run(dispatcher: CallbackDispatcher) -> None:
        start.wait()
        for _ in range(20):
            dispatcher.deliver_due(clock.now())

    threads = [threading.Thread(target=run, args=(dispatcher,)) for dispatcher in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert callback_receiver.received == payloads
    assert len(callback_receiver.requests) == len(payloads)
    with db.session() as session:
        rows = session.exec(select(CallbackDelivery)).all()
    assert {(row.status, row.attempt_count, row.lease_owner) for row in rows} == {("delivered", 1, None)}


@pytest.mark.parametrize("shared_outbox", [(0.5, 0.2)], indirect=True)
def test_a_held_lease_keeps_others_off_until_it_expires(shared_outbox, callback_receiver):
    db, clock, (dead, alive, _) = shared_outbox
    first = write(db, clock, callback_receiver.url, b"1")
    write(db, clock, callback_receiver.url, b"2")
    # The first dispatcher claims the head and then dies before sending it.
    assert dead._claim(first)
    alive.deliver_due(clock.now())
    # Held: nothing goes out, not even the later delivery to the same URL.
    assert callback_receiver.requests == []
    with db.session() as session:
        expires = session.get(CallbackDelivery, first.id).lease_expires_at
    while _wall_now() <= expires:
        time.sleep(0.05)
    alive.deliver_due(clock.now())
    assert callback_receiver.received == [b"1", b"2"]


def test_a_claim_is_won_by_exactly_one(shared_outbox, callback_receiver):
    db, clock, dispatchers = shared_outbox
    delivery = write(db, clock, callback_receiver.url, b"x")
    start = threading.Barrier(len(dispatchers))
    won: list[bool] = []

    def claim(dispatcher: CallbackDispatcher) -> None:
        start.wait()
        won.append(dispatcher._claim(delivery))

    threads = [threading.Thread(target=claim, args=(dispatcher,)) for dispatcher in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False, False, True]
