"""``/_emulator``: the control plane for tests and operators (health, reset, clock; the journal,
fault rules and state snapshots have modules of their own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

import emulator
from emulator.control import faults, journal, metrics, state, tenant_names, ui
from emulator.control.auth import ControlToken
from emulator.control.callbacks import router as callbacks_router
from emulator.control.deps import RuntimeDep
from emulator.core.http import BodyError, allowed_methods
from emulator.core.journal import JournalFilter
from emulator.core.jsontypes import JSONFloat, UTCDateTime
from emulator.core.problem import BAD_BODY, INPUT_ERRORS, Problem, tenant_filter
from emulator.core.runtime import Runtime
from emulator.core.subapp import GuardedRoute, Responses, build_subapp


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
    now: datetime = Field(description="The clock's virtual now (UTC)")
    frozen: bool
    # Only for a tenant's clock: the shared clock answers with ``now`` and ``frozen`` alone.
    provider: str | None = Field(default=None, description="The tenant's provider (a tenant's clock only)")
    tenant: str | None = Field(default=None, description="The tenant whose clock this is (a tenant's clock only)")
    own: bool | None = Field(
        default=None,
        description="The tenant has a clock of its own (false: it follows the shared clock; a tenant's clock only)",
    )


class ClockAdvance(BaseModel):
    model_config = ConfigDict(extra="ignore")

    seconds: JSONFloat = Field(
        ge=0, le=10 * 365 * 86400, description="How far to move the clock forward (at most ten years at a time)"
    )


class ClockSet(BaseModel):
    model_config = ConfigDict(extra="ignore")

    now: UTCDateTime = Field(description="The instant to jump to, ISO 8601 (UTC when no offset is given)")


_LOCKED: Responses = {401: {"model": Problem, "description": "A control token is set and was not sent"}}

# Every route may refuse its input; bodies go through the shared guard (size, content type, JSON).
# Routes here need the control token when one is set; health stays open (for load balancers and
# health checks), and so do the pages and documents, which hold no state.
router = APIRouter(route_class=GuardedRoute, responses=INPUT_ERRORS | _LOCKED, dependencies=[ControlToken])
open_router = APIRouter(route_class=GuardedRoute)


@open_router.get("/health", response_model=Health, tags=["Health"])
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


@router.post(
    "/reset",
    response_model=ResetResult,
    tags=["State"],
    responses={404: {"model": Problem, "description": "Unknown provider"}},
)
def reset(
    runtime: RuntimeDep,
    tenant: Annotated[str | None, tenant_filter("Only this tenant")] = None,
    provider: Annotated[str | None, Query(description="Only this provider")] = None,
) -> ResetResult:
    """Put every tenant (or one) back to the default fixtures, and forget the fault rules and
    journal entries of what was reset (rules that name no tenant survive a one-tenant reset)."""
    if provider is not None and provider not in runtime.providers:
        raise HTTPException(404, f"unknown provider {provider!r}")
    tenant = tenant_names.resolved(runtime, tenant)
    runtime.faults.clear(provider=provider, tenant=tenant)
    runtime.journal.clear(JournalFilter(provider=provider, tenant=tenant))
    return ResetResult(tenants_reset=runtime.tenants.reset(tenant=tenant, provider=provider))


@router.get("/tenants", response_model=list[TenantInfo], tags=["State"])
def tenants(runtime: RuntimeDep) -> list[TenantInfo]:
    """Tenants seen so far; a CM.com tenant (its product token) is shown masked."""
    return [
        TenantInfo(
            provider=record.provider,
            tenant=tenant_names.shown(runtime, record.provider, record.tenant),
            created_at=record.created_at,
        )
        for record in runtime.tenants.list()
    ]


def _within_range(instant: datetime) -> datetime:
    # Far enough from datetime's own limits that a running clock never overflows.
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    if instant.year > 9000:
        raise HTTPException(409, "the clock cannot move past the year 9000")
    return instant


@dataclass(frozen=True)
class ClockScope:
    """The clock a route acts on: a tenant's own, or the shared one when no tenant is named."""

    provider: str | None
    tenant: str | None
    named: str | None
    """The tenant as the answer names it: as the request named it (the masked name stays masked),
    masked where a listing shows it."""


def _clock_scope(
    runtime: RuntimeDep,
    provider: Annotated[
        str | None, Query(max_length=32, description="With `tenant`: that tenant's own clock, not the shared one")
    ] = None,
    tenant: Annotated[str | None, tenant_filter("With `provider`: this tenant's own clock, not the shared one")] = None,
) -> ClockScope:
    if (provider is None) != (tenant is None):
        # Not a shape the document can state, so not a 422: no clock is named by half a key.
        raise HTTPException(404, "no such clock: a tenant's clock is named by both provider and tenant")
    if provider is not None and provider not in runtime.providers:
        raise HTTPException(404, f"unknown provider {provider!r}")
    return ClockScope(provider, tenant_names.resolved(runtime, tenant), tenant)


ClockScopeDep = Annotated[ClockScope, Depends(_clock_scope)]


