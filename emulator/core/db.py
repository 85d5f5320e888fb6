"""The database: one engine per emulator, SQLite by default, PostgreSQL through the same models."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import Table, event, inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from emulator.core import counts, search


class StoredModel(SQLModel):
    """Base of every table's model. Rows are made by the store and by the emulator's own code,
    not validated as a request body is, so a model's pydantic validator and serializer are built
    when something first asks for them (a ``model_dump``, say), not when the class is defined
    (``defer_build``): each costs start-up a millisecond or so, and most are never asked for."""

    model_config = {**SQLModel.model_config, "defer_build": True}


def table_of(model: type[SQLModel]) -> Table:
    """The table a model class maps (SQLModel sets ``__table__`` but does not declare it)."""
    return cast(Table, inspect(model).local_table)


T = TypeVar("T")
_writer_lock = threading.Lock()

# Any number, the same in every process: names the lock held while tables are created.
SCHEMA_LOCK = 7_313_001

# Starlette runs sync handlers on a pool of 40 threads; each may hold one connection.
POOL_SIZE = 40


# Milliseconds SQLite waits for another process's write lock (its busy handler).
BUSY_TIMEOUT_MS = 5000
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE", "CREATE", "DROP", "ALTER")


class WriteTurns:
    """One writer at a time within a process on a SQLite file. SQLite allows one writer; threads
    of one process that write at once would meet in its busy handler, which sleeps (1, 2, 5, ...
    100 ms) and turns concurrent writes into a p99 of hundreds of milliseconds. A connection takes
    the turn at its transaction's first write and gives it back when the transaction ends. A turn
    not had within the busy timeout is not waited for further (SQLite's own waiting takes over, as
    without turns), so nothing waits forever on one."""

    def __init__(self, timeout: float) -> None:
        self._lock = threading.Lock()
        self._holder: sqlite3.Connection | None = None
        self._timeout = timeout

    def take(self, connection: sqlite3.Connection) -> None:
        if self._holder is not connection and self._lock.acquire(timeout=self._timeout):
            self._holder = connection

    def take_if_free(self, connection: sqlite3.Connection) -> bool:
        """Take the turn only if no other connection of this process has it."""
        if self._holder is connection:
            return True
        if not self._lock.acquire(blocking=False):
            return False
        self._holder = connection
        return True

    def give_back(self, connection: sqlite3.Connection) -> None:
        if self._holder is connection:
            self._holder = None
            self._lock.release()


def _turn_taking(turns: WriteTurns) -> type[sqlite3.Connection]:
    """A ``sqlite3.Connection`` class whose writes take ``turns``."""

    class TurnTakingCursor(sqlite3.Cursor):
        def execute(self, sql, parameters=(), /):  # type: ignore[override]
            if sql.lstrip()[:15].upper().startswith(_WRITES):
                turns.take(self.connection)
            return super().execute(sql, parameters)

        def executemany(self, sql, seq_of_parameters, /):  # type: ignore[override]
            if sql.lstrip()[:15].upper().startswith(_WRITES):
                turns.take(self.connection)
            return super().executemany(sql, seq_of_parameters)

    class TurnTakingConnection(sqlite3.Connection):
        write_turns = turns

        def cursor(self, factory=TurnTakingCursor):  # type: ignore[override]
            return super().cursor(factory)

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                turns.give_back(self)

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                turns.give_back(self)

        def close(self) -> None:
            try:
                super().close()
            finally:
                turns.give_back(self)

    return TurnTakingConnection


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Per-connection settings (WAL is a property of the file, set once in make_engine). NORMAL sync
    # is durable across process crashes in WAL mode.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _in_memory(url: str) -> bool:
    """A private in-memory SQLite database: it lives only as long as its one connection."""
    return url in ("sqlite://", "sqlite:///:memory:")


def sqlite_file(url: str) -> str | None:
    """The path of the SQLite file a URL names; None for any other database, in memory included."""
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:" or "mode=memory" in url:
        return None
    return url.removeprefix("sqlite:///") or None


def _null(value: None) -> None:
    return value


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # sqlite3 binds int, float, str and bytes directly and looks every other value up as one
        # to adapt: for None that lookup fails through two attribute searches per value (a third
        # of the time of a million-row insert with a few NULL columns). Found in the adapters'
        # table, None costs one call and is bound as NULL as before.
        sqlite3.register_adapter(type(None), _null)
        in_memory = _in_memory(url)
        if in_memory:
            # An in-memory database lives only as long as its one connection.
            engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
        else:
            # Enough pooled connections for the request threads, so none is reopened under load.
            connect_args = {
                "check_same_thread": False,
                "factory": _turn_taking(WriteTurns(BUSY_TIMEOUT_MS / 1000)),
            }
            engine = create_engine(url, connect_args=connect_args, pool_size=POOL_SIZE, max_overflow=0)
        event.listen(engine, "connect", _sqlite_pragmas)
        if not in_memory:
            with engine.connect() as connection:
                # WAL lets readers run beside the writer; it stays set in the file.
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # A server has its own connection limit: keep a few open, open more only under load.
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=POOL_SIZE - 10)


def empty_list() -> list:
    """The ``default_factory`` of list columns. Not ``list`` itself: for a builtin, pydantic
    parses its text signature on every row built (milliseconds each, in bulk transitions)."""
    return []


def _settle(
    group: list[tuple[Callable[..., Any], tuple[Any, ...], asyncio.Future[Any]]],
    outcomes: list[tuple[bool, Any]],
    error: BaseException | None,
) -> None:
    """Hand each write of ``group`` its outcome (or the group's ``error``)."""
    for index, (_, _, done) in enumerate(group):
        if done.cancelled():
            continue
        if error is not None:
            done.set_exception(error)
            continue
        succeeded, value = outcomes[index]
        if succeeded:
            done.set_result(value)
        else:
            done.set_exception(value)


# Inline commits between two checkpoints of the WAL (each adds a few pages to it; SQLite's own
# checkpoints come every 1,000 pages).
INLINE_CHECKPOINT_EVERY = 256


@dataclass
class _WriteQueue:
    """The writes of one event loop waiting for their group commit, and whether one is under way;
    on a SQLite file, the loop's own connection for groups committed inline."""

    waiting: list[tuple[Callable[..., Any], tuple[Any, ...], asyncio.Future[Any]]] = field(default_factory=list)
    committing: bool = False
    inline: Connection | None = None


class Database:
    """Owns the engine and hands out sessions; the one way in to storage."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._writer: ThreadPoolExecutor | None = None
        self._writer_connection: Connection | None = None
        # A SQLite file's short writes commit on the event loop when nothing else holds the lock.
        self._commits_inline = sqlite_file(url) is not None
        self._inline_commits = 0
        # Per event loop (a test's clients may each run their own).
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _WriteQueue] = weakref.WeakKeyDictionary()

    def companion(self, name: str) -> Database:
        """A database of its own beside this one, for writes that must not change this one's
        version (SQLite's ``data_version`` keys the render cache): on a SQLite file, the file
        ``<stem>-<name>.sqlite3`` beside it; anywhere else, this database itself."""
        prefix = "sqlite:///"
        if not self.url.startswith(prefix) or self.url in ("sqlite:///:memory:",):
            return self
        path = Path(self.url.removeprefix(prefix))
        return Database(prefix + str(path.with_name(f"{path.stem}-{name}.sqlite3")))

    def create_all(self, tables: list[Table] | None = None) -> None:
        """Create missing tables (all, or these), their search indexes and row counts; several processes starting at once
        (``serve --workers N``) take turns: PostgreSQL under an advisory lock, SQLite by trying
        again once the other is done."""
        chosen = list(SQLModel.metadata.sorted_tables) if tables is None else tables
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as connection:
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
                SQLModel.metadata.create_all(connection, tables=tables)
                search.ensure_indexes(connection, chosen)
                counts.ensure_counts(connection, chosen)
            return
        for attempt in range(20):
            try:
                SQLModel.metadata.create_all(self.engine, tables=tables)
                with self.engine.begin() as connection:
                    search.ensure_indexes(connection, chosen)
                    counts.ensure_counts(connection, chosen)
                return
            except OperationalError:  # "table ... already exists" (or locked): another process made it meanwhile
                if attempt == 19:
                    raise
                time.sleep(0.05)

    async def write(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(connection, *args)`` (a short write, through ``connection`` only) in the
        database's next group commit, and return what it returned once that has committed.

        Writes queue in arrival order; the writes that arrived while the previous group committed
        run together in one transaction, so a burst of writes pays for one commit, not one each.
        On a SQLite file a group commits on the event loop itself when the write lock is free at
        once (no other connection of this process or another has it): its statements take
        microseconds, a hand-over to a thread and back costs more than they do, and the loop
        would sit idle meanwhile. Otherwise, and on PostgreSQL, the group goes to one writer
        thread, so none waits behind the others' contention for the lock and the event loop is
        never blocked by it. A write that raises is the only one to fail: its group is rolled
        back and run again without it, each of the others on its own."""
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _WriteQueue()
        done: asyncio.Future[T] = loop.create_future()
        queue.waiting.append((work, args, done))
        if not queue.committing:
            queue.committing = True
            loop.call_soon(self._commit_queued, loop, queue)
        return await done

    def _commit_queued(self, loop: asyncio.AbstractEventLoop, queue: _WriteQueue) -> None:
        group, queue.waiting = queue.waiting, []
        if not group:
            queue.committing = False
            return
        works = [(work, args) for work, args, _ in group]
        checkpoint = False
        if self._commits_inline:
            if self._inline_commits < INLINE_CHECKPOINT_EVERY:
                outcomes = self._commit_inline(queue, works)
                if outcomes is not None:
                    _settle(group, outcomes, None)
                    # The writes of the tasks this wakes make the next group.
                    loop.call_soon(self._commit_queued, loop, queue)
                    return
            else:
                checkpoint, self._inline_commits = True, 0
        committing = loop.run_in_executor(self._writer_pool(), self._commit_group, works, checkpoint)

        def answer(outcome: asyncio.Future[list[tuple[bool, Any]]]) -> None:
            if outcome.cancelled():
                _settle(group, [], asyncio.CancelledError())
            else:
                error = outcome.exception()
                _settle(group, [] if error is not None else outcome.result(), error)
            # The writes that queued meanwhile make the next group.
            self._commit_queued(loop, queue)

        committing.add_done_callback(answer)

    def _commit_inline(
        self, queue: _WriteQueue, works: list[tuple[Callable[..., Any], tuple[Any, ...]]]
    ) -> list[tuple[bool, Any]] | None:
        """``works`` in one transaction on the loop's own connection, if the write lock is had
        without waiting; None (nothing written) if not, or if a write failed: the writer thread
        then runs the group its usual way. The connection waits for no lock (a busy timeout of
        0) and leaves the WAL's checkpoints to the writer thread, so the loop never waits on
        another writer or on a disk flush."""
        connection = queue.inline
        if connection is None:
            connection = queue.inline = self.engine.connect()
            opened = connection.connection.driver_connection
            opened.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]
            opened.execute("PRAGMA wal_autocheckpoint=0")  # type: ignore[union-attr]
        driver = connection.connection.driver_connection
        turns: WriteTurns = type(driver).write_turns  # type: ignore[union-attr]
        if not turns.take_if_free(driver):  # type: ignore[arg-type]
            return None
        try:
            with connection.begin():
                outcomes = [(True, work(connection, *args)) for work, args in works]
        except Exception:  # "database is locked" (another process writes), or a failed write
            if connection.invalidated:
                connection.close()
                queue.inline = None
            return None
        finally:
            turns.give_back(driver)  # type: ignore[arg-type]
        self._inline_commits += 1
        return outcomes

    def _writer_pool(self) -> ThreadPoolExecutor:
        if self._writer is None:
            with _writer_lock:
                if self._writer is None:
                    self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")
        return self._writer

    def _commit_group(
        self, works: list[tuple[Callable[..., Any], tuple[Any, ...]]], checkpoint: bool = False
    ) -> list[tuple[bool, Any]]:
        """On the writer thread: ``works`` in one transaction; after a failure, each on its own.
        The thread keeps its connection between groups (a checkout and its reset cost a write
        more than its statements), and opens a new one after a failure, which may have been the
        connection's own. With ``checkpoint``, the WAL's pages are then copied into the database
        file (waiting for no reader, ``PASSIVE``): while this group commits, the loop commits
        nothing inline, so the WAL is wholly copied and its next write starts it over from its
        beginning, which keeps the file from growing under a steady stream of inline commits."""
        outcomes = self._commit_works(works)
        if checkpoint:
            with contextlib.suppress(Exception):  # a checkpoint not made now is made next time
                driver = self._writer_connection_now().connection.driver_connection
                driver.execute("PRAGMA wal_checkpoint(PASSIVE)").close()  # type: ignore[union-attr]
        return outcomes

    def _writer_connection_now(self) -> Connection:
        if self._writer_connection is None:
            self._writer_connection = self.engine.connect()
        return self._writer_connection

    def _commit_works(self, works: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> list[tuple[bool, Any]]:
        connection = self._writer_connection_now()
        try:
            with connection.begin():
                return [(True, work(connection, *args)) for work, args in works]
        except Exception as error:
            connection.close()
            self._writer_connection = None
            if len(works) == 1:
                return [(False, error)]
        return [outcome for work in works for outcome in self._commit_works([work])]

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def dispose(self) -> None:
        for queue in list(self._queues.values()):
            if queue.inline is not None:
                queue.inline.close()
                queue.inline = None
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        if self._writer_connection is not None:
            self._writer_connection.close()
            self._writer_connection = None
        self.engine.dispose()
