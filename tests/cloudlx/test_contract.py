"""schemathesis, every check and phase, against the CloudLX document, with a real token."""

import httpx
import pytest

from tests.support import run_schemathesis

pytestmark = pytest.mark.each_backend

CREDENTIALS = {"cloudlx": [["contract", "secret"]]}


def run_contract(base_url: str):
    """Freeze the clock (the token then outlives any run), log in as the contract client, run."""
    assert httpx.post(f"{base_url}/_emulator/clock/freeze").status_code == 200
    token = httpx.post(
        f"{base_url}/cloudlx/api/oauth2/access-token",
        data={"grant_type": "client_credentials", "client_id": "contract", "client_secret": "secret"},
    ).json()["access_token"]
    return run_schemathesis(f"{base_url}/cloudlx/openapi.json", "-H", f"Authorization: Bearer {token}")


def test_cloudlx_document_holds(strict_emulator):
    result = run_contract(strict_emulator.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
