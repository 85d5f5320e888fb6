"""``/_emulator``: the control plane for tests and operators (health, reset, clock; the journal,
fault rules and state snapshots have modules of their own)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

import emulator
from emulator.control import faults, journal, state
from emulator.control.deps import BAD_BODY, NOT_FOUND, ErrorDetail, RuntimeDep
from emulator.core.clock import ClockOverflow
from emulator.core.http import allowed_methods
from emulator.core.jsontypes import JSONFloat, UTCDateTime
from emulator.core.journal import JournalFilter
from emulator.core.runtime import Runtime


class ProviderInfo(BaseModel):
    name: str
    title: str
    base_path: str = Field(examples=["/yay"])
    openapi: str = Field(examples=["/yay/openapi.json"])


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    version: str
    database: str = Field(examples=["sqlite"])
    providers: list[ProviderInfo]


class ResetResult(BaseModel):
    tenants_reset: int = Field(description="How many seeded tenants were dropped; each reseeds on its next request")


class TenantInfo(BaseModel):
    provider: str
    tenant: str
    created_at: datetime


class ClockInfo(BaseModel):
    now: datetime = Field(description="The emulator's virtual now (UTC)")
    frozen: bool


class ClockAdvance(BaseModel):
    seconds: JSONFloat = Field(ge=0, le=10 * 365 * 86400, description="How far to move the clock forward")


class ClockSet(BaseModel):
    now: UTCDateTime = Field(description="The instant to jump to (UTC when no offset is given)")


router = APIRouter()


@router.get("/health", response_model=Health, tags=["Health"])
def health(runtime: RuntimeDep) -> Health:
    return Health(
        status="ok",
        version=emulator.__version__,
        database=runtime.db.engine.dialect.name,
        providers=[
            ProviderInfo(name=p.name, title=p.title, base_path=p.prefix, openapi=f"{p.prefix}/openapi.json")
            for p in runtime.providers.values()
        ],
    )


@router.post("/reset", response_model=ResetResult, responses=NOT_FOUND, tags=["State"])
def reset(
    runtime: RuntimeDep,
    tenant: Annotated[str | None, Query(max_length=255, description="Only this tenant")] = None,
    provider: Annotated[str | None, Query(description="Only this provider")] = None,
) -> ResetResult:
    """Put every tenant (or one) back to the default fixtures, and forget the fault rules and
    journal entries of what was reset (global rules survive a one-tenant reset)."""
    if provider is not None and provider not in runtime.providers:
        raise HTTPException(404, f"unknown provider {provider!r}")
    runtime.faults.clear(provider=provider, tenant=tenant)
    runtime.journal.clear(JournalFilter(provider=provider, tenant=tenant))
    return ResetResult(tenants_reset=runtime.tenants.reset(tenant=tenant, provider=provider))


@router.get("/tenants", response_model=list[TenantInfo], tags=["State"])
def tenants(runtime: RuntimeDep) -> list[TenantInfo]:
    return [TenantInfo.model_validate(record, from_attributes=True) for record in runtime.tenants.list()]


def _clock_info(runtime: Runtime) -> ClockInfo:
    return ClockInfo(now=runtime.clock.now(), frozen=runtime.clock.frozen)


@router.get("/clock", response_model=ClockInfo, tags=["Clock"])
def clock(runtime: RuntimeDep) -> ClockInfo:
    return _clock_info(runtime)


_CLOCK_RANGE = {409: {"model": ErrorDetail, "description": "The clock keeps instants from 1970 to 9000 only"}}


@router.post("/clock/advance", response_model=ClockInfo, responses=_CLOCK_RANGE, tags=["Clock"])
def advance_clock(body: ClockAdvance, runtime: RuntimeDep) -> ClockInfo:
    """Move time forward and run everything that has come due, in order."""
    try:
        runtime.clock.advance(body.seconds)
    except ClockOverflow as overflow:
        raise HTTPException(409, str(overflow)) from None
    runtime.background.run_due()
    return _clock_info(runtime)


@router.post("/clock/set", response_model=ClockInfo, responses=_CLOCK_RANGE, tags=["Clock"])
def set_clock(body: ClockSet, runtime: RuntimeDep) -> ClockInfo:
    try:
        runtime.clock.set(body.now)
    except ClockOverflow as overflow:
        raise HTTPException(409, str(overflow)) from None
    runtime.background.run_due()
    return _clock_info(runtime)


@router.post("/clock/freeze", response_model=ClockInfo, tags=["Clock"])
def freeze_clock(runtime: RuntimeDep) -> ClockInfo:
    runtime.clock.freeze()
    return _clock_info(runtime)


@router.post("/clock/resume", response_model=ClockInfo, tags=["Clock"])
def resume_clock(runtime: RuntimeDep) -> ClockInfo:
    runtime.clock.resume()
    return _clock_info(runtime)


@router.post("/clock/reset", response_model=ClockInfo, tags=["Clock"])
def reset_clock(runtime: RuntimeDep) -> ClockInfo:
    """Back to real time, running."""
    runtime.clock.reset()
    return _clock_info(runtime)


def build_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="Number emulator control plane",
        version=emulator.__version__,
        description="Test and operator endpoints under `/_emulator`: health, reset, tenants, the virtual clock, "
        "the request journal, fault injection and state snapshots.",
        docs_url="/docs",
        servers=[{"url": "/_emulator"}],
        redoc_url=None,
    )
    app.state.runtime = runtime
    for routes in (router, journal.router, faults.router(runtime), state.router(runtime)):
        app.include_router(routes, responses=BAD_BODY)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        # Starlette's own 405 names only the first route's methods in Allow.
        headers = {"Allow": allowed_methods(request)} if error.status_code == 405 else error.headers
        return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)

    for provider in runtime.providers.values():
        if provider.control_router is not None:
            app.include_router(provider.control_router(), prefix=f"/{provider.name}", tags=[provider.title])
    return app
