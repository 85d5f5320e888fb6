"""What the emulator's middlewares and dependencies leave on a request's scope for each other, and
the path glob that journal filters and fault rules share. Imports nothing of the emulator, so every
layer may use it."""

from __future__ import annotations

from fnmatch import fnmatchcase

TENANT_KEY = "emulator_tenant"
"""Scope state key: the request's tenant, as the provider named it."""
TENANT_GATE_KEY = "emulator_tenant_gate"
"""Scope state key: a callable the fault middleware leaves for tenant rules; called once with the tenant."""
FAULT_KEY = "emulator_fault"
"""Scope state key: the id of the fault rule that shaped the answer, set by the fault middleware."""
DROPPED_KEY = "emulator_dropped"
"""Scope state key: set when the connection was dropped on purpose."""


def path_matches(pattern: str | None, path: str) -> bool:
    """Glob match of a path below the provider prefix: ``*`` is any run of characters (``/``
    included), ``?`` one character, ``[…]`` a set; everything else literal."""
    return pattern is None or fnmatchcase(path, pattern)
