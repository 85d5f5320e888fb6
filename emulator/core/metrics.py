"""Request metrics: plain counters on the request path, turned into Prometheus text on a scrape.

Recording is a dict update under a lock (no ``prometheus_client`` on the hot path, nothing imported
at start-up); ``prometheus_client`` is imported only when ``/_emulator/metrics`` is read.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left

from starlette.routing import Mount

from emulator.core.journal import DROPPED_KEY
from emulator.core.traffic import Traffic

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Upper bounds (seconds) of the latency histogram's buckets; +Inf is implied."""

UNMATCHED_ROUTE = "<unmatched>"


class RequestMetrics:
    """Counts of provider requests by (provider, route, status) and their latency histogram by
    (provider, route). ``route`` is the route's path template (``/voip/number-address/{uuid}``),
    never the raw path, so the label set stays bounded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = {}
        # (provider, route) -> [count per bucket (last one: +Inf)..., sum of seconds]
        self.latency: dict[tuple[str, str], list[float]] = {}

    def observe(self, provider: str, route: str, status: int | None, seconds: float) -> None:
        key = (provider, route, "dropped" if status is None else str(status))
        bucket = bisect_left(LATENCY_BUCKETS, seconds)
        with self._lock:
            self.requests[key] = self.requests.get(key, 0) + 1
            histogram = self.latency.get((provider, route))
            if histogram is None:
                histogram = self.latency[(provider, route)] = [0.0] * (len(LATENCY_BUCKETS) + 2)
            histogram[bucket] += 1
            histogram[-1] += seconds

    def snapshot(self) -> tuple[dict[tuple[str, str, str], int], dict[tuple[str, str], list[float]]]:
        with self._lock:
            return dict(self.requests), {key: list(value) for key, value in self.latency.items()}


def _route_template(scope: dict) -> str:
    route = scope.get("route")
    if isinstance(route, Mount):  # no route of the provider took it (its 404 or 405)
        return UNMATCHED_ROUTE
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class MetricsMiddleware:
    """Pure ASGI: times each provider request and counts its answer's status."""

    def __init__(self, app, metrics: RequestMetrics, traffic: Traffic) -> None:
        self.app = app
        self._metrics = metrics
        self._traffic = traffic

    async def __call__(self, scope, receive, send) -> None:
        target = self._traffic.classify(scope) if scope["type"] == "http" else None
        if target is None:
            await self.app(scope, receive, send)
            return
        status: list[int | None] = [None]

        async def watching_send(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, watching_send)
        except BaseException:
            if status[0] is None:
                status[0] = 500
            raise
        finally:
            dropped = scope.get("state", {}).get(DROPPED_KEY)
            self._metrics.observe(
                target.provider.name,
                _route_template(scope),
                None if dropped else status[0],
                time.perf_counter() - started,
            )
