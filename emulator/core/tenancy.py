"""Tenants: whoever the credentials name gets a private copy of the default fixtures.

Isolation and reset are properties of storage (every row carries its tenant), not of handlers.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from emulator.core.callbacks import CallbackDelivery

if TYPE_CHECKING:
    from emulator.core.runtime import Runtime


class TenantRecord(SQLModel, table=True):
    __tablename__ = "emulator_tenant"

    provider: str = Field(primary_key=True, max_length=32)
    tenant: str = Field(primary_key=True, max_length=255)
    created_at: datetime


TENANT_KEY = "emulator_tenant"
"""Scope state key: the request's tenant, as the provider named it."""
TENANT_GATE_KEY = "emulator_tenant_gate"
"""Scope state key: a callable the fault middleware leaves for tenant rules; called once with the tenant."""


def _note_tenant(request: Request, tenant: str) -> None:
    state = request.scope.setdefault("state", {})
    state[TENANT_KEY] = tenant
    gate = state.pop(TENANT_GATE_KEY, None)
    if gate is not None:
        gate(tenant)


class Tenants:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._known: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def enter(self, request: Request, provider: str, tenant: str) -> None:
        """The one place a provider names the tenant of a request: records it on the request scope
        for the journal, lets tenant fault rules act (which may abort the request), and seeds the
        tenant if new."""
        _note_tenant(request, tenant)
        self.ensure(provider, tenant)

    async def enter_async(self, request: Request, provider: str, tenant: str) -> None:
        """``enter`` for async dependencies: only a tenant's first request waits on a thread."""
        _note_tenant(request, tenant)
        if (provider, tenant) not in self._known:
            await run_in_threadpool(self.ensure, provider, tenant)

    def ensure(self, provider: str, tenant: str) -> None:
        """Seed the tenant from the default fixtures the first time it is seen."""
        key = (provider, tenant)
        if key in self._known:
            return
        with self._lock:
            if key in self._known:
                return
            runtime = self._runtime
            with runtime.db.session() as session:
                if session.get(TenantRecord, key) is None:
                    session.add(
                        TenantRecord(provider=provider, tenant=tenant, created_at=runtime.clock.now())
                    )
                    runtime.providers[provider].seed_tenant(session, tenant, runtime)
                    try:
                        session.commit()
                    except IntegrityError:
                        # Another process seeded it first; its copy stands.
                        session.rollback()
            self._known.add(key)

    def forget(self) -> None:
        """Drop what this process remembers of seeded tenants (another process reset some)."""
        with self._lock:
            self._known = set()

    def list(self) -> list[TenantRecord]:
        with self._runtime.db.session() as session:
            return list(session.exec(select(TenantRecord).order_by(TenantRecord.provider, TenantRecord.tenant)))

    def reset(self, tenant: str | None = None, provider: str | None = None) -> int:
        """Drop the tenant's (or every tenant's) state; the next request reseeds it. Returns tenants dropped."""
        runtime = self._runtime
        providers = [runtime.providers[provider]] if provider else list(runtime.providers.values())
        with self._lock, runtime.db.session() as session:
            for spec in providers:
                for table in spec.tables:
                    statement = delete(table)
                    if tenant is not None:
                        statement = statement.where(table.tenant == tenant)
                    session.exec(statement)
            names = {spec.name for spec in providers}
            # Callbacks the dropped state still owed are dropped with it.
            deliveries = delete(CallbackDelivery).where(CallbackDelivery.provider.in_(names))
            if tenant is not None:
                deliveries = deliveries.where(CallbackDelivery.tenant == tenant)
            session.exec(deliveries)
            records = delete(TenantRecord).where(TenantRecord.provider.in_(names))
            if tenant is not None:
                records = records.where(TenantRecord.tenant == tenant)
            dropped = session.exec(records).rowcount
            session.commit()
            self._known = {
                (p, t) for p, t in self._known if p not in names or (tenant is not None and t != tenant)
            }
        runtime.revision.publish()
        return dropped
