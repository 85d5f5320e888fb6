"""State snapshots, unchanged, on PostgreSQL (ids come back with their rows; sequences follow)."""

import pytest

from tests.testkit.test_state import *  # noqa: F403

pytestmark = pytest.mark.postgres
