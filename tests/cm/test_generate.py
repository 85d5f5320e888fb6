"""Bulk generation for the seed command: realistic, deterministic under a seed."""

from __future__ import annotations

import subprocess
import sys

import phonenumbers
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from emulator.app import create_app
from emulator.providers.cm import PROVIDER, render
from emulator.providers.cm.models import NumberRequest
from emulator.settings import Settings
from tests.cm.conftest import AUTH, REQUESTS, TOKEN, advance
from tests.support import ROOT


def generated(runtime, tenant: str, count: int, seed: int) -> list[dict]:
    with runtime.db.session() as session:
        assert PROVIDER.generate(session, tenant, count, seed, runtime) == count
        session.commit()
        rows = session.exec(
            select(NumberRequest).where(NumberRequest.tenant == tenant).order_by(NumberRequest.id)
        ).all()
        return [render.number_request(row) for row in rows]


@pytest.mark.each_backend  # the rows go in by COPY on PostgreSQL
def test_generation_is_deterministic_and_realistic(app):
    runtime = app.state.runtime
    first = generated(runtime, "tenant-a", 200, seed=7)
    assert first == generated(runtime, "tenant-b", 200, seed=7)
    assert first != generated(runtime, "tenant-c", 200, seed=8)
    assert {request["status"] for request in first} == {"Pending", "Accepted", "Completed", "Rejected", "Cancelled"}
    for request in first:
        assert len(request["numbers"]) == (request["quantity"] if request["status"] == "Completed" else 0)
        assert (request["statusReason"] is not None) == (request["status"] == "Rejected")
        for number in request["numbers"]:
            parsed = phonenumbers.parse(number)
            assert phonenumbers.region_code_for_number(parsed) == request["country"]


def test_generated_orders_are_the_tenant_s_with_their_guids_in_order(app):
    """The GUIDs come in ascending order (the unique index is made again from sorted keys), and
    the tenant and account, given once for the load, are every order's."""
    runtime = app.state.runtime
    generated(runtime, "tenant-a", 300, seed=7)
    with runtime.db.session() as session:
        query = select(NumberRequest).where(NumberRequest.tenant == "tenant-a").order_by(NumberRequest.id)
        made = session.exec(query).all()[-300:]
    guids = [row.guid for row in made]
    assert len(set(guids)) == 300 and guids == sorted(guids)
    assert {row.account for row in made} == {runtime.fixture("cm")["default_account"]}


def test_seeded_orders_move_on_with_the_clock_like_api_made_ones(tmp_path):
    """The seed command schedules its waiting orders' timed transitions: once the clock has moved
    past accept and complete, none of them is waiting any more."""
    database = tmp_path / "seeded.sqlite3"
    command = [sys.executable, "-m", "emulator", "seed", "--database-url", f"sqlite:///{database}"]
    command += ["--provider", "cm", "--tenant", TOKEN, "--count", "200", "--seed", "3", "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    with TestClient(create_app(Settings(database_url=f"sqlite:///{database}", data_dir=tmp_path))) as client:

        def orders() -> dict[str, str]:
            listed = client.get(REQUESTS, headers=AUTH, params={"Take": 1000})
            assert listed.status_code == 200, listed.text
            return {order["requestId"]: order["status"] for order in listed.json()}

        fixtures = {record["requestId"] for record in client.app.state.runtime.fixture("cm")["number_requests"]}
        waiting = [
            guid for guid, status in orders().items() if status in ("Pending", "Accepted") and guid not in fixtures
        ]
        assert len(waiting) > 10
        advance(client, 3600)
        now = orders()
        assert {now[guid] for guid in waiting} <= {"Completed", "Rejected"}


def test_a_second_run_with_the_same_seed_adds_as_many_again(app):
    runtime = app.state.runtime
    first = generated(runtime, "tenant-again", 50, seed=4)
    both = generated(runtime, "tenant-again", 50, seed=4)
    assert both[: len(first)] == first and len(both) == len(first) + 50
    assert len({request["requestId"] for request in both}) == len(both)
