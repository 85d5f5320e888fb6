"""The search of ``GET /api/numbers`` answered from the trigram index (FTS5 on SQLite, pg_trgm on
PostgreSQL) returns what the plain ``LIKE '%term%'`` returns: the same rows, order, pages and
totals; and the index stays in step with the numbers through every write path."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import col, select

from emulator.core.db import table_of
from emulator.core.search import FTS5_HASH_SIZE, containing, index_name
from emulator.providers.cloudlx import service
from emulator.providers.cloudlx.models import RESERVED, Number
from tests.cloudlx.helpers import BASE, auth, generate

pytestmark = pytest.mark.each_backend

TENANT = "tenant-1"
NUMBERS = table_of(Number)

# Short terms (no trigram), common and rare digit runs, a whole number, digits no number has.
TERMS = ["1", "44", "123", "1245", "441245", "1245123456", "441245123456", "9999999999", "000000000000"]


def _reference(session, tenant: str, term: str) -> list[str]:
    """The uuids a plain LIKE (no index) finds, in the listing's order."""
    rows = session.exec(
        select(Number.uuid)
        .where(Number.tenant == tenant, Number.status == RESERVED, col(Number.number_e164).like(f"%{term}%"))
        .order_by(col(Number.number_e164), col(Number.id))
    )
    return list(rows)


def _searched(session, tenant: str, term: str, per_page: int, page: int) -> service.Page:
    return service.list_numbers(session, tenant, RESERVED, service.Listing(term, per_page, page))


