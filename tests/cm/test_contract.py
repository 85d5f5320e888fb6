"""schemathesis, every check and phase, against the CM.com document."""

import pytest

from tests.cm.conftest import TOKEN
from tests.support import run_schemathesis

pytestmark = pytest.mark.each_backend

CREDENTIALS = {"cm": [[TOKEN]]}


def run_contract(base_url: str):
    return run_schemathesis(f"{base_url}/cm/openapi.json", "-H", f"X-CM-PRODUCTTOKEN: {TOKEN}")


def test_cm_document_holds(strict_emulator):
    result = run_contract(strict_emulator.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
