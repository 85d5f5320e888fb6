"""The emulator as a user starts it: a real process, settings from flags and environment."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from emulator.settings import Settings
from tests.support import ROOT, EmulatorProcess

AUTH = {"X-Auth-Reseller": "cli", "X-Auth-User": "user", "X-Auth-Password": "secret"}
DOCUMENTED = "/yay/voip/number-address/31347d42-00bd-44a5-9b5c-20dc4197a2f6"


def test_serve_answers_the_documented_request_and_keeps_state_across_restarts(tmp_path):
    database = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    with EmulatorProcess(database) as emulator:
        health = httpx.get(f"{emulator.base_url}/_emulator/health").json()
        assert health["status"] == "ok" and health["database"] == "sqlite"
        assert "yay" in [provider["name"] for provider in health["providers"]]
        response = httpx.get(emulator.base_url + DOCUMENTED, headers=AUTH)
        assert response.status_code == 200
        assert response.json()["result"]["nickname"] == "Work Address"
        assert httpx.delete(emulator.base_url + DOCUMENTED, headers=AUTH).status_code == 200
        httpx.post(f"{emulator.base_url}/_emulator/clock/advance", json={"seconds": 86400})
        clock = httpx.get(f"{emulator.base_url}/_emulator/clock").json()
    with EmulatorProcess(database) as emulator:
        assert httpx.get(emulator.base_url + DOCUMENTED, headers=AUTH).status_code == 404
        # The virtual clock's offset survived the restart too.
        assert httpx.get(f"{emulator.base_url}/_emulator/clock").json()["now"] >= clock["now"]


def test_default_database_is_a_file_in_the_data_folder(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path / 'data' / 'emulator.sqlite3'}"
    assert (tmp_path / "data").is_dir()


def test_environment_configures_and_flags_override(tmp_path, monkeypatch):
    monkeypatch.setenv("EMULATOR_PORT", "9999")
    monkeypatch.setenv("EMULATOR_LOG_LEVEL", "debug")
    assert Settings().port == 9999
    from emulator.cli import _settings, build_parser

    args = build_parser().parse_args(["serve", "--port", "7000"])
    settings = _settings(args, "host", "port", "log_level")
    assert (settings.port, settings.log_level) == (7000, "debug")


def test_help_is_instant_and_lists_commands():
    result = subprocess.run([sys.executable, "-m", "emulator", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0
    assert "serve" in result.stdout and "openapi" in result.stdout


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:shared?mode=memory&cache=shared"])
def test_workers_refuse_a_database_they_could_not_share(url):
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--workers", "2", "--database-url", url, "--port", "0"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--workers needs a database they can share" in result.stderr
