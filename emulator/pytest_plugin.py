"""pytest plugin shipped with number-emulator (loaded by its ``pytest11`` entry point).

Fixtures:

- ``number_emulator`` (session): the emulator serving real HTTP on a free port of 127.0.0.1, on a
  temporary SQLite file; or, when ``NUMBER_EMULATOR_URL`` is set, the emulator already running
  there (e.g. a Docker Compose service). An ``emulator.testing.EmulatorServer``.
- ``emulator_tenant``: a tenant of the test's own (``EmulatorTenant``): base URLs, credentials per
  provider, its journal entries and fault rules; reset when the test ends.
- ``callback_receiver``: a local HTTP server recording the callbacks it gets (``CallbackReceiver``).

This module is imported by every pytest run of anyone who installs the package, so it imports
only pytest here: the emulator is imported when a fixture is first used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from emulator.testing import CallbackReceiver, EmulatorServer, EmulatorTenant


@pytest.fixture(scope="session")
def number_emulator() -> Iterator[EmulatorServer]:
    from emulator.testing import EmulatorServer

    with EmulatorServer(url=os.environ.get("NUMBER_EMULATOR_URL")) as server:
        yield server


@pytest.fixture
def emulator_tenant(number_emulator: EmulatorServer) -> Iterator[EmulatorTenant]:
    tenant = number_emulator.new_tenant()
    yield tenant
    tenant.reset()


@pytest.fixture
def callback_receiver() -> Iterator[CallbackReceiver]:
    from emulator.testing import CallbackReceiver

    receiver = CallbackReceiver()
    yield receiver
    receiver.close()
