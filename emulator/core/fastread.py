"""Hot reads without an ORM session: one SQL text per query, run through the DB-API directly.

On a SQLite file every thread (the event loop's included) keeps its own autocommit ``sqlite3``
connection, so a read is a few microseconds on the loop itself, no thread hop. Each statement
starts its own read transaction, so it sees every write committed before it, by this process or
another one sharing the file. Elsewhere (PostgreSQL, in-memory SQLite) the same text runs through
the engine's pool on a worker thread.

Statements use ``:name`` parameters, which both ``sqlite3`` and SQLAlchemy's ``text()`` take.
"""

from __future__ import annotations

import mmap
import os
import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from sqlalchemy import text

from emulator.core.db import sqlite_file
from emulator.core.threads import in_thread

if TYPE_CHECKING:
    from sqlalchemy import Column

    from emulator.core.db import Database

T = TypeVar("T")
_UNKNOWN = object()


SCAN_CACHE_KIB = 256
"""The page cache of a connection that reads long lists (SQLite's default is 2 MiB)."""

WAL_INDEX_HEADER = 48
"""Bytes of the wal-index header's first copy, the one a commit writes last."""


def _map_wal_index(path: str) -> tuple[mmap.mmap | None, BinaryIO | None]:
    """The header of a SQLite file's wal-index (its ``-shm`` file), mapped read-only (None when
    the file has none: not in WAL mode, an unusual VFS), and the file it was mapped from.

    The file must stay open for as long as the process has connections to the database: closing
    any descriptor of a file drops every POSIX lock the process holds on it, SQLite's own on the
    wal-index among them, and without them another process opening the database takes this one
    for gone, rebuilds the wal-index and truncates it under this process's connections (which
    then die of a bus error) and checkpoints past their read marks."""
    shm = f"{path}-shm"
    try:
        if os.stat(shm).st_size < WAL_INDEX_HEADER:
            return None, None
        file = open(shm, "rb")  # kept open on purpose, see above
    except OSError:
        return None, None
    try:
        return mmap.mmap(file.fileno(), WAL_INDEX_HEADER, access=mmap.ACCESS_READ), file
    except (OSError, ValueError):
        return None, file


