"""The emulator's state holder: settings, database, clock, tenants, providers, background work,
the request journal and fault rules."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings

from emulator.core.auth import Credentials
from emulator.core.background import DISPATCH_ORDER, BackgroundWork
from emulator.core.callbacks import CallbackDispatcher
from emulator.core.clock import Clock
from emulator.core.context import ProviderSettings
from emulator.core.db import Database
from emulator.core.faults import Faults
from emulator.core.journal import Journal
from emulator.core.metrics import RequestMetrics
from emulator.core.provider import Provider
from emulator.core.revision import SharedRevision
from emulator.core.targets import CallbackTargets
from emulator.core.tenancy import Seeder, Tenants
from emulator.settings import Settings


class Runtime:
    def __init__(self, settings: Settings, providers: list[Provider]) -> None:
        self.settings = settings
        self.providers = {provider.name: provider for provider in providers}
        # Each provider's own settings, read from the environment once, like ``settings``.
        self._provider_settings: dict[type[BaseSettings], BaseSettings] = {
            provider.settings: provider.settings() for provider in providers if provider.settings is not None
        }
        self.credentials = Credentials(settings.credentials)
        self.callback_targets = CallbackTargets(settings.callback_hosts, settings.host, settings.port)
        self.db = Database(settings.resolved_database_url())
        self.revision = SharedRevision(self.db)
        self.clock = Clock(self.db, on_change=self.revision.publish)
        self.tenants = Tenants(
            self.db,
            self.clock,
            seeders={name: self._seeder(provider) for name, provider in self.providers.items()},
            tables={name: provider.reset_tables for name, provider in self.providers.items()},
            on_reset=self.revision.publish,
        )
        # Jobs get the latest now of any clock and hold each row to its own tenant's clock.
        self.background = BackgroundWork(self.clock.latest_now)
        self.journal = Journal(
            settings.journal_size,
            settings.journal_body_bytes,
            self.db.companion("requests"),
            gather=self.revision.flush_everywhere,
        )
        self.faults = Faults(settings.seed, self.db, on_change=self.revision.publish)
        self.metrics = RequestMetrics()
        self.callbacks = CallbackDispatcher(self.db, self.clock, settings, self.callback_targets)
        self.background.register("callbacks", self.callbacks.start_due, order=DISPATCH_ORDER)
        for provider in self.providers.values():
            if provider.background_jobs is not None:
                for name, job in provider.background_jobs(self).items():
                    self.background.register(name, job)

    def _seeder(self, provider: Provider) -> Seeder:
        return lambda session, tenant: provider.seed_tenant(session, tenant, self)

    def start(self) -> None:
        self.db.create_all()
        self.revision.start()
        self.clock.load()
        self.revision.on_change(self.clock.load)
        self.revision.on_change(self.tenants.forget)
        self.revision.on_change(self.faults.forget)
        self.revision.on_flush(self.journal.flush_quietly)
        for provider in self.providers.values():
            if provider.fixture is not None:
                self.fixture(provider.fixture)

    def join(self) -> None:
        """Start serving beside any other processes on the database. The journal and fault rules
        last as long as some process serves: the first one to start clears what a previous run left."""
        if self.revision.join():
            self.journal.clear()
            self.faults.clear()

    def leave(self) -> None:
        self.journal.close()
        self.revision.leave()

    def settings_of(self, model: type[ProviderSettings]) -> ProviderSettings:
        settings = self._provider_settings[model]
        assert isinstance(settings, model)
        return settings

    def fixture(self, name: str) -> Any:
        """A provider's fixture file (``<fixtures>/<name>.json``), parsed once."""
        return _load_fixture(self.settings.fixtures / f"{name}.json")


@cache
def _load_fixture(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
