"""``python -m emulator seed``: volume, determinism, and records the API serves."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.settings import Settings
from tests.support import ROOT
from tests.testkit.conftest import YAY, yay_auth


def seed(database, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "emulator", "seed", "--database-url", f"sqlite:///{database}", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


def addresses(database, tenant: str) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT uuid, city, name, postcode, street, created_on FROM yay_number_address WHERE tenant = ? ORDER BY id",
            (tenant,),
        ).fetchall()


def test_hundred_thousand_records_with_a_progress_bar(tmp_path):
    database = tmp_path / "volume.sqlite3"
    result = seed(database, "--provider", "yay", "--tenant", "big", "--count", "100000", "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert "added 100000 yay records to tenant 'big' (seed 1)" in result.stdout
    assert "100000/100000" in result.stderr  # tqdm's bar
    rows = addresses(database, "big")
    assert len(rows) == 5 + 100_000  # the fixtures first, as on the tenant's first request
    assert len({row[0] for row in rows}) == len(rows)


def test_same_seed_same_records_other_seed_others(tmp_path):
    """The same seed, flag or setting, makes the same records (in one batch: later batches'
    seeds are covered where numbers collide)."""

    def run(name: str, *args: str, env=None):
        database = tmp_path / f"{name}.sqlite3"
        result = seed(database, "--provider", "yay", "--tenant", "t", "--count", "10001", "--quiet", *args, env=env)
        assert result.returncode == 0, result.stderr
        return addresses(database, "t")

    first = run("first", "--seed", "5")
    assert run("second", "--seed", "5") == first
    assert run("third", "--seed", "6") != first
    # EMULATOR_SEED is the default seed.
    assert run("setting", env={**os.environ, "EMULATOR_SEED": "5"}) == first


def test_generated_records_are_served_like_any_other(tmp_path):
    database = tmp_path / "served.sqlite3"
    assert (
        seed(database, "--provider", "yay", "--tenant", "t", "--count", "50", "--seed", "3", "--quiet").returncode == 0
    )
    with TestClient(create_app(Settings(database_url=f"sqlite:///{database}", data_dir=tmp_path))) as client:
        listed = client.get(YAY, headers=yay_auth("t")).json()["result"]
        assert len(listed) == 55
        generated = listed[-1]
        assert generated["country_code"] == "GB" and generated["type_id"] in (1, 2)
        assert generated["created_on"] <= generated["updated_on"]
        assert client.get(f"{YAY}/{generated['uuid']}", headers=yay_auth("t")).json()["result"] == generated


def test_unknown_provider_is_refused(tmp_path):
    result = seed(tmp_path / "x.sqlite3", "--provider", "nobody", "--tenant", "t", "--count", "1")
    assert result.returncode == 2 and "providers that can: yay" in result.stderr


@pytest.mark.parametrize(
    ("provider", "table", "column"),
    [("telcom", "telcom_number", "number"), ("cloudlx", "cloudlx_number", "number_e164")],
)
def test_the_count_asked_is_the_count_added_when_numbers_collide(tmp_path, provider, table, column):
    """A second run with the same seed draws the numbers the tenant already holds first: later
    batches make up for every one skipped, so exactly the asked count is added again."""
    database = tmp_path / f"{provider}.sqlite3"
    held = []
    for _ in range(2):
        result = seed(database, "--provider", provider, "--tenant", "unit", "--count", "300", "--seed", "4", "--quiet")
        assert result.returncode == 0, result.stderr
        assert f"added 300 {provider} records to tenant 'unit' (seed 4)" in result.stdout
        with sqlite3.connect(database) as connection:
            held.append([row[0] for row in connection.execute(f"SELECT {column} FROM {table} WHERE tenant = 'unit'")])
    first, second = held  # the fixtures' numbers (CloudLX's hold one twice, cancelled and reserved), then the runs'
    assert len(second) == len(first) + 300
    assert len(set(second)) == len(set(first)) + 300


def test_a_load_that_sets_the_indexes_aside_still_makes_up_for_collisions(tmp_path):
    """A second, larger run doubles the table, so its indexes are set aside while it loads: the
    numbers it draws that the tenant already holds are still found and made up for, and every
    index is back afterwards."""
    from emulator.cli import batch_seed
    from emulator.providers.telcom import fake

    database = tmp_path / "telcom.sqlite3"
    for count in (300, 700):
        result = seed(
            database, "--provider", "telcom", "--tenant", "unit", "--count", str(count), "--seed", "4", "--quiet"
        )
        assert result.returncode == 0, result.stderr
        assert f"added {count} telcom records to tenant 'unit' (seed 4)" in result.stdout
        if count == 300:
            with sqlite3.connect(database) as connection:
                first = {row[0] for row in connection.execute("SELECT number FROM telcom_number WHERE tenant = 'unit'")}
    assert first & set(fake.fake_numbers(batch_seed(4, 0), 700))  # the second run drew held numbers
    with sqlite3.connect(database) as connection:
        numbers = [row[0] for row in connection.execute("SELECT number FROM telcom_number WHERE tenant = 'unit'")]
        made = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert len(numbers) == len(set(numbers)) == len(first) + 700
    assert {"ix_telcom_number_tenant", "ix_telcom_number_number", "ix_telcom_number_number_id"} <= made
