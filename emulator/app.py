"""``create_app``: one ASGI app with each provider mounted under its prefix, plus ``/_emulator``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

import emulator
from emulator.control.router import build_app as build_control_app
from emulator.core.runtime import Runtime
from emulator.providers import load_providers
from emulator.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = Runtime(settings, load_providers())
    runtime.start()

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ticker = asyncio.create_task(runtime.background.run_forever(settings.tick_seconds))
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            runtime.callbacks.close()
            runtime.db.dispose()

    app = FastAPI(
        title="Number emulator",
        version=emulator.__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime

    @app.get("/", include_in_schema=False)
    def index() -> dict:
        return {
            "name": "number-emulator",
            "version": emulator.__version__,
            "providers": {
                p.name: {"base_path": p.prefix, "openapi": f"{p.prefix}/openapi.json", "docs": f"{p.prefix}/docs"}
                for p in runtime.providers.values()
            },
            "control": {"base_path": "/_emulator", "openapi": "/_emulator/openapi.json", "docs": "/_emulator/docs"},
        }

    @app.exception_handler(StarletteHTTPException)
    async def _outside_every_mount(request: Request, error: StarletteHTTPException) -> Response:
        # A path no mount matches (Starlette's mount patterns stop at a newline) still gets the
        # error body of the provider whose prefix it starts with.
        for provider in runtime.providers.values():
            if request.scope["path"].startswith(provider.prefix + "/"):
                return provider.error_response(error.status_code)
        return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)

    app.mount("/_emulator", build_control_app(runtime))
    for provider in runtime.providers.values():
        app.mount(provider.prefix, provider.build_app(runtime))
    return app
