"""The pytest plugin, run by pytest in a separate process in a folder of its own, as a user runs it
(tests/test_readme.py runs the README's examples as written; here they are made to fail)."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.support import ROOT, run_pytest

EXAMPLE_START = "# test_addresses.py"


def readme_example() -> str:
    """The example test file from the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.S):
        if block.startswith(EXAMPLE_START):
            return block
    raise AssertionError("the README has no complete plugin example")


def test_example_fails_when_the_emulator_misbehaves(tmp_path):
    """The example's assertions can fail: with every POST failing, the retries run out."""
    example = readme_example().replace("count=2)", "count=3)")
    (tmp_path / "test_addresses.py").write_text(example, encoding="utf-8")
    result = run_pytest(tmp_path, "-k", "retries")
    assert result.returncode == 1 and "500 Internal Server Error" in result.stdout


def test_tests_get_their_own_tenants_and_no_leftovers(tmp_path):
    (tmp_path / "test_isolation.py").write_text(
        """
import httpx

seen = []


def test_first(number_emulator, emulator_tenant):
    seen.append(emulator_tenant.tenant("yay"))
    headers = emulator_tenant.credentials("yay")
    url = emulator_tenant.base_url("yay") + "/voip/number-address/31347d42-00bd-44a5-9b5c-20dc4197a2f6"
    assert httpx.delete(url, headers=headers).status_code == 200
    emulator_tenant.add_fault("yay", kind="error", status=503)


def test_second(number_emulator, emulator_tenant):
    assert emulator_tenant.tenant("yay") not in seen
    # The first test's tenant was reset: its state, fault rules and journal entries are gone.
    assert number_emulator.requests(tenant=seen[0]) == []
    assert number_emulator.faults() == []
    assert number_emulator.url("yay").startswith("http://127.0.0.1:")
""",
        encoding="utf-8",
    )
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_conftest_changes_the_emulator_settings_for_the_run(tmp_path):
    (tmp_path / "conftest.py").write_text(
        """
import pytest


@pytest.fixture(scope="session")
def number_emulator_settings():
    return {"journal_size": 1}
""",
        encoding="utf-8",
    )
    (tmp_path / "test_settings.py").write_text(
        """
import httpx


def test_the_journal_keeps_one_request(number_emulator, emulator_tenant):
    for _ in range(3):
        httpx.get(emulator_tenant.base_url("yay") + "/voip/number-address", headers=emulator_tenant.credentials("yay"))
    assert number_emulator.count() == 1
""",
        encoding="utf-8",
    )
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_plugin_import_is_cheap():
    """It loads in every pytest run of anyone who installs the package: pytest only, no emulator."""
    code = (
        "import sys, time; import pytest; started = time.perf_counter(); import emulator.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith(('emulator.', 'fastapi', 'sqlmodel', 'httpx', 'uvicorn'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['emulator.pytest_plugin']"


def test_entry_point_is_declared():
    assert '[project.entry-points.pytest11]\nnumber_emulator = "emulator.pytest_plugin"' in (
        ROOT / "pyproject.toml"
    ).read_text(encoding="utf-8")
