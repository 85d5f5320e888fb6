"""The whole contract a provider package signs: what the emulator needs of it, and nothing it must
remember to do by hand (tenancy, reset, snapshots, journal, faults and error pages follow from it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic_settings import BaseSettings
from sqlmodel import Field, Session
from starlette.responses import Response

from emulator.core.background import Job
from emulator.core.context import ProviderContext
from emulator.core.db import StoredModel
from emulator.core.hotpath import HotRoute
from emulator.core.http import BodyError

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI
    from fastapi.exceptions import RequestValidationError


class TenantScoped(StoredModel):
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
class ErrorRenderer:
    """A provider's own error bodies for every way a request fails outside its handlers' answers.
    ``build_subapp`` installs them all, so no provider can answer FastAPI's generic 422 or 500."""

    status: Callable[[int], Response]
    """The body for a bare HTTP status: unknown paths (404), wrong methods (405), injected faults,
    and an unexpected failure (500)."""
    unreadable_body: Callable[[BodyError], Response]
    """A body too large, not JSON, or not declared as JSON."""
    invalid_input: Callable[[RequestValidationError], Response]
    """Parameters or a body that the route's schema refuses."""
    raised: Mapping[type[Exception], Callable[[Any], Response]] = field(default_factory=dict)
    """The provider's own exceptions, each with its renderer."""


@dataclass(frozen=True)
class Provider:
    name: str
    """Mount prefix and key, e.g. ``yay`` → ``/yay``."""
    title: str
    build_app: Callable[[ProviderContext], FastAPI]
    seed_tenant: Callable[[Session, str, ProviderContext], None]
    """Load the default fixtures for a tenant seen for the first time (same transaction)."""
    errors: ErrorRenderer
    reset_tables: tuple[type[TenantScoped], ...]
    """The tables a reset clears for a tenant, children before parents (the order rows are deleted in)."""
    snapshot_tables: tuple[type[TenantScoped], ...]
    """The tables a state snapshot carries, children before parents."""
    credentials_for: Callable[[str], TenantCredentials]
    """Accepted credentials for a tenant derived from a unique name; the pytest plugin's
    ``emulator_tenant`` fixture gives each test its own."""
    fixture: str | None = None
    """The fixture file it seeds from (``<fixtures>/<fixture>.json``), loaded when the runtime starts
    so that a missing or broken file fails at start, not at a tenant's first request."""
    settings: type[BaseSettings] | None = None
    """Its own settings, read from ``EMULATOR_<NAME>_*`` variables; ``ProviderContext.settings_of``
    gives the instance."""
    hosts: tuple[str, ...] = field(default=())
    """The real API hosts, for routing by ``Host`` header."""
    control_router: Callable[[], APIRouter] | None = None
    """Provider-specific test actions, mounted at ``/_emulator/<name>/…``."""
    generate: Callable[[Session, str, int, int, ProviderContext], int] | None = None
    """Add ``count`` realistic records to a tenant, deterministic under ``seed`` (session, tenant,
    count, seed, runtime); returns how many were added. Used by ``python -m emulator seed``."""
    background_jobs: Callable[[ProviderContext], dict[str, Job]] | None = None
    """Background jobs by name, registered by the runtime when it is built (not by ``build_app``)."""
    hot_routes: Callable[[ProviderContext], Sequence[HotRoute]] | None = None
    """Its documented GETs answered ahead of FastAPI's routing (``core/hotpath``): each answers
    the plain case with the route's exact bytes and hands anything else on to the route."""
    tenant_is_secret: bool = False
    """The tenant's name is itself the credential (CM.com's product token): the control plane
    shows it masked."""

    @property
    def prefix(self) -> str:
        return f"/{self.name}"
