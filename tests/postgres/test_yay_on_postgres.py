"""The Yay.com tests, unchanged, on PostgreSQL."""

import pytest

from tests.yay.test_number_addresses import *  # noqa: F403

pytestmark = pytest.mark.postgres


def test_the_app_really_runs_on_postgresql(client):
    assert client.get("/_emulator/health").json()["database"] == "postgresql"
