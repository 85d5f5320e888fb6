"""schemathesis, every check and phase, against the Telcom document."""

from pathlib import Path

import pytest

from tests.support import run_schemathesis

pytestmark = pytest.mark.each_backend

CREDENTIALS = {"telcom": [["contract-token", "contract-secret"]]}
AUTH = ["-H", "X-Auth-Token: contract-token", "-H", "X-Auth-Secret: contract-secret"]
# Missing or refused credentials get HTTP 200 `access-denied` on the real platform, which
# ignored_auth and missing_required_header (one of the two auth headers left out) cannot accept
# (they want a 4xx); test_numbers.py proves the refusal for every action instead. Every other
# check runs.
NOT_APPLICABLE = ["--exclude-checks", "ignored_auth,missing_required_header"]
CONFIG = Path(__file__).with_name("schemathesis.toml")


def run_contract(base_url: str):
    return run_schemathesis(f"{base_url}/telcom/openapi.json", *AUTH, *NOT_APPLICABLE, config_file=CONFIG)


def test_telcom_document_holds(strict_emulator):
    result = run_contract(strict_emulator.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
