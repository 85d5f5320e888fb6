"""The database: one engine per emulator, SQLite by default, PostgreSQL through the same models."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from sqlalchemy import Table, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine


def table_of(model: type[SQLModel]) -> Table:
    """The table a model class maps (SQLModel sets ``__table__`` but does not declare it)."""
    return cast(Table, inspect(model).local_table)


# Any number, the same in every process: names the lock held while tables are created.
SCHEMA_LOCK = 7_313_001

# Starlette runs sync handlers on a pool of 40 threads; each may hold one connection.
POOL_SIZE = 40


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Per-connection settings (WAL is a property of the file, set once in make_engine). NORMAL sync
    # is durable across process crashes in WAL mode.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        if in_memory:
            # An in-memory database lives only as long as its one connection.
            engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
        else:
            # Enough pooled connections for the request threads, so none is reopened under load.
            engine = create_engine(url, connect_args={"check_same_thread": False}, pool_size=POOL_SIZE, max_overflow=0)
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


class Database:
    """Owns the engine and hands out sessions; the one way in to storage."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)

    def create_all(self) -> None:
        """Create missing tables; several processes starting at once (``serve --workers N``) take
        turns: PostgreSQL under an advisory lock, SQLite by trying again once the other is done."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as connection:
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
                SQLModel.metadata.create_all(connection)
            return
        for attempt in range(20):
            try:
                SQLModel.metadata.create_all(self.engine)
                return
            except OperationalError:  # "table ... already exists": another process made it meanwhile
                if attempt == 19:
                    raise
                time.sleep(0.05)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
