"""schemathesis, every check and phase, against the CM.com document."""

import json

import pytest

from tests.cm.conftest import TOKEN
from tests.support import EmulatorProcess, run_schemathesis

CREDENTIALS = {"cm": [[TOKEN]]}


@pytest.fixture(scope="module")
def strict_emulator(tmp_path_factory):
    """Only the contract token is accepted, so schemathesis can prove others are refused."""
    database = tmp_path_factory.mktemp("contract") / "emulator.sqlite3"
    env = {"EMULATOR_CREDENTIALS": json.dumps(CREDENTIALS)}
    with EmulatorProcess(f"sqlite:///{database}", env=env) as emulator:
        yield emulator


def test_cm_document_holds(strict_emulator):
    result = run_schemathesis(f"{strict_emulator.base_url}/cm/openapi.json", "-H", f"X-CM-PRODUCTTOKEN: {TOKEN}")
    assert result.returncode == 0, result.stdout + result.stderr
