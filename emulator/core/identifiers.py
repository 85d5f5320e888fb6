"""Identifier shapes shared by the providers."""

from __future__ import annotations

import re

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_uuid(value: str) -> bool:
    """Whether ``value`` has a uuid's shape. A lookup by anything else finds nothing without asking
    the database (which may refuse such text outright: PostgreSQL rejects NUL characters)."""
    return _UUID.fullmatch(value) is not None
