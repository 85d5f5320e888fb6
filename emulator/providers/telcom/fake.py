"""Realistic numbers for bulk generation, deterministic under a seed: real UK area codes, valid
numbers, some with subscriber records, most routed to one of the unit's destinations."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from faker import Faker

from emulator.core import numbering

_SINCE = datetime(2014, 1, 1, tzinfo=UTC)
_SPAN_SECONDS = 10 * 365 * 86400


def fake_numbers(seed: int, count: int, destinations: list[tuple[str, int]]) -> list[dict]:
    """``count`` number rows (without tenant and ID), as many area codes as needed, a few each."""
    rng = random.Random(f"telcom|{seed}")
    faker = Faker("en_GB")
    faker.seed_instance(seed)
    prefixes = [area.national_prefix for area in numbering.area_codes("GB")]
    rng.shuffle(prefixes)
    per_prefix = max(1, -(-count // len(prefixes)))
    numbers: list[str] = []
    for prefix in prefixes:
        numbers += numbering.candidate_numbers(prefix, f"generate|{seed}", per_prefix)
        if len(numbers) >= count:
            break
    rows = []
    for number in numbers[:count]:
        acquired = _SINCE + timedelta(seconds=rng.randrange(_SPAN_SECONDS))
        updated = acquired + timedelta(seconds=rng.randrange(365 * 86400))
        status = rng.choice(("unknown", "unknown", "validation_pending", "validated", "rejected"))
        subscribed = status != "unknown"
        destination = rng.choice(destinations) if destinations and rng.random() < 0.8 else (None, None)
        rows.append(
            {
                "number": number,
                "context": "incoming",
                "created_at": acquired,
                "updated_at": updated,
                "recording_enabled": rng.random() < 0.5,
                "caller_id_prefix": None,
                "callerid_passthrough": True,
                "forward_sip_to": None,
                "acquired_at": acquired,
                "first_name": faker.first_name() if subscribed else None,
                "name": faker.last_name() if subscribed else None,
                "address1": faker.street_address() if subscribed else None,
                "address2": None,
                "address3": None,
                "address4": faker.city() if subscribed else None,
                "postcode": faker.postcode() if subscribed else None,
                "pushed_at": updated if status == "validated" else None,
                "subscriber_status": status,
                "destination_type": destination[0],
                "destination_id": destination[1],
            }
        )
    return rows
