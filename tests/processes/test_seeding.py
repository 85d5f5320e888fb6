"""A new tenant's first requests arriving at several real processes at once, on one database: the
tenant is seeded once (a claim through the store), every request is answered as one process
answers it, and the tenant holds the same rows as a tenant seeded by one process alone."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from emulator.providers import load_providers
from tests.cm.conftest import BASE as CM_BASE
from tests.support import EmulatorProcess

PROCESSES = 3
TENANTS = 4  # fresh tenants per provider, each raced by every process
CLOUDLX_ACCEPT = {"Accept": "application/vnd.cloudlx.v1+json"}
TELCOM_TIME = re.compile(r'"time":[0-9.]+')  # how long Telcom says the call took


def _first_request(provider: str, fields: dict[str, str]) -> Callable[[httpx.Client, str], httpx.Response]:
    """A provider's first request for a tenant (one that seeds it), as a client sends it."""
    if provider == "yay":
        return lambda http, base: http.get(f"{base}/yay/voip/number-address", headers=fields)
    if provider == "telcom":
        return lambda http, base: http.post(f"{base}/telcom/api/v2/numbers/list", headers=fields)
    if provider == "cloudlx":
        return lambda http, base: http.post(
            f"{base}/cloudlx/api/oauth2/access-token", data=fields, headers=CLOUDLX_ACCEPT
        )
    assert provider == "cm"
    return lambda http, base: http.get(f"{base}{CM_BASE}/numberrequests", headers=fields)


def _rows(http: httpx.Client, base: str, tenant: str) -> dict[str, list[dict]]:
    """The tenant's rows per table, without what differs between any two tenants (row ids, the
    tenant's name, issued tokens)."""
    tables = http.get(f"{base}/_emulator/state", params={"tenant": tenant}).json()["tables"]
    kept = {}
    for name, rows in tables.items():
        if "token" in name:
            continue
        kept[name] = sorted(
            (
                {key: value for key, value in row.items() if key not in ("id", "row_id", "tenant") and value != tenant}
                for row in rows
            ),
            key=repr,
        )
    return kept


def test_a_new_tenant_raced_by_several_processes_is_seeded_once(shared_database):
    emulators = [EmulatorProcess(shared_database) for _ in range(PROCESSES)]
    emulators[0].start()  # the one that creates the tables
    with ThreadPoolExecutor(PROCESSES) as pool:
        list(pool.map(EmulatorProcess.start, emulators[1:]))
    http = httpx.Client(timeout=60)
    try:
        http.post(f"{emulators[0].base_url}/_emulator/clock/freeze")  # the same seed times everywhere
        for provider in load_providers():
            alone = provider.credentials_for(f"alone-{provider.name}")
            send = _first_request(provider.name, alone.fields)
            expected = send(http, emulators[0].base_url)
            assert expected.status_code == 200, expected.text

            raced = [provider.credentials_for(f"raced-{provider.name}-{n}") for n in range(TENANTS)]
            for credentials in raced:
                send = _first_request(provider.name, credentials.fields)
                start = threading.Barrier(PROCESSES)

                def first(emulator: EmulatorProcess, send=send, start=start) -> httpx.Response:
                    start.wait()
                    return send(http, emulator.base_url)

                with ThreadPoolExecutor(PROCESSES) as pool:
                    answers = list(pool.map(first, emulators))
                assert [(a.status_code, a.headers["content-type"]) for a in answers] == [
                    (expected.status_code, expected.headers["content-type"])
                ] * PROCESSES, [a.text for a in answers]
                if provider.name != "cloudlx":  # CloudLX's first answer is a fresh token
                    assert {TELCOM_TIME.sub("", a.text) for a in answers} == {TELCOM_TIME.sub("", expected.text)}

            seeded_once = _rows(http, emulators[0].base_url, alone.tenant)
            assert any(seeded_once.values()), f"{provider.name} seeds nothing"
            for credentials in raced:
                assert _rows(http, emulators[0].base_url, credentials.tenant) == seeded_once, provider.name
    finally:
        http.close()
        for emulator in emulators:
            emulator.stop()
