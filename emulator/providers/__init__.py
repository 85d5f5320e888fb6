"""The emulated providers. Each package exposes ``PROVIDER``; they are imported when an app is
built, never at package import, so ``python -m emulator --help`` stays instant."""

from __future__ import annotations

from importlib import import_module

from emulator.core.provider import Provider

PROVIDER_MODULES = ("yay", "telcom", "cloudlx", "cm")


def load_providers() -> list[Provider]:
    return [import_module(f"emulator.providers.{name}").PROVIDER for name in PROVIDER_MODULES]
