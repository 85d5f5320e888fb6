"""Generated volume (the ``seed`` command): realistic values by the column, not by the record.

Faker costs microseconds a field, so a million records made one by one take minutes. Here Faker
is asked once per process for a pool of each kind of value (under a fixed seed), and a run's own
seeded stream picks from the pools a whole column at a time (``random.choices``); instants are
written straight as the text a DATETIME column holds."""

from __future__ import annotations

import contextlib
import gc
import random
from collections.abc import Iterator, Sequence
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


@contextlib.contextmanager
def without_cyclic_collection() -> Iterator[None]:
    """A generated load makes millions of tuples and lists, none of them garbage: the cyclic
    collector, run by their count, would walk the growing heap again and again (about a sixth of
    the time it takes to make them)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


# Where each of a UUID's 36 characters comes from: the n-th of its 32 random hex digits, or a dash.
_LAYOUT = (*range(8), None, *range(8, 12), None, *range(12, 16), None, *range(16, 20), None, *range(20, 32))
# The variant digit: 8, 9, a or b, by the low two bits of the drawn digit.
_VARIANT = bytes.maketrans(b"0123456789abcdef", b"89ab" * 4)


def uuid4s(rng: random.Random, count: int) -> list[str]:
    """``count`` version-4 UUIDs as text, from ``rng`` (so deterministic under its seed): one
    draw of random bytes for all, and the text laid out a character position at a time for all of
    them at once (a strided slice each), so no Python work per UUID but the split."""
    if not count:
        return []
    digits = rng.randbytes(16 * count).hex().encode("ascii")
    text = bytearray(b"-" * (37 * count))  # 36 characters and a line break each
    for at, source in enumerate(_LAYOUT):
        if source is not None:
            text[at::37] = digits[source::32]
    text[14::37] = b"4" * count  # the version
    text[19::37] = digits[16::32].translate(_VARIANT)
    text[36::37] = b"\n" * count
    return text[:-1].decode("ascii").split("\n")


def ordered_uuid4s(rng: random.Random, count: int) -> list[str]:
    """``uuid4s`` in ascending order, for rows inserted in that order: a unique index on the UUID
    then grows at its end, where random keys would land all over it (seconds a million rows)."""
    return sorted(uuid4s(rng, count))
