"""Generated volume (the ``seed`` command): realistic values by the column, not by the record.

Faker costs microseconds a field, so a million records made one by one take minutes. Here Faker
is asked once per process for a pool of each kind of value (under a fixed seed), and a run's own
seeded stream picks from the pools a whole column at a time (``random.choices``); instants are
written straight as the text a DATETIME column holds."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TypeVar

T = TypeVar("T")

POOL_SIZE = 512


@cache
def pool(kind: str, locale: str = "en_GB", size: int = POOL_SIZE) -> tuple[str, ...]:
    """``size`` values of one Faker provider method (``"last_name"``, ``"postcode"``, ...)."""
    from faker import Faker  # only generation needs it

    faker = Faker(locale)
    faker.seed_instance(0)
    make = getattr(faker, kind)
    return tuple(make() for _ in range(size))


def picks(rng: random.Random, values: Sequence[T], count: int) -> list[T]:
    """``count`` members of ``values``, uniformly, in one call."""
    return rng.choices(values, k=count)


def chances(rng: random.Random, probability: float, count: int) -> list[bool]:
    """``count`` coin tosses that come up True with ``probability``."""
    draw = rng.random
    return [draw() < probability for _ in range(count)]


def offsets(rng: random.Random, span: int, count: int) -> list[int]:
    """``count`` whole numbers in ``range(span)``, uniformly."""
    return rng.choices(range(span), k=count)


@cache
def _times_of_day() -> tuple[str, ...]:
    return tuple(f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000" for s in range(86400))


def stored_instants(since: datetime, seconds: Sequence[int]) -> list[str]:
    """``since`` plus each of ``seconds`` (none negative), as the text SQLAlchemy stores for a
    DATETIME on SQLite ("2015-05-05 14:43:36.000000"), which PostgreSQL's COPY reads as the same
    timestamp: a day's text and a time of day's, each made once, joined."""
    if not seconds:
        return []
    start = since.astimezone(UTC)
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    shift = int((start - midnight).total_seconds())
    days = [(midnight + timedelta(days=day)).strftime("%Y-%m-%d") for day in range((max(seconds) + shift) // 86400 + 1)]
    times = _times_of_day()
    return [days[(offset + shift) // 86400] + times[(offset + shift) % 86400] for offset in seconds]


def stored_instant(instant: datetime) -> str:
    """One instant as ``stored_instants`` writes them (UTC; the zone is not stored)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def uuid4s(rng: random.Random, count: int) -> list[str]:
    """``count`` version-4 UUIDs as text, from ``rng`` (so deterministic under its seed): one
    draw of random bytes for all, the version and variant digits set in the text."""
    digits = rng.randbytes(16 * count).hex()
    variant = _VARIANT
    return [
        f"{digits[at : at + 8]}-{digits[at + 8 : at + 12]}-4{digits[at + 13 : at + 16]}-"
        f"{variant[digits[at + 16]]}{digits[at + 17 : at + 20]}-{digits[at + 20 : at + 32]}"
        for at in range(0, 32 * count, 32)
    ]


def ordered_uuid4s(rng: random.Random, count: int) -> list[str]:
    """``uuid4s`` in ascending order, for rows inserted in that order: a unique index on the UUID
    then grows at its end, where random keys would land all over it (seconds a million rows)."""
    return sorted(uuid4s(rng, count))
