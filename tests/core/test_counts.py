"""The row counts the unfiltered lists read their totals from (CloudLX's numbers, CM's number
requests) stay exact through every kind of change: fixture seeding, bulk generation, requests
that reserve, cancel and order, the clock's transitions, tenant reset, snapshot restore, another
process's write to the same store, and a database made before the counts existed."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import Table, text

from emulator.core.counts import count_table, counted_columns
from emulator.core.db import table_of
from emulator.providers.cloudlx import service
from emulator.providers.cloudlx.models import RESERVED, Number
from emulator.providers.cm.models import NumberRequest
from tests.cloudlx.helpers import BASE, auth, generate
from tests.cm.conftest import AUTH, REQUESTS, create
from tests.cm.conftest import advance as advance_cm

pytestmark = pytest.mark.each_backend

TENANT = "tenant-1"
COUNTED: list[Table] = [table_of(Number), table_of(NumberRequest)]


def _exact(client) -> None:
    """Every kept count is the number of rows of its group, and every group of rows has its count."""
    with client.app.state.runtime.db.engine.connect() as connection:
        for source in COUNTED:
            names = ", ".join(counted_columns(source))
            held = connection.exec_driver_sql(f"SELECT {names}, count(*) FROM {source.name} GROUP BY {names}")
            kept = connection.exec_driver_sql(f"SELECT {names}, n FROM {count_table(source)} WHERE n <> 0")
            assert sorted(map(tuple, kept)) == sorted(map(tuple, held)), source.name


def _cloudlx_total(client, headers) -> int:
    """The plain list's num_results on a full first page (so the total is not the page's length)."""
    body = client.get(f"{BASE}/numbers", params={"max_per_page": 1}, headers=headers).json()
    assert len(body["numbers"]) == 1
    return body["num_results"]


def _cm_total(client) -> int:
    return int(client.get(REQUESTS, params={"Take": 1}, headers=AUTH).headers["x-cm-pagination-total"])


def _reserved(client, tenant: str = TENANT) -> int:
    with client.app.state.runtime.db.engine.connect() as connection:
        return connection.exec_driver_sql(
            f"SELECT count(*) FROM cloudlx_number WHERE tenant = '{tenant}' AND status = '{RESERVED}'"
        ).scalar_one()


def _generate_cm(client, tenant: str, count: int, seed: int) -> None:
    runtime = client.app.state.runtime
    runtime.tenants.ensure("cm", tenant)
    with runtime.db.session() as session:
        runtime.providers["cm"].generate(session, tenant, count, seed, runtime)
        session.commit()


def test_counts_follow_every_write(client):
    headers = auth(client, TENANT)  # the tenant is seeded with the fixtures
    _exact(client)
    generate(client, TENANT, 300, seed=3)
    generate(client, "tenant-2", 40, seed=4)
    _exact(client)
    assert _cloudlx_total(client, headers) == _reserved(client)

    available = client.get(f"{BASE}/available_numbers", params={"max_per_page": 3}, headers=headers).json()
    before = _cloudlx_total(client, headers)
    for number in available["available_numbers"][:2]:
        assert client.put(f"{BASE}/number/{number['uuid']}/reserve", headers=headers).status_code == 200
    assert _cloudlx_total(client, headers) == before + 2
    cancelled = available["available_numbers"][0]["uuid"]
    assert client.delete(f"{BASE}/number/{cancelled}", headers=headers).status_code == 200
    assert _cloudlx_total(client, headers) == before + 1
    _exact(client)

    start = _cm_total(client)  # CM's tenant seeded with its fixtures
    _generate_cm(client, TENANT, 150, seed=5)  # in another tenant: not in this one's total
    create(client, quantity=50, areaCode="0113")
    create(client, quantity=5, areaCode="0113")
    assert _cm_total(client) == start + 2
    advance_cm(client, 30 * 86400)  # every due transition runs: statuses change, the account's total does not
    assert _cm_total(client) == start + 2
    _exact(client)

    headers = auth(client, TENANT)  # the old token expired as the clock moved
    saved = client.get("/_emulator/state").json()
    saved_totals = (_cloudlx_total(client, headers), _cm_total(client))
    assert client.post("/_emulator/reset", params={"tenant": TENANT}).status_code == 200
    _exact(client)
    generate(client, TENANT, 80, seed=9)
    _exact(client)
    assert client.put("/_emulator/state", json=saved).status_code == 200
    _exact(client)
    headers = auth(client, TENANT)
    assert (_cloudlx_total(client, headers), _cm_total(client)) == saved_totals
    assert client.post("/_emulator/reset").status_code == 200
    _exact(client)


def test_another_process_s_writes_are_counted(client, database_url):
    headers = auth(client, TENANT)
    generate(client, TENANT, 50, seed=6)
    before = _cloudlx_total(client, headers)
    # Another process cancels three of the tenant's numbers and deletes one, straight in the store.
    script = (
        "import sys; from sqlalchemy import create_engine\n"
        "with create_engine(sys.argv[1]).begin() as connection:\n"
        "    connection.exec_driver_sql(\"UPDATE cloudlx_number SET status = 'Cancelled' WHERE id IN (SELECT id FROM"
        " cloudlx_number WHERE tenant = 'tenant-1' AND status = 'Reserved' ORDER BY id LIMIT 3)\")\n"
        '    connection.exec_driver_sql("DELETE FROM cloudlx_number WHERE id = (SELECT min(id) FROM cloudlx_number'
        " WHERE tenant = 'tenant-1' AND status = 'Reserved')\")\n"
    )
    done = subprocess.run([sys.executable, "-c", script, database_url], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    _exact(client)
    with client.app.state.runtime.db.session() as session:
        page = service.list_numbers(session, TENANT, RESERVED, service.Listing(None, 1, 1))
    assert page.total == before - 4 == _reserved(client)


def test_the_plain_list_reads_the_kept_count_and_a_search_counts_its_matches(client):
    """What makes the plain list's total cheap: it is the kept count, not a count of the rows (a
    count set wrong on purpose shows through); a search still counts its matches."""
    auth(client, TENANT)
    generate(client, TENANT, 60, seed=7)
    with client.app.state.runtime.db.engine.begin() as connection:
        groups = connection.exec_driver_sql(
            f"UPDATE {count_table(table_of(Number))} SET n = n + 1000 WHERE tenant = '{TENANT}' AND status = 'Reserved'"
        ).rowcount
    assert groups > 0
    with client.app.state.runtime.db.session() as session:
        plain = service.list_numbers(session, TENANT, RESERVED, service.Listing(None, 1, 1))
        searched = service.list_numbers(session, TENANT, RESERVED, service.Listing("4", 1, 1))
    assert plain.total == _reserved(client) + 1000 * groups
    with client.app.state.runtime.db.engine.connect() as connection:
        matches = connection.execute(
            text(
                "SELECT count(*) FROM cloudlx_number WHERE tenant = :tenant AND status = 'Reserved'"
                " AND number_e164 LIKE :pattern"
            ),
            {"tenant": TENANT, "pattern": "%4%"},
        ).scalar_one()
    assert searched.total == matches


def test_a_database_made_before_the_counts_gets_them_at_start(client):
    """Counts missing (or a trigger missing while rows were written) are made again from the rows."""
    auth(client, TENANT)
    runtime = client.app.state.runtime
    generate(client, TENANT, 40, seed=8)
    with runtime.db.engine.begin() as connection:
        for source in COUNTED:
            connection.exec_driver_sql(f"DROP TABLE {count_table(source)}")
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"DROP TRIGGER {count_table(source)}_insert ON {source.name}")
    runtime.db.create_all()
    runtime.db.create_all()  # idempotent
    _exact(client)
    with runtime.db.engine.begin() as connection:
        trigger = f"{count_table(table_of(Number))}_insert"
        on = " ON cloudlx_number" if connection.dialect.name == "postgresql" else ""
        connection.exec_driver_sql(f"DROP TRIGGER {trigger}{on}")
    generate(client, TENANT, 30, seed=10)
    runtime.db.create_all()
    _exact(client)


@pytest.mark.only_backend("sqlite")
def test_the_first_page_walks_the_listing_index_in_order(client):
    auth(client, TENANT)
    with client.app.state.runtime.db.engine.connect() as connection:
        plan = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT * FROM cloudlx_number WHERE tenant = 'tenant-1' AND status = 'Reserved'"
            " ORDER BY number_e164, id LIMIT 50"
        ).all()
    details = " ".join(row[-1] for row in plan)
    assert "ix_cloudlx_number_listing" in details and "TEMP B-TREE" not in details, details
