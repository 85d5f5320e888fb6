"""Identifier shapes shared by the providers."""

from __future__ import annotations

import re
from typing import TypeGuard

UUID_PATTERN = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
"""A uuid's (a .NET GUID's) shape, for OpenAPI parameters and validation alike."""
_UUID = re.compile(UUID_PATTERN)


def is_uuid(value: str | None) -> TypeGuard[str]:
    """Whether ``value`` has a uuid's shape. A lookup by anything else finds nothing without asking
    the database (which may refuse such text outright: PostgreSQL rejects NUL characters)."""
    return value is not None and _UUID.match(value) is not None and "\n" not in value
