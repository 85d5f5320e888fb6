"""How every sub-app (each provider, the control plane) is built and reaches the runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, FastAPI, Request

import emulator

if TYPE_CHECKING:
    from emulator.core.runtime import Runtime


def build_subapp(runtime: Runtime, prefix: str, *, title: str, description: str) -> FastAPI:
    """A FastAPI app to mount at ``prefix``, serving its own OpenAPI document and Swagger UI."""
    app = FastAPI(
        title=title,
        version=emulator.__version__,
        description=description,
        docs_url="/docs",
        redoc_url=None,
        servers=[{"url": prefix}],
    )
    app.state.runtime = runtime
    return app


# Async, so resolving it costs no thread hop.
async def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated["Runtime", Depends(runtime_of)]
