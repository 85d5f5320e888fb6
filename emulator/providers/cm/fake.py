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
# URL and no end of validity: those columns are left out (NULL), not bound a million times; the
# tenant and the account, the same for every order, are ``constants``.
COLUMNS = (
    "guid",
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


class _Kind:
    """What the orders of one profile for one number type share: the profile, the type ordered (a
    country without areas of the type orders local numbers), its areas and range sizes, and the
    stock of each area, looked up once per area rather than once per order."""

    def __init__(self, profile: dict, number_type: str, stock: Callable[[str, str, str], list[str]]) -> None:
        self.profile_id, self.country = profile["id"], profile["country"]
        self.number_type = number_type if service.areas(self.country, number_type) else "LOCAL"
        self.areas = service.areas(self.country, self.number_type)
        self.sizes = service.RANGE_SIZES[self.number_type]
        self.country_code = f"+{phonenumbers.country_code_for_region(self.country)}"
        self._of = stock
        self._stocks: dict[int, list[str]] = {}

    def stock(self, at: int) -> list[str]:
        """The stock of the ``at``-th area."""
        found = self._stocks.get(at)
        if found is None:
            found = self._stocks[at] = self._of(self.country, self.number_type, self.areas[at].prefix)
        return found


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


def constants(tenant: str, account: str) -> dict[str, str]:
    """The columns every row of ``fake_rows`` shares, with their values."""
    return {"tenant": tenant, "account": account}


def fake_rows(
    seed: int,
    count: int,
    profiles: list[dict],
    now: datetime,
    settings: CMSettings,
    held: int = 0,
) -> list[tuple]:
    """``count`` number requests as rows of ``COLUMNS``; orders still waiting move on with the
    clock from ``now``, as ones just made through the API would. The GUIDs (unique within a
    tenant) come from a stream of their own for the ``held`` orders the tenant has already: a
    further run with the same seed draws others."""
    rng = random.Random(f"cm|{seed}")
    # Indexes of the profile and type: the same draws as picking them.
    chosen = volume.picks(rng, range(len(profiles)), count)
    types = volume.picks(rng, range(len(_TYPES)), count)
    statuses = volume.picks(rng, _STATUSES, count)
    # In order: a load that doubles the table sets the unique index aside and makes it again
    # (emulator.core.bulk), a sort SQLite does four times faster on keys already in order (half
    # a second a million rather than two); a smaller load adds them at the index's end.
    guids = volume.ordered_uuid4s(random.Random(f"cm|{seed}|{held}"), count)
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
    kinds = [[_Kind(profile, number_type, stock) for number_type in _TYPES] for profile in profiles]
    rows: list[tuple] = []
    add = rows.append
    completed_status, rejected_status, waiting_at = service.COMPLETED, service.REJECTED, waiting.get
    # The loop reads its columns by zip and each order's kind and area from tables made once:
    # per row only what depends on several draws at once.
    for i, (p, t, status, guid, created_text, updated_text, quantity, city_first, comment, draw) in enumerate(
        zip(
            chosen,
            types,
            statuses,
            guids,
            created_at,
            updated_at,
            quantities,
            by_city,
            comments,
            area_draws,
            strict=True,
        )
    ):
        kind = kinds[p][t]
        at = int(draw * len(kind.areas))
        area = kind.areas[at]
        range_size = kind.sizes[size_draws[i] % len(kind.sizes)] if kind.sizes and ranged[i] else None
        reason = rejections[i] if status == rejected_status else None
        numbers = "[]"
        if status == completed_status:
            available = kind.stock(at)
            if range_size:
                found = _ranges(rng, available, kind.country_code, range_size, _RANGE_BLOCKS[i % len(_RANGE_BLOCKS)])
            else:
                # A run of the stock, from anywhere in it (wrapping round).
                start, wanted = stock_starts[i] % max(1, len(available)), min(quantity, len(available))
                found = available[start : start + wanted]
                found += available[: wanted - len(found)]
            if found:
                numbers, quantity = orjson.dumps(found).decode(), len(found)
            else:
                status, reason = rejected_status, _NO_STOCK
                quantity *= range_size or 1
        else:
            quantity *= range_size or 1
        completed = status == completed_status
        add(
            (
                guid,
                kind.profile_id,
                kind.country,
                status,
                reason,
                kind.number_type,
                quantity,
                range_size,
                None if city_first and area.city else area.prefix,
                area.city if city_first else None,
                area.region,
                comment,
                area.prefix,
                created_text,
                updated_text,
                waiting_at(status),
                next(range_ids) if completed else None,
                updated_text if completed else None,
                numbers,
            )
        )
    return rows
