"""How every sub-app (each provider, the control plane) is built and reaches the runtime."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import fastapi_offline
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

import emulator
from emulator.core.context import ProviderContext
from emulator.core.http import BodyError, allowed_methods, is_json_content_type, parse_json
from emulator.core.traffic import DOCS_ASSETS, DOCS_PATH, OAUTH2_REDIRECT_PATH

if TYPE_CHECKING:
    from emulator.core.provider import ErrorRenderer


@functools.cache
def without_telemetry() -> dict[str, Any]:
    """``FastAPI(...)`` options turning its own OpenTelemetry instrumentation off where it has one
    (FastAPI 0.16x): the emulator's metrics and journal cover its requests, and FastAPI's check
    for configured providers alone costs every request about 10 µs."""
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}


class GuardedRoute(APIRoute):
    """A route whose body is proven to be sane JSON, declared as such, before FastAPI validates
    it: mistyped, malformed, NaN-bearing or
    pathologically nested bodies become the provider's own ``BodyError`` answer, never a 500, and
    the rule does not depend on the FastAPI version's own content-type handling."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            raw = await request.body()  # kept: FastAPI reads the body again from here
            if raw:
                if not is_json_content_type(request.headers.get("content-type")):
                    raise BodyError("content type must be application/json")
                parse_json(raw)
            return await handle(request)

        return guarded


def build_subapp(
    runtime: ProviderContext,
    prefix: str,
    *,
    title: str,
    description: str,
    errors: ErrorRenderer | None = None,
    document_hook: Callable[[dict], None] | None = None,
    cross_origin: bool = True,
) -> FastAPI:
    """A FastAPI app to mount at ``prefix``, serving its own OpenAPI document and Swagger UI.

    With ``errors`` (a provider's error renderer), every failure outside the provider's handlers
    gets the provider's own body: unknown paths, wrong methods (a 405 with a complete ``Allow``),
    unreadable bodies, input its schemas refuse, its own exceptions, and anything unexpected.
    ``document_hook`` adjusts the
    generated OpenAPI document in place (once, before it is first served). With ``cross_origin``,
    browsers on the origins of ``EMULATOR_CORS_ORIGINS`` may call it."""
    app = FastAPI(
        **without_telemetry(),
        title=title,
        version=emulator.__version__,
        description=description,
        license_info=LICENSE,
        # Operations are named after their handlers (``list_numbers``), which generated clients
        # turn into function names; FastAPI would append the path and method.
        generate_unique_id_function=lambda route: route.name,
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
    _complete_document(app, document_hook)
    origins = [origin.strip() for origin in runtime.settings.cors_origins.split(",") if origin.strip()]
    if cross_origin and origins:
        app.add_middleware(CrossOrigin, origins=origins)
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


class CrossOrigin:
    """CORS for browsers on the allowed origins: preflights are answered here, and every answer
    (errors too) names the origin and lets the page read every response header (CM's paging
    headers, Retry-After). Requests without ``Origin`` (every non-browser client) pass straight
    through: Starlette's middleware would wrap each of them, at tens of microseconds a request."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app, allow_origins=origins, allow_methods=["*"], allow_headers=["*"], expose_headers=["*"]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(name == b"origin" for name, _ in scope["headers"]):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


LICENSE = {"name": "MIT", "identifier": "MIT"}
"""The emulator's own licence, which its documents carry."""


def _complete_document(app: FastAPI, document_hook: Callable[[dict], None] | None) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()  # kept by FastAPI as app.openapi_schema
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict) and "responses" in operation:
                    operation["security"] = _one_requirement(operation.get("security", []))
        if document_hook is not None:
            document_hook(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _one_requirement(requirements: list[dict]) -> list[dict]:
    """An operation's schemes as a single requirement: every provider's credential is all of its
    headers at once (FastAPI lists one requirement per header, as alternatives). An operation with
    none says so with an empty list (the token endpoints, health), which linters and clients want."""
    merged = {name: scopes for requirement in requirements for name, scopes in requirement.items()}
    return [merged] if merged else []


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


# Async, so a request costs one thread hop (its handler's), not one for this too.
async def session_of(runtime: ContextDep) -> AsyncIterator[Session]:
    with runtime.db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(session_of)]
"""One database session for the request, closed when it is answered."""
RuntimeDep = ContextDep
