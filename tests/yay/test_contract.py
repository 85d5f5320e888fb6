"""schemathesis, every check and phase, against the Yay.com document."""

import pytest

from tests.support import run_schemathesis

pytestmark = pytest.mark.each_backend

CREDENTIALS = {"yay": [["contract", "user", "secret"]]}
AUTH = ["-H", "X-Auth-Reseller: contract", "-H", "X-Auth-User: user", "-H", "X-Auth-Password: secret"]


def run_contract(base_url: str):
    return run_schemathesis(f"{base_url}/yay/openapi.json", *AUTH)


def test_yay_document_holds(strict_emulator):
    result = run_contract(strict_emulator.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
