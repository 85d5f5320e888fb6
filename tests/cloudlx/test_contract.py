"""schemathesis, every check and phase, against the CloudLX document, with a real token."""

import httpx
import pytest

from tests.support import emulator_accepting, run_schemathesis

CREDENTIALS = {"cloudlx": [["contract", "secret"]]}


def run_contract(base_url: str):
    """Freeze the clock (the token then outlives any run), log in as the contract client, run."""
    assert httpx.post(f"{base_url}/_emulator/clock/freeze").status_code == 200
    token = httpx.post(
        f"{base_url}/cloudlx/api/oauth2/access-token",
        data={"grant_type": "client_credentials", "client_id": "contract", "client_secret": "secret"},
    ).json()["access_token"]
    return run_schemathesis(f"{base_url}/cloudlx/openapi.json", "-H", f"Authorization: Bearer {token}")


@pytest.fixture(scope="module")
def strict_emulator(tmp_path_factory):
    database = tmp_path_factory.mktemp("contract") / "emulator.sqlite3"
    with emulator_accepting(f"sqlite:///{database}", CREDENTIALS) as emulator:
        yield emulator


def test_cloudlx_document_holds(strict_emulator):
    result = run_contract(strict_emulator.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
