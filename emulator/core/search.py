"""Substring search that does not scan the table: ``column LIKE '%term%'`` answered from a trigram
index, with the same rows as the plain LIKE.

A table opts in by naming the column in its ``info`` (``__table_args__ = (..., {"info":
{SUBSTRING_SEARCH: "number_e164"}})``); ``Database.create_all`` then builds the index beside it,
and again at start for a database made before (idempotent):

- SQLite: an external-content FTS5 table with the ``trigram`` tokenizer, ``<table>_search``, kept
  in step by triggers, so every write path (bulk inserts, snapshot restores, resets) keeps it.
- PostgreSQL: a pg_trgm GIN index on the column, which the planner uses for the LIKE itself; without
  the extension (not installable by this role) the LIKE runs as before.

A term shorter than three characters has no trigram: it is a plain LIKE everywhere. The LIKE stays
in the query in every case, so the index only narrows the rows the LIKE is asked about."""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Iterator
from typing import Any, TypeVar

from sqlalchemy import Column, Join, Table, column, table, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import SQLModel

SUBSTRING_SEARCH = "substring_search"
"""Key of a table's ``info``: the name of the column searched by substring."""

TRIGRAM = 3
FTS5_HASH_SIZE = 1_048_576
"""FTS5's own default for the terms it holds in memory before writing them to the index."""
BULK_HASH_SIZE = 64 * FTS5_HASH_SIZE

S = TypeVar("S", bound=Select[Any])


@functools.cache
def sqlite_has_trigram() -> bool:
    """Whether this process's SQLite has FTS5 with the trigram tokenizer (3.34 and later)."""
    try:
        with sqlite3.connect(":memory:") as connection:
            connection.execute("CREATE VIRTUAL TABLE probe USING fts5(text, tokenize='trigram')")
    except sqlite3.Error:
        return False
    return True


def searched_column(source: Table) -> str | None:
    return source.info.get(SUBSTRING_SEARCH)


def index_name(source: Table) -> str:
    return f"{source.name}_search"


def ensure_indexes(connection: Connection, tables: list[Table]) -> None:
    """Create the search index of each of ``tables`` that has one and lacks it (filled from the
    rows already there), in the connection's transaction."""
    for source in tables:
        name = searched_column(source)
        if name is None:
            continue
        if connection.dialect.name == "sqlite":
            _ensure_fts(connection, source, name)
        elif connection.dialect.name == "postgresql":
            _ensure_trigram_index(connection, source, name)


def _ensure_fts(connection: Connection, source: Table, name: str) -> None:
    if not sqlite_has_trigram():
        return
    fts, key = index_name(source), _rowid(source)
    # The external-content protocol: the index is told the old value of a row it forgets.
    forget = f"INSERT INTO {fts}({fts}, rowid, {name}) VALUES('delete', old.{key}, old.{name});"
    learn = f"INSERT INTO {fts}(rowid, {name}) VALUES (new.{key}, new.{name});"
    triggers = {
        f"{fts}_insert": f"AFTER INSERT ON {source.name} BEGIN {learn} END",
        f"{fts}_delete": f"AFTER DELETE ON {source.name} BEGIN {forget} END",
        f"{fts}_update": f"AFTER UPDATE OF {key}, {name} ON {source.name} BEGIN {forget} {learn} END",
    }
    wanted = [fts, *triggers]
    listed = ", ".join(f"'{object_name}'" for object_name in wanted)
    present = {row[0] for row in connection.exec_driver_sql(f"SELECT name FROM sqlite_master WHERE name IN ({listed})")}
    if present == set(wanted):
        return  # the usual start: nothing to write
    if fts not in present:
        # columnsize=0: no row sizes kept (only ranking reads them; a match does not), so an
        # indexed row writes its trigrams and nothing else.
        connection.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({name}, content='{source.name}', content_rowid='{key}', "
            "tokenize='trigram', columnsize=0)"
        )
    for trigger, definition in triggers.items():
        if trigger not in present:
            connection.exec_driver_sql(f"CREATE TRIGGER {trigger} {definition}")
    # Rows written while the index or one of its triggers was missing: index them all afresh.
    connection.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES('rebuild')")


