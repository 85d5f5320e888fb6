"""The emulator's clocks: one shared clock, and an own clock for any tenant that asks for one.

Provider code never calls ``datetime.now()``: it asks the clock for its tenant's now, so tests can
move time forward (token expiry, order transitions, callback retries) without waiting. The shared
clock is real time shifted by an offset, or frozen at an instant. A tenant's own clock sits over the
shared one: an offset from it, or an instant of its own while frozen; a tenant without one follows
the shared clock. Tests running in parallel, each with its own tenant, can so move time without
seeing each other's. The state is kept in the database, so a restarted emulator keeps its time and
other processes on the same database load it when the shared revision changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy import select as select_rows
from sqlmodel import Field, col

from emulator.core.db import Database, StoredModel, table_of

MAX_OFFSET = 5e10
"""Seconds a clock may be offset by (about 1,600 years either way)."""


class ClockState(StoredModel, table=True):
    __tablename__ = "emulator_clock"

    id: int = Field(default=1, primary_key=True)
    offset_seconds: float = 0.0
    frozen_at: datetime | None = None


class TenantClockState(StoredModel, table=True):
    __tablename__ = "emulator_tenant_clock"

    provider: str = Field(primary_key=True, max_length=32)
    tenant: str = Field(primary_key=True, max_length=255)
    # Over the shared clock while running; ignored while frozen. The bounds (about 1,600 years)
    # hold for state documents too.
    offset_seconds: float = Field(default=0.0, sa_column_kwargs={"info": {"ge": -MAX_OFFSET, "le": MAX_OFFSET}})
    frozen_at: datetime | None = None


# What ``Clock.load`` reads, as plain rows (no ORM: a load runs at start and after every change
# another process publishes, and the first ORM query of a process sets up every table's mapping).
_SHARED = table_of(ClockState)
_TENANTS = table_of(TenantClockState)
_SHARED_STATE = select_rows(_SHARED.c.offset_seconds, _SHARED.c.frozen_at).where(_SHARED.c.id == 1)
_TENANT_STATES = select_rows(_TENANTS.c.provider, _TENANTS.c.tenant, _TENANTS.c.offset_seconds, _TENANTS.c.frozen_at)


def utc_now() -> datetime:
    """Real time, aware UTC (SQLModel stores aware datetimes as UTC on every database)."""
    return datetime.now(UTC)


def _aware(instant: datetime | None) -> datetime | None:
    # SQLite hands datetimes back naive; they were stored as UTC.
    if instant is not None and instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant


def _shifted(instant: datetime, offset: timedelta) -> datetime:
    """``instant + offset``, held within datetime's years so no stored offset breaks a request."""
    try:
        return instant + offset
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC) if offset > timedelta(0) else datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class TenantClock:
    """One tenant's own clock: an offset over the shared clock, or frozen at its own instant."""

    provider: str
    tenant: str
    offset: timedelta
    frozen_at: datetime | None


