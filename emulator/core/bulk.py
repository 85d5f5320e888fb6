"""Many rows in one go, straight through the DB-API, in the session's transaction.

``bulk_insert`` is for generated volume: ``executemany`` on SQLite, ``COPY`` on PostgreSQL, with
values already what the column stores (ISO text for dates on SQLite, for instance).
``execute_many`` runs one Core statement for many rows of Python values, as
``connection.execute(statement, rows)`` would, with less work per row; ``execute_one`` runs it for
one row, compiled once per statement and dialect (a request's write, without SQLAlchemy's
execution machinery around a statement that takes SQLite microseconds)."""

from __future__ import annotations

import contextlib
import functools
import math
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, cast

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import Session, SQLModel

from emulator.core.counts import bulk_counting
from emulator.core.search import bulk_loading

BULK_CACHE_KIB = 2_097_152
"""SQLite's page cache for a connection that has bulk-inserted (at most; it grows as used): a
million wide rows and their indexes (some 400 MB) stay in memory until their commit."""
_IN_LIST = 500
"""Values in one IN list of ``held_values``: few enough for any backend's parameter limit."""


def bulk_insert(
    session: Session,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    constants: Mapping[str, Any] | None = None,
) -> int:
    """Insert ``rows`` (values in the order of ``columns``) into ``table``; returns how many.
    ``constants`` are columns with one value for every row (text, a number, a bool or None): on SQLite
    they are literals of the statement, so nothing is bound for them row by row."""
    if not rows:
        return 0
    connection = session.connection()
    driver = connection.connection.driver_connection
    assert driver is not None
    fixed = dict(constants or {})
    names = ", ".join([*columns, *fixed])
    if connection.dialect.name == "postgresql":
        tail = tuple(fixed.values())
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row, *tail) if tail else row)
    else:
        cursor = driver.cursor()
        try:
            # Unique indexes on random keys (UUIDs) touch pages all over the file: with SQLite's
            # default 2 MiB page cache a million rows would wait on the disk for most of them.
            cursor.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
            if not driver.in_transaction:
                # The driver opens a transaction only before a DML statement, and the indexes set
                # aside must come back with the rows if they are rolled back. IMMEDIATE takes the
                # write lock now (waiting for it if need be): a transaction that reads first and
                # writes later fails at once if another connection committed in between.
                cursor.execute("BEGIN IMMEDIATE")
            with (
                _indexes_set_aside(cursor, connection.dialect, table, len(rows)),
                bulk_loading(cursor, table),
                bulk_counting(cursor, table),
            ):
                values = ", ".join(["?"] * len(columns) + [_literal(value) for value in fixed.values()])
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({values})", rows)
        finally:
            cursor.close()
    return len(rows)