def _agrees(client, tenant: str, term: str, per_page: int = 7) -> None:
    """Every page of the search is the matching slice of the plain LIKE's rows, with its total."""
    with client.app.state.runtime.db.session() as session:
        expected = _reference(session, tenant, term)
        for page in range(1, len(expected) // per_page + 3):
            got = _searched(session, tenant, term, per_page, page)
            assert [n.uuid for n in got.numbers] == expected[(page - 1) * per_page : page * per_page], (term, page)
            assert (got.total, got.paginates) == (len(expected), len(expected) > per_page), (term, page)


def _index_holds_the_table(client, terms=("+44", "123", "789", "000")) -> None:
    """On SQLite the FTS table's own answer, without the table's rows to filter it, names exactly the
    rows that contain each term: no row missing, none forgotten after its deletion."""
    runtime = client.app.state.runtime
    if runtime.db.engine.dialect.name != "sqlite":
        return
    with runtime.db.session() as session:
        for term in terms:
            indexed = session.execute(
                text(f"SELECT rowid FROM {index_name(NUMBERS)} WHERE {index_name(NUMBERS)} MATCH :t ORDER BY rowid"),
                {"t": f'"{term}"'},
            ).scalars()
            rows = session.exec(
                select(Number.id).where(col(Number.number_e164).like(f"%{term}%")).order_by(col(Number.id))
            )
            assert list(indexed) == list(rows), term


@pytest.fixture
def filled(client):
    generate(client, TENANT, 400, seed=3)
    generate(client, "tenant-2", 50, seed=4)  # another tenant's numbers match too, and must not show
    return client


@pytest.mark.parametrize("term", TERMS)
def test_search_pages_equal_a_plain_like(filled, term):
    _agrees(filled, TENANT, term)


def test_search_of_a_number_s_own_digits_finds_it(filled):
    with filled.app.state.runtime.db.session() as session:
        numbers = list(session.exec(select(Number.number_e164).where(Number.tenant == TENANT).limit(5)))
    for e164 in numbers:
        for term in (e164[1:], e164[-6:], e164[3:8]):
            _agrees(filled, TENANT, term, per_page=3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(term=st.text(alphabet="0123456789", min_size=1, max_size=6), per_page=st.integers(1, 60))
def test_any_digits_equal_a_plain_like(filled, term, per_page):
    _agrees(filled, TENANT, term, per_page)


def test_wildcards_and_letters_are_the_like_s(filled):
    """The core helper takes a term as LIKE takes it (``%`` and ``_`` are wildcards, ASCII letters
    in any case), for a caller that lets such terms through (the wire accepts only digits)."""
    with filled.app.state.runtime.db.session() as session:
        dialect = session.get_bind().dialect.name
        for term in ("4_12", "44%5", "+44", "_", "%"):
            got = session.exec(
                containing(select(Number.uuid).where(Number.tenant == TENANT), NUMBERS, term, dialect).order_by(
                    col(Number.number_e164), col(Number.id)
                )
            )
            reference = session.exec(
                select(Number.uuid)
                .where(Number.tenant == TENANT, col(Number.number_e164).like(f"%{term}%"))
                .order_by(col(Number.number_e164), col(Number.id))
            )
            assert list(got) == list(reference), term


def _all_pages(client, headers, **params) -> tuple[list[dict], set[int]]:
    items: list[dict] = []
    totals = set()
    for page in range(1, 5):
        body = client.get(f"{BASE}/numbers", params={**params, "max_per_page": 200, "page": page}, headers=headers)
        items += body.json()["numbers"]
        totals.add(body.json()["num_results"])
    return items, totals


def test_the_wire_answers_as_before(filled):
    """Over HTTP a search is the unfiltered listing's items (as rendered) that contain the digits."""
    headers = auth(filled, TENANT)
    everything, _ = _all_pages(filled, headers)
    assert len(everything) > 400
    for term in ("44", "1245", "123", "000000000000"):
        items, totals = _all_pages(filled, headers, search=term)
        expected = [item for item in everything if term in item["number_e164"]]
        assert items == expected
        assert totals == {len(expected)}
    # Digits only: a '+' (or anything else) is refused as before, not searched.
    assert filled.get(f"{BASE}/numbers", params={"search": "+44"}, headers=headers).status_code == 422


def test_index_follows_reserve_cancel_reset_and_restore(filled):
    _index_holds_the_table(filled)
    headers = auth(filled, TENANT)
    available = filled.get(f"{BASE}/available_numbers", params={"max_per_page": 3}, headers=auth(filled, "t3")).json()
    uuid = available["available_numbers"][0]["uuid"]
    e164 = available["available_numbers"][0]["number_e164"]
    assert filled.put(f"{BASE}/number/{uuid}/reserve", headers=auth(filled, "t3")).status_code == 200
    found = filled.get(f"{BASE}/numbers", params={"search": e164[1:]}, headers=auth(filled, "t3")).json()
    assert [n["uuid"] for n in found["numbers"]] == [uuid]
    assert filled.delete(f"{BASE}/number/{uuid}", headers=auth(filled, "t3")).status_code == 200
    found = filled.get(f"{BASE}/numbers", params={"search": e164[1:]}, headers=auth(filled, "t3")).json()
    assert found["num_results"] == 0
    _agrees(filled, TENANT, "123")

    saved = filled.get("/_emulator/state").json()
    assert filled.post("/_emulator/reset", params={"tenant": TENANT}).status_code == 200
    _index_holds_the_table(filled)
    generate(filled, TENANT, 120, seed=9)  # new rows may take the ids the reset freed
    _index_holds_the_table(filled)
    _agrees(filled, TENANT, "123")
    assert filled.put("/_emulator/state", json=saved).status_code == 200
    _index_holds_the_table(filled)
    _agrees(filled, TENANT, "123")
    _agrees(filled, TENANT, "1245")
    assert filled.get(f"{BASE}/numbers", params={"search": "123"}, headers=headers).status_code == 200


def test_a_database_made_before_the_index_gets_it_at_start(filled):
    """An older database (numbers, no index) is indexed when the emulator starts on it, once."""
    runtime = filled.app.state.runtime
    with runtime.db.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(f"DROP TABLE {index_name(NUMBERS)}")
            for event in ("insert", "delete", "update"):
                connection.exec_driver_sql(f"DROP TRIGGER {index_name(NUMBERS)}_{event}")
        else:
            connection.exec_driver_sql("DROP INDEX ix_cloudlx_number_number_e164_trgm")
    runtime.db.create_all()
    runtime.db.create_all()  # idempotent
    _index_holds_the_table(filled)
    generate(filled, TENANT, 30, seed=11)
    _index_holds_the_table(filled)
    _agrees(filled, TENANT, "123")


@pytest.mark.only_backend("postgresql")
def test_postgresql_has_the_trigram_index_and_it_serves_the_like(filled):
    runtime = filled.app.state.runtime
    assert runtime.db.engine.dialect.name == "postgresql"
    with runtime.db.session() as session:
        # In a transaction rolled back: without the btree indexes and sequential scans (which the
        # planner prefers on a table this small), what is left to answer the LIKE is the trigram index.
        session.execute(text("SET LOCAL enable_seqscan = off"))
        session.execute(text("DROP INDEX ix_cloudlx_number_listing, ix_cloudlx_number_pool, ix_cloudlx_number_tenant"))
        plan = "\n".join(
            session.execute(
                text("EXPLAIN SELECT count(*) FROM cloudlx_number WHERE number_e164 LIKE :pattern"),
                {"pattern": "%1245%"},
            ).scalars()
        )
        session.rollback()
    assert "Bitmap Index Scan on ix_cloudlx_number_number_e164_trgm" in plan, plan


@pytest.mark.only_backend("sqlite")
def test_rows_written_while_a_trigger_was_missing_are_indexed_at_start(filled):
    runtime = filled.app.state.runtime
    assert runtime.db.engine.dialect.name == "sqlite"
    with runtime.db.engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TRIGGER {index_name(NUMBERS)}_insert")
    generate(filled, TENANT, 30, seed=12)
    runtime.db.create_all()
    _index_holds_the_table(filled)
    _agrees(filled, TENANT, "123")


@pytest.mark.only_backend("sqlite")
def test_a_bulk_load_waits_for_a_write_under_way_elsewhere(filled):
    """A bulk load that starts while another connection holds the write lock waits for it and
    then loads: a transaction that took its snapshot before that commit could not write after it
    (SQLite fails such an upgrade at once, without waiting)."""
    runtime = filled.app.state.runtime
    other = runtime.db.engine.raw_connection()
    try:
        cursor = other.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("UPDATE cloudlx_number SET status = status WHERE id = 1")
        threading.Timer(0.3, other.commit).start()
        assert generate(filled, TENANT, 20, seed=21) == 20
    finally:
        other.close()
    _index_holds_the_table(filled)


@pytest.mark.only_backend("sqlite")
def test_a_load_that_doubles_the_table_leaves_the_index_in_one_segment(client):
    """Each load adds a segment to the FTS index, and a search probes every segment for each of
    its trigrams: a load that at least doubles the table merges them; a smaller one does not."""
    runtime = client.app.state.runtime

    def segments() -> int:
        with runtime.db.engine.connect() as connection:
            return connection.exec_driver_sql(
                f"SELECT count(DISTINCT segid) FROM {index_name(NUMBERS)}_idx"
            ).scalar_one()

    generate(client, TENANT, 100, seed=31)
    generate(client, TENANT, 20, seed=32)
    assert segments() > 1
    generate(client, TENANT, 300, seed=33)
    assert segments() == 1
    _index_holds_the_table(client)
    _agrees(client, TENANT, "123")


@pytest.mark.only_backend("sqlite")
def test_a_bulk_load_leaves_the_index_as_a_small_write_finds_it(filled):
    """A bulk load indexes with a larger in-memory hash and sets FTS5's own back after it; the index
    keeps no row sizes (only ranking reads them), and holds every row loaded."""
    runtime = filled.app.state.runtime
    fts = index_name(NUMBERS)
    with runtime.db.session() as session:
        tables = set(session.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars())
        configured = {k: v for k, v in session.execute(text(f"SELECT k, v FROM {fts}_config"))}
    assert f"{fts}_data" in tables and f"{fts}_docsize" not in tables
    assert configured.get("hashsize", FTS5_HASH_SIZE) == FTS5_HASH_SIZE
    _index_holds_the_table(filled)
