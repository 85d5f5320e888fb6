"""Telcom's Voice API (moonrope): incoming numbers, their inventory and destinations."""

from __future__ import annotations

from sqlmodel import Session

from emulator.core.provider import Provider
from emulator.core.runtime import Runtime
from emulator.providers.telcom import fake, service
from emulator.providers.telcom.control import control_router
from emulator.providers.telcom.errors import error_response
from emulator.providers.telcom.models import Destination, Number, Sequence
from emulator.providers.telcom.router import build_app


def _seed_tenant(session: Session, tenant: str, runtime: Runtime) -> None:
    service.seed_tenant(session, tenant, runtime.fixture("telcom"))


def _generate(session: Session, tenant: str, count: int, seed: int, runtime: Runtime) -> int:
    destinations = [(kind, item["id"]) for kind, items in runtime.fixture("telcom")["destinations"].items() for item in items]
    return service.insert_numbers(session, tenant, fake.fake_numbers(seed, count, destinations))


PROVIDER = Provider(
    name="telcom",
    title="Telcom Voice API",
    build_app=build_app,
    seed_tenant=_seed_tenant,
    tables=(Number, Destination, Sequence),
    error_response=error_response,
    control_router=control_router,
    generate=_generate,
)
