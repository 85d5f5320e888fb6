"""schemathesis against a server on PostgreSQL, which refuses what SQLite lets through (NUL
characters, overlong values), so input that only SQLite tolerates cannot hide a 500."""

import pytest

from tests.cm import test_contract as cm
from tests.support import emulator_accepting
from tests.yay import test_contract as yay

pytestmark = pytest.mark.postgres


def test_yay_document_holds_on_postgresql(postgres_server):
    with emulator_accepting(postgres_server.create_database("yay_contract"), yay.CREDENTIALS) as emulator:
        result = yay.run_contract(emulator.base_url)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cm_document_holds_on_postgresql(postgres_server):
    with emulator_accepting(postgres_server.create_database("cm_contract"), cm.CREDENTIALS) as emulator:
        result = cm.run_contract(emulator.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