class FastReader:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._path = sqlite_file(db.url)
        self._local = threading.local()
        self._texts: dict[str, Any] = {}
        self._wal_index: mmap.mmap | None = None
        self._wal_file: BinaryIO | None = None
        self._processors: dict[Column[Any], Any] = {}

    @property
    def sqlite(self) -> bool:
        """Whether the database is SQLite (a file or in memory)."""
        return self._db.engine.dialect.name == "sqlite"

    @property
    def inline(self) -> bool:
        """Whether a short read may run on the event loop itself (a local SQLite file: microseconds,
        no network wait) rather than on a worker thread."""
        return self._path is not None

    def _connection(self, scan: bool = False) -> sqlite3.Connection:
        """The thread's connection for short reads, or for long scans (``scan``): one of its own,
        whose page cache is kept small, since a scan reads each page once and a full-size cache
        would stay behind as megabytes of pages it will not read again."""
        name = "scanner" if scan else "connection"
        connection = getattr(self._local, name, None)
        if connection is None:
            if self._path is None:
                raise RuntimeError("direct reads need a SQLite file")
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA busy_timeout=5000")
            if scan:
                connection.execute(f"PRAGMA cache_size=-{SCAN_CACHE_KIB}")
            setattr(self._local, name, connection)
        return connection

    def _text(self, sql: str) -> Any:
        statement = self._texts.get(sql)
        if statement is None:
            statement = self._texts[sql] = text(sql)
        return statement

    def _through_engine(self, sql: str, params: dict) -> list[Sequence[Any]]:
        with self._db.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(self._text(sql), params)]

    def first_rows(self, sql: str, params: dict, size: int) -> list[Sequence[Any]]:
        """The first ``size`` rows of a read-only statement, on the event loop's own connection
        (a SQLite file only)."""
        cursor = self._connection().execute(sql, params)
        try:
            return cursor.fetchmany(size)
        finally:
            cursor.close()

    def each_chunk(self, sql: str, params: dict, size: int) -> Iterator[Sequence[Sequence[Any]]]:
        """Every row of a read-only statement, ``size`` at a time, from one cursor (one read
        transaction; never all rows in memory at once), in the calling thread: on a SQLite file
        through the thread's own connection, elsewhere through a server-side cursor."""
        if self._path is not None:
            cursor = self._connection(scan=True).execute(sql, params)
            try:
                while rows := cursor.fetchmany(size):
                    yield rows
            finally:
                cursor.close()
            return
        with self._db.engine.connect() as connection:
            result = connection.execution_options(stream_results=True, max_row_buffer=size).execute(
                self._text(sql), params
            )
            yield from result.partitions(size)

    def rows(self, sql: str, params: dict) -> list[Sequence[Any]]:
        """Every row of a read-only statement, in the calling thread (a function ``read_call``
        runs): on a SQLite file through the thread's own connection, elsewhere the engine's."""
        if self._path is not None:
            return self._connection().execute(sql, params).fetchall()
        return self._through_engine(sql, params)

    async def fetchall(self, sql: str, params: dict) -> list[Sequence[Any]]:
        """Every row of a read-only statement."""
        if self._path is not None:
            return self.rows(sql, params)
        return await in_thread(self.rows, sql, params)

    async def fetchone(self, sql: str, params: dict) -> Sequence[Any] | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    def value_of(self, column: Column[Any], raw: Any) -> Any:
        """A column's value as the ORM hands it (its type's result processing: SQLModel's aware
        UTC instant from SQLite's text, say), from the driver's value a read returned."""
        processor = self._processors.get(column, _UNKNOWN)
        if processor is _UNKNOWN:
            dialect = self._db.engine.dialect
            processor = self._processors[column] = column.type.dialect_impl(dialect).result_processor(dialect, None)
        return raw if processor is None or raw is None else processor(raw)

    def data_version(self) -> Hashable | None:
        """A value that changes whenever a connection (of this process or another one) commits to
        the SQLite file; None where there is none. Read from the file's wal-index: the header of
        its shared-memory file changes with every commit (sqlite.org/walformat.html), and reading
        mapped memory never lets go of the interpreter, where a statement would hand it to another
        thread mid-request. Until the wal-index is mapped, SQLite's own ``PRAGMA data_version``."""
        if self._path is None:
            return None
        index = self._wal_index
        if index is not None:
            return index[:WAL_INDEX_HEADER]
        version = self._connection().execute("PRAGMA data_version").fetchone()[0]
        # The reader's open connection keeps the wal-index in place for as long as it lives.
        if self._wal_file is None:
            self._wal_index, self._wal_file = _map_wal_index(self._path)
        return version

    def close(self) -> None:
        if self._wal_index is not None:
            self._wal_index.close()
            self._wal_index = None
        for name in ("connection", "scanner"):
            connection = getattr(self._local, name, None)
            if connection is not None:
                connection.close()
                setattr(self._local, name, None)
        # Last, once this reader's connections are closed (see _map_wal_index).
        if self._wal_file is not None:
            self._wal_file.close()
            self._wal_file = None


_readers_lock = threading.Lock()


def reader(db: Database) -> FastReader:
    """The database's one reader, made on first use."""
    found = db.__dict__.get("_fast_reader")
    if found is None:
        with _readers_lock:
            found = db.__dict__.get("_fast_reader")
            if found is None:
                found = db.__dict__["_fast_reader"] = FastReader(db)
    return found


async def read_call(db: Database, function: Callable[..., T], *args: Any) -> T:
    """Run a short read (an ORM query, say) on the event loop when the database is a local SQLite
    file, on a worker thread otherwise."""
    if reader(db).inline:
        return function(*args)
    return await in_thread(function, *args)


def iso_date(value: Any) -> str:
    """A DATE column's ISO text: SQLite hands back the stored text, PostgreSQL a ``date``."""
    return value if isinstance(value, str) else value.isoformat()
