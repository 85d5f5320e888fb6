"""The CloudLX tests, unchanged, on PostgreSQL, and its schemathesis contract on a PostgreSQL-backed
server (PostgreSQL refuses NUL characters and overlong values that SQLite lets through)."""

import pytest

from tests.cloudlx import test_contract as contract
from tests.cloudlx.test_data import *  # noqa: F403
from tests.cloudlx.test_documented import *  # noqa: F403
from tests.cloudlx.test_numbers import *  # noqa: F403
from tests.cloudlx.test_tokens import *  # noqa: F403
from tests.support import emulator_accepting

pytestmark = pytest.mark.postgres


def test_cloudlx_runs_on_postgresql(client):
    assert client.get("/_emulator/health").json()["database"] == "postgresql"


def test_cloudlx_document_holds_on_postgresql(postgres_server):
    with emulator_accepting(postgres_server.create_database("cloudlx_contract"), contract.CREDENTIALS) as emulator:
        result = contract.run_contract(emulator.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
