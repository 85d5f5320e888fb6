"""Realistic number addresses made with Faker, deterministic under a seed.

``bulk_addresses`` is for volume: it asks Faker once per process for pools of names,
streets and postcodes, takes real towns from the phone-number geodata, and combines them
with one seeded random stream, which makes a million records a matter of seconds.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from functools import cache

from faker import Faker

from emulator.core import numbering, volume
from emulator.providers.yay.models import ADDRESS_COLUMNS

_NICKNAMES = ["Head Office", "Warehouse", "Home", "Branch Office", "Registered Office", "Studio", "Workshop"]


_POOL_SIZE = 512
_FIRST_DAY, _LAST_DAY = date(2021, 1, 1), date(2023, 5, 31)


# The table columns ``bulk_addresses`` gives values for, in its order: the tenant, the account
# (the reseller's own: empty), then the address.
COLUMNS = ("tenant", "account", *ADDRESS_COLUMNS)


@cache
def _pools() -> tuple[list[str], ...]:
    """What records are made of, asked of Faker once (under a fixed seed) for every run: the
    run's seed decides how they are combined."""
    faker = Faker("en_GB")
    faker.seed_instance(0)
    first_names = [faker.first_name() for _ in range(_POOL_SIZE)]
    last_names = [faker.last_name() for _ in range(_POOL_SIZE)]
    companies = [faker.company() for _ in range(_POOL_SIZE)]
    streets = [faker.street_name() for _ in range(_POOL_SIZE)]
    postcodes = [faker.postcode() for _ in range(_POOL_SIZE * 4)]
    counties = [faker.county() for _ in range(_POOL_SIZE)]
    titles = [faker.prefix().rstrip(".") for _ in range(16)]
    towns = numbering.place_names("GB")
    days = [(_FIRST_DAY + timedelta(days=day)).isoformat() for day in range((_LAST_DAY - _FIRST_DAY).days + 1)]
    return first_names, last_names, companies, streets, postcodes, counties, titles, towns, days


def bulk_addresses(tenant: str, seed: int, count: int) -> Iterator[tuple]:
    """``count`` addresses of the tenant's own account as rows of ``COLUMNS`` (dates as ISO
    text), deterministic under ``seed``.

    Each record costs two draws of random bits, cut into the fields' choices, and a UUID made
    with all the others, so a million records take seconds."""
    pools = _pools()
    first_names, last_names, companies, streets, postcodes, counties, titles, towns, days = pools
    rng = random.Random(seed)
    letters = [chr(65 + i) for i in range(26)]
    premises = [str(n) for n in range(1, 251)]
    draw = rng.getrandbits
    # A choice is a pool's member from ``width`` random bits: (bits * len(pool)) >> width.
    for uuid in volume.ordered_uuid4s(rng, count):
        bits = draw(128)
        individual = (bits & 1023) < 410  # 40 %
        created = (((bits >> 10) & 0xFFFF) * len(days)) >> 16
        updated = created + ((((bits >> 26) & 0xFFFF) * (len(days) - created)) >> 16)
        more = draw(64)
        yield (
            tenant,
            "",
            uuid,
            towns[(((bits >> 42) & 0xFFFF) * len(towns)) >> 16],
            "GB",
            letters[(((bits >> 58) & 0x1F) * len(letters)) >> 5] + f"{((more & 0x7FFFFFF) * 10**8) >> 27:08d}",
            first_names[(((bits >> 63) & 0x1FF) * len(first_names)) >> 9] if individual else "",
            False,
            last_names[(((bits >> 72) & 0x1FF) * len(last_names)) >> 9]
            if individual
            else companies[(((bits >> 72) & 0x1FF) * len(companies)) >> 9],
            _NICKNAMES[(((bits >> 81) & 0xFF) * len(_NICKNAMES)) >> 8],
            postcodes[(((bits >> 89) & 0x7FF) * len(postcodes)) >> 11],
            premises[(((bits >> 100) & 0xFF) * len(premises)) >> 8],
            counties[(((bits >> 108) & 0x1FF) * len(counties)) >> 9],
            streets[(((more >> 27) & 0x1FF) * len(streets)) >> 9],
            titles[(((more >> 36) & 0xF) * len(titles)) >> 4] if individual else "",
            1 if individual else 2,
            days[created],
            days[updated],
        )
