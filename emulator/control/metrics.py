"""``/_emulator/metrics``: Prometheus text exposition, built on a scrape from the emulator's counters
and the database (``prometheus_client`` is imported here, on the first scrape, not at start-up)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import func
from sqlmodel import select

from emulator.core.callbacks import CallbackDelivery
from emulator.core.metrics import LATENCY_BUCKETS
from emulator.core.runtime import Runtime
from emulator.core.subapp import GuardedRoute, RuntimeDep
from emulator.core.tenancy import TenantRecord

router = APIRouter(tags=["Metrics"], route_class=GuardedRoute)

CALLBACK_STATUSES = ("pending", "delivered", "failed")


def _families(runtime: Runtime) -> list:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

    requests, latency = runtime.metrics.snapshot()
    counter = CounterMetricFamily(
        "emulator_requests",
        "Provider requests answered, by provider, route template and status",
        labels=["provider", "route", "status"],
    )
    for (provider, route, status), count in sorted(requests.items()):
        counter.add_metric([provider, route, status], count)
    histogram = HistogramMetricFamily(
        "emulator_request_duration_seconds", "Time to answer a provider request", labels=["provider", "route"]
    )
    for (provider, route), counts in sorted(latency.items()):
        cumulative, buckets = 0.0, []
        for bound, observed in zip((*map(str, LATENCY_BUCKETS), "+Inf"), counts[:-1], strict=False):
            cumulative += observed
            buckets.append((bound, cumulative))
        histogram.add_metric([provider, route], buckets, counts[-1])

    with runtime.db.session() as session:
        by_status = session.exec(
            select(
                CallbackDelivery.provider,
                CallbackDelivery.status,
                func.count(),
                func.sum(CallbackDelivery.attempt_count),
            ).group_by(CallbackDelivery.provider, CallbackDelivery.status)
        ).all()
        tenant_counts = dict(
            session.exec(select(TenantRecord.provider, func.count()).group_by(TenantRecord.provider)).all()
        )
    callbacks = GaugeMetricFamily(
        "emulator_callbacks",
        "Callback deliveries in the outbox, by provider and outcome (pending, delivered, failed)",
        labels=["provider", "outcome"],
    )
    attempts = CounterMetricFamily(
        "emulator_callback_attempts",
        "Delivery attempts made, by provider and the delivery's outcome",
        labels=["provider", "outcome"],
    )
    pending = {name: 0 for name in runtime.providers}
    seen = set()
    for provider, status, count, attempt_sum in by_status:
        callbacks.add_metric([provider, status], count)
        attempts.add_metric([provider, status], attempt_sum or 0)
        seen.add((provider, status))
        if status == "pending":
            pending[provider] = pending.get(provider, 0) + count
    for provider in runtime.providers:
        for status in CALLBACK_STATUSES:
            if (provider, status) not in seen:
                callbacks.add_metric([provider, status], 0)
    outbox = GaugeMetricFamily(
        "emulator_callback_outbox_pending", "Callbacks still owed (pending in the outbox)", labels=["provider"]
    )
    for provider, count in sorted(pending.items()):
        outbox.add_metric([provider], count)
    tenants = GaugeMetricFamily("emulator_tenants", "Tenants seeded, by provider", labels=["provider"])
    for provider in runtime.providers:
        tenants.add_metric([provider], tenant_counts.get(provider, 0))
    return [counter, histogram, callbacks, attempts, outbox, tenants]


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain; version=0.0.4; charset=utf-8": {}}, "description": "Prometheus text format"}
    },
)
def metrics(runtime: RuntimeDep) -> Response:
    """Prometheus metrics: `emulator_requests_total{provider,route,status}`,
    `emulator_request_duration_seconds` (histogram), `emulator_callbacks{provider,outcome}`,
    `emulator_callback_attempts_total{provider,outcome}`, `emulator_callback_outbox_pending{provider}`,
    `emulator_tenants{provider}`."""
    from prometheus_client import CONTENT_TYPE_LATEST
    from prometheus_client.exposition import generate_latest

    class _Collector:
        def collect(self):
            return _families(runtime)

    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector())
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
