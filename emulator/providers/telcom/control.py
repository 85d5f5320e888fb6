"""Test actions under ``/_emulator/telcom``: what the carrier decides outside the API."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from emulator.core.problem import INPUT_ERRORS, Problem
from emulator.core.subapp import GuardedRoute, RuntimeDep
from emulator.providers.telcom import render, service
from emulator.providers.telcom.errors import NAME, NotFound


class SubscriberDecision(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    tenant: str = Field(
        min_length=1, max_length=255, pattern=r"^[^\x00]*$", description="The unit: the `X-Auth-Token` value"
    )
    status: Literal["validated", "rejected"] = Field(description="The carrier's verdict on the subscriber record")


class SubscriberState(BaseModel):
    tenant: str
    id: int
    status: Literal["validated", "rejected"]
    pushed_at: str | None = Field(description="Set when a validated record is pushed to the directory")


def control_router() -> APIRouter:
    router = APIRouter(
        route_class=GuardedRoute,
        responses=INPUT_ERRORS,
    )

    @router.post(
        "/numbers/{number_id}/subscriber",
        response_model=SubscriberState,
        summary="Validate or reject a subscriber record awaiting validation",
        responses={
            404: {"model": Problem, "description": "No such number in that unit"},
            409: {"model": Problem, "description": "The subscriber record is not awaiting validation"},
        },
    )
    def decide_subscriber(number_id: int, body: SubscriberDecision, runtime: RuntimeDep) -> SubscriberState:
        with runtime.db.session() as session:
            try:
                number = service.decide_subscriber(
                    session, body.tenant, number_id, body.status, runtime.clock.now(NAME, body.tenant)
                )
            except NotFound as error:
                raise HTTPException(404, error.data["message"]) from None
            except service.SubscriberNotPending as error:
                raise HTTPException(409, f"The subscriber record is {error}, not validation_pending") from None
        return SubscriberState(
            tenant=body.tenant, id=number_id, status=body.status, pushed_at=render.timestamp(number.pushed_at)
        )

    return router