class Clock:
    def __init__(self, db: Database, on_change: Callable[[], None] = lambda: None) -> None:
        self._db = db
        self._on_change = on_change
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None
        self._tenants: dict[tuple[str, str], TenantClock] = {}
        # Counts the moves this process stored: a load that read the store before a move of
        # another thread committed must not put its older state over the move's.
        self._moves = 0

    def load(self) -> None:
        """Take up the state in the store (another process moved a clock, or a restore). It reads
        without the lock, which a move holds while it publishes and waits for other processes."""
        while True:
            with self._lock:
                moves = self._moves
            with self._db.session() as session:
                state = session.connection().execute(_SHARED_STATE).first()
                rows = session.connection().execute(_TENANT_STATES).all()
            tenants = {
                (provider, tenant): TenantClock(provider, tenant, timedelta(seconds=offset), _aware(frozen_at))
                for provider, tenant, offset, frozen_at in rows
            }
            with self._lock:
                if moves != self._moves:
                    continue  # a move of this process committed meanwhile: read again
                if state is None:
                    self._offset, self._frozen_at = timedelta(0), None
                else:
                    self._offset = timedelta(seconds=state[0])
                    self._frozen_at = _aware(state[1])
                self._tenants = tenants
                return

    # --- reading ---------------------------------------------------------------------------------

    def now(self, provider: str | None = None, tenant: str | None = None) -> datetime:
        """Virtual now, aware UTC: the tenant's own clock when it has one, else the shared one."""
        shared = self._frozen_at if self._frozen_at is not None else _shifted(utc_now(), self._offset)
        if tenant is None or not self._tenants:
            return shared
        own = self._tenants.get((provider or "", tenant))
        if own is None:
            return shared
        return own.frozen_at if own.frozen_at is not None else _shifted(shared, own.offset)

    def frozen(self, provider: str | None = None, tenant: str | None = None) -> bool:
        own = self.own_clock(provider, tenant)
        if own is not None and own.frozen_at is not None:
            return True
        return self._frozen_at is not None

    def own_clock(self, provider: str | None, tenant: str | None) -> TenantClock | None:
        if tenant is None:
            return None
        return self._tenants.get((provider or "", tenant))

    def own_clocks(self) -> list[TenantClock]:
        return sorted(self._tenants.values(), key=lambda clock: (clock.provider, clock.tenant))

    def latest_now(self) -> datetime:
        """The latest now of any clock: what is due on any tenant's clock is due by this instant,
        so background work selects candidates with it and checks each against its own tenant."""
        shared = self.now()
        return max([shared, *(self.now(c.provider, c.tenant) for c in list(self._tenants.values()))])

    # --- moving ----------------------------------------------------------------------------------
    # With ``provider`` and ``tenant`` these move that tenant's own clock only (creating it, over
    # the shared clock, on first use); without them they move the shared clock.

    def advance(self, seconds: float, provider: str | None = None, tenant: str | None = None) -> datetime:
        step = timedelta(seconds=seconds)
        with self._lock:
            if tenant is not None:
                own = self._own(provider, tenant)
                if own.frozen_at is not None:
                    self._save_tenant(own.offset, own.frozen_at + step, own)
                else:
                    self._save_tenant(own.offset + step, None, own)
            elif self._frozen_at is not None:
                self._frozen_at += step
                self._save()
            else:
                self._offset += step
                self._save()
        return self.now(provider, tenant)

    def set(self, instant: datetime, provider: str | None = None, tenant: str | None = None) -> datetime:
        """Jump to an instant; a frozen clock stays frozen there, a running one runs on from it."""
        instant = _aware(instant) or instant
        with self._lock:
            if tenant is not None:
                own = self._own(provider, tenant)
                if own.frozen_at is not None:
                    self._save_tenant(own.offset, instant, own)
                else:
                    self._save_tenant(instant - self.now(), None, own)
            elif self._frozen_at is not None:
                self._frozen_at = instant
                self._save()
            else:
                self._offset = instant - utc_now()
                self._save()
        return self.now(provider, tenant)

    def freeze(self, provider: str | None = None, tenant: str | None = None) -> datetime:
        with self._lock:
            if tenant is not None:
                own = self._own(provider, tenant)
                if own.frozen_at is None:
                    self._save_tenant(own.offset, self.now(provider, tenant), own)
            elif self._frozen_at is None:
                self._frozen_at = self.now()
                self._save()
        return self.now(provider, tenant)

    def resume(self, provider: str | None = None, tenant: str | None = None) -> datetime:
        """Let time run again from the frozen instant."""
        with self._lock:
            if tenant is not None:
                own = self._own(provider, tenant)
                if own.frozen_at is not None:
                    self._save_tenant(own.frozen_at - self.now(), None, own)
            elif self._frozen_at is not None:
                self._offset = self._frozen_at - utc_now()
                self._frozen_at = None
                self._save()
        return self.now(provider, tenant)

    def reset(self, provider: str | None = None, tenant: str | None = None) -> datetime:
        """The shared clock back to real time; a tenant's clock back to following the shared one."""
        with self._lock:
            if tenant is not None:
                self._forget_tenant(provider or "", tenant)
            else:
                self._offset = timedelta(0)
                self._frozen_at = None
                self._save()
        return self.now(provider, tenant)

    def forget_tenants(self, provider: str | None = None, tenant: str | None = None) -> None:
        """Drop own clocks with a tenant's reset (all of them when neither is given)."""
        statement = delete(TenantClockState)
        if provider is not None:
            statement = statement.where(col(TenantClockState.provider) == provider)
        if tenant is not None:
            statement = statement.where(col(TenantClockState.tenant) == tenant)
        with self._lock:
            with self._db.session() as session:
                removed = session.exec(statement).rowcount  # type: ignore[call-overload]
                session.commit()
            self._moves += 1
            self._tenants = {
                key: clock
                for key, clock in self._tenants.items()
                if not ((provider is None or key[0] == provider) and (tenant is None or key[1] == tenant))
            }
        if removed:
            self._on_change()

    # --- storing ---------------------------------------------------------------------------------

    def _own(self, provider: str | None, tenant: str) -> TenantClock:
        key = (provider or "", tenant)
        return self._tenants.get(key) or TenantClock(key[0], tenant, timedelta(0), None)

    def _save(self) -> None:
        with self._db.session() as session:
            state = session.get(ClockState, 1) or ClockState(id=1)
            state.offset_seconds = self._offset.total_seconds()
            state.frozen_at = self._frozen_at
            session.add(state)
            session.commit()
        self._moves += 1
        self._on_change()

    def _save_tenant(self, offset: timedelta, frozen_at: datetime | None, own: TenantClock) -> None:
        with self._db.session() as session:
            state = session.get(TenantClockState, (own.provider, own.tenant)) or TenantClockState(
                provider=own.provider, tenant=own.tenant
            )
            state.offset_seconds = offset.total_seconds()
            state.frozen_at = frozen_at
            session.add(state)
            session.commit()
        self._tenants = {
            **self._tenants,
            (own.provider, own.tenant): TenantClock(own.provider, own.tenant, offset, frozen_at),
        }
        self._moves += 1
        self._on_change()

    def _forget_tenant(self, provider: str, tenant: str) -> None:
        with self._db.session() as session:
            session.exec(
                delete(TenantClockState).where(
                    col(TenantClockState.provider) == provider, col(TenantClockState.tenant) == tenant
                )
            )
            session.commit()
        self._tenants = {key: clock for key, clock in self._tenants.items() if key != (provider, tenant)}
        self._moves += 1
        self._on_change()
