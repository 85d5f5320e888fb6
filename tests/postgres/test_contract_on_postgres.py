"""schemathesis against a server on PostgreSQL, which refuses what SQLite lets through (NUL
characters, overlong values), so input that only SQLite tolerates cannot hide a 500."""

import json

import pytest

from tests.support import EmulatorProcess, run_schemathesis
from tests.yay.test_contract import AUTH as YAY_AUTH
from tests.yay.test_contract import CREDENTIALS as YAY_CREDENTIALS

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def emulator_on_postgres(postgres_server):
    url = postgres_server.create_database("contract")
    with EmulatorProcess(url, env={"EMULATOR_CREDENTIALS": json.dumps(YAY_CREDENTIALS)}) as emulator:
        yield emulator


def test_yay_document_holds_on_postgresql(emulator_on_postgres):
    result = run_schemathesis(f"{emulator_on_postgres.base_url}/yay/openapi.json", *YAY_AUTH)
    assert result.returncode == 0, result.stdout + result.stderr
