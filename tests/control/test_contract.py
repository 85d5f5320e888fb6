"""schemathesis, every check and phase, against the control plane's document, on an emulator locked
with a control token (the document declares it): requests without it must be refused."""

from tests.support import EmulatorProcess, run_schemathesis

TOKEN = "contract-control-token"


def test_control_document_holds(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'control.sqlite3'}"
    with EmulatorProcess(database_url, env={"EMULATOR_CONTROL_TOKEN": TOKEN}) as emulator:
        result = run_schemathesis(
            f"{emulator.base_url}/_emulator/openapi.json", "--header", f"Authorization: Bearer {TOKEN}"
        )
    assert result.returncode == 0, result.stdout + result.stderr
