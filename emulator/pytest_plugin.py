"""pytest plugin shipped with number-emulator (loaded by its ``pytest11`` entry point).

Fixtures:

- ``number_emulator`` (session): the emulator serving real HTTP on a free port of 127.0.0.1, on a
  temporary SQLite file; or, when ``NUMBER_EMULATOR_URL`` is set, the emulator already running
  there (e.g. a Docker Compose service). An ``emulator.testing.EmulatorServer``.
- ``number_emulator_settings`` (session): the settings that emulator is started with; override it
  in a ``conftest.py`` to change them for a run.
- ``emulator_tenant``: a tenant of the test's own (``EmulatorTenant``): base URLs, credentials per
  provider, its journal entries and fault rules; reset when the test ends.
- ``callback_receiver``: a local HTTP server recording the callbacks it gets (``CallbackReceiver``).

This module is imported by every pytest run of anyone who installs the package, so it imports
only pytest here: the emulator is imported when a fixture is first used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from emulator.testing import CallbackReceiver, EmulatorServer, EmulatorTenant


@pytest.fixture(scope="session")
def number_emulator_settings() -> dict[str, Any]:
    """Settings for the emulator ``number_emulator`` starts, as ``Settings`` keyword arguments
    (``{"cm_accept_after_seconds": 5}``); they win over ``EMULATOR_*`` variables. Empty by
    default; override this fixture in a ``conftest.py`` to change them. Ignored when
    ``NUMBER_EMULATOR_URL`` names an emulator that already runs."""
    return {}


@pytest.fixture(scope="session")
def number_emulator(number_emulator_settings: dict[str, Any]) -> Iterator[EmulatorServer]:
    """The emulator for the whole session (one per xdist worker): started in this process on a
    free port of 127.0.0.1 with a temporary SQLite file, or the one at ``NUMBER_EMULATOR_URL``.
    Share it through ``emulator_tenant`` so tests do not see each other's state."""
    from emulator.testing import EmulatorServer

    with EmulatorServer(url=os.environ.get("NUMBER_EMULATOR_URL"), **number_emulator_settings) as server:
        yield server


@pytest.fixture
def emulator_tenant(number_emulator: EmulatorServer) -> Iterator[EmulatorTenant]:
    """A tenant of this test's own on every provider (credentials no other test uses), reset
    when the test ends: its state, journal entries and fault rules go."""
    tenant = number_emulator.new_tenant()
    yield tenant
    tenant.reset()


@pytest.fixture
def callback_receiver() -> Iterator[CallbackReceiver]:
    """A real HTTP server on 127.0.0.1 standing in for the application's callback endpoint:
    register ``callback_receiver.url`` (plus any path), then ``wait_for(n)``; ``fail_next`` and
    ``delay_next`` exercise the emulator's retries. Stopped when the test ends."""
    from emulator.testing import CallbackReceiver

    with CallbackReceiver() as receiver:
        yield receiver
