"""Realistic number addresses made with Faker, deterministic under a seed.

``bulk_addresses`` is for volume: it asks Faker once for pools of names,
streets and postcodes, takes real towns from the phone-number area-code data, and combines them
with one seeded random stream, which makes 100,000 records a matter of seconds.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

from faker import Faker

from emulator.core import numbering

_NICKNAMES = ("Head Office", "Warehouse", "Home", "Branch Office", "Registered Office", "Studio", "Workshop")


_POOL_SIZE = 512
_FIRST_DAY, _LAST_DAY = date(2021, 1, 1), date(2023, 5, 31)


def bulk_addresses(seed: int, count: int) -> Iterator[dict]:
    """``count`` addresses as table values (dates as ``date``), deterministic under ``seed``."""
    faker = Faker("en_GB")
    faker.seed_instance(seed)
    rng = random.Random(seed)
    first_names = [faker.first_name() for _ in range(_POOL_SIZE)]
    last_names = [faker.last_name() for _ in range(_POOL_SIZE)]
    companies = [faker.company() for _ in range(_POOL_SIZE)]
    streets = [faker.street_name() for _ in range(_POOL_SIZE)]
    postcodes = [faker.postcode() for _ in range(_POOL_SIZE * 4)]
    counties = [faker.county() for _ in range(_POOL_SIZE)]
    titles = [faker.prefix().rstrip(".") for _ in range(16)]
    towns = sorted({area.name for area in numbering.area_codes("GB")})
    span = (_LAST_DAY - _FIRST_DAY).days
    for _ in range(count):
        individual = rng.random() < 0.4
        created = _FIRST_DAY + timedelta(days=rng.randrange(span + 1))
        yield {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "city": rng.choice(towns),
            "country_code": "GB",
            "country_personal_id": chr(65 + rng.randrange(26)) + f"{rng.randrange(10**8):08d}",
            "forename": rng.choice(first_names) if individual else "",
            "is_default": False,
            "name": rng.choice(last_names) if individual else rng.choice(companies),
            "nickname": rng.choice(_NICKNAMES),
            "postcode": rng.choice(postcodes),
            "premises": str(rng.randint(1, 250)),
            "state": rng.choice(counties),
            "street": rng.choice(streets),
            "title": rng.choice(titles) if individual else "",
            "type_id": 1 if individual else 2,
            "created_on": created,
            "updated_on": created + timedelta(days=rng.randrange((_LAST_DAY - created).days + 1)),
        }