@contextlib.contextmanager
def bulk_loading(cursor: sqlite3.Cursor, table_name: str) -> Iterator[None]:
    """Around a bulk insert into ``table_name`` on SQLite, in the insert's transaction: the rows
    are indexed by one statement after it rather than by the insert trigger one at a time (a
    third of a million-row load's time). The caller's transaction holds SQLite's one write lock
    already (``BEGIN IMMEDIATE``), so nothing else writes the table meanwhile and the trigger
    comes back with the rows if they are rolled back."""
    source = SQLModel.metadata.tables.get(table_name)
    name = None if source is None else searched_column(source)
    trigger = f"{table_name}_search_insert"
    exists = cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (trigger,))
    definition = exists.fetchone() if name is not None else None
    if source is None or name is None or definition is None:
        yield
        return
    fts, key = index_name(source), _rowid(source)
    (before,) = cursor.execute(f"SELECT coalesce(max({key}), 0) FROM {table_name}").fetchone()
    cursor.execute(f"DROP TRIGGER {trigger}")
    yield
    # FTS5 writes out its in-memory terms each time they reach the hash size (1 MiB by default)
    # and merges what it wrote: a million numbers' worth in one go is indexed in half the time
    # with room for more of them. The setting is stored in the index, so it is set back after.
    configure = f"INSERT INTO {fts}({fts}, rank) VALUES ('hashsize', ?)"
    cursor.execute(configure, (BULK_HASH_SIZE,))
    cursor.execute(
        f"INSERT INTO {fts}(rowid, {name}) SELECT {key}, {name} FROM {table_name} WHERE {key} > ?", (before,)
    )
    cursor.execute(configure, (FTS5_HASH_SIZE,))
    (after,) = cursor.execute(f"SELECT coalesce(max({key}), 0) FROM {table_name}").fetchone()
    if after - before >= before:
        # A load that at least doubles the table leaves its index in many segments, each probed for
        # every trigram of a search: merged into one, a selective search at a million rows costs a
        # third less (a load into a bigger table skips it).
        cursor.execute(f"INSERT INTO {fts}({fts}) VALUES('optimize')")
    cursor.execute(definition[0])


def _ensure_trigram_index(connection: Connection, source: Table, name: str) -> None:
    savepoint = connection.begin_nested()
    try:
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # The extension lives in one schema of the database, maybe not on this search_path.
        schema = connection.exec_driver_sql(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'"
        ).scalar_one()
        connection.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS ix_{source.name}_{name}_trgm ON {source.name} "
            f'USING gin ({name} "{schema}".gin_trgm_ops)'
        )
    except DBAPIError:  # not installed on the server, or this role may not create it: LIKE as before
        savepoint.rollback()
        return
    savepoint.commit()


def _rowid(source: Table) -> str:
    (key,) = source.primary_key.columns
    return key.name


def containing(statement: S, source: Table, term: str, dialect: str) -> S:
    """``statement`` (a query of ``source``) narrowed to rows whose searched column contains
    ``term``, as ``LIKE '%term%'`` would (the term is taken as it is, ``%`` and ``_`` included, as
    the plain LIKE took it)."""
    name = searched_column(source)
    assert name is not None, f"{source.name} has no {SUBSTRING_SEARCH} column"
    searched: Column[Any] = source.c[name]
    statement = statement.where(searched.like(f"%{term}%"))
    # LIKE's wildcards are text to FTS5: a term with one is left to the plain LIKE.
    literal = "%" not in term and "_" not in term
    if dialect != "sqlite" or len(term) < TRIGRAM or not literal or not sqlite_has_trigram():
        return statement  # PostgreSQL's planner picks the trigram index for the LIKE by itself
    fts = table(index_name(source), column("rowid"))
    matching = text(f"{fts.name} MATCH :search_phrase").bindparams(search_phrase=_phrase(term))
    return statement.select_from(_Leading(fts, source, source.c[_rowid(source)] == fts.c.rowid)).where(matching)


class _Leading(Join):
    """A join SQLite runs in the order written: from the trigram index's row ids to the rows. Left
    to choose, it would walk the table's own index (tenant, status, order) through all the
    tenant's rows and test each against the match."""

    inherit_cache = True


@compiles(_Leading, "sqlite")
def _cross_join(join: _Leading, compiler: SQLCompiler, **kw: Any) -> str:
    kw.pop("asfrom", None)
    left = join.left._compiler_dispatch(compiler, asfrom=True, **kw)
    right = join.right._compiler_dispatch(compiler, asfrom=True, **kw)
    assert join.onclause is not None
    return f"{left} CROSS JOIN {right} ON {join.onclause._compiler_dispatch(compiler, **kw)}"


def _phrase(term: str) -> str:
    """An FTS5 phrase of ``term``: a trigram phrase matches where the text contains the term (in any
    case, so at least the rows SQLite's LIKE, blind to ASCII case, matches)."""
    return '"' + term.replace('"', '""') + '"'
