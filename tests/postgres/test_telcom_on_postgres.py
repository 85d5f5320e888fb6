"""The Telcom tests, unchanged, on PostgreSQL, and its schemathesis contract on a PostgreSQL-backed
server (PostgreSQL refuses NUL characters and overlong values that SQLite lets through)."""

import pytest

from tests.support import emulator_accepting
from tests.telcom import test_contract as contract
from tests.telcom.test_documented import *  # noqa: F403
from tests.telcom.test_generate import *  # noqa: F403
from tests.telcom.test_numbers import *  # noqa: F403

pytestmark = pytest.mark.postgres


def test_telcom_runs_on_postgresql(client):
    assert client.get("/_emulator/health").json()["database"] == "postgresql"


def test_telcom_document_holds_on_postgresql(postgres_server):
    with emulator_accepting(postgres_server.create_database("telcom_contract"), contract.CREDENTIALS) as emulator:
        result = contract.run_contract(emulator.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
