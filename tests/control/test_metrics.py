"""``/_emulator/metrics``: Prometheus text with requests by provider/route/status, the latency
histogram, callbacks by outcome, the pending outbox and tenants."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from emulator.testing import CallbackReceiver, EmulatorServer

ACCOUNT = "00000000-0000-0000-0000-000000000000"


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_requests_callbacks_and_tenants():
    receiver = CallbackReceiver()
    try:
        with EmulatorServer() as emulator:
            tenant = emulator.new_tenant()
            yay = httpx.Client(base_url=tenant.base_url("yay"), headers=tenant.credentials("yay"))
            yay.get("/voip/number-address")
            yay.get("/voip/number-address/31347d42-00bd-44a5-9b5c-20dc4197a2f6")
            yay.get("/voip/number-address/00000000-0000-0000-0000-000000000000")
            yay.get("/no/such/path")
            emulator.control.post("/clock/freeze")
            receiver.fail_next(10, status=503)
            cm = httpx.Client(
                base_url=f"{tenant.base_url('cm')}/voice-phonenumberrequestapi/v1/{ACCOUNT}",
                headers=tenant.credentials("cm"),
            )
            cm.post("/numberrequests", json={"quantity": 50, "areaCode": "0113", "callbackUrl": receiver.url})
            emulator.advance_clock(60)  # accepted: one callback, its first attempt refused

            response = emulator.control.get("/metrics")
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/plain; version=")
            samples = _samples(response.text)
    finally:
        receiver.stop()

    def requests(route: str, status: str, provider: str = "yay") -> float:
        return samples.get(
            ("emulator_requests_total", (("provider", provider), ("route", route), ("status", status))), 0
        )

    assert requests("/voip/number-address", "200") == 1
    assert requests("/voip/number-address/{uuid}", "200") == 1
    assert requests("/voip/number-address/{uuid}", "404") == 1
    assert requests("<unmatched>", "404") == 1
    cm_routes = [
        dict(labels)["route"]
        for name, labels in samples
        if name == "emulator_requests_total" and ("provider", "cm") in labels
    ]
    assert len(cm_routes) == 1 and cm_routes[0].endswith("/numberrequests") and "{" in cm_routes[0]
    count = samples[
        ("emulator_request_duration_seconds_count", (("provider", "yay"), ("route", "/voip/number-address/{uuid}")))
    ]
    inf = samples[
        (
            "emulator_request_duration_seconds_bucket",
            (("le", "+Inf"), ("provider", "yay"), ("route", "/voip/number-address/{uuid}")),
        )
    ]
    assert count == inf == 2
    assert samples[("emulator_callbacks", (("outcome", "pending"), ("provider", "cm")))] == 1
    assert samples[("emulator_callbacks", (("outcome", "delivered"), ("provider", "cm")))] == 0
    assert samples[("emulator_callback_attempts_total", (("outcome", "pending"), ("provider", "cm")))] == 1
    assert samples[("emulator_callback_outbox_pending", (("provider", "cm"),))] == 1
    assert samples[("emulator_tenants", (("provider", "yay"),))] == 1
    assert samples[("emulator_tenants", (("provider", "cm"),))] == 1
    assert samples[("emulator_tenants", (("provider", "telcom"),))] == 0


def test_metrics_are_not_imported_at_start_up():
    import subprocess
    import sys

    code = "import sys, emulator.app; assert 'prometheus_client' not in sys.modules, 'imported at start-up'"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
