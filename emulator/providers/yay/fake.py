"""Realistic number addresses made with Faker, deterministic under a seed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from faker import Faker

_NICKNAMES = ("Head Office", "Warehouse", "Home", "Branch Office", "Registered Office", "Studio", "Workshop")


def fake_addresses(seed: int, count: int) -> Iterator[dict]:
    """``count`` addresses as fixture records (the documented fields plus uuid and dates)."""
    faker = Faker("en_GB")
    faker.seed_instance(seed)
    for _ in range(count):
        individual = faker.boolean(chance_of_getting_true=40)
        created = faker.date_between(date(2021, 1, 1), date(2023, 5, 31))
        yield {
            "uuid": faker.uuid4(),
            "city": faker.city(),
            "country_code": "GB",
            "country_personal_id": faker.bothify("?########").upper(),
            "forename": faker.first_name() if individual else "",
            "is_default": False,
            "name": faker.last_name() if individual else faker.company(),
            "nickname": faker.random_element(_NICKNAMES),
            "postcode": faker.postcode(),
            "premises": faker.building_number(),
            "state": faker.county(),
            "street": faker.street_name(),
            "title": faker.prefix().rstrip(".") if individual else "",
            "type_id": 1 if individual else 2,
            "created_on": created.isoformat(),
            "updated_on": faker.date_between(created, date(2023, 5, 31)).isoformat(),
        }
