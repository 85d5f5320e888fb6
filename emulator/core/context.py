"""What a provider sees of the emulator: the narrow surface its routes, seeders and background
jobs may use. The ``Runtime`` satisfies it; providers never import the runtime itself."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from pydantic_settings import BaseSettings

from emulator.core.auth import Credentials
from emulator.core.clock import Clock
from emulator.core.db import Database
from emulator.core.targets import CallbackTargets
from emulator.core.tenancy import Tenants
from emulator.settings import Settings

ProviderSettings = TypeVar("ProviderSettings", bound=BaseSettings)


class ProviderContext(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def tenants(self) -> Tenants: ...

    @property
    def credentials(self) -> Credentials: ...

    @property
    def callback_targets(self) -> CallbackTargets: ...

    def fixture(self, name: str) -> Any:
        """A provider's fixture file (``<fixtures>/<name>.json``), parsed once."""
        ...

    def settings_of(self, model: type[ProviderSettings]) -> ProviderSettings:
        """A provider's own settings (its ``Provider.settings``), read once when the runtime is built."""
        ...
