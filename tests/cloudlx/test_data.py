"""The data behind the numbers: the fixtures' pool is what fake.py makes, generated numbers are real
UK numbers described as the phonenumbers data describes them, and generation is deterministic."""

from __future__ import annotations

import json
import random

import pytest

from emulator.core import numbering
from emulator.providers.cloudlx import fake
from tests.cloudlx.helpers import BASE, auth, generate
from tests.support import ROOT

pytestmark = pytest.mark.each_backend

POOL_SEED = 2016
POOL_RANGES = {
    "GEOGRAPHIC": ["01245", "020", "0121", "0131", "0161", "01865"],
    "TOLL FREE": ["0800", "0808"],
    "MOBILE": ["07451", "07844"],
    "PREMIUM": ["0901"],
}


def _fixture() -> dict:
    return json.loads((ROOT / "fixtures" / "cloudlx.json").read_text(encoding="utf-8"))


def test_fixture_pool_is_what_fake_makes():
    pool = [record for record in _fixture()["numbers"] if record["status"] == "Available"]
    assert pool == fake.available_pool(POOL_SEED, POOL_RANGES, per_range=4)


def _agrees_with_phonenumbers(record: dict) -> None:
    info = numbering.describe(record["number_e164"])
    assert info.service_type == record["service_type"]
    assert (info.range_code, info.range_name, info.subscriber) == (
        record["range_code"],
        record["range_name"],
        record["number"],
    )
    assert (info.country_name, str(info.country_code), info.region) == (
        record["country_name"],
        record["country_code"],
        record["region"],
    )


def test_every_pool_number_is_described_by_phonenumbers():
    for record in fake.available_pool(POOL_SEED, POOL_RANGES, per_range=4):
        _agrees_with_phonenumbers(record)


def test_generated_numbers_are_real_and_deterministic():
    def records(seed: int) -> list[dict]:
        shared = fake.account_constants("t")
        return [
            {**shared, **dict(zip(fake.ACCOUNT_COLUMNS, row, strict=True))}
            for row in fake.account_rows(seed, 3000, set())
        ]

    first, again, other = records(11), records(11), records(12)
    assert first == again and first != other
    assert len(first) == 3000 and len({r["number_e164"] for r in first}) == 3000
    types = {r["service_type"] for r in first}
    assert types == {"GEOGRAPHIC", "TOLL FREE", "MOBILE", "PREMIUM"}
    for record in random.Random(0).sample(first, 60):
        _agrees_with_phonenumbers(record)
        assert record["monthly_charge"] == fake.CHARGES[record["service_type"]].monthly


def test_generate_adds_only_numbers_the_tenant_lacks(client):
    headers = auth(client, "gen")
    assert generate(client, "gen", 120, seed=5) == 120
    assert generate(client, "gen", 120, seed=5) == 0
    assert client.get(f"{BASE}/numbers", headers=headers).json()["num_results"] == 121
    # Another tenant is untouched.
    assert client.get(f"{BASE}/numbers", headers=auth(client, "other")).json()["num_results"] == 1
