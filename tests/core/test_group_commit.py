"""``Database.write``: the writes that arrive together commit together, one transaction for the
group, and each write's caller hears back only once its write has committed; a write that fails
fails alone. On SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select
from sqlalchemy.engine import Connection

from emulator.core.bulk import execute_one
from emulator.core.db import Database

pytestmark = pytest.mark.each_backend

ENTRY = Table("group_commit_entry", MetaData(), Column("n", Integer, primary_key=True), Column("note", String(20)))
INSERT = insert(ENTRY)
WRITES = 50


@pytest.fixture
def db(database_url):
    db = Database(database_url)
    ENTRY.metadata.create_all(db.engine)
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda _connection: commits.append(1))
    db.commits = commits  # type: ignore[attr-defined]
    yield db
    db.dispose()


def add(connection: Connection, n: int, note: str) -> int:
    execute_one(connection, INSERT, {"n": n, "note": note})
    return n * 10


def add_then_fail(connection: Connection, n: int) -> int:
    execute_one(connection, INSERT, {"n": n, "note": "doomed"})
    raise ValueError(f"write {n} refuses")


def stored(db: Database) -> dict[int, str]:
    with db.engine.connect() as connection:
        return {n: note for n, note in connection.execute(select(ENTRY.c.n, ENTRY.c.note))}


def test_writes_that_arrive_together_share_one_commit_and_each_returns_its_own_answer(db):
    async def burst() -> list[int]:
        return await asyncio.gather(*(db.write(add, n, f"note {n}") for n in range(WRITES)))

    assert asyncio.run(burst()) == [n * 10 for n in range(WRITES)]
    assert len(db.commits) == 1
    assert stored(db) == {n: f"note {n}" for n in range(WRITES)}


def test_a_write_is_committed_before_its_caller_hears_back(db):
    async def one_after_another() -> list[dict[int, str]]:
        seen = []
        for n in range(3):
            await db.write(add, n, "x")
            seen.append(stored(db))  # another connection, as the next request's read would be
        return seen

    assert asyncio.run(one_after_another()) == [{0: "x"}, {0: "x", 1: "x"}, {0: "x", 1: "x", 2: "x"}]
    assert len(db.commits) == 3


def test_a_failing_write_fails_alone_and_leaves_nothing_behind(db):
    async def burst() -> list[object]:
        writes = [db.write(add_then_fail, n) if n == 7 else db.write(add, n, "kept") for n in range(12)]
        return await asyncio.gather(*writes, return_exceptions=True)

    outcomes = asyncio.run(burst())
    assert isinstance(outcomes[7], ValueError) and str(outcomes[7]) == "write 7 refuses"
    assert [outcome for n, outcome in enumerate(outcomes) if n != 7] == [n * 10 for n in range(12) if n != 7]
    assert stored(db) == {n: "kept" for n in range(12) if n != 7}


def test_a_write_that_breaks_a_constraint_fails_alone_and_the_writer_goes_on(db):
    async def run() -> list[object]:
        await db.write(add, 1, "first")
        outcomes = await asyncio.gather(db.write(add, 2, "second"), db.write(add, 1, "again"), return_exceptions=True)
        outcomes.append(await db.write(add, 3, "third"))
        return outcomes

    second, again, third = asyncio.run(run())
    assert second == 20 and third == 30
    assert isinstance(again, Exception)
    assert stored(db) == {1: "first", 2: "second", 3: "third"}


def sqlite_path(db: Database) -> str:
    return db.url.removeprefix("sqlite:///")


@pytest.mark.only_backend("sqlite")
def test_uncontended_writes_on_a_sqlite_file_commit_on_the_event_loop_without_a_thread(db):
    async def writes() -> None:
        for n in range(5):
            await db.write(add, n, "inline")

    asyncio.run(writes())
    assert db._writer is None  # no writer thread was ever needed
    assert stored(db) == {n: "inline" for n in range(5)}


@pytest.mark.only_backend("sqlite")
def test_a_write_while_another_process_holds_the_lock_waits_off_the_loop_then_commits(db):
    import sqlite3
    import time

    other = sqlite3.connect(sqlite_path(db), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # as another process's write transaction would
    other.execute("INSERT INTO group_commit_entry (n, note) VALUES (100, 'other')")

    async def run() -> tuple[int, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        loop = asyncio.get_running_loop()
        loop.call_later(0.3, other.execute, "COMMIT")
        started = time.monotonic()
        answer = await db.write(add, 1, "waited")
        assert time.monotonic() - started >= 0.25  # it waited for the other's commit
        ticker.cancel()
        return answer, ticks

    answer, ticks = asyncio.run(run())
    assert answer == 10
    assert ticks >= 10  # the loop went on serving while the write waited
    assert db._writer is not None  # the wait was the writer thread's
    assert stored(db) == {100: "other", 1: "waited"}
    other.close()


@pytest.mark.only_backend("sqlite")
def test_a_steady_stream_of_inline_commits_does_not_grow_the_wal_without_end(db, monkeypatch):
    import sqlite3

    monkeypatch.setattr("emulator.core.db.INLINE_CHECKPOINT_EVERY", 10)

    async def writes() -> None:
        for n in range(400):
            await db.write(add, n, "x")

    asyncio.run(writes())
    probe = sqlite3.connect(sqlite_path(db))
    # Frames in the WAL now: had it never started over, 400 commits would have left 400 or more.
    _busy, frames, _copied = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    probe.close()
    assert frames < 100
    assert len(stored(db)) == 400
