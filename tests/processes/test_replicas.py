"""Several real emulator processes on one database act as one: two replicas on PostgreSQL behind
a load balancer, three side by side, and ``serve --workers 2`` on SQLite.

CM orders made through every process, the clock moved through one: every status change reaches a
real receiver exactly once and in order, and each order's numbers are assigned once. The journal
on any process lists every process's traffic; a fault rule set through one fires on all with its
count honoured once; the clock, a snapshot restore and a reset through one are seen by the others
at once."""

from __future__ import annotations

import contextlib
import functools
import re
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from tests.cm.conftest import AUTH, REQUESTS
from tests.support import ROOT, EmulatorProcess, RoundRobinBalancer

# A process's first request builds its provider's app and seeds the tenant: on a busy machine
# that takes longer than httpx's default 5 s.
get, post, put, delete = (
    functools.partial(method, timeout=60) for method in (httpx.get, httpx.post, httpx.put, httpx.delete)
)

ORDERS = 12
FAST = {"EMULATOR_TICK_SECONDS": "0.01", "EMULATOR_CALLBACK_LEASE_SECONDS": "5"}


@contextlib.contextmanager
def replicas(database_url: str, count: int):
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(EmulatorProcess(database_url, env=FAST)).base_url for _ in range(count)]


@contextlib.contextmanager
def workers(database_url: str, count: int):
    """One ``serve --workers N``: every request below goes to whichever worker the kernel picks."""
    with EmulatorProcess(database_url, env=FAST, args=("--workers", str(count))) as server:
        assert server.process is not None
        assert len(_children(server.process.pid)) >= count
        yield [server.base_url] * 3


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def orders_are_reported_once_each_in_order(urls: list[str], receiver) -> None:
    post(f"{urls[0]}/_emulator/clock/freeze")
    ids = []
    for n in range(ORDERS):
        url = urls[n % len(urls)]
        order = post(
            url + REQUESTS,
            headers=AUTH,
            json={"quantity": 40, "areaCode": "0113", "callbackUrl": receiver.url},
        ).json()
        assert order["status"] == "Pending"
        ids.append(order["requestId"])
    # Through one process only: accepted after a minute, completed five minutes later.
    assert post(f"{urls[0]}/_emulator/clock/advance", json={"seconds": 60}).status_code == 200
    assert post(f"{urls[0]}/_emulator/clock/advance", json={"seconds": 300}).status_code == 200
    bodies = [callback.json() for callback in receiver.wait_for(2 * ORDERS)]
    seen = {request_id: [b["status"] for b in bodies if b["requestId"] == request_id] for request_id in ids}
    assert seen == {request_id: ["Accepted", "Completed"] for request_id in ids}
    completed = {b["requestId"]: b["numbers"] for b in bodies if b["status"] == "Completed"}
    # Every process answers with the numbers assigned once.
    for request_id in ids:
        for url in urls:
            stored = get(f"{url}{REQUESTS}/{request_id}", headers=AUTH).json()
            assert (stored["status"], stored["numbers"]) == ("Completed", completed[request_id])
    deliveries = get(f"{urls[-1]}/_emulator/callbacks", params={"limit": 100}).json()
    assert sorted(d["attempt_count"] for d in deliveries) == [1] * (2 * ORDERS)
    assert len(receiver.requests) == 2 * ORDERS


