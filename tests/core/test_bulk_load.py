"""``bulk_insert`` on SQLite: a load that at least doubles a table sets its indexes aside and makes
them again from the metadata in the same transaction; a unique index made again still refuses a
duplicate; a rollback brings back the indexes as they were; a small load into a large table keeps
them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from emulator.core.bulk import bulk_insert
from emulator.core.db import Database, table_of
from emulator.providers.telcom import fake
from emulator.providers.telcom.models import Number

TABLE = table_of(Number)
DECLARED = {index.name for index in TABLE.indexes}


@pytest.fixture
def database(tmp_path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'bulk.sqlite3'}")
    database.create_all([TABLE])
    yield database
    database.dispose()


def rows(tenant: str, first: int, count: int) -> list[tuple]:
    numbers = [f"0113496{n:04d}" for n in range(first, first + count)]
    return fake.fake_rows(tenant, first, 1, numbers, [("Menu", 1)])


def indexes(database: Database) -> dict[str, str]:
    with database.session() as session:
        found = session.connection().exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'telcom_number'"
        )
        return {name: sql for name, sql in found if sql is not None}


def load(database: Database, batch: list[tuple], statements: list[str] | None = None, commit: bool = True) -> None:
    with database.session() as session:
        driver = session.connection().connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        if statements is not None:
            driver.set_trace_callback(statements.append)
        try:
            assert bulk_insert(session, "telcom_number", fake.COLUMNS, batch) == len(batch)
            if commit:
                session.commit()
        finally:
            driver.set_trace_callback(None)


def test_a_load_that_doubles_the_table_has_every_index_again(database):
    made = indexes(database)
    assert set(made) == DECLARED
    statements: list[str] = []
    load(database, rows("unit", 1, 500), statements)
    assert sorted(s for s in statements if s.startswith("DROP INDEX")) == sorted(f"DROP INDEX {n}" for n in DECLARED)
    assert indexes(database) == made
    with database.session() as session:
        plan = session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT row_id FROM telcom_number WHERE tenant = 'unit' AND number = '01134960007'"
        )
        assert "ix_telcom_number_number" in " ".join(str(step[-1]) for step in plan)


def test_a_small_load_into_a_large_table_keeps_its_indexes(database):
    load(database, rows("unit", 1, 500))
    statements: list[str] = []
    load(database, rows("unit", 501, 20), statements)
    assert not [s for s in statements if s.startswith(("DROP INDEX", "CREATE INDEX", "CREATE UNIQUE INDEX"))]
    assert set(indexes(database)) == DECLARED


def test_a_unique_index_made_again_refuses_a_duplicate(database):
    batch = rows("unit", 1, 300)
    duplicate = list(batch[-1])
    duplicate[fake.COLUMNS.index("number_id")] = 301
    duplicate[fake.COLUMNS.index("number")] = batch[0][fake.COLUMNS.index("number")]
    with pytest.raises(sqlite3.IntegrityError):  # raised by the DB-API, as a duplicate row always was
        load(database, [*batch, tuple(duplicate)])
    assert set(indexes(database)) == DECLARED
    with database.session() as session:
        assert session.connection().exec_driver_sql("SELECT count(*) FROM telcom_number").scalar_one() == 0


def test_a_rolled_back_load_leaves_the_indexes_as_they_were(database):
    made = indexes(database)
    load(database, rows("unit", 1, 300), commit=False)
    assert indexes(database) == made
    with database.session() as session:
        assert session.connection().exec_driver_sql("SELECT count(*) FROM telcom_number").scalar_one() == 0
