"""The inspector in a real browser (Debian's chromium, headless, driven by Playwright): it shows a
tenant's requests, records and callback attempts, and its buttons change the emulator's state.
The ``browser`` fixture is the suite's (tests/conftest.py)."""

from __future__ import annotations

import httpx
import pytest

from emulator.core.tenancy import masked_name as mask
from emulator.testing import CallbackReceiver, EmulatorServer

pytestmark = pytest.mark.browser

ACCOUNT = "00000000-0000-0000-0000-000000000000"
YAY_ADDRESS = "31347d42-00bd-44a5-9b5c-20dc4197a2f6"


@pytest.fixture
def emulator():
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def receiver():
    with CallbackReceiver() as receiver:
        yield receiver


def test_inspector_shows_a_tenant_and_its_buttons_act(browser, emulator, receiver, tmp_path):
    from playwright.sync_api import expect

    control = emulator.control
    tenant = emulator.new_tenant()
    yay_headers, cm_headers = tenant.credentials("yay"), tenant.credentials("cm")
    cm_tenant = tenant.tenant("cm")
    cm = httpx.Client(base_url=f"{tenant.base_url('cm')}/voice-phonenumberrequestapi/v1/{ACCOUNT}", headers=cm_headers)

    control.post("/clock/freeze").raise_for_status()
    control.post("/clock/set", json={"now": "2024-03-01T09:00:00Z"}).raise_for_status()
    assert httpx.get(f"{tenant.base_url('yay')}/voip/number-address", headers=yay_headers).status_code == 200
    receiver.fail_next(1, status=503)
    order = cm.post("/numberrequests", json={"quantity": 50, "areaCode": "0113", "callbackUrl": f"{receiver.url}/hook"})
    assert order.json()["status"] == "Pending"
    control.post("/clock/advance", json={"seconds": 60}).raise_for_status()  # accepted; the receiver answers 503
    control.post("/callbacks/settle").raise_for_status()  # the advance starts the attempt; its outcome
    control.post("/clock/advance", json={"seconds": 2}).raise_for_status()  # past the backoff: delivered
    control.post("/callbacks/settle").raise_for_status()
    [delivery] = control.get("/callbacks", params={"tenant": cm_tenant}).json()
    assert delivery["status"] == "delivered" and delivery["attempt_count"] == 2

    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{emulator.base_url}/_emulator/ui")

    # The tenant of each provider it used, its requests, its callback with both attempts.
    # The CM tenant is its product token: the page shows it masked, and acts on it all the same.
    cm_shown = mask(cm_tenant)
    expect(page.locator(f'#tenants tr[data-provider="cm"][data-tenant="{cm_shown}"]')).to_have_count(1)
    expect(page.locator(f'#tenants tr[data-provider="yay"][data-tenant="{tenant.tenant("yay")}"]')).to_have_count(1)
    expect(page.locator("#requests tr.request", has_text=cm_shown)).to_have_count(1)
    expect(page.locator("#requests tr.request", has_text="/voip/number-address")).to_have_count(1)
    callback = page.locator(f'#callbacks tr.callback[data-id="{delivery["id"]}"]')
    expect(callback).to_contain_text("Accepted")
    expect(callback.locator(".attempt-count")).to_have_text("2")
    callback.click()
    attempts = page.locator("#callbacks tr.attempt")
    expect(attempts).to_have_count(2)
    expect(attempts.nth(0)).to_contain_text("503")
    expect(attempts.nth(1)).to_contain_text("200")
    expect(page.locator("#clock-now")).to_have_text("2024-03-01 09:01:02Z")
    expect(page.locator("#clock-frozen")).to_have_text("(frozen)")

    # The tenant's records, and its request with bodies, without the password it sent.
    page.locator('#tenants tr[data-provider="yay"] button.records').click()
    expect(page.locator('#records table[data-table="yay_number_address"]')).to_contain_text(YAY_ADDRESS)
    page.locator("#requests tr.request", has_text="/voip/number-address").click()
    details = page.locator("#requests tr.details")
    expect(details).to_contain_text("x-auth-reseller")
    expect(details).to_contain_text(YAY_ADDRESS)  # the response body
    assert yay_headers["X-Auth-Password"] not in page.content()

    # Filters narrow the journal.
    page.locator('#request-filters select[name="provider"]').select_option("cm")
    expect(page.locator("#requests tr.request")).to_have_count(1)
    expect(page.locator("#requests tr.request")).to_contain_text("POST")
    page.locator('#request-filters select[name="provider"]').select_option("")
    page.screenshot(path=str(tmp_path / "inspector.png"), full_page=True)

    # Redeliver: a third attempt reaches the receiver and shows up.
    callback.locator("button.redeliver").click()
    receiver.wait_for(2)  # the first delivered attempt and this one
    expect(callback.locator(".attempt-count")).to_have_text("3")
    expect(callback).to_have_attribute("data-status", "delivered")
    assert [r.json()["status"] for r in receiver.requests] == ["Accepted", "Accepted", "Accepted"]

    # Clock advance from the page moves the emulator's clock (the order completes: another callback).
    page.locator('#clock-advance input[name="seconds"]').fill("3600")
    page.locator("#clock-advance button").click()
    expect(page.locator("#clock-now")).to_have_text("2024-03-01 10:01:02Z")
    assert control.get("/clock").json()["now"].startswith("2024-03-01T10:01:02")
    assert cm.get(f"/numberrequests/{order.json()['requestId']}").json()["status"] == "Completed"

    # A fault rule added and removed through the form.
    page.locator('#fault-form select[name="provider"]').select_option("yay")
    page.locator('#fault-form input[name="count"]').fill("2")
    page.locator("#fault-form button").click()
    expect(page.locator("#faults tr.fault")).to_have_count(1)
    [rule] = control.get("/faults").json()
    assert (rule["provider"], rule["kind"], rule["status"], rule["remaining"]) == ("yay", "error", 500, 2)
    page.locator("#faults tr.fault button.remove").click()
    expect(page.locator("#faults tr.fault")).to_have_count(0)
    assert control.get("/faults").json() == []
    page.screenshot(path=str(tmp_path / "inspector-after.png"), full_page=True)

    # Reset the CM tenant: it goes from the list, and its order with it.
    assert cm_tenant not in page.content()
    page.locator(f'#tenants tr[data-provider="cm"][data-tenant="{cm_shown}"] button.reset').click()
    expect(page.locator('#tenants tr[data-provider="cm"]')).to_have_count(0)
    assert all(t["provider"] != "cm" for t in control.get("/tenants").json())
    assert cm.get(f"/numberrequests/{order.json()['requestId']}").status_code == 404
    expect(page.locator('#tenants tr[data-provider="yay"]')).to_have_count(1)
    assert errors == []


