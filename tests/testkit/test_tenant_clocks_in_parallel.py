"""Two tests on one emulator under ``pytest -n 2``, each moving its own tenant's clock at the same
time as the other: neither sees the other's time, and the shared clock stays where it was. The
emulator is one server for both workers (as a Compose service would be), reached through
``NUMBER_EMULATOR_URL``."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

from emulator.testing import EmulatorServer
from tests.support import ROOT
from tests.testkit.test_pytest_plugin import plugin_installed

TESTS = '''
import os
import time
from pathlib import Path

import httpx

ORDERS = "/voice-phonenumberrequestapi/v1/00000000-0000-0000-0000-000000000000/numberrequests"
MEETING = Path(os.environ["MEETING_POINT"])


def meet(me, other):
    """Wait until the other test has moved its clock too, so both clocks are moved at once."""
    (MEETING / me).touch()
    deadline = time.monotonic() + 60
    while not (MEETING / other).exists():
        assert time.monotonic() < deadline, "the other test never ran alongside"
        time.sleep(0.05)


def run(tenant, me, other, instant, expected_status):
    url, headers = tenant.base_url("cm") + ORDERS, tenant.credentials("cm")
    tenant.freeze()
    tenant.set(instant)
    order = httpx.post(url, headers=headers, json={"quantity": 50, "areaCode": "0113"}, timeout=60).json()
    if expected_status == "Completed":
        tenant.advance(3600, "cm")
    meet(me, other)
    assert tenant.now("cm").isoformat() == (instant if expected_status == "Pending" else instant[:11] + "01:00:00+00:00")
    assert httpx.get(f"{url}/{order['requestId']}", headers=headers, timeout=60).json()["status"] == expected_status
    assert tenant.now("yay").isoformat() == instant  # every provider's clock of the tenant moved
    meet(me + "-done", other + "-done")


def test_one(emulator_tenant):
    run(emulator_tenant, "one", "two", "2030-01-01T00:00:00+00:00", "Completed")


def test_two(emulator_tenant):
    run(emulator_tenant, "two", "one", "2040-06-06T00:00:00+00:00", "Pending")
'''


def test_two_tenants_under_xdist_keep_their_own_time(tmp_path):
    (tmp_path / "test_clocks.py").write_text(TESTS, encoding="utf-8")
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    with EmulatorServer() as emulator:
        before = emulator.clock()
        plugin = [] if plugin_installed() else ["-p", "emulator.pytest_plugin"]
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "NUMBER_EMULATOR_URL": emulator.base_url,
            "MEETING_POINT": str(meeting),
        }
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", *plugin]
        result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "2 passed" in result.stdout

        after = emulator.clock()
        assert after["frozen"] is before["frozen"] is False
        shared_drift = datetime.fromisoformat(after["now"].replace("Z", "+00:00")) - datetime.now(UTC)
        assert abs(shared_drift.total_seconds()) < 60
        # Each test's tenant was reset when it ended, its clock with it.
        assert emulator.control.get("/clock/tenants").json() == []
