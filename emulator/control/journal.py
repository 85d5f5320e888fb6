"""``/_emulator/requests``: the request journal (every provider request and its answer)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from emulator.control import tenant_names
from emulator.control.deps import RuntimeDep
from emulator.core.journal import JournalEntry, JournalFilter
from emulator.core.jsontypes import UTCDateTime
from emulator.core.problem import tenant_filter
from emulator.core.runtime import Runtime
from emulator.core.subapp import GuardedRoute


class RecordedRequest(BaseModel):
    id: int = Field(description="Increases by one per recorded request")
    time: datetime = Field(description="When the request arrived, on the emulator's virtual clock")
    provider: str
    tenant: str | None = Field(description="The tenant its credentials named (null before or without auth)")
    method: str
    path: str = Field(
        description="The path below the provider prefix (the real API's path)", examples=["/voip/number-address"]
    )
    query: str = Field(description="The raw query string")
    request_headers: dict[str, str] = Field(description="Lower-case names, as sent; credential values masked as ***")
    request_body: str = Field(description="UTF-8 text; cut at EMULATOR_JOURNAL_BODY_BYTES")
    request_body_truncated: bool
    status: int | None = Field(description="The status answered; null when a fault dropped the connection")
    response_headers: dict[str, str]
    response_body: str
    response_body_truncated: bool
    duration_ms: float
    fault_id: int | None = Field(description="The fault rule that shaped the answer, if any")


class RequestCount(BaseModel):
    count: int


class Cleared(BaseModel):
    cleared: int


def _filter(
    runtime: RuntimeDep,
    provider: Annotated[str | None, Query(max_length=64, description="Only this provider's requests")] = None,
    tenant: Annotated[str | None, tenant_filter("Only this tenant's requests")] = None,
    method: Annotated[str | None, Query(max_length=16, description="Only this method")] = None,
    path: Annotated[
        str | None,
        Query(
            max_length=1000,
            description="Glob on the path below the provider prefix: `*` any run of characters, `?` one",
        ),
    ] = None,
    since: Annotated[
        UTCDateTime | None, Query(description="Arrived at or after this instant (virtual clock; UTC if no offset)")
    ] = None,
    until: Annotated[UTCDateTime | None, Query(description="Arrived at or before this instant")] = None,
    status: Annotated[int | None, Query(ge=0, le=999, description="Only answers with this status")] = None,
) -> JournalFilter:
    return JournalFilter(
        provider=provider,
        tenant=tenant_names.resolved(runtime, tenant),
        method=method,
        path=path,
        since=since,
        until=until,
        status=status,
    )


FilterDep = Annotated[JournalFilter, Depends(_filter)]

router = APIRouter(prefix="/requests", tags=["Request journal"], route_class=GuardedRoute)


@router.get("", response_model=list[RecordedRequest])
def list_requests(
    runtime: RuntimeDep,
    query: FilterDep,
    limit: Annotated[int | None, Query(ge=1, le=1_000_000, description="Only the most recent N matches")] = None,
) -> list[RecordedRequest]:
    """Recorded provider requests, oldest first. The journal keeps the last EMULATOR_JOURNAL_SIZE
    requests (oldest dropped first) in the database, shared by every process serving from it; the
    first process to start clears it."""
    return [_recorded(runtime, entry) for entry in runtime.journal.find(query, limit)]


def _recorded(runtime: Runtime, entry: JournalEntry) -> RecordedRequest:
    """An entry as the journal shows it: a secret tenant name masked, in the headers too."""
    recorded = RecordedRequest.model_validate(entry, from_attributes=True)
    shown = tenant_names.shown(runtime, entry.provider, entry.tenant)
    if shown is not None and entry.tenant is not None and shown != entry.tenant:
        recorded.tenant = shown
        recorded.request_headers = {
            name: shown if value.lower() == entry.tenant.lower() else value
            for name, value in entry.request_headers.items()
        }
    return recorded


@router.get("/count", response_model=RequestCount)
def count_requests(runtime: RuntimeDep, query: FilterDep) -> RequestCount:
    """How many recorded requests match: "was this called N times"."""
    return RequestCount(count=runtime.journal.count(query))


@router.delete("", response_model=Cleared)
def clear_requests(runtime: RuntimeDep, query: FilterDep) -> Cleared:
    """Forget the matching recorded requests (all of them without filters)."""
    return Cleared(cleared=runtime.journal.clear(query))
