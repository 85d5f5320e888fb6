"""Writes of one process to a SQLite file take turns, so its threads never meet in SQLite's busy
handler: with SQLite's own waiting switched off, concurrent writers would fail with "database is
locked"; taking turns, every write lands."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, text

from emulator.core.db import Database

THREADS = 8
WRITES = 40


@pytest.fixture
def impatient(tmp_path):
    """A SQLite file whose connections do not wait for a lock at all (busy timeout 0)."""
    db = Database(f"sqlite:///{tmp_path / 'turns.sqlite3'}")

    @event.listens_for(db.engine, "connect")
    def no_waiting(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE entry (thread INTEGER, n INTEGER)"))
    yield db
    db.dispose()


def _write_concurrently(db: Database, write) -> list[BaseException]:
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def writer(thread: int) -> None:
        start.wait()
        try:
            for n in range(WRITES):
                write(thread, n)
        except BaseException as failure:
            failures.append(failure)

    threads = [threading.Thread(target=writer, args=(thread,)) for thread in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_concurrent_transactions_of_one_process_never_find_the_file_locked(impatient):
    def write(thread: int, n: int) -> None:
        with impatient.engine.begin() as connection:
            # Two statements and some Python between them: the transaction holds the lock a while.
            connection.execute(text("INSERT INTO entry VALUES (:thread, :n)"), {"thread": thread, "n": n})
            sum(range(2000))
            connection.execute(text("UPDATE entry SET n = n WHERE thread = :thread"), {"thread": thread})

    assert _write_concurrently(impatient, write) == []
    with impatient.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM entry")).scalar_one() == THREADS * WRITES


def test_a_rolled_back_or_failed_transaction_gives_its_turn_back(impatient):
    def write(thread: int, n: int) -> None:
        with impatient.engine.connect() as connection:
            connection.execute(text("INSERT INTO entry VALUES (:thread, :n)"), {"thread": thread, "n": n})
            if n % 2:
                connection.rollback()
                return
            try:
                connection.execute(text("INSERT INTO missing VALUES (1)"))
            except Exception:
                connection.rollback()

    assert _write_concurrently(impatient, write) == []
    with impatient.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM entry")).scalar_one() == 0
