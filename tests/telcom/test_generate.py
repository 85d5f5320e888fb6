"""Bulk generation for ``seed``: realistic, deterministic, and the API serves what it made."""

from __future__ import annotations

import phonenumbers
import pytest

from emulator.providers.telcom import PROVIDER
from tests.telcom.support import call

pytestmark = pytest.mark.each_backend


def _generate(client, tenant: str, count: int, seed: int) -> int:
    runtime = client.app.state.runtime
    runtime.tenants.ensure("telcom", tenant)
    with runtime.db.session() as session:
        added = PROVIDER.generate(session, tenant, count, seed, runtime)
        session.commit()  # the seed command commits once, after its last batch
        return added


def test_generated_numbers_are_valid_deterministic_and_served(client):
    assert _generate(client, "unit-1", 300, 7) == 300
    assert _generate(client, "unit-2", 300, 7) == 300
    headers = {"X-Auth-Token": "unit-2", "X-Auth-Secret": "s"}
    first = call(client, "numbers/list").json()["data"]
    second = call(client, "numbers/list", headers=headers).json()["data"]
    assert len(first) == 301  # with the fixture's 3466
    assert [n["number"] for n in first] == [n["number"] for n in second]
    assert [n["id"] for n in first[1:]] == list(range(4243, 4243 + 300))
    for number in first:
        assert phonenumbers.is_valid_number(phonenumbers.parse(number["number"], "GB"))
    assert {n["aquisition"]["subscriber"]["status"] for n in first} >= {"unknown", "validation_pending", "validated"}
    assert any(n["destination"] and n["destination"]["type"] == "CallGroup" for n in first)


def test_generating_again_skips_numbers_already_held(client):
    assert _generate(client, "unit-1", 50, 3) == 50
    assert _generate(client, "unit-1", 50, 3) == 0
    assert call(client, "numbers/acquire", {"number": "01234901769"}).json()["data"]["id"] == 4293
