"""schemathesis, every check and phase, against the control plane's document."""

from tests.support import run_schemathesis


def test_control_document_holds(live_emulator):
    result = run_schemathesis(f"{live_emulator.base_url}/_emulator/openapi.json")
    assert result.returncode == 0, result.stdout + result.stderr
