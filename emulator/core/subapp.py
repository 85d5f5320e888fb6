"""How every sub-app (each provider, the control plane) is built and reaches the runtime."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

import emulator
from emulator.core.http import allowed_methods

if TYPE_CHECKING:
    from emulator.core.runtime import Runtime


def build_subapp(
    runtime: Runtime,
    prefix: str,
    *,
    title: str,
    description: str,
    error_response: Callable[[int], Response] | None = None,
) -> FastAPI:
    """A FastAPI app to mount at ``prefix``, serving its own OpenAPI document and Swagger UI.

    With ``error_response`` (a provider's own error body for a status), unknown paths and wrong
    methods get that body too, a 405 with a complete ``Allow``."""
    app = FastAPI(
        title=title,
        version=emulator.__version__,
        description=description,
        docs_url="/docs",
        redoc_url=None,
        servers=[{"url": prefix}],
        # A trailing slash is a different path, answered with the provider's own 404 (a redirect
        # built from the Host header would send clients elsewhere).
        redirect_slashes=False,
    )
    app.state.runtime = runtime
    if error_response is not None:

        @app.exception_handler(StarletteHTTPException)
        async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
            response = error_response(error.status_code)
            if error.status_code == 405:
                response.headers["Allow"] = allowed_methods(request)
            return response

    return app


# Async, so resolving it costs no thread hop.
async def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated["Runtime", Depends(runtime_of)]