def _clock_info(runtime: Runtime, scope: ClockScope) -> ClockInfo:
    clock = runtime.clock
    return ClockInfo(
        now=clock.now(scope.provider, scope.tenant),
        frozen=clock.frozen(scope.provider, scope.tenant),
        provider=scope.provider,
        tenant=scope.named,
        own=None if scope.tenant is None else clock.own_clock(scope.provider, scope.tenant) is not None,
    )


_UNKNOWN_PROVIDER: Responses = {
    404: {"model": Problem, "description": "Unknown provider, or only one of provider and tenant given"}
}
_OUT_OF_RANGE: Responses = _UNKNOWN_PROVIDER | {
    409: {"model": Problem, "description": "The clock would leave the years 1 to 9000"}
}


@router.get(
    "/clock", response_model=ClockInfo, tags=["Clock"], response_model_exclude_none=True, responses=_UNKNOWN_PROVIDER
)
def clock(runtime: RuntimeDep, scope: ClockScopeDep) -> ClockInfo:
    """The shared clock, or a tenant's (its own, or the shared one it follows)."""
    return _clock_info(runtime, scope)


@router.get("/clock/tenants", response_model=list[ClockInfo], tags=["Clock"], response_model_exclude_none=True)
def tenant_clocks(runtime: RuntimeDep) -> list[ClockInfo]:
    """Every tenant clock of its own (tenants not listed follow the shared clock)."""
    return [
        _clock_info(
            runtime, ClockScope(own.provider, own.tenant, tenant_names.shown(runtime, own.provider, own.tenant))
        )
        for own in runtime.clock.own_clocks()
    ]


@router.post(
    "/clock/advance",
    response_model=ClockInfo,
    tags=["Clock"],
    response_model_exclude_none=True,
    responses=_OUT_OF_RANGE,
)
def advance_clock(body: ClockAdvance, runtime: RuntimeDep, scope: ClockScopeDep) -> ClockInfo:
    """Move time forward and run everything that has come due, in order."""
    _within_range(runtime.clock.now(scope.provider, scope.tenant) + timedelta(seconds=body.seconds))
    runtime.clock.advance(body.seconds, scope.provider, scope.tenant)
    runtime.background.run_due()
    return _clock_info(runtime, scope)


@router.post(
    "/clock/set", response_model=ClockInfo, tags=["Clock"], response_model_exclude_none=True, responses=_OUT_OF_RANGE
)
def set_clock(body: ClockSet, runtime: RuntimeDep, scope: ClockScopeDep) -> ClockInfo:
    runtime.clock.set(_within_range(body.now), scope.provider, scope.tenant)
    runtime.background.run_due()
    return _clock_info(runtime, scope)


@router.post(
    "/clock/freeze",
    response_model=ClockInfo,
    tags=["Clock"],
    response_model_exclude_none=True,
    responses=_UNKNOWN_PROVIDER,
)
def freeze_clock(runtime: RuntimeDep, scope: ClockScopeDep) -> ClockInfo:
    runtime.clock.freeze(scope.provider, scope.tenant)
    return _clock_info(runtime, scope)


@router.post(
    "/clock/resume",
    response_model=ClockInfo,
    tags=["Clock"],
    response_model_exclude_none=True,
    responses=_UNKNOWN_PROVIDER,
)
def resume_clock(runtime: RuntimeDep, scope: ClockScopeDep) -> ClockInfo:
    runtime.clock.resume(scope.provider, scope.tenant)
    return _clock_info(runtime, scope)


@router.post(
    "/clock/reset",
    response_model=ClockInfo,
    tags=["Clock"],
    response_model_exclude_none=True,
    responses=_UNKNOWN_PROVIDER,
)
def reset_clock(runtime: RuntimeDep, scope: ClockScopeDep) -> ClockInfo:
    """The shared clock back to real time, running; a tenant's back to following the shared one."""
    runtime.clock.reset(scope.provider, scope.tenant)
    return _clock_info(runtime, scope)


def build_app(runtime: Runtime) -> FastAPI:
    app = build_subapp(
        runtime,
        "/_emulator",
        title="Number emulator control plane",
        description="Test and operator endpoints under `/_emulator`: health, reset, tenants, the virtual clock, "
        "the request journal, fault injection, state snapshots and callback deliveries.",
        # It resets and exports every tenant: a page of another origin must not drive it through a
        # visitor's browser.
        cross_origin=False,
    )

    @app.exception_handler(BodyError)
    async def _unreadable_body(_request, error: BodyError):
        return JSONResponse({"detail": error.reason}, status_code=400)

    app.include_router(open_router)
    app.include_router(router)
    locked: dict[str, Any] = {"dependencies": [ControlToken], "responses": _LOCKED}
    for routes in (journal.router, faults.router(runtime), state.router(runtime)):
        app.include_router(routes, dependencies=[ControlToken], responses=BAD_BODY | _LOCKED)
    app.include_router(callbacks_router, **locked)
    app.include_router(metrics.router, **locked)
    app.include_router(ui.router)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        # Starlette's own 405 names only the first route's methods in Allow.
        headers = {"Allow": allowed_methods(request)} if error.status_code == 405 else error.headers
        return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)

    for provider in runtime.providers.values():
        if provider.control_router is not None:
            app.include_router(provider.control_router(), prefix=f"/{provider.name}", tags=[provider.title], **locked)
    return app
