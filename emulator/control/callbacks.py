"""``/_emulator/callbacks``: every callback delivery with its attempts, and redelivery."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from emulator.control import tenant_names
from emulator.control.deps import RuntimeDep
from emulator.core.callbacks import CallbackDelivery, RedeliveryRefused
from emulator.core.problem import INPUT_ERRORS, Problem, tenant_filter
from emulator.core.runtime import Runtime
from emulator.core.subapp import GuardedRoute

MAX_ID = 2**63 - 1


class Attempt(BaseModel):
    attempt: int = Field(description="1 for the first attempt, counting redeliveries on")
    at: datetime = Field(description="When it was made, on the emulator's clock")
    status_code: int | None = Field(description="The receiver's HTTP status; null when no answer came")
    error: str | None = Field(description="Why it failed (connection refused, timed out, HTTP 503…); null on success")
    duration_ms: int = Field(description="Real milliseconds the attempt took")


class Delivery(BaseModel):
    id: int
    provider: str
    tenant: str
    event: str = Field(examples=["Accepted"], description="What the callback reports")
    url: str
    status: Literal["pending", "delivered", "failed"] = Field(
        description="pending: waiting for its next attempt (or for an earlier delivery to the same URL); "
        "delivered: a 2xx answer came; failed: the attempt limit was reached"
    )
    attempt_count: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    content_type: str
    payload: str = Field(description="The body sent, as text")
    attempts: list[Attempt] = Field(description="The latest attempts, oldest first")


def _delivery(runtime: Runtime, row: CallbackDelivery) -> Delivery:
    return Delivery(
        id=row.id,
        provider=row.provider,
        tenant=tenant_names.shown(runtime, row.provider, row.tenant),
        event=row.event,
        url=row.url,
        status=row.status,
        attempt_count=row.attempt_count,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        content_type=row.content_type,
        payload=row.payload.decode("utf-8", errors="replace"),
        attempts=[Attempt(**attempt) for attempt in row.attempts],
    )


router = APIRouter(prefix="/callbacks", tags=["Callbacks"], route_class=GuardedRoute, responses=INPUT_ERRORS)


@router.get("", response_model=list[Delivery])
def list_deliveries(
    runtime: RuntimeDep,
    provider: Annotated[str | None, Query(max_length=32, description="Only this provider's")] = None,
    tenant: Annotated[str | None, tenant_filter("Only this tenant's")] = None,
    status: Annotated[Literal["pending", "delivered", "failed"] | None, Query(description="Only these")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[Delivery]:
    """Every callback delivery, oldest first, with its attempts, status codes and times."""
    tenant = tenant_names.resolved(runtime, tenant)
    rows = runtime.callbacks.list(provider=provider, tenant=tenant, status=status, limit=limit, offset=offset)
    return [_delivery(runtime, row) for row in rows]


class Settled(BaseModel):
    settled: bool = Field(description="Nothing of the scope is in flight or due: every due delivery has been attempted")
    in_flight: int = Field(description="Deliveries being sent now, by any process")
    due: int = Field(description="Deliveries due and not yet taken")


@router.post("/settle", response_model=Settled)
def settle(
    runtime: RuntimeDep,
    provider: Annotated[str | None, Query(max_length=32, description="Only this provider's")] = None,
    tenant: Annotated[str | None, tenant_filter("Only this tenant's")] = None,
    timeout: Annotated[float, Query(ge=0, le=300, description="Real seconds to wait at most")] = 30,
) -> Settled:
    """Wait until every delivery that is due (of a provider, a tenant, or all) has been attempted:
    none in flight, none due and untaken. Moving the clock starts the deliveries it made due and
    answers without waiting for them; call this after it to see their outcome."""
    tenant = tenant_names.resolved(runtime, tenant)
    in_flight, due = runtime.callbacks.settle(provider, tenant, timeout)
    return Settled(settled=in_flight == due == 0, in_flight=in_flight, due=due)


@router.post(
    "/{delivery_id}/redeliver",
    response_model=Delivery,
    responses={
        404: {"model": Problem, "description": "No such delivery"},
        409: {"model": Problem, "description": "Still pending: it will be attempted anyway"},
    },
)
def redeliver(delivery_id: Annotated[int, Path(ge=1, le=MAX_ID)], runtime: RuntimeDep) -> Delivery:
    """Send a failed (or already delivered) callback again, due now, with a fresh attempt budget."""
    try:
        row = runtime.callbacks.redeliver(delivery_id)
    except RedeliveryRefused:
        raise HTTPException(409, "the delivery is still pending") from None
    if row is None:
        raise HTTPException(404, "no such delivery")
    return _delivery(runtime, row)
