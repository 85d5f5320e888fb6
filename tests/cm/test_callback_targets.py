"""Where CM callbacks may go: never at the emulator itself, not at link-local or metadata addresses
unless listed, only where EMULATOR_CALLBACK_HOSTS says when it is set; checked at creation and
again at delivery. Every target here is on loopback or is never contacted."""

from __future__ import annotations

import httpx
import pytest

from emulator.core.callbacks import CallbackDispatcher
from emulator.core.clock import Clock
from emulator.core.db import Database
from emulator.core.targets import CallbackTargets
from emulator.settings import Settings
from tests.cm.conftest import AUTH, REQUESTS
from tests.core.test_callbacks import state, write
from tests.support import EmulatorProcess


def refused_body(reason: str) -> dict:
    return {"CallbackUrl": [f"The CallbackUrl field is not an allowed callback target: {reason}."]}


def test_a_callback_at_the_emulator_itself_is_refused_at_creation_and_nothing_is_stored(tmp_path):
    with EmulatorProcess(f"sqlite:///{tmp_path / 'self.sqlite3'}") as emulator:
        port = emulator.port
        before = httpx.get(emulator.base_url + REQUESTS, headers=AUTH).text
        for url in (
            f"http://127.0.0.1:{port}/_emulator/reset",
            f"http://localhost:{port}/anything",
            f"http://127.0.0.2:{port}/_emulator/state",
            f"http://0.0.0.0:{port}/",
        ):
            answer = httpx.post(
                emulator.base_url + REQUESTS, headers=AUTH, json={"quantity": 1, "areaCode": "020", "callbackUrl": url}
            )
            assert answer.status_code == 400, (url, answer.text)
            problem = answer.json()
            assert problem["status"] == 400 and problem["title"] == "One or more validation errors occurred."
            assert problem["errors"] == refused_body("the URL points at the emulator itself")
        assert httpx.get(emulator.base_url + REQUESTS, headers=AUTH).text == before


@pytest.mark.parametrize("host", ["169.254.169.254", "169.254.1.1", "100.100.100.200"])
def test_link_local_and_metadata_addresses_are_refused_unless_listed(client, host):
    answer = client.post(
        REQUESTS, headers=AUTH, json={"quantity": 1, "areaCode": "020", "callbackUrl": f"http://{host}/latest"}
    )
    assert answer.status_code == 400
    assert "link-local or metadata address" in answer.json()["errors"]["CallbackUrl"][0]
    assert len(client.get(REQUESTS, headers=AUTH).json()) == 10  # the fixtures' orders only


@pytest.mark.parametrize("host", ["169.254.169.254", "[fe80::1]", "100.100.100.200", "[fd00:ec2::254]", "[::1]"])
def test_guarded_ranges_and_ipv6_loopback_in_the_policy_itself(host):
    targets = CallbackTargets(None, "127.0.0.1", 8080)
    if host == "[::1]":
        assert targets.refusal("http://[::1]:8080/") == "the URL points at the emulator itself"
        assert targets.refusal("http://[::1]:9100/") is None
        return
    assert "link-local or metadata" in targets.refusal(f"http://{host}/latest")
    listed = CallbackTargets(host.strip("[]") + ("/128" if ":" in host else "/32"), "127.0.0.1", 8080)
    assert listed.refusal(f"http://{host}/latest") is None


def test_the_allow_list_takes_hosts_ports_wildcards_and_ranges():
    targets = CallbackTargets("hooks.example.test, *.ci.test:9000, 127.0.0.0/8", "127.0.0.1", 8080)
    assert targets.refusal("http://hooks.example.test/cm", resolve_names=False) is None
    assert targets.refusal("https://runner-7.ci.test:9000/x", resolve_names=False) is None
    assert "not among EMULATOR_CALLBACK_HOSTS" in targets.refusal(
        "https://runner-7.ci.test:9001/x", resolve_names=False
    )
    assert "not among EMULATOR_CALLBACK_HOSTS" in targets.refusal("http://other.test/", resolve_names=False)
    assert targets.refusal("http://127.0.0.1:9100/hook") is None
    assert targets.refusal("http://127.0.0.1:8080/hook") == "the URL points at the emulator itself"
    # Unset, any other host may be a target; the emulator itself never.
    anywhere = CallbackTargets(None, "0.0.0.0", 8080)
    assert anywhere.refusal("http://127.0.0.1:9100/hook") is None
    assert anywhere.refusal("http://192.0.2.10:8080/hook") == "the URL points at the emulator itself"


def test_an_unlisted_target_gets_the_providers_400(make_cm_client):
    client = make_cm_client(callback_hosts="hooks.example.test")
    answer = client.post(
        REQUESTS, headers=AUTH, json={"quantity": 1, "areaCode": "020", "callbackUrl": "http://127.0.0.1:9/x"}
    )
    assert answer.status_code == 400
    assert answer.json()["errors"] == refused_body("127.0.0.1:9 is not among EMULATOR_CALLBACK_HOSTS")


def test_a_name_that_resolves_to_a_refused_address_at_delivery_is_never_sent(tmp_path, callback_receiver):
    """A name accepted at creation may point elsewhere by the time the callback is due (DNS
    rebinding): the dispatcher checks what it resolves to then. Here the receiver stands for the
    emulator itself, at the address the name now resolves to."""
    receiver_port = int(callback_receiver.url.rsplit(":", 1)[1].split("/", 1)[0])
    url = f"http://rebound.test:{receiver_port}/hook"
    targets = CallbackTargets(None, "127.0.0.1", receiver_port, resolver=lambda host, port: ["127.0.0.1"])
    assert targets.refusal(url, resolve_names=False) is None  # what creation sees
    database_url = f"sqlite:///{tmp_path / 'rebind.sqlite3'}"
    db = Database(database_url)
    db.create_all()
    clock = Clock(db)
    dispatcher = CallbackDispatcher(db, clock, Settings(database_url=database_url, data_dir=tmp_path), targets)
    try:
        delivery_id = write(db, clock, url, b"{}")
        dispatcher.deliver_due(clock.now())
        delivery = state(db, delivery_id)
        assert delivery.status == "failed" and delivery.attempt_count == 1
        assert delivery.attempts[0]["error"] == "refused: the URL points at the emulator itself"
        assert callback_receiver.requests == []
    finally:
        dispatcher.close()
        db.dispose()


@pytest.fixture
def make_cm_client(tmp_path):
    from fastapi.testclient import TestClient

    from emulator.app import create_app

    clients = []

    def make(**settings):
        app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'cm.sqlite3'}", data_dir=tmp_path, **settings))
        client = TestClient(app).__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
