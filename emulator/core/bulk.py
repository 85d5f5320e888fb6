"""Bulk inserts for generated volume: rows go straight through the DB-API, in the session's
transaction: ``executemany`` on SQLite, ``COPY`` on PostgreSQL. Values must already be what the
column stores (ISO text for dates on SQLite, for instance)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

BULK_CACHE_KIB = 262_144
"""SQLite's page cache for a connection that has bulk-inserted (at most; it grows as used)."""


def bulk_insert(session: Session, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert ``rows`` (values in the order of ``columns``) into ``table``; returns how many."""
    if not rows:
        return 0
    connection = session.connection()
    driver = connection.connection.driver_connection
    assert driver is not None
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor = driver.cursor()
        try:
            # Unique indexes on random keys (UUIDs) touch pages all over the file: with SQLite's
            # default 2 MiB page cache a million rows would wait on the disk for most of them.
            cursor.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})", rows)
        finally:
            cursor.close()
    return len(rows)
