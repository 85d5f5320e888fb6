"""``/_emulator/cm``: support's side of a number request, forced from a test (accept, reject with
a reason, complete). Each change writes its callback like any other."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from sqlmodel import select

from emulator.core.problem import INPUT_ERRORS, Problem
from emulator.core.subapp import GuardedRoute, RuntimeDep
from emulator.providers.cm import render, service
from emulator.providers.cm.errors import NAME
from emulator.providers.cm.models import NumberRequest
from emulator.providers.cm.schemas import NumberRequestOut


class Rejection(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reason: Annotated[StrictStr, Field(min_length=1, max_length=service.MAX_COMMENT, pattern="^[^\\x00]*$")] = Field(
        description="Why the request is rejected; it becomes the request's statusReason"
    )


# The product token, or the masked form the control plane's listings show of it.
_GUID = service.GUID_PATTERN.removeprefix("^").removesuffix("$")
_TENANT_PATTERN = rf"^(?:{_GUID}|[0-9A-Fa-f]{{4}}\*\*\*[0-9A-Fa-f]{{4}})$"
TenantQuery = Annotated[
    str,
    Query(
        pattern=_TENANT_PATTERN,
        description="The tenant: the product token the request was made with, or its masked form a listing shows",
    ),
]
RequestGuid = Annotated[str, Path(pattern=service.GUID_PATTERN, description="The number request's requestId")]
_RESPONSES = INPUT_ERRORS | {
    404: {"model": Problem, "description": "No such number request for this tenant"},
    409: {"model": Problem, "description": "The request's status does not allow this change"},
}


def _transition(runtime, tenant: str, guid: str, status: str, reason: str | None = None) -> dict:
    tenant = runtime.tenants.unmask(tenant, {NAME})
    with runtime.db.session() as session:
        request = session.exec(
            select(NumberRequest).where(NumberRequest.tenant == tenant.lower(), NumberRequest.guid == guid.lower())
        ).first()
        if request is None:
            raise HTTPException(404, "no such number request for this tenant")
        try:
            service.force_transition(session, runtime, request, status, reason)
        except service.TransitionRefused as refusal:
            raise HTTPException(409, str(refusal)) from None
        return render.number_request(request)


def control_router() -> APIRouter:
    router = APIRouter(prefix="/numberrequests/{requestId}", route_class=GuardedRoute, responses=_RESPONSES)

    @router.post("/accept", response_model=NumberRequestOut, summary="Accept a pending number request")
    def accept(requestId: RequestGuid, tenant: TenantQuery, runtime: RuntimeDep):
        """Pending → Accepted; it completes by itself after ``EMULATOR_CM_COMPLETE_AFTER_SECONDS``."""
        return _transition(runtime, tenant, requestId, service.ACCEPTED)

    @router.post("/reject", response_model=NumberRequestOut, summary="Reject a number request, with a reason")
    def reject(requestId: RequestGuid, tenant: TenantQuery, body: Rejection, runtime: RuntimeDep):
        return _transition(runtime, tenant, requestId, service.REJECTED, body.reason)

    @router.post("/complete", response_model=NumberRequestOut, summary="Complete a number request: assign its numbers")
    def complete(requestId: RequestGuid, tenant: TenantQuery, runtime: RuntimeDep):
        return _transition(runtime, tenant, requestId, service.COMPLETED)

    return router
