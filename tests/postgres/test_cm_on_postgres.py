"""The CM.com tests that run in-process, unchanged, on PostgreSQL (JSON and binary columns, the
outbox queries)."""

import pytest

from tests.cm.conftest import cm  # noqa: F401 (the fixture)
from tests.cm.test_lifecycle import *  # noqa: F403
from tests.cm.test_number_requests import *  # noqa: F403

pytestmark = pytest.mark.postgres
