"""``create_app``: one ASGI app with each provider mounted under its prefix, plus ``/_emulator``.

Importing this module is instant: what an app needs is imported when one is made, and each
provider's sub-app (and the control plane) is built on its first request, so ``serve`` answers
its first request soon after it starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from emulator.core.hotpath import HotTable
    from emulator.core.provider import Provider
    from emulator.settings import Settings


def _hot_table(providers: Iterable[Provider]) -> HotTable:
    """Each provider's hot routes and bare-status error renderer: those that have any."""
    return {p.name: (p.hot_routes, p.errors.status) for p in providers if p.hot_routes is not None}


def create_app(settings: Settings | None = None) -> Starlette:
    import asyncio
    import contextlib
    import functools
    import gc
    from collections import Counter
    from collections.abc import AsyncIterator

    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    import emulator
    from emulator.core.faults import FaultInjection, quiet_dropped_connections
    from emulator.core.guard import HttpGuard
    from emulator.core.hotpath import HotRoutes
    from emulator.core.journal import RequestJournal
    from emulator.core.metrics import MetricsMiddleware
    from emulator.core.mounts import LazyMount
    from emulator.core.runtime import Runtime
    from emulator.core.threads import in_thread
    from emulator.core.traffic import DOCUMENTATION_PATHS, Traffic, VirtualHosts, virtual_host_prefixes
    from emulator.providers import load_providers
    from emulator.settings import Settings

    settings = settings or Settings()
    runtime = Runtime(settings, load_providers())
    runtime.start()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await in_thread(runtime.join)
        ticker = asyncio.create_task(runtime.background.run_forever(settings.tick_seconds))
        # Everything built so far (routes, models, compiled statements) lives as long as the app:
        # leave it out of the collector's scans, which otherwise cost a request its p99. No
        # collection first: at this point it finds no garbage and costs start-up tens of ms.
        gc.freeze()
        gc.enable()  # ``serve`` holds it off while it starts
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            runtime.callbacks.close()
            await in_thread(runtime.leave)
            runtime.db.dispose()

    def index(_request: Request) -> Response:
        return JSONResponse(
            {
                "name": "number-emulator",
                "version": emulator.__version__,
                "providers": {
                    p.name: {"base_path": p.prefix, "openapi": f"{p.prefix}/openapi.json", "docs": f"{p.prefix}/docs"}
                    for p in runtime.providers.values()
                },
                "control": {"base_path": "/_emulator", "openapi": "/_emulator/openapi.json", "docs": "/_emulator/docs"},
            }
        )

    async def unrouted(request: Request, error: Exception) -> Response:
        """A path under a provider's prefix that its mount cannot take (a newline in it, say) still
        gets that provider's own error body; any other path FastAPI's ``{"detail": ...}``."""
        assert isinstance(error, HTTPException)
        path = request.scope["path"]
        for provider in runtime.providers.values():
            if path == provider.prefix or path.startswith(provider.prefix + "/"):
                return provider.errors.status(error.status_code)
        if error.status_code in (204, 304):
            return Response(status_code=error.status_code, headers=error.headers)
        return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)

    # The shell is Starlette, not FastAPI: it has no routes of its own to validate or document,
    # and serving a hot route must not wait for FastAPI to be imported (each sub-app imports it
    # when it is first built).
    app = Starlette(
        routes=[Route("/", index, methods=["GET"], include_in_schema=False)],
        exception_handlers={HTTPException: unrouted},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.state.runtime = runtime

    def control_app():
        from emulator.control.router import build_app as build_control_app

        return build_control_app(runtime)

    app.router.routes.append(LazyMount("/_emulator", control_app))
    for provider in runtime.providers.values():
        app.router.routes.append(LazyMount(provider.prefix, functools.partial(provider.build_app, runtime)))

    # Outermost first: the Host decides the provider, the journal records what the client saw
    # (faults included), the faults act before the provider does.
    traffic = Traffic(runtime.providers.values(), {name: DOCUMENTATION_PATHS for name in runtime.providers})
    # Innermost: the hot routes answer inside every middleware, ahead of the routing.
    # How many requests each hot route answered (by method and full path template).
    app.state.hot_answers = Counter()
    app.add_middleware(
        HotRoutes,
        runtime=runtime,
        providers=_hot_table(runtime.providers.values()),
        enabled=settings.hot_routes,
        answered=app.state.hot_answers,
    )
    app.add_middleware(FaultInjection, faults=runtime.faults, traffic=traffic, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=runtime.metrics, traffic=traffic)
    app.add_middleware(RequestJournal, journal=runtime.journal, traffic=traffic, now=runtime.clock.now)
    app.add_middleware(
        HttpGuard,
        providers=runtime.providers.values(),
        max_header_bytes=settings.max_header_bytes,
        max_header_count=settings.max_header_count,
        max_body_bytes=settings.max_body_bytes,
        max_snapshot_bytes=settings.max_snapshot_bytes,
    )
    # Outside the guard, so that a refusal on a provider's real host is that provider's own body.
    app.add_middleware(VirtualHosts, prefixes=virtual_host_prefixes(settings.virtual_hosts, runtime.providers))
    quiet_dropped_connections()
    return app
