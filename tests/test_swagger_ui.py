"""Every Swagger UI page renders in a real headless Chromium with every outside host unresolvable:
its script and styles come from the emulator itself (the installed ``swagger-ui-bundle``)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.support import EmulatorProcess

PAGES = ["/yay/docs", "/telcom/docs", "/cloudlx/docs", "/cm/docs", "/_emulator/docs"]

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("page_path", PAGES)
def test_docs_page_renders_offline(browser, live_emulator: EmulatorProcess, page_path):
    base = urlsplit(live_emulator.base_url)
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_emulator.base_url}{page_path}")
    page.wait_for_selector(".swagger-ui .info .title", state="visible")
    page.wait_for_selector(".opblock", state="visible")
    outside = [url for url in requested if urlsplit(url).netloc != base.netloc and not url.startswith("data:")]
    assert outside == []
    assert any(url.endswith("/docs-assets/swagger-ui-bundle.js") for url in requested)
    page.close()


def test_try_it_out_on_the_control_plane(browser, live_emulator: EmulatorProcess):
    page = browser.new_page()
    page.goto(f"{live_emulator.base_url}/_emulator/docs")
    operation = page.locator(".opblock", has=page.locator(".opblock-summary-path", has_text="/health")).first
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for(state="visible")
    assert status.inner_text().strip() == "200"
    page.close()


# Per provider: the credentials to authorize with (any non-empty ones are the emulator's default),
# and one documented call (method, path, path parameters) to execute with them.
CM_ACCOUNT = "00000000-0000-0000-0000-000000000000"
TRY_IT_OUT = {
    "yay": (
        {"XAuthReseller": "swagger-ui", "XAuthUser": "me", "XAuthPassword": "secret"},
        ("get", "/voip/number-address", {}),
    ),
    "telcom": ({"AuthToken": "swagger-ui", "AuthSecret": "secret"}, ("post", "/api/v2/numbers/list", {})),
    "cm": (
        {"APIKeyHeader": "8d6b0f2e-2d1c-4a61-9f43-5b2f6c0e7a11"},
        ("get", "/voice-phonenumberrequestapi/v1/{accountGuid}/numberrequests", {"accountGuid": CM_ACCOUNT}),
    ),
    "cloudlx": ({"client_id": "swagger-ui", "client_secret": "secret"}, ("get", "/api/numbers", {})),
}


def _authorize(page, provider: str, credentials: dict[str, str]) -> None:
    page.locator(".scheme-container button.authorize").click()
    modal = page.locator(".modal-ux")
    if provider == "cloudlx":  # OAuth2 client credentials: Swagger UI fetches the token itself
        modal.locator("#client_id_clientCredentials").fill(credentials["client_id"])
        modal.locator("#client_secret_clientCredentials").fill(credentials["client_secret"])
        modal.locator("button.authorize").click()
        modal.locator("h6", has_text="Authorized").wait_for(state="visible")  # the token came back
    else:  # one form per header scheme
        for scheme, value in credentials.items():
            form = modal.locator(".auth-container", has=page.locator("h4 code", has_text=scheme))
            form.locator("input").fill(value)
            form.locator("button.authorize").click()
            form.locator("h6", has_text="Authorized").wait_for(state="visible")
    modal.locator("button.close-modal").click()


@pytest.mark.parametrize("provider", sorted(TRY_IT_OUT))
def test_try_it_out_with_the_documented_auth(browser, live_emulator: EmulatorProcess, provider):
    credentials, (method, path, parameters) = TRY_IT_OUT[provider]
    page = browser.new_page()
    page.goto(f"{live_emulator.base_url}/{provider}/docs")
    page.wait_for_selector(".opblock", state="visible")
    _authorize(page, provider, credentials)
    operation = page.locator(f".opblock-{method}", has=page.locator(f'.opblock-summary-path[data-path="{path}"]'))
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    for name, value in parameters.items():
        operation.locator(f'tr[data-param-name="{name}"] input').fill(value)
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for(state="visible")
    body = operation.locator(".live-responses-table .response-col_description pre").first.inner_text()
    assert status.inner_text().strip() == "200", body
    assert "access-denied" not in body  # Telcom refuses with a 200 envelope
    page.close()
