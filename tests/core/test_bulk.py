"""``execute_many`` writes what SQLAlchemy's own ``connection.execute(statement, rows)`` writes, on
SQLite and on PostgreSQL: every column type (instants, JSON, bytes, nulls), shared and distinct
values, inserts and updates naming their parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, insert, update

from emulator.core.bulk import execute_many
from emulator.core.callbacks import CallbackDelivery, delivery_row
from emulator.core.db import Database, table_of

pytestmark = pytest.mark.each_backend

OUTBOX = table_of(CallbackDelivery)
AT = datetime(2024, 3, 1, 9, 0, 0, 250000, tzinfo=UTC)


def rows(tenant: str) -> list[dict]:
    made = []
    for index in range(7):
        # Shared instants (one in another zone, the same instant), distinct payloads and events.
        at = AT + timedelta(seconds=index // 3)
        if index == 4:
            at = at.astimezone(timezone(timedelta(hours=2)))
        row = delivery_row(
            provider="cm",
            tenant=tenant,
            event=f"event-{index}",
            url="http://127.0.0.1:9/callbacks",
            payload=bytes([index]) * (index + 1),
            content_type="application/json",
            now=at,
        )
        # Empty values of one JSON column, of two kinds: each is written as itself.
        empty: list | dict = {} if index == 5 else []
        row["attempts"] = empty if index % 2 else [{"attempt": index, "ok": index == 1, "at": None}]
        row["attempt_count"] = index
        made.append(row)
    return made


def stored(database: Database, tenant: str) -> list[dict]:
    """The rows as the database holds them (read past SQLAlchemy's types: on SQLite, the text)."""
    names = [column.name for column in OUTBOX.c if column.name not in ("id", "tenant")]
    with database.session() as session:
        result = session.connection().exec_driver_sql(
            f"SELECT {', '.join(names)} FROM emulator_callback WHERE tenant = '{tenant}' ORDER BY id"
        )
        return [dict(zip(names, row, strict=True)) for row in result]


@pytest.fixture
def database(database_url):
    database = Database(database_url)
    database.create_all([OUTBOX])
    yield database
    database.dispose()


def test_an_insert_writes_what_sqlalchemy_writes(database):
    with database.session() as session:
        session.connection().execute(insert(OUTBOX), rows("by-sqlalchemy"))
        assert execute_many(session, insert(OUTBOX), rows("by-execute-many")) == 7
        session.commit()
    expected = stored(database, "by-sqlalchemy")
    assert len(expected) == 7 and stored(database, "by-execute-many") == expected
    assert expected[4]["created_at"] == expected[3]["created_at"]  # one instant, however it was written


def test_an_update_naming_its_parameters_writes_what_sqlalchemy_writes(database):
    with database.session() as session:
        for tenant in ("by-sqlalchemy", "by-execute-many"):
            session.connection().execute(insert(OUTBOX), rows(tenant))
        session.commit()
    statement = update(OUTBOX).where(OUTBOX.c.tenant == bindparam("scope"), OUTBOX.c.event == bindparam("which"))
    with database.session() as session:

        def changes(tenant: str) -> list[dict]:
            return [
                {
                    "scope": tenant,
                    "which": f"event-{index}",
                    "status": "delivered",
                    "delivered_at": AT + timedelta(minutes=index % 2),
                    "attempts": [{"attempt": index}],
                    "lease_owner": None,
                }
                for index in (1, 2, 5)
            ]

        session.connection().execute(statement, changes("by-sqlalchemy"))
        assert execute_many(session, statement, changes("by-execute-many")) == 3
        assert execute_many(session, statement, []) == 0
        session.commit()
    expected = stored(database, "by-sqlalchemy")
    assert [row["status"] for row in expected] == [
        "pending",
        "delivered",
        "delivered",
        "pending",
        "pending",
        "delivered",
        "pending",
    ]
    assert stored(database, "by-execute-many") == expected
