"""Yay.com's VoIP reseller API: number addresses."""

from __future__ import annotations

from sqlmodel import Session

from emulator.core.provider import Provider
from emulator.core.runtime import Runtime
from emulator.providers.yay import service
from emulator.providers.yay.errors import error_response
from emulator.providers.yay.models import NumberAddress
from emulator.providers.yay.router import build_app


def _seed_tenant(session: Session, tenant: str, runtime: Runtime) -> None:
    service.seed_tenant(session, tenant, runtime.fixture("yay")["number_addresses"])


PROVIDER = Provider(
    name="yay",
    title="Yay.com VoIP reseller API",
    build_app=build_app,
    seed_tenant=_seed_tenant,
    tables=(NumberAddress,),
    error_response=error_response,
    hosts=("api.yay.com",),
)
