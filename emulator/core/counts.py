"""Exact totals of a list without counting its rows: the number of rows per group of a table's
columns (a tenant, a status, ...), kept in a table of their own by the transactions that change
the rows, so a plain list's total is one indexed read of a few rows however many the tenant holds.

A table opts in by naming the columns in its ``info`` (``{ROW_COUNTS: ("tenant", "status")}``,
columns that are never null); ``Database.create_all`` then makes ``<table>_count`` (the columns
and ``n``, keyed by the columns) and what keeps it, and at start fills it afresh from the rows of
a database made before:

- SQLite: row triggers (an insert adds one, a delete takes one, an update of a counted column
  moves one), so every write path (requests, the clock's jobs, resets, snapshot restores,
  another process on the same file) keeps it; a bulk load sets the insert trigger aside and adds
  its rows' counts in one statement (``bulk_counting``).
- PostgreSQL: statement triggers over the transition tables (one grouped change per statement:
  a COPY of a million rows adds its counts once).

The counts change in the same transaction as the rows: a rollback takes both back."""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import TextClause
from sqlmodel import SQLModel

ROW_COUNTS = "row_counts"
"""Key of a table's ``info``: the columns its rows are counted by."""

_EVENTS = ("insert", "delete", "update")


def counted_columns(source: Table) -> tuple[str, ...]:
    return tuple(source.info.get(ROW_COUNTS, ()))


def count_table(source: Table) -> str:
    return f"{source.name}_count"


def total_sql(source: Table, keys: Sequence[str]) -> str:
    """A query of the rows of ``source`` whose ``keys`` columns equal the parameters of the same
    names (``:tenant``...): the sum of their groups' counts. ``keys`` need not be all the counted
    columns: a leading part of them reads the count table's key in order."""
    columns = counted_columns(source)
    assert set(keys) <= set(columns), f"{source.name} is not counted by {keys}"
    where = " AND ".join(f"{key} = :{key}" for key in keys) or "TRUE"
    return f"SELECT coalesce(sum(n), 0) FROM {count_table(source)} WHERE {where}"


@functools.lru_cache(maxsize=64)
def _total_statement(source: Table, keys: tuple[str, ...]) -> TextClause:
    return text(total_sql(source, keys))


def total(connection: Connection, source: Table, values: Mapping[str, Any]) -> int:
    """How many rows of ``source`` have these values in counted columns."""
    return int(connection.execute(_total_statement(source, tuple(values)), dict(values)).scalar_one())


def ensure_counts(connection: Connection, tables: list[Table]) -> None:
    """Make the count table of each of ``tables`` that is counted and what keeps it, where missing
    (then filled from the rows already there), in the connection's transaction."""
    for source in tables:
        columns = counted_columns(source)
        if not columns:
            continue
        if connection.dialect.name == "sqlite":
            _ensure_sqlite(connection, source, columns)
        elif connection.dialect.name == "postgresql":
            _ensure_postgresql(connection, source, columns)


def _create_table_sql(connection: Connection, source: Table, columns: tuple[str, ...]) -> str:
    typed = ", ".join(f"{name} {source.c[name].type.compile(connection.dialect)} NOT NULL" for name in columns)
    return (
        f"CREATE TABLE IF NOT EXISTS {count_table(source)} ({typed}, n BIGINT NOT NULL, "
        f"PRIMARY KEY ({', '.join(columns)}))"
    )


def _refill(connection: Connection, source: Table, columns: tuple[str, ...]) -> None:
    """The counts afresh from the rows: for rows written while something that keeps them was missing."""
    names = ", ".join(columns)
    counts = count_table(source)
    connection.exec_driver_sql(f"DELETE FROM {counts}")
    connection.exec_driver_sql(
        f"INSERT INTO {counts} ({names}, n) SELECT {names}, count(*) FROM {source.name} GROUP BY {names}"
    )


def _sqlite_triggers(source: Table, columns: tuple[str, ...]) -> dict[str, str]:
    counts = count_table(source)
    names = ", ".join(columns)
    add = (
        f"INSERT INTO {counts} ({names}, n) VALUES ({', '.join(f'new.{c}' for c in columns)}, 1) "
        f"ON CONFLICT ({names}) DO UPDATE SET n = n + 1;"
    )
    take = f"UPDATE {counts} SET n = n - 1 WHERE {' AND '.join(f'{c} = old.{c}' for c in columns)};"
    moved = " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns)
    return {
        f"{counts}_insert": f"AFTER INSERT ON {source.name} BEGIN {add} END",
        f"{counts}_delete": f"AFTER DELETE ON {source.name} BEGIN {take} END",
        f"{counts}_update": f"AFTER UPDATE OF {names} ON {source.name} WHEN {moved} BEGIN {take} {add} END",
    }


