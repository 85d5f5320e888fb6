"""A locked control plane: with a control token every control route but health wants it, and the
journal never shows the credentials it records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.settings import Settings
from emulator.testing import EmulatorServer
from tests.cloudlx.helpers import ACCEPT, BASE, token

TOKEN = "s3cret-control-token"
YAY_AUTH = {"X-Auth-Reseller": "acme", "X-Auth-User": "user", "X-Auth-Password": "hunter2"}


@pytest.fixture
def locked(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'locked.sqlite3'}", data_dir=tmp_path, control_token=TOKEN)
    with TestClient(create_app(settings)) as client:
        yield client


CONTROL_ROUTES = [
    ("GET", "/_emulator/tenants"),
    ("GET", "/_emulator/requests"),
    ("GET", "/_emulator/faults"),
    ("GET", "/_emulator/state"),
    ("GET", "/_emulator/callbacks"),
    ("GET", "/_emulator/clock"),
    ("GET", "/_emulator/metrics"),
    ("POST", "/_emulator/reset"),
    ("POST", "/_emulator/clock/freeze"),
]


@pytest.mark.parametrize(("method", "path"), CONTROL_ROUTES)
def test_control_routes_refuse_a_missing_or_wrong_token(locked, method, path):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        answer = locked.request(method, path, headers=headers)
        assert answer.status_code == 401, (path, headers, answer.text)
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in answer.json()["detail"]
    assert locked.request(method, path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_a_refused_reset_changes_nothing_and_health_stays_open(locked):
    assert locked.get("/yay/voip/number-address", headers=YAY_AUTH).status_code == 200
    assert locked.post("/_emulator/reset").status_code == 401
    tenants = locked.get("/_emulator/tenants", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert [t["tenant"] for t in tenants] == ["acme"]
    assert locked.get("/_emulator/health").status_code == 200


def test_the_control_document_declares_the_bearer_scheme(locked):
    document = locked.get("/_emulator/openapi.json").json()
    assert document["components"]["securitySchemes"]["ControlToken"] == {
        "type": "http",
        "description": "The emulator's `EMULATOR_CONTROL_TOKEN`; needed only when the emulator was started with one.",
        "scheme": "bearer",
    }
    assert document["paths"]["/health"]["get"]["security"] == []
    assert document["paths"]["/reset"]["post"]["security"] == [{"ControlToken": []}]


def test_unset_the_control_plane_is_open(make_client):
    assert make_client().post("/_emulator/reset").status_code == 200


def test_the_library_passes_the_token_and_locks_what_it_starts(tmp_path):
    with EmulatorServer(control_token=TOKEN) as server:
        assert server.count() == 0  # the helper sends the token
        assert httpx.get(f"{server.base_url}/_emulator/requests").status_code == 401
        assert httpx.get(f"{server.base_url}/_emulator/health").status_code == 200


def test_the_pytest_plugin_reads_the_token_from_the_environment(tmp_path: Path):
    (tmp_path / "test_locked.py").write_text(
        "import httpx\n"
        "def test_it(number_emulator, emulator_tenant):\n"
        "    httpx.get(emulator_tenant.base_url('yay') + '/voip/number-address', headers=emulator_tenant.credentials('yay'))\n"
        "    assert emulator_tenant.count('yay') == 1\n"
        "    assert httpx.get(number_emulator.base_url + '/_emulator/requests').status_code == 401\n"
    )
    env = {**os.environ, "EMULATOR_CONTROL_TOKEN": TOKEN}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


def test_the_journal_masks_credentials_in_headers_forms_json_and_answers(make_client):
    client = make_client()
    client.get("/yay/voip/number-address", headers=YAY_AUTH)
    access_token = token(client, "tenant-9", "very-secret")
    client.get(f"{BASE}/numbers", headers={**ACCEPT, "Authorization": f"Bearer {access_token}"})
    client.post(
        f"{BASE}/oauth2/access-token",
        json={"grant_type": "client_credentials", "client_id": "tenant-9", "client_secret": "very-secret"},
        headers=ACCEPT,
    )
    text = json.dumps(client.get("/_emulator/requests").json())
    for secret in ("hunter2", "very-secret", access_token):
        assert secret not in text
    entries = client.get("/_emulator/requests").json()
    yay = next(e for e in entries if e["provider"] == "yay")
    assert yay["request_headers"]["x-auth-password"] == "***" and yay["request_headers"]["x-auth-user"] == "user"
    form, listing, as_json = [e for e in entries if e["provider"] == "cloudlx"]
    assert form["request_body"] == "grant_type=client_credentials&client_id=tenant-9&client_secret=***"
    assert '"access_token":"***"' in form["response_body"] and '"token_type":"Bearer"' in form["response_body"]
    assert listing["request_headers"]["authorization"] == "***"
    assert json.loads(as_json["request_body"]) == {
        "grant_type": "client_credentials",
        "client_id": "tenant-9",
        "client_secret": "***",
    }
    # Filters still find a tenant's requests by the name its credentials give.
    assert client.get("/_emulator/requests/count", params={"tenant": "tenant-9"}).json()["count"] == 3


def test_serve_warns_when_open_beyond_loopback_and_not_otherwise():
    from emulator.cli import open_control_warning

    assert "EMULATOR_CONTROL_TOKEN" in open_control_warning(Settings(host="0.0.0.0"))
    assert "EMULATOR_CONTROL_TOKEN" in open_control_warning(Settings(host="emulator.internal"))
    assert open_control_warning(Settings(host="0.0.0.0", control_token=TOKEN)) is None
    assert open_control_warning(Settings(host="127.0.0.1")) is None
    assert open_control_warning(Settings(host="::1")) is None
    assert open_control_warning(Settings(host="localhost")) is None


def test_serve_takes_the_token_as_a_flag(tmp_path):
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "serve",
            "--port",
            str(port),
            "--control-token",
            TOKEN,
            "--database-url",
            f"sqlite:///{tmp_path / 'flag.sqlite3'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/_emulator"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert httpx.get(f"{base}/tenants").status_code == 401
        assert httpx.get(f"{base}/tenants", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
