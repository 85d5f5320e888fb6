"""CORS: a page of another origin may call every provider (EMULATOR_CORS_ORIGINS, default ``*``),
never the control plane; a request without ``Origin`` is answered exactly as before."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.settings import Settings
from tests.support import EmulatorProcess

ACCOUNT = "0f9d6c55-64a4-4a5c-9a3b-3c6d3b1f1a01"
PRODUCT_TOKEN = "8d6b0f2e-2d1c-4a61-9f43-5b2f6c0e7a11"

# One documented call per provider: method, path, headers a browser must ask leave to send, body.
CALLS = {
    "yay": (
        "GET",
        "/yay/voip/number-address",
        {"X-Auth-Reseller": "cors", "X-Auth-User": "user", "X-Auth-Password": "secret"},
        None,
    ),
    "telcom": (
        "POST",
        "/telcom/api/v2/numbers/list",
        {"X-Auth-Token": "cors", "X-Auth-Secret": "secret", "Content-Type": "application/json"},
        "{}",
    ),
    "cloudlx": (
        "POST",
        "/cloudlx/api/oauth2/access-token",
        {"Content-Type": "application/json"},
        '{"grant_type": "client_credentials", "client_id": "cors", "client_secret": "secret"}',
    ),
    "cm": (
        "GET",
        f"/cm/voice-phonenumberrequestapi/v1/{ACCOUNT}/numberrequests",
        {"X-CM-PRODUCTTOKEN": PRODUCT_TOKEN},
        None,
    ),
}
PAGE_ORIGIN = "http://app.example"


def _preflight(base_url: str, method: str, path: str, headers: dict, origin: str = PAGE_ORIGIN) -> httpx.Response:
    return httpx.options(
        base_url + path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": ", ".join(name.lower() for name in headers),
        },
    )


@pytest.mark.parametrize("provider", sorted(CALLS))
def test_every_provider_answers_a_preflight(live_emulator: EmulatorProcess, provider):
    method, path, headers, _body = CALLS[provider]
    answer = _preflight(live_emulator.base_url, method, path, headers)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert method in answer.headers["access-control-allow-methods"]
    allowed = {name.strip() for name in answer.headers["access-control-allow-headers"].lower().split(",")}
    assert {name.lower() for name in headers} <= allowed


@pytest.mark.parametrize("provider", sorted(CALLS))
def test_an_answer_names_the_origin_and_keeps_its_body(live_emulator: EmulatorProcess, provider):
    method, path, headers, body = CALLS[provider]
    plain = httpx.request(method, live_emulator.base_url + path, headers=headers, content=body)
    cross = httpx.request(
        method, live_emulator.base_url + path, headers={**headers, "Origin": PAGE_ORIGIN}, content=body
    )
    assert plain.status_code == cross.status_code == 200
    assert "access-control-allow-origin" not in plain.headers
    assert cross.headers["access-control-allow-origin"] == "*"
    assert cross.headers["access-control-expose-headers"] == "*"
    if provider == "telcom":  # the handling time varies
        assert {**cross.json(), "time": None} == {**plain.json(), "time": None}
    elif provider != "cloudlx":  # a new token each time
        assert cross.content == plain.content


def test_the_control_plane_allows_no_other_origin(live_emulator: EmulatorProcess):
    answer = _preflight(live_emulator.base_url, "POST", "/_emulator/reset", {"Content-Type": "application/json"})
    assert "access-control-allow-origin" not in answer.headers
    assert (
        "access-control-allow-origin"
        not in httpx.get(f"{live_emulator.base_url}/_emulator/health", headers={"Origin": PAGE_ORIGIN}).headers
    )


@pytest.fixture(scope="module")
def listed_origins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    database = tmp_path_factory.mktemp("cors") / "emulator.sqlite3"
    env = {"EMULATOR_CORS_ORIGINS": "http://one.example, http://two.example"}
    with EmulatorProcess(f"sqlite:///{database}", env=env) as emulator:
        yield emulator


@pytest.mark.parametrize("provider", sorted(CALLS))
def test_listed_origins_only(listed_origins: EmulatorProcess, provider):
    method, path, headers, _body = CALLS[provider]
    allowed = _preflight(listed_origins.base_url, method, path, headers, origin="http://two.example")
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://two.example"
    assert "origin" in allowed.headers["vary"].lower()
    refused = _preflight(listed_origins.base_url, method, path, headers, origin="http://three.example")
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


def test_an_empty_setting_turns_cors_off(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'emulator.sqlite3'}", data_dir=tmp_path, cors_origins="")
    with TestClient(create_app(settings)) as client:
        method, path, headers, body = CALLS["yay"]
        answer = client.request(method, path, headers={**headers, "Origin": PAGE_ORIGIN}, content=body)
        assert answer.status_code == 200
        assert "access-control-allow-origin" not in answer.headers
        preflight = client.options(path, headers={"Origin": PAGE_ORIGIN, "Access-Control-Request-Method": method})
        assert "access-control-allow-origin" not in preflight.headers


@pytest.fixture(scope="module")
def other_origin() -> Iterator[str]:
    """A page served from another port of 127.0.0.1: another origin, as far as the browser goes."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server naming)
            body = b"<!doctype html><title>another origin</title>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
@pytest.mark.parametrize("provider", sorted(CALLS))
def test_a_page_of_another_origin_calls_the_provider(browser, live_emulator: EmulatorProcess, other_origin, provider):
    """Chromium itself sends the preflight and refuses the answer unless CORS allows it."""
    method, path, headers, body = CALLS[provider]
    page = browser.new_page()
    page.goto(other_origin)
    result = page.evaluate(
        """async ([url, method, headers, body]) => {
            const response = await fetch(url, {method, headers, body});
            return {status: response.status, text: await response.text(),
                    total: response.headers.get("x-cm-pagination-total")};
        }""",
        [live_emulator.base_url + path, method, headers, body],
    )
    page.close()
    assert result["status"] == 200
    assert result["text"]
    if provider == "cm":  # a header the page can read only when it is exposed
        assert result["total"] == "0"