def _ensure_sqlite(connection: Connection, source: Table, columns: tuple[str, ...]) -> None:
    triggers = _sqlite_triggers(source, columns)
    wanted = [count_table(source), *triggers]
    listed = ", ".join(f"'{name}'" for name in wanted)
    present = {row[0] for row in connection.exec_driver_sql(f"SELECT name FROM sqlite_master WHERE name IN ({listed})")}
    if present == set(wanted):
        return  # the usual start: nothing to write
    connection.exec_driver_sql(_create_table_sql(connection, source, columns))
    for trigger, definition in triggers.items():
        if trigger not in present:
            connection.exec_driver_sql(f"CREATE TRIGGER {trigger} {definition}")
    _refill(connection, source, columns)


def _postgresql_functions(source: Table, columns: tuple[str, ...]) -> dict[str, str]:
    """Per event, the body of a statement trigger: the statement's rows grouped, each group's change
    applied (in key order, so that two transactions lock the same count rows in the same order)."""
    counts = count_table(source)
    names = ", ".join(columns)
    signed = {
        "insert": "SELECT {names}, 1 AS d FROM new_rows",
        "delete": "SELECT {names}, -1 AS d FROM old_rows",
        "update": "SELECT {names}, -1 AS d FROM old_rows UNION ALL SELECT {names}, 1 FROM new_rows",
    }
    bodies = {}
    for event, rows in signed.items():
        bodies[event] = (
            f"INSERT INTO {counts} AS c ({names}, n) SELECT {names}, sum(d) FROM ({rows.format(names=names)}) AS r "
            f"GROUP BY {names} HAVING sum(d) <> 0 ORDER BY {names} "
            f"ON CONFLICT ({names}) DO UPDATE SET n = c.n + excluded.n; RETURN NULL;"
        )
    return bodies


def _ensure_postgresql(connection: Connection, source: Table, columns: tuple[str, ...]) -> None:
    counts = count_table(source)
    triggers = [f"{counts}_{event}" for event in _EVENTS]
    listed = ", ".join(f"'{name}'" for name in triggers)
    present = {
        row[0]
        for row in connection.exec_driver_sql(
            f"SELECT tgname FROM pg_trigger WHERE tgrelid = '{source.name}'::regclass AND tgname IN ({listed})"
        )
    }
    exists = connection.exec_driver_sql(f"SELECT to_regclass('{counts}') IS NOT NULL").scalar_one()
    if exists and present == set(triggers):
        return
    connection.exec_driver_sql(_create_table_sql(connection, source, columns))
    transitions = {
        "insert": "REFERENCING NEW TABLE AS new_rows",
        "delete": "REFERENCING OLD TABLE AS old_rows",
        "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    for event, body in _postgresql_functions(source, columns).items():
        trigger = f"{counts}_{event}"
        connection.exec_driver_sql(
            f"CREATE OR REPLACE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END $$"
        )
        if trigger not in present:
            connection.exec_driver_sql(
                f"CREATE TRIGGER {trigger} AFTER {event.upper()} ON {source.name} {transitions[event]} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {trigger}()"
            )
    _refill(connection, source, columns)


@contextlib.contextmanager
def bulk_counting(cursor: sqlite3.Cursor, table_name: str) -> Iterator[None]:
    """Around a bulk insert into ``table_name`` on SQLite, in the insert's transaction (which holds
    the write lock, as ``search.bulk_loading`` explains): the loaded rows are counted by one
    grouped statement after it rather than by the insert trigger one row at a time."""
    source = SQLModel.metadata.tables.get(table_name)
    columns = () if source is None else counted_columns(source)
    trigger = f"{table_name}_count_insert"
    exists = cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (trigger,))
    definition = exists.fetchone() if columns else None
    if source is None or definition is None:
        yield
        return
    (key,) = source.primary_key.columns
    (before,) = cursor.execute(f"SELECT coalesce(max({key.name}), 0) FROM {table_name}").fetchone()
    cursor.execute(f"DROP TRIGGER {trigger}")
    yield
    names = ", ".join(columns)
    cursor.execute(
        f"INSERT INTO {count_table(source)} ({names}, n) SELECT {names}, count(*) FROM {table_name} "
        f"WHERE {key.name} > ? GROUP BY {names} ON CONFLICT ({names}) DO UPDATE SET n = n + excluded.n",
        (before,),
    )
    cursor.execute(definition[0])
