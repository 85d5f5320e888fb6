"""The CloudLX tests, unchanged, on PostgreSQL, and its contract against a PostgreSQL-backed server."""

import json

import httpx
import pytest

from tests.cloudlx.test_contract import CREDENTIALS
from tests.cloudlx.test_documented import *  # noqa: F403
from tests.cloudlx.test_numbers import *  # noqa: F403
from tests.cloudlx.test_tokens import *  # noqa: F403
from tests.support import EmulatorProcess, run_schemathesis

pytestmark = pytest.mark.postgres


def test_cloudlx_document_holds_on_postgresql(postgres_server):
    env = {"EMULATOR_CREDENTIALS": json.dumps(CREDENTIALS)}
    with EmulatorProcess(postgres_server.create_database("cloudlx_contract"), env=env) as emulator:
        assert httpx.post(f"{emulator.base_url}/_emulator/clock/freeze").status_code == 200
        token = httpx.post(
            f"{emulator.base_url}/cloudlx/api/oauth2/access-token",
            data={"grant_type": "client_credentials", "client_id": "contract", "client_secret": "secret"},
        ).json()["access_token"]
        result = run_schemathesis(f"{emulator.base_url}/cloudlx/openapi.json", "-H", f"Authorization: Bearer {token}")
    assert result.returncode == 0, result.stdout + result.stderr
