"""Realistic numbers for bulk generation, deterministic under a seed: real UK area codes, valid
numbers, some with subscriber records, most routed to one of the unit's destinations.

Made a column at a time from pools (``emulator.core.volume``), as rows for ``bulk_insert``."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from emulator.core import numbering, volume

_SINCE = datetime(2014, 1, 1, tzinfo=UTC)
_SPAN_SECONDS = 10 * 365 * 86400
_YEAR_SECONDS = 365 * 86400
_STATUSES = ("unknown", "unknown", "validation_pending", "validated", "rejected")

# The table columns ``fake_rows`` gives values for, in its order.
COLUMNS = (
    "tenant",
    "number_id",
    "number",
    "context",
    "created_at",
    "updated_at",
    "recording_enabled",
    "callerid_passthrough",
    "acquired_at",
    "first_name",
    "name",
    "address1",
    "address4",
    "postcode",
    "pushed_at",
    "subscriber_status",
    "destination_type",
    "destination_id",
)


def fake_numbers(seed: int, count: int) -> list[str]:
    """``count`` distinct valid numbers in national format, a block or two from each area code."""
    rng = random.Random(f"telcom|{seed}")
    prefixes = [area.national_prefix for area in numbering.area_codes("GB")]
    rng.shuffle(prefixes)
    per_prefix = max(1, -(-count // len(prefixes)))
    found: dict[str, None] = {}  # area codes nest (01697, 016973): a number may come up twice
    for prefix in prefixes:
        found.update(
            dict.fromkeys(numbering.block_numbers(prefix, f"generate|{seed}", per_prefix, "GB", numbering.GEOGRAPHIC))
        )
        if len(found) >= count:
            break
    return list(found)[:count]


def fake_rows(
    tenant: str, first_id: int, seed: int, numbers: list[str], destinations: list[tuple[str, int]]
) -> list[tuple]:
    """A row of ``COLUMNS`` for each number, under consecutive number IDs from ``first_id``,
    deterministic under ``seed``."""
    rng = random.Random(f"telcom|rows|{seed}")
    count = len(numbers)
    acquired = volume.offsets(rng, _SPAN_SECONDS, count)
    later = volume.offsets(rng, _YEAR_SECONDS, count)
    acquired_at = volume.stored_instants(_SINCE, acquired)
    updated_at = volume.stored_instants(_SINCE, [a + b for a, b in zip(acquired, later, strict=True)])
    statuses = volume.picks(rng, _STATUSES, count)
    recording = volume.chances(rng, 0.5, count)
    routed = volume.chances(rng, 0.8, count) if destinations else [False] * count
    routes = volume.picks(rng, destinations, count) if destinations else [(None, None)] * count
    first_names = volume.picks(rng, volume.pool("first_name"), count)
    last_names = volume.picks(rng, volume.pool("last_name"), count)
    streets = volume.picks(rng, volume.pool("street_address"), count)
    cities = volume.picks(rng, volume.pool("city"), count)
    postcodes = volume.picks(rng, volume.pool("postcode"), count)
    rows = []
    for i, number in enumerate(numbers):
        status = statuses[i]
        subscribed = status != "unknown"
        destination = routes[i] if routed[i] else (None, None)
        rows.append(
            (
                tenant,
                first_id + i,
                number,
                "incoming",
                acquired_at[i],
                updated_at[i],
                recording[i],
                True,
                acquired_at[i],
                first_names[i] if subscribed else None,
                last_names[i] if subscribed else None,
                streets[i] if subscribed else None,
                cities[i] if subscribed else None,
                postcodes[i] if subscribed else None,
                updated_at[i] if status == "validated" else None,
                status,
                destination[0],
                destination[1],
            )
        )
    return rows
