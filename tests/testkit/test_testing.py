"""The Python library the pytest plugin is made of, used without pytest's fixtures: the server as a
context manager, errors that say what the emulator answered, a test's refused requests in its
journal, the in-process mode, and the callback receiver."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from emulator.testing import CallbackReceiver, EmulatorError, EmulatorServer, in_process
from tests.support import ROOT
from tests.testkit.conftest import DOCUMENTED_UUID


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as emulator:
        yield emulator


def test_a_plain_script_runs_the_server_as_a_context_manager():
    script = """
import sys
import httpx
from emulator.testing import EmulatorServer

with EmulatorServer() as emulator:
    tenant = emulator.new_tenant()
    answer = httpx.get(tenant.base_url("yay") + "/voip/number-address", headers=tenant.credentials("yay"))
    print(answer.status_code, emulator.count(provider="yay", tenant=tenant.tenant("yay")))
    url = emulator.base_url
try:
    httpx.get(url + "/_emulator/health", timeout=2)
except httpx.TransportError:
    print("stopped")
print("pytest" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n") == ["200 1", "stopped", "False", ""]


def test_a_refused_call_raises_with_the_status_and_body_the_emulator_answered(server):
    with pytest.raises(EmulatorError) as raised:
        server.restore_state({"format": "something-else", "version": 1})
    error = raised.value
    assert error.status_code == 422 and error.response.status_code == 422
    assert isinstance(error.body, dict) and "format" in str(error.body)
    assert "PUT /_emulator/state answered 422" in str(error) and "something-else" in str(error)
    with pytest.raises(EmulatorError, match="answered 404"):
        server.remove_fault(987654)
    assert isinstance(error, httpx.HTTPStatusError)  # what code catching httpx's own error expects


def test_a_tenant_sees_its_own_refused_requests(server):
    tenant = server.new_tenant()
    yay = httpx.Client(base_url=tenant.base_url("yay"), headers=tenant.credentials("yay"))
    assert yay.get("/voip/number-address").status_code == 200
    assert yay.get("/voip/number-address", headers={"X-Auth-Password": ""}).status_code == 401
    assert [entry["status"] for entry in tenant.requests("yay")] == [200, 401]

    cloudlx = httpx.Client(base_url=tenant.base_url("cloudlx"))
    token = cloudlx.post("/api/oauth2/access-token", data=tenant.credentials("cloudlx")).json()["access_token"]
    server.advance_clock(3600)
    assert cloudlx.get("/api/numbers", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert [(entry["path"], entry["status"]) for entry in tenant.requests("cloudlx")] == [
        ("/api/oauth2/access-token", 200),
        ("/api/numbers", 401),
    ]
    tenant.reset()


def test_in_process_mode_serves_every_provider_and_the_control_plane_without_a_port():
    async def scenario() -> tuple[int, str, int, int]:
        headers = {"X-Auth-Reseller": "acme", "X-Auth-User": "me", "X-Auth-Password": "secret"}
        async with in_process(journal_size=5) as emulator:
            address = await emulator.get(f"/yay/voip/number-address/{DOCUMENTED_UUID}", headers=headers)
            count = await emulator.get("/_emulator/requests/count", params={"tenant": "acme"})
            clock = await emulator.post("/_emulator/clock/advance", json={"seconds": 60})
            return address.status_code, address.json()["result"]["uuid"], count.json()["count"], clock.status_code

    assert asyncio.run(scenario()) == (200, DOCUMENTED_UUID, 1, 200)


def test_in_process_state_is_its_own():
    async def addresses() -> int:
        headers = {"X-Auth-Reseller": "acme", "X-Auth-User": "me", "X-Auth-Password": "secret"}
        async with in_process() as emulator:
            await emulator.delete(f"/yay/voip/number-address/{DOCUMENTED_UUID}", headers=headers)
            return len((await emulator.get("/yay/voip/number-address", headers=headers)).json()["result"])

    first, second = asyncio.run(addresses()), asyncio.run(addresses())
    assert first == second  # the second emulator started from the fixtures again, on a file of its own


def test_the_receiver_answers_records_fails_holds_and_goes_down():
    with CallbackReceiver() as receiver:
        receiver.fail_next(1, status=503)
        assert httpx.post(f"{receiver.url}/hook", json={"n": 1}).status_code == 503
        assert httpx.post(f"{receiver.url}/hook", json={"n": 2}, headers={"X-Id": "7"}).status_code == 200
        [accepted] = receiver.wait_for(1)
        assert (accepted.method, accepted.path, accepted.json()) == ("POST", "/hook", {"n": 2})
        assert accepted.headers["x-id"] == accepted.headers["X-Id"] == "7"
        assert [request.status for request in receiver.requests] == [503, 200]
        assert receiver.received_json() == [{"n": 2}] and receiver.received == [b'{"n":2}']

        receiver.delay_next(1, 0.5)
        with pytest.raises(httpx.TransportError):
            httpx.post(receiver.url, content=b"late", timeout=0.1)
        with pytest.raises(TimeoutError, match="1 of 2 callbacks accepted"):
            receiver.wait_for(2, timeout=0.1)

        url = receiver.url
        receiver.stop()
        with pytest.raises(httpx.ConnectError):
            httpx.post(url, content=b"down")
        receiver.start()
        assert receiver.url == url and httpx.post(url, content=b"up").status_code == 200
        assert [request.status for request in receiver.requests] == [503, 200, None, 200]
        assert [request.body for request in receiver.wait_for(2)] == [b'{"n":2}', b"up"]
