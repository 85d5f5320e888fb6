"""``bulk_insert``'s constant columns store what binding the same value in every row stores, on
SQLite (literals of the statement) and on PostgreSQL (appended to each COPY row); ``held_values``
answers the same whether it reads a small tenant whole or asks in IN lists; None binds as NULL."""

from __future__ import annotations

import sqlite3

import pytest

from emulator.core.bulk import bulk_insert, held_values
from emulator.core.db import Database, table_of
from emulator.providers.telcom import fake
from emulator.providers.telcom.models import Number

pytestmark = pytest.mark.each_backend

TABLE = table_of(Number)
# Values no generated row binds: text with quotes in it, and NULL.
EXTRA = {"caller_id_prefix": "O'Brien 'quoted'", "forward_sip_to": None}
# Columns the generated rows hold one value in: text and a bool.
SAME = {"context": "incoming", "callerid_passthrough": True}


@pytest.fixture
def database(database_url):
    database = Database(database_url)
    database.create_all([TABLE])
    yield database
    database.dispose()


def rows(first: int, count: int) -> list[tuple]:
    numbers = [f"0113496{n:04d}" for n in range(first, first + count)]
    return fake.fake_rows("unit", first, 1, numbers, [("Menu", 1)])


def stored(database: Database, tenant: str) -> list[tuple]:
    names = ", ".join(column.name for column in TABLE.c if column.name not in ("row_id", "tenant"))
    with database.session() as session:
        found = session.connection().exec_driver_sql(
            f"SELECT {names} FROM telcom_number WHERE tenant = '{tenant}' ORDER BY number_id"
        )
        return [tuple(row) for row in found]


def test_constant_columns_store_what_bound_values_store(database):
    batch = rows(1, 40)
    kept = [i for i, name in enumerate(fake.COLUMNS) if name not in ("tenant", *SAME)]
    assert {row[fake.COLUMNS.index(name)] for row in batch for name in SAME} == set(SAME.values())
    with database.session() as session:
        bulk_insert(session, "telcom_number", (*fake.COLUMNS, *EXTRA), [(*row, *EXTRA.values()) for row in batch])
        constants = {"tenant": "other", **SAME, **EXTRA}
        split = [tuple(row[i] for i in kept) for row in batch]
        assert bulk_insert(session, "telcom_number", [fake.COLUMNS[i] for i in kept], split, constants) == 40
        session.commit()
    assert stored(database, "other") == stored(database, "unit")
    with database.session() as session:
        found = session.connection().exec_driver_sql(
            "SELECT DISTINCT caller_id_prefix, forward_sip_to FROM telcom_number WHERE tenant = 'other'"
        )
        assert list(found) == [("O'Brien 'quoted'", None)]


@pytest.mark.parametrize("count", [3, 1_200])
def test_held_values_read_whole_or_in_lists_agree(database, count):
    with database.session() as session:
        bulk_insert(session, "telcom_number", fake.COLUMNS, rows(1, count))
        session.commit()
    # Four IN lists (fewer rows held than that, or more); one number held is not asked about.
    asked = [f"0113496{n:04d}" for n in range(0, 2_000) if n != 3]
    held = {f"0113496{n:04d}" for n in range(1, count + 1) if n != 3}
    with database.session() as session:
        assert held_values(session, "telcom_number", "number", "unit", asked) == held
        assert held_values(session, "telcom_number", "number", "elsewhere", asked) == set()
        assert held_values(session, "telcom_number", "number", "unit", asked, "number_id = 2") == {"01134960002"}


@pytest.mark.only_backend("sqlite")
def test_none_binds_as_null_through_the_adapters_table(database):
    assert sqlite3.adapters[(type(None), sqlite3.PrepareProtocol)](None) is None
    with database.session() as session:
        driver = session.connection().connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        assert driver.execute("SELECT typeof(?)", (None,)).fetchone() == ("null",)