def test_inspector_sends_the_typed_control_token(browser, emulator):
    """The token typed into the page is kept in sessionStorage and sent as a Bearer header."""
    seen: list[str | None] = []
    page = browser.new_page()
    page.on(
        "request",
        lambda request: (
            seen.append(request.headers.get("authorization")) if "/_emulator/clock" in request.url else None
        ),
    )
    page.goto(f"{emulator.base_url}/_emulator/ui")
    page.locator("#token").fill("s3cret-token")
    page.locator("#token-form button").click()
    page.wait_for_function("() => sessionStorage.getItem('emulatorControlToken') === 's3cret-token'")
    page.reload()
    page.wait_for_function("() => document.body.dataset.refreshed !== undefined")
    page.locator("#clock-freeze").click()
    page.wait_for_function("() => document.getElementById('clock-frozen').textContent === '(frozen)'")
    assert "Bearer s3cret-token" in seen
    assert None in seen  # before the token was typed
    assert emulator.control.get("/clock").json()["frozen"] is True


def test_inspector_moves_one_tenants_clock_keeps_snapshots_and_resets_everything(browser, emulator, tmp_path):
    from playwright.sync_api import expect

    control = emulator.control
    tenant = emulator.new_tenant()
    yay, headers = tenant.tenant("yay"), tenant.credentials("yay")
    addresses = f"{tenant.base_url('yay')}/voip/number-address"
    assert httpx.get(addresses, headers=headers).status_code == 200

    page = browser.new_page(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{emulator.base_url}/_emulator/ui")

    # The tenant's own clock: picked from its row, frozen, set and advanced from the page.
    page.locator(f'#tenants tr[data-provider="yay"][data-tenant="{yay}"] button.clock').click()
    page.locator("#clock-freeze").click()
    expect(page.locator("#clock-frozen")).to_have_text("(frozen)")
    page.locator('#clock-set input[name="now"]').fill("2030-01-01T00:00:00Z")
    page.locator("#clock-set button").click()
    expect(page.locator("#clock-now")).to_have_text("2030-01-01 00:00:00Z")
    page.locator('#clock-advance input[name="seconds"]').fill("90")
    page.locator("#clock-advance button").click()
    expect(page.locator("#clock-now")).to_have_text("2030-01-01 00:01:30Z")
    own = page.locator(f'#tenant-clocks tr.tenant-clock[data-tenant="{yay}"]')
    expect(own.locator(".now")).to_have_text("2030-01-01 00:01:30Z")
    assert tenant.now("yay").isoformat() == "2030-01-01T00:01:30+00:00"
    shared = control.get("/clock").json()
    assert shared["frozen"] is False and not shared["now"].startswith("2030")
    page.locator("#clock-resume").click()
    expect(page.locator("#clock-frozen")).to_have_text("(running)")
    assert control.get("/clock", params={"provider": "yay", "tenant": yay}).json()["frozen"] is False

    # Snapshot export, a change, and the exported file imported back: the change is undone.
    page.locator("#snapshot-tenant").fill(yay)
    with page.expect_download() as download:
        page.locator("#snapshot-export").click()
    exported = tmp_path / "snapshot.json"
    download.value.save_as(exported)
    assert '"yay_number_address"' in exported.read_text(encoding="utf-8")
    assert httpx.delete(f"{addresses}/{YAY_ADDRESS}", headers=headers).status_code == 200
    assert httpx.get(f"{addresses}/{YAY_ADDRESS}", headers=headers).status_code == 404
    page.locator("#snapshot-file").set_input_files(str(exported))
    expect(page.locator("#snapshot-result")).to_contain_text("restored")
    assert httpx.get(f"{addresses}/{YAY_ADDRESS}", headers=headers).status_code == 200

    # "Follow shared" puts the tenant back on the shared clock.
    own.locator("button.follow").click()
    expect(page.locator("#tenant-clocks tr.tenant-clock")).to_have_count(0)
    assert control.get("/clock/tenants").json() == []

    # Reset everything (confirmed in the dialog): every tenant goes.
    page.locator("#tenants tr", has_text=yay).wait_for()
    page.locator("#reset-all").click()
    expect(page.locator("#tenants tbody tr")).to_have_count(0)
    assert control.get("/tenants").json() == []
    page.screenshot(path=str(tmp_path / "inspector-clocks.png"), full_page=True)
    assert errors == []
