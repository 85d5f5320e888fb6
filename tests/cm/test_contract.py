"""schemathesis, every check and phase, against the CM.com document."""

import pytest

from tests.cm.conftest import TOKEN
from tests.support import emulator_accepting, run_schemathesis

CREDENTIALS = {"cm": [[TOKEN]]}


def run_contract(base_url: str):
    return run_schemathesis(f"{base_url}/cm/openapi.json", "-H", f"X-CM-PRODUCTTOKEN: {TOKEN}")


@pytest.fixture(scope="module")
def strict_emulator(tmp_path_factory):
    """Only the contract token is accepted, so schemathesis can prove others are refused."""
    database = tmp_path_factory.mktemp("contract") / "emulator.sqlite3"
    with emulator_accepting(f"sqlite:///{database}", CREDENTIALS) as emulator:
        yield emulator


def test_cm_document_holds(strict_emulator):
    result = run_contract(strict_emulator.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
