"""Tenants: whoever the credentials name gets a private copy of the default fixtures.

Isolation and reset are properties of storage (every row carries its tenant), not of handlers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy import select as select_rows
from sqlmodel import Field, Session, SQLModel, col, select
from starlette.requests import Request

from emulator.core.auth import MAX_CREDENTIAL_LENGTH
from emulator.core.callbacks import CallbackDelivery
from emulator.core.clock import Clock
from emulator.core.db import Database, StoredModel, table_of
from emulator.core.scope import TENANT_GATE_KEY, TENANT_KEY
from emulator.core.threads import in_thread

# Where a tenant's name is itself its credential (CM.com's product token), listings show it masked.
TENANT_MASK = "***"


def masked_name(tenant: str) -> str:
    """``tenant`` with all but its first and last four characters masked."""
    return f"{tenant[:4]}{TENANT_MASK}{tenant[-4:]}"


@dataclass(frozen=True)
class TenantScope:
    """Whose state a request reaches: the tenant its credentials name, and the account inside it
    that the request acts for (a reseller's sub-customer, a logical account; "" for its own)."""

    tenant: str
    account: str = ""


class TenantRecord(StoredModel, table=True):
    __tablename__ = "emulator_tenant"

    provider: str = Field(primary_key=True, max_length=32)
    tenant: str = Field(primary_key=True, max_length=255)
    created_at: datetime


_RECORDS = table_of(TenantRecord)
_RECORDED = (
    select_rows(_RECORDS.c.tenant)
    .where(_RECORDS.c.provider == bindparam("provider"), _RECORDS.c.tenant == bindparam("tenant"))
    .limit(1)
)
"""Whether a tenant is recorded: plain rows, as every first request of a tenant in a process asks
(the first ORM query of a process sets up every table's mapping)."""


Seeder = Callable[[Session, str], None]
"""Loads a provider's default fixtures for a new tenant (session, tenant), in the caller's transaction."""


def _note_tenant(request: Request, tenant: str) -> None:
    _note_scope_tenant(request.scope, tenant)


def _note_scope_tenant(scope: MutableMapping[str, Any], tenant: str) -> None:
    state = scope.setdefault("state", {})
    state[TENANT_KEY] = tenant
    gate = state.pop(TENANT_GATE_KEY, None)
    if gate is not None:
        gate(tenant)


class Tenants:
    """Built from its parts: the database and clock, each provider's seeder and tables (children
    before parents), and what to call after a reset so other processes notice."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        seeders: Mapping[str, Seeder],
        tables: Mapping[str, Sequence[type[SQLModel]]],
        on_reset: Callable[[], None] = lambda: None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._seeders = seeders
        self._tables = tables
        self._on_reset = on_reset
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
            await in_thread(self.ensure, provider, tenant)

    async def enter_scope(self, scope: MutableMapping[str, Any], provider: str, tenant: str) -> None:
        """``enter_async`` for a request known only by its ASGI scope (the hot routes)."""
        _note_scope_tenant(scope, tenant)
        if (provider, tenant) not in self._known:
            await in_thread(self.ensure, provider, tenant)

    async def attribute_refused(self, request: Request, provider: str, tenant: object) -> None:
        """File a request refused for its credentials under the tenant they name (a wrong
        password, an expired token), so a test finds its own 401s in the journal. Only a tenant
        that already exists is named: a refused request never creates one, never seeds one, and
        tenant fault rules do not act on it; whatever else the credentials held is not recorded."""
        if not isinstance(tenant, str) or not tenant or len(tenant) > MAX_CREDENTIAL_LENGTH or "\x00" in tenant:
            return
        key = (provider, tenant)
        if key not in self._known and not await in_thread(self._recorded, key):
            return
        request.scope.setdefault("state", {})[TENANT_KEY] = tenant

    def _recorded(self, key: tuple[str, str]) -> bool:
        with self._db.session() as session:
            recorded = session.connection().execute(_RECORDED, {"provider": key[0], "tenant": key[1]})
            return recorded.first() is not None

    def ensure(self, provider: str, tenant: str) -> None:
        """Seed the tenant from the default fixtures the first time it is seen."""
        key = (provider, tenant)
        if key in self._known:
            return
        with self._lock:
            if key in self._known:
                return
            with self._db.session() as session:
                recorded = session.connection().execute(_RECORDED, {"provider": provider, "tenant": tenant}).first()
                if recorded is None and self._claim(session, provider, tenant):
                    self._seeders[provider](session, tenant)
                    session.commit()
            self._known.add(key)

    def _claim(self, session: Session, provider: str, tenant: str) -> bool:
        """Insert the tenant's record unless it exists; True when this transaction inserted it and
        so seeds the tenant. Of processes seeding a new tenant at once, exactly one wins: on
        PostgreSQL the others wait on the key until the winner commits (its seed is then there to
        read), on SQLite on the database's write lock."""
        values = {"provider": provider, "tenant": tenant, "created_at": self._clock.now(provider, tenant)}
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects import postgresql

            statement: Any = postgresql.insert(TenantRecord).values(**values).on_conflict_do_nothing()
        else:
            from sqlalchemy.dialects import sqlite

            statement = sqlite.insert(TenantRecord).values(**values).on_conflict_do_nothing()
        # RETURNING, not the row count: psycopg reports none for this statement.
        inserted = session.connection().execute(statement.returning(col(TenantRecord.tenant)))
        return inserted.first() is not None

    def forget(self) -> None:
        """Drop what this process remembers of seeded tenants (another process reset some)."""
        with self._lock:
            self._known = set()

    def list(self) -> list[TenantRecord]:
        with self._db.session() as session:
            return list(session.exec(select(TenantRecord).order_by(TenantRecord.provider, TenantRecord.tenant)))

    def unmask(self, name: str, providers: Collection[str]) -> str:
        """The one tenant of ``providers`` whose masked form ``name`` is; otherwise ``name`` itself."""
        if TENANT_MASK not in name:
            return name
        matches = {
            record.tenant
            for record in self.list()
            if record.provider in providers and masked_name(record.tenant) == name
        }
        return matches.pop() if len(matches) == 1 else name

    def reset(self, tenant: str | None = None, provider: str | None = None) -> int:
        """Drop the tenant's (or every tenant's) state; the next request reseeds it. Returns tenants dropped."""
        names = {provider} if provider else set(self._tables)
        with self._lock, self._db.session() as session:
            for name in names:
                for table in self._tables[name]:
                    statement = delete(table)
                    if tenant is not None:
                        statement = statement.where(table_of(table).c.tenant == tenant)
                    session.exec(statement)
            # Callbacks the dropped state still owed are dropped with it.
            deliveries = delete(CallbackDelivery).where(col(CallbackDelivery.provider).in_(names))
            if tenant is not None:
                deliveries = deliveries.where(col(CallbackDelivery.tenant) == tenant)
            session.exec(deliveries)
            records = delete(TenantRecord).where(col(TenantRecord.provider).in_(names))
            if tenant is not None:
                records = records.where(col(TenantRecord.tenant) == tenant)
            dropped = session.exec(records).rowcount
            session.commit()
            self._known = {(p, t) for p, t in self._known if p not in names or (tenant is not None and t != tenant)}
        # A reset tenant starts again on the shared clock.
        self._clock.forget_tenants(provider=provider, tenant=tenant)
        self._on_reset()
        return dropped
