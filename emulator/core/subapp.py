"""How every sub-app (each provider, the control plane) is built and reaches the runtime."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import fastapi_offline
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

import emulator
from emulator.core.context import ProviderContext
from emulator.core.http import BodyError, allowed_methods

if TYPE_CHECKING:
    from emulator.core.provider import ErrorRenderer


def build_subapp(
    runtime: ProviderContext,
    prefix: str,
    *,
    title: str,
    description: str,
    errors: ErrorRenderer | None = None,
) -> FastAPI:
    """A FastAPI app to mount at ``prefix``, serving its own OpenAPI document and Swagger UI.

    With ``errors`` (a provider's error renderer), every failure outside the provider's handlers
    gets the provider's own body: unknown paths, wrong methods (a 405 with a complete ``Allow``),
    unreadable bodies, input its schemas refuse, its own exceptions, and anything unexpected."""
    app = FastAPI(
        title=title,
        version=emulator.__version__,
        description=description,
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=OAUTH2_REDIRECT_PATH,
        servers=[{"url": prefix}],
        # A trailing slash is a different path, answered with the provider's own 404 (a redirect
        # built from the Host header would send clients elsewhere).
        redirect_slashes=False,
    )
    app.state.runtime = runtime
    _serve_offline_docs(app, prefix)
    if errors is not None:
        _install_error_bodies(app, errors)
    return app


def _install_error_bodies(app: FastAPI, errors: ErrorRenderer) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        response = errors.status(error.status_code)
        if error.status_code == 405:
            response.headers["Allow"] = allowed_methods(request)
        return response

    @app.exception_handler(BodyError)
    async def _unreadable_body(_request: Request, error: BodyError) -> Response:
        return errors.unreadable_body(error)

    @app.exception_handler(RequestValidationError)
    async def _invalid_input(_request: Request, error: RequestValidationError) -> Response:
        return errors.invalid_input(error)

    for exception, render in errors.raised.items():
        app.add_exception_handler(exception, _handler(render))

    # Must never happen; if it does, the client still gets the provider's body for it.
    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _error: Exception) -> Response:
        return errors.status(500)


def _handler(render: Callable[[Any], Response]) -> Callable[[Request, Any], Awaitable[Response]]:
    # Async, so an error costs no thread hop either.
    async def handle(_request: Request, error: Any) -> Response:
        return render(error)

    return handle


DOCS_PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
DOCS_ASSETS = "/docs-assets"
"""Swagger UI's script, styles and icons, served from the installed ``fastapi-offline`` package (Swagger UI 5,
which renders OpenAPI 3.1),
so a docs page needs no outside host."""


_ASSET_DIR = Path(fastapi_offline.__file__).parent / "static"


def _serve_offline_docs(app: FastAPI, prefix: str) -> None:
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(_ASSET_DIR)), name="docs-assets")
    assets = f"{prefix}{DOCS_ASSETS}"
    oauth2_redirect = f"{prefix}{OAUTH2_REDIRECT_PATH}"

    @app.get(DOCS_PATH, include_in_schema=False)
    async def _docs() -> Response:
        return get_swagger_ui_html(
            openapi_url=f"{prefix}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
            oauth2_redirect_url=oauth2_redirect,
        )

    @app.get(OAUTH2_REDIRECT_PATH, include_in_schema=False)
    async def _oauth2_redirect() -> Response:
        return get_swagger_ui_oauth2_redirect_html()


# Async, so resolving it costs no thread hop.
async def runtime_of(request: Request) -> ProviderContext:
    return request.app.state.runtime


Responses = dict[int | str, dict[str, Any]]
"""The documented answers of a route besides its success (FastAPI's ``responses``)."""

ContextDep = Annotated[ProviderContext, Depends(runtime_of)]
"""What a provider's route sees of the emulator."""
RuntimeDep = ContextDep
