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