def one_journal_fault_rules_clock_and_state(urls: list[str]) -> None:
    # The journal: requests through every process, listed by each.
    assert delete(f"{urls[-1]}/_emulator/requests").status_code == 200
    for n in range(9):
        assert get(urls[n % len(urls)] + REQUESTS, headers=AUTH).status_code == 200
    for url in urls:
        entries = get(f"{url}/_emulator/requests", params={"provider": "cm"}).json()
        assert [(entry["method"], entry["status"]) for entry in entries] == [("GET", 200)] * 9
        assert len({entry["id"] for entry in entries}) == 9

    # A fault rule set through one process fires on all, its count honoured once overall.
    rule = post(
        f"{urls[0]}/_emulator/faults", json={"kind": "error", "provider": "cm", "status": 503, "count": 4}
    ).json()
    statuses = [get(urls[n % len(urls)] + REQUESTS, headers=AUTH).status_code for n in range(9)]
    assert statuses == [503] * 4 + [200] * 5
    for url in urls:
        assert get(f"{url}/_emulator/faults/{rule['id']}").json()["fired"] == 4

    # The clock moved through one is the clock of all, at once.
    frozen = post(f"{urls[-1]}/_emulator/clock/freeze").json()
    moved = post(f"{urls[-1]}/_emulator/clock/advance", json={"seconds": 3600}).json()
    assert moved["now"] != frozen["now"]
    for url in urls:
        assert get(f"{url}/_emulator/clock").json() == moved

    # A snapshot restored through one is the state of all; so is a reset.
    snapshot = get(f"{urls[0]}/_emulator/state").json()
    created = post(urls[-1] + REQUESTS, headers=AUTH, json={"quantity": 1, "areaCode": "0113"}).json()
    assert put(f"{urls[-1]}/_emulator/state", json=snapshot).status_code == 200
    for url in urls:
        listed = get(url + REQUESTS, headers=AUTH).json()
        assert created["requestId"] not in str(listed)
    created = post(urls[0] + REQUESTS, headers=AUTH, json={"quantity": 1, "areaCode": "0113"}).json()
    assert post(f"{urls[-1]}/_emulator/reset").status_code == 200
    for url in urls:
        assert get(f"{url}/_emulator/requests").json() == []
        assert get(f"{url}/_emulator/faults").json() == []
    for url in urls:
        assert created["requestId"] not in str(get(url + REQUESTS, headers=AUTH).json())


@pytest.mark.postgres
def test_three_replicas_act_as_one(postgres_server, callback_receiver):
    database_url = postgres_server.create_schema(f"test_{uuid.uuid4().hex[:12]}")
    with replicas(database_url, 3) as urls:
        orders_are_reported_once_each_in_order(urls, callback_receiver)
        one_journal_fault_rules_clock_and_state(urls)


@pytest.mark.postgres
def test_replicas_behind_a_load_balancer_act_as_one(postgres_server, callback_receiver):
    """The topology of ``deploy/compose.replicas.yml`` from plain processes: PostgreSQL, two
    replicas, a round-robin balancer; the client knows only the balancer."""
    database_url = postgres_server.create_schema(f"test_{uuid.uuid4().hex[:12]}")
    with contextlib.ExitStack() as stack:
        ports = [stack.enter_context(EmulatorProcess(database_url, env=FAST)).port for _ in range(2)]
        balancer = stack.enter_context(RoundRobinBalancer(ports))
        urls = [balancer.base_url] * 3
        orders_are_reported_once_each_in_order(urls, callback_receiver)
        one_journal_fault_rules_clock_and_state(urls)
        assert min(balancer.connections) > 20  # both replicas served


def test_the_compose_file_puts_every_replica_behind_the_balancer():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.replicas.yml").read_text())
    services = compose["services"]
    replicas = sorted(name for name, service in services.items() if service.get("image") == "number-emulator")
    assert len(replicas) >= 2
    assert len({services[name]["environment"]["EMULATOR_DATABASE_URL"] for name in replicas}) == 1
    assert services[replicas[0]]["environment"]["EMULATOR_DATABASE_URL"].startswith("postgresql://")
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert sorted(re.findall(r"server (\S+):8080;", nginx)) == replicas
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in services["balancer"]["volumes"]


def test_workers_act_as_one(tmp_path, callback_receiver):
    with workers(f"sqlite:///{tmp_path / 'emulator.sqlite3'}", 2) as urls:
        orders_are_reported_once_each_in_order(urls, callback_receiver)
        one_journal_fault_rules_clock_and_state(urls)
