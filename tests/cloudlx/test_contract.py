"""schemathesis, every check and phase, against the CloudLX document, with a real token."""

import json

import httpx
import pytest

from tests.support import EmulatorProcess, run_schemathesis

CREDENTIALS = {"cloudlx": [["contract", "secret"]]}


@pytest.fixture(scope="module")
def strict_emulator(tmp_path_factory):
    """Only the contract client is accepted, so schemathesis can prove other tokens are refused."""
    database = tmp_path_factory.mktemp("contract") / "emulator.sqlite3"
    env = {"EMULATOR_CREDENTIALS": json.dumps(CREDENTIALS)}
    with EmulatorProcess(f"sqlite:///{database}", env=env) as emulator:
        # A frozen clock keeps the token valid however long the run takes.
        assert httpx.post(f"{emulator.base_url}/_emulator/clock/freeze").status_code == 200
        yield emulator


def test_cloudlx_document_holds(strict_emulator):
    token = httpx.post(
        f"{strict_emulator.base_url}/cloudlx/api/oauth2/access-token",
        data={"grant_type": "client_credentials", "client_id": "contract", "client_secret": "secret"},
    ).json()["access_token"]
    result = run_schemathesis(
        f"{strict_emulator.base_url}/cloudlx/openapi.json", "-H", f"Authorization: Bearer {token}"
    )
    assert result.returncode == 0, result.stdout + result.stderr
