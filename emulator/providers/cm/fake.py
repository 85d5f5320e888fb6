"""Realistic number requests for the seed command, deterministic under a seed.

Made a column at a time (``emulator.core.volume``) as rows for ``bulk_insert``. Completed orders
carry real numbers of their area, handed out of a stock of valid numbers per area as a provider
hands out its own: single numbers one after another, ranges as aligned blocks of consecutive
numbers. Most orders are for a few numbers; a few are for ranges of 10 or 100."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson
import phonenumbers

from emulator.core import numbering, volume
from emulator.providers.cm import service
from emulator.providers.cm.settings import CMSettings

_COMMENTS = (
    None,
    None,
    "Route to distribution group Sales",
    "Support line for the new office",
    "Please forward to SIP trunk 10.0.4.20",
    "Marketing campaign numbers",
)
_REJECTIONS = (
    "The company profile is not verified for this country.",
    "No numbers are available in this area code at the moment.",
    "Proof of address is missing.",
)
_NO_STOCK = _REJECTIONS[1]
# How often each final or waiting status appears in generated history.
_STATUSES = (service.COMPLETED,) * 6 + (service.PENDING, service.ACCEPTED, service.REJECTED, service.CANCELLED)
_TYPES = ("LOCAL",) * 6 + ("NATIONAL", "TOLLFREE")
# Single-number orders: mostly one or two numbers, now and then up to 30.
_QUANTITIES = (1,) * 9 + (2,) * 4 + (3, 3, 4, 5) + tuple(range(6, 31, 8))
_RANGED = 0.05
_RANGE_BLOCKS = (1, 1, 2, 3)
_RANGE_SIZE_DRAWS = (0, 0, 0, 0, 1)  # an index into the type's range sizes (10, 100): mostly the first
_STOCK = 64  # valid numbers drawn per area: what its orders are served from
_START = datetime(2023, 1, 1, tzinfo=UTC)
_CREATED_SPAN = 500 * 86400 + 1
_UPDATED_MINUTES = 72 * 60

# The table columns ``fake_rows`` gives values for, in its order. Generated orders have no callback
# URL and no end of validity: those columns are left out (NULL), not bound a million times.
COLUMNS = (
    "tenant",
    "guid",
    "account",
    "company_profile_id",
    "country",
    "status",
    "reason",
    "number_type",
    "quantity",
    "range_size",
    "area_code",
    "city",
    "region",
    "comment",
    "prefix",
    "created_at",
    "updated_at",
    "next_transition_at",
    "range_id",
    "valid_from",
    "numbers",
)


def _stock(seed: int) -> Callable[[str, str, str], list[str]]:
    """The valid numbers (E.164) of an area a run's orders are served from, drawn once per area."""
    drawn: dict[tuple[str, str, str], list[str]] = {}

    def of(country: str, number_type: str, prefix: str) -> list[str]:
        key = (country, number_type, prefix)
        if key not in drawn:
            service_type = service.NUMBER_TYPES[number_type]
            national = numbering.block_numbers(prefix, f"cm|{seed}", _STOCK, country, service_type)
            drawn[key] = [numbering.e164(number, country) for number in national]
        return drawn[key]

    return of


def _ranges(rng: random.Random, stock: list[str], country_code: str, size: int, blocks: int) -> list[str]:
    """``blocks`` aligned blocks of ``size`` consecutive numbers around numbers of the stock
    (aligning moves only the last digits, so a block stays in its area)."""
    numbers: list[str] = []
    starts: set[int] = set()
    for anchor in rng.sample(stock, min(blocks, len(stock))):
        significant = int(anchor[len(country_code) :])
        start = significant - significant % size
        if start not in starts:
            starts.add(start)
            numbers += [f"{country_code}{start + offset}" for offset in range(size)]
    return numbers


