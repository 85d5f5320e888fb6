"""The Telcom tests, unchanged, on PostgreSQL, and its schemathesis contract on a PostgreSQL-backed
server (PostgreSQL refuses NUL characters and overlong values that SQLite lets through)."""

import json

import pytest

from tests.support import EmulatorProcess, run_schemathesis
from tests.telcom import test_contract as contract
from tests.telcom.test_documented import *  # noqa: F403
from tests.telcom.test_generate import *  # noqa: F403
from tests.telcom.test_numbers import *  # noqa: F403

pytestmark = pytest.mark.postgres


def test_telcom_runs_on_postgresql(client):
    assert client.get("/_emulator/health").json()["database"] == "postgresql"


@pytest.fixture(scope="module")
def telcom_on_postgres(postgres_server):
    url = postgres_server.create_database("telcom_contract")
    with EmulatorProcess(url, env={"EMULATOR_CREDENTIALS": json.dumps(contract.CREDENTIALS)}) as emulator:
        yield emulator


def test_telcom_document_holds_on_postgresql(telcom_on_postgres):
    result = run_schemathesis(
        f"{telcom_on_postgres.base_url}/telcom/openapi.json", *contract.AUTH, *contract.NOT_APPLICABLE,
        config_file=contract.CONFIG,
    )
    assert result.returncode == 0, result.stdout + result.stderr
