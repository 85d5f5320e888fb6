"""Realistic number addresses made with Faker, deterministic under a seed.

``bulk_addresses`` is for volume: it asks Faker once for pools of names,
streets and postcodes, takes real towns from the phone-number area-code data, and combines them
with one seeded random stream, which makes a million records a matter of seconds.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from faker import Faker

from emulator.core import numbering

_NICKNAMES = ["Head Office", "Warehouse", "Home", "Branch Office", "Registered Office", "Studio", "Workshop"]


_POOL_SIZE = 512
_FIRST_DAY, _LAST_DAY = date(2021, 1, 1), date(2023, 5, 31)


# The table columns ``bulk_addresses`` gives values for, in its order.
COLUMNS = (
    "uuid",
    "city",
    "country_code",
    "country_personal_id",
    "forename",
    "is_default",
    "name",
    "nickname",
    "postcode",
    "premises",
    "state",
    "street",
    "title",
    "type_id",
    "created_on",
    "updated_on",
)


def _pick(pool: list[str], bits: int, width: int) -> str:
    """A member of ``pool`` from ``width`` random bits (multiply and shift: no rejection loop)."""
    return pool[(bits * len(pool)) >> width]


def bulk_addresses(seed: int, count: int) -> Iterator[tuple]:
    """``count`` addresses as rows of ``COLUMNS`` (dates as ISO text), deterministic under ``seed``.

    Each record costs two draws of random bits, cut into the fields' choices, so a million
    records take seconds."""
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
    days = [(_FIRST_DAY + timedelta(days=day)).isoformat() for day in range((_LAST_DAY - _FIRST_DAY).days + 1)]
    letters = [chr(65 + i) for i in range(26)]
    premises = [str(n) for n in range(1, 251)]
    draw = rng.getrandbits
    for _ in range(count):
        # A version-4 UUID: 122 random bits.
        value = (draw(128) & ~(0xF000 << 64) & ~(0xC000 << 48)) | (0x4000 << 64) | (0x8000 << 48)
        text = f"{value:032x}"
        bits = draw(128)
        individual = (bits & 1023) < 410  # 40 %
        created = (((bits >> 10) & 0xFFFF) * len(days)) >> 16
        updated = created + ((((bits >> 26) & 0xFFFF) * (len(days) - created)) >> 16)
        more = draw(64)
        yield (
            f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}",
            _pick(towns, (bits >> 42) & 0xFFFF, 16),
            "GB",
            _pick(letters, (bits >> 58) & 0x1F, 5) + f"{((more & 0x7FFFFFF) * 10**8) >> 27:08d}",
            _pick(first_names, (bits >> 63) & 0x1FF, 9) if individual else "",
            False,
            _pick(last_names, (bits >> 72) & 0x1FF, 9) if individual else _pick(companies, (bits >> 72) & 0x1FF, 9),
            _pick(_NICKNAMES, (bits >> 81) & 0xFF, 8),
            _pick(postcodes, (bits >> 89) & 0x7FF, 11),
            _pick(premises, (bits >> 100) & 0xFF, 8),
            _pick(counties, (bits >> 108) & 0x1FF, 9),
            _pick(streets, (more >> 27) & 0x1FF, 9),
            _pick(titles, (more >> 36) & 0xF, 4) if individual else "",
            1 if individual else 2,
            days[created],
            days[updated],
        )