def fake_rows(
    tenant: str, seed: int, count: int, account: str, profiles: list[dict], now: datetime, settings: CMSettings
) -> list[tuple]:
    """``count`` number requests as rows of ``COLUMNS``; orders still waiting move on with the
    clock from ``now``, as ones just made through the API would."""
    rng = random.Random(f"cm|{seed}")
    chosen = volume.picks(rng, profiles, count)
    types = volume.picks(rng, _TYPES, count)
    statuses = volume.picks(rng, _STATUSES, count)
    # In no order: a load that doubles the table sets the unique index aside and sorts once
    # (emulator.core.bulk); a smaller one has few rows to place.
    guids = volume.uuid4s(rng, count)
    created = volume.offsets(rng, _CREATED_SPAN, count)
    minutes = volume.offsets(rng, _UPDATED_MINUTES, count)
    ranged = volume.chances(rng, _RANGED, count)
    quantities = volume.picks(rng, _QUANTITIES, count)
    by_city = volume.chances(rng, 0.3, count)
    comments = volume.picks(rng, _COMMENTS, count)
    rejections = volume.picks(rng, _REJECTIONS, count)
    area_draws = [rng.random() for _ in range(count)]
    size_draws = volume.picks(rng, _RANGE_SIZE_DRAWS, count)
    stock_starts = volume.offsets(rng, _STOCK, count)
    range_ids = iter(volume.uuid4s(rng, statuses.count(service.COMPLETED)))
    updated = [
        at if status == service.PENDING else at + 60 * (1 + later)
        for at, later, status in zip(created, minutes, statuses, strict=True)
    ]
    created_at = volume.stored_instants(_START, created)
    updated_at = volume.stored_instants(_START, updated)
    waiting = {
        service.PENDING: volume.stored_instant(now + timedelta(seconds=settings.accept_after_seconds)),
        service.ACCEPTED: volume.stored_instant(now + timedelta(seconds=settings.complete_after_seconds)),
    }
    stock = _stock(seed)
    kinds: dict[tuple[str, str], tuple[str, tuple[service.Area, ...], str]] = {}
    rows = []
    for i in range(count):
        profile, status = chosen[i], statuses[i]
        country = profile["country"]
        kind = kinds.get((country, types[i]))
        if kind is None:
            # A country without areas of the type orders local numbers.
            number_type = types[i] if service.areas(country, types[i]) else "LOCAL"
            code = f"+{phonenumbers.country_code_for_region(country)}"
            kind = kinds[(country, types[i])] = (number_type, service.areas(country, number_type), code)
        number_type, areas, country_code = kind
        area = areas[int(area_draws[i] * len(areas))]
        sizes = service.RANGE_SIZES[number_type]
        range_size = sizes[size_draws[i] % len(sizes)] if sizes and ranged[i] else None
        numbers: list[str] = []
        reason = rejections[i] if status == service.REJECTED else None
        if status == service.COMPLETED:
            available = stock(country, number_type, area.prefix)
            if range_size:
                numbers = _ranges(rng, available, country_code, range_size, _RANGE_BLOCKS[i % len(_RANGE_BLOCKS)])
            else:
                # A run of the stock, from anywhere in it (wrapping round).
                start, wanted = stock_starts[i] % max(1, len(available)), min(quantities[i], len(available))
                numbers = available[start : start + wanted]
                numbers += available[: wanted - len(numbers)]
            if not numbers:
                status, reason = service.REJECTED, _NO_STOCK
        quantity = len(numbers) if numbers else quantities[i] * (range_size or 1)
        completed = status == service.COMPLETED
        rows.append(
            (
                tenant,
                guids[i],
                account,
                profile["id"],
                country,
                status,
                reason,
                number_type,
                quantity,
                range_size,
                None if by_city[i] and area.city else area.prefix,
                area.city if by_city[i] else None,
                area.region,
                comments[i],
                area.prefix,
                created_at[i],
                updated_at[i],
                waiting.get(status),
                next(range_ids) if completed else None,
                updated_at[i] if completed else None,
                orjson.dumps(numbers).decode() if numbers else "[]",
            )
        )
    return rows
