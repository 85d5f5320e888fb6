"""schemathesis, every check and phase, against the Yay.com document."""

import json

import pytest

from tests.support import EmulatorProcess, run_schemathesis

CREDENTIALS = {"yay": [["contract", "user", "secret"]]}
AUTH = ["-H", "X-Auth-Reseller: contract", "-H", "X-Auth-User: user", "-H", "X-Auth-Password: secret"]


@pytest.fixture(scope="module")
def strict_emulator(tmp_path_factory):
    """Only the contract credentials are accepted, so schemathesis can prove bad ones are refused."""
    database = tmp_path_factory.mktemp("contract") / "emulator.sqlite3"
    env = {"EMULATOR_CREDENTIALS": json.dumps(CREDENTIALS)}
    with EmulatorProcess(f"sqlite:///{database}", env=env) as emulator:
        yield emulator


def test_yay_document_holds(strict_emulator):
    result = run_schemathesis(f"{strict_emulator.base_url}/yay/openapi.json", *AUTH)
    assert result.returncode == 0, result.stdout + result.stderr
