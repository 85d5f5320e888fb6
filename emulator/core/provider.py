"""What a provider package hands the emulator: its app, its tables, its fixtures, its error body."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI
from sqlmodel import Field, Session, SQLModel
from starlette.responses import Response

from emulator.core.background import Job
from emulator.core.context import ProviderContext


class TenantScoped(SQLModel):
    """Base of every provider table: each row belongs to exactly one tenant."""

    tenant: str = Field(max_length=255, index=True)


@dataclass(frozen=True)
class TenantCredentials:
    """Credentials that name a tenant, for test suites that want a fresh tenant per test."""

    tenant: str
    """The tenant the emulator files the requests under (journal, reset, snapshots)."""
    fields: dict[str, str]
    """The provider's own credential fields and values, e.g. the auth headers."""


@dataclass(frozen=True)
class Provider:
    name: str
    """Mount prefix and key, e.g. ``yay`` → ``/yay``."""
    title: str
    build_app: Callable[[ProviderContext], FastAPI]
    seed_tenant: Callable[[Session, str, ProviderContext], None]
    """Load the default fixtures for a tenant seen for the first time (same transaction)."""
    tables: tuple[type[TenantScoped], ...]
    """Tenant-scoped tables, children before parents (the order rows are deleted in)."""
    error_response: Callable[[int], Response]
    """The provider's own error body for an HTTP status (used for 404/405 and injected faults)."""
    hosts: tuple[str, ...] = field(default=())
    """The real API hosts, for routing by ``Host`` header."""
    control_router: Callable[[], APIRouter] | None = None
    """Provider-specific test actions, mounted at ``/_emulator/<name>/…``."""
    generate: Callable[[Session, str, int, int, ProviderContext], int] | None = None
    """Add ``count`` realistic records to a tenant, deterministic under ``seed`` (session, tenant,
    count, seed, runtime); returns how many were added. Used by ``python -m emulator seed``."""
    background_jobs: Callable[[ProviderContext], dict[str, Job]] | None = None
    """Background jobs by name, registered by the runtime when it is built (not by ``build_app``)."""
    tenant_is_secret: bool = False
    """The tenant's name is itself the credential (CM.com's product token): the control plane
    shows it masked."""
    credentials_for: Callable[[str], TenantCredentials] | None = None
    """Accepted credentials for a tenant derived from a unique name; the pytest plugin's
    ``emulator_tenant`` fixture gives each test its own."""

    @property
    def prefix(self) -> str:
        return f"/{self.name}"
