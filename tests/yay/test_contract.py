"""schemathesis, every check and phase, against the Yay.com document."""

import pytest

from tests.support import emulator_accepting, run_schemathesis

CREDENTIALS = {"yay": [["contract", "user", "secret"]]}
AUTH = ["-H", "X-Auth-Reseller: contract", "-H", "X-Auth-User: user", "-H", "X-Auth-Password: secret"]


def run_contract(base_url: str):
    return run_schemathesis(f"{base_url}/yay/openapi.json", *AUTH)


@pytest.fixture(scope="module")
def strict_emulator(tmp_path_factory):
    database = tmp_path_factory.mktemp("contract") / "emulator.sqlite3"
    with emulator_accepting(f"sqlite:///{database}", CREDENTIALS) as emulator:
        yield emulator


def test_yay_document_holds(strict_emulator):
    result = run_contract(strict_emulator.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