def _literal(value: Any) -> str:
    """``value`` as an SQLite literal (a constant column of ``bulk_insert``)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):  # as sqlite3 binds it
        return "1" if value else "0"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, int | float) and math.isfinite(value):
        return repr(value)
    raise TypeError(f"no literal for a constant column value {value!r}")


@contextlib.contextmanager
def _indexes_set_aside(cursor: sqlite3.Cursor, dialect: Dialect, table: str, count: int) -> Iterator[None]:
    """Around a bulk insert of ``count`` rows into ``table`` on SQLite, in its transaction: the
    table's own indexes (those its metadata declares and the file holds) are dropped before and
    made again after, from the metadata, when the load at least doubles the table. One CREATE
    INDEX sorts the rows once; a million inserts into each B-tree cost several times that. A unique
    index made again still refuses a duplicate (the whole load fails), so callers leave out
    what the tenant holds beforehand, as before. Constraints written into the table itself
    (UNIQUE in CREATE TABLE) cannot be dropped and keep checking row by row."""
    source = SQLModel.metadata.tables.get(table)
    declared = {index.name: index for index in (source.indexes if source is not None else ()) if index.name}
    if not declared:
        yield
        return
    listed = ", ".join("?" for _ in declared)
    present = cursor.execute(
        f"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name IN ({listed})",
        (table, *declared),
    ).fetchall()
    # max(rowid) is one B-tree descent where count(*) reads a whole index: near enough to the rows held.
    (held,) = cursor.execute(f"SELECT coalesce(max(rowid), 0) FROM {table}").fetchone()
    if not present or count < held:
        yield
        return
    aside = [declared[name] for (name,) in present]
    for index in aside:
        cursor.execute(f"DROP INDEX {index.name}")
    yield
    for index in aside:
        cursor.execute(str(CreateIndex(index).compile(dialect=dialect)))


def held_values(
    session: Session, table: str, column: str, tenant: str, values: Sequence[str], within: str = ""
) -> set[str]:
    """Which of ``values`` the tenant's rows of ``table`` already hold in ``column``, in IN lists
    of a size every backend takes, through the DB-API: generated volume checks a million
    candidates against what is there. ``within`` is a further SQL condition, one that lets an
    index lead to ``column`` (``"status IN ('A', 'B')"`` for an index on tenant, status, column)."""
    connection = session.connection()
    driver = connection.connection.driver_connection
    assert driver is not None
    mark = "%s" if connection.dialect.name == "postgresql" else "?"
    held: set[str] = set()
    cursor = driver.cursor()
    try:
        # A tenant that holds fewer rows than there would be IN lists (a fresh one, seeded from
        # the fixtures) is read whole, in one query, and compared here.
        lists = -(-len(values) // _IN_LIST)
        if lists > 1:
            cursor.execute(
                f"SELECT {column} FROM {table} WHERE tenant = {mark} AND {within or 'TRUE'} LIMIT {lists}", (tenant,)
            )
            every = cursor.fetchall()
            if len(every) < lists:
                return {value for (value,) in every}.intersection(values)
        for start in range(0, len(values), _IN_LIST):
            chunk = values[start : start + _IN_LIST]
            cursor.execute(
                f"SELECT {column} FROM {table} WHERE tenant = {mark} AND {within or 'TRUE'}"
                f" AND {column} IN ({', '.join([mark] * len(chunk))})",
                (tenant, *chunk),
            )
            held.update(value for (value,) in cursor.fetchall())
    finally:
        cursor.close()
    return held


def execute_many(session: Session, statement: ClauseElement, rows: Sequence[Mapping[str, Any]]) -> int:
    """Run ``statement`` (an insert or update naming its parameters, e.g. ``bindparam("row_id")``)
    once per row of ``rows`` (dicts with the same keys) in one DB-API ``executemany``; returns how
    many. What ``connection.execute(statement, rows)`` does, compiled once, and each distinct value
    of a parameter turned once into what the driver takes (by its column type's own bind
    processor): rows that share values (the instants of one clock move, constants) cost little
    more than their tuple."""
    if not rows:
        return 0
    connection = session.connection()
    sql, positional, processors = _prepared(statement, connection.dialect, tuple(rows[0]))
    converters = [(name, _converter(processor)) for name, processor in processors]
    # Column by column: one pass of C-level iteration per parameter, none per row.
    columns = [
        [row[name] for row in rows] if convert is None else list(map(convert, [row[name] for row in rows]))
        for name, convert in converters
    ]
    parameters: list[Any] = list(zip(*columns, strict=True)) if columns else [()] * len(rows)
    if not positional:
        names = [name for name, _ in processors]
        parameters = [dict(zip(names, values, strict=True)) for values in parameters]
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        cursor.executemany(sql, parameters)
    finally:
        cursor.close()
    return len(rows)


def _converter(processor: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """``processor``, remembering its answer for each distinct value (by type too: ``True`` and
    ``1`` are equal but not alike); an unhashable value (a JSON column's list) is processed each
    time, unless it is empty (a new row's list of attempts, say), which is processed once."""
    if processor is None:
        return None
    memo: dict[tuple[type, Any], Any] = {}

    def convert(value: Any) -> Any:
        key = (type(value), value)
        try:
            return memo[key]
        except KeyError:
            memo[key] = result = processor(value)
            return result
        except TypeError:
            if value:
                return processor(value)
            key = (type(value), None)
            if key not in memo:
                memo[key] = processor(value)
            return memo[key]

    return convert


def execute_one(connection: Connection, statement: ClauseElement, row: Mapping[str, Any]) -> None:
    """Run ``statement`` (a module-level constant: it is compiled once and kept) for one ``row``
    of Python values in ``connection``'s transaction, as ``connection.execute(statement, row)``
    would."""
    cursor = _executed(connection, statement, row)
    cursor.close()


def execute_counted(connection: Connection, statement: ClauseElement, row: Mapping[str, Any]) -> int:
    """``execute_one`` for an update or a delete: how many rows it changed."""
    cursor = _executed(connection, statement, row)
    try:
        return cursor.rowcount
    finally:
        cursor.close()


def fetch_one(connection: Connection, statement: ClauseElement, row: Mapping[str, Any]) -> tuple | None:
    """``execute_one`` for a query: its first row as the driver hands it (or None)."""
    cursor = _executed(connection, statement, row)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


def _executed(connection: Connection, statement: ClauseElement, row: Mapping[str, Any]) -> Any:
    sql, positional, processors = _prepared(statement, connection.dialect, tuple(row))
    values = [row[name] if process is None else process(row[name]) for name, process in processors]
    parameters: Any = values if positional else dict(zip((name for name, _ in processors), values, strict=True))
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        cursor.execute(sql, parameters)
    except BaseException:
        cursor.close()
        raise
    return cursor


@functools.lru_cache(maxsize=256)
def _prepared(
    statement: ClauseElement, dialect: Dialect, keys: tuple[str, ...]
) -> tuple[str, bool, list[tuple[str, Callable[[Any], Any] | None]]]:
    """``statement`` compiled for ``dialect`` with parameters ``keys``: its SQL, whether its
    parameters are positional, and each parameter's name with its column type's bind processor."""
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=list(keys)))
    names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
    processors: list[tuple[str, Callable[[Any], Any] | None]] = [
        (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names
    ]
    return compiled.string, bool(compiled.positional), processors
