"""HTTP as clients expect it: HEAD wherever GET is, no trailing-slash redirects, serve's uvicorn
limits; bounded headers and control-plane bodies."""

from __future__ import annotations

from emulator.cli import UVICORN_LIMITS, _settings, build_parser, uvicorn_options
from emulator.core.protocol import REQUEST_LINE_BYTES
from emulator.settings import Settings

YAY = {"X-Auth-Reseller": "guard", "X-Auth-User": "u", "X-Auth-Password": "p"}
DOCUMENTED = "/yay/voip/number-address/31347d42-00bd-44a5-9b5c-20dc4197a2f6"


def test_head_answers_the_headers_of_get_without_a_body(client):
    for path, headers in ((DOCUMENTED, YAY), ("/_emulator/health", {}), ("/cm/openapi.json", {})):
        get = client.get(path, headers=headers)
        head = client.head(path, headers=headers)
        assert head.status_code == get.status_code == 200
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["content-length"] == get.headers["content-length"]


def test_head_where_no_get_is_served_is_the_providers_405(client):
    response = client.head("/telcom/api/v2/numbers/list", headers={"X-Auth-Token": "t", "X-Auth-Secret": "s"})
    assert response.status_code == 200 and response.content == b""
    response = client.head("/cm/v1.0/accounts/00000000-0000-0000-0000-000000000000/numberrequests/statuses")
    assert response.content == b"" and response.status_code < 500


def test_trailing_slash_gets_the_providers_own_404_not_a_redirect(client):
    yay = client.get(DOCUMENTED + "/", headers=YAY, follow_redirects=False)
    assert yay.status_code == 404
    assert "location" not in yay.headers
    assert yay.content == client.get("/yay/nothing-here", headers=YAY).content
    cloudlx = client.get("/cloudlx/api/numbers/", follow_redirects=False)
    assert cloudlx.status_code == 404 and "location" not in cloudlx.headers
    assert cloudlx.json()["status_code"] == 404
    control = client.get("/_emulator/health/", follow_redirects=False)
    assert control.status_code == 404 and "location" not in control.headers


def test_serve_passes_uvicorn_limits_from_flags_and_environment(monkeypatch):
    assert uvicorn_options(Settings())["timeout_keep_alive"] == 5
    monkeypatch.setenv("EMULATOR_TIMEOUT_KEEP_ALIVE", "30")
    monkeypatch.setenv("EMULATOR_LIMIT_CONCURRENCY", "50")
    args = build_parser().parse_args(["serve", "--timeout-keep-alive", "75", "--backlog", "64"])
    options = uvicorn_options(_settings(args, *UVICORN_LIMITS))
    assert options["timeout_keep_alive"] == 75
    assert options["limit_concurrency"] == 50
    assert options["backlog"] == 64
    assert options["http"].keywords == {"max_head_bytes": Settings().max_header_bytes + REQUEST_LINE_BYTES}
    assert "limit_max_requests" not in options


def test_headers_past_the_size_or_count_limit_are_431(client):
    big = client.get("/_emulator/health", headers={"X-Big": "a" * 40_000})
    assert big.status_code == 431
    many = client.get("/_emulator/health", headers={f"X-H{i}": "v" for i in range(150)})
    assert many.status_code == 431
    assert client.get("/_emulator/health", headers={"X-Fine": "a" * 1000}).status_code == 200


def test_control_plane_bodies_past_the_limit_are_413_declared_or_streamed(client):
    huge = b"[" + b"0," * 700_000 + b"0]"
    assert (
        client.post("/_emulator/faults", content=huge, headers={"Content-Type": "application/json"}).status_code == 413
    )

    def chunks():
        for _ in range(20):
            yield b" " * 100_000

    assert (
        client.post("/_emulator/faults", content=chunks(), headers={"Content-Type": "application/json"}).status_code
        == 413
    )
    assert client.get("/_emulator/faults").json() == []


def test_a_5000_digit_json_number_is_unreadable_input_not_a_500():
    import pytest

    from emulator.core.http import BodyError, parse_json

    with pytest.raises(BodyError):
        parse_json(b'{"id": ' + b"9" * 5000 + b"}")


def test_a_refused_body_on_a_providers_real_host_is_that_providers_own_413(client, settings):
    big = b"{" + b" " * settings.max_body_bytes + b"}"
    response = client.post(
        "/voip/number-address", content=big, headers={**YAY, "Host": "api.yay.com", "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {"result": {}, "status_code": 413, "status_message": "Request Entity Too Large"}
    assert response.headers["connection"] == "close"


def test_the_snapshot_limit_is_for_restoring_state_only(client, settings):
    body = b" " * (settings.max_body_bytes + 1)
    assert client.request("GET", "/_emulator/state", content=body).status_code == 413
    assert client.put("/_emulator/state", content=body, headers={"Content-Type": "application/json"}).status_code == 400
