"""Realistic number requests made with Faker, deterministic under a seed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from faker import Faker

from emulator.providers.cm import render, service

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
# How often each final or waiting status appears in generated history.
_STATUSES = (service.COMPLETED,) * 6 + (service.PENDING, service.ACCEPTED, service.REJECTED, service.CANCELLED)


def fake_number_requests(seed: int, count: int, account: str, profiles: list[dict]) -> Iterator[dict]:
    """``count`` number requests as fixture records: the rendered shape plus ``account`` and
    ``prefix``. Completed ones carry real numbers of their area."""
    faker = Faker("en_GB")
    faker.seed_instance(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    for _ in range(count):
        profile = faker.random_element(profiles)
        country = profile["country"]
        number_type = faker.random_element(("LOCAL",) * 6 + ("NATIONAL", "TOLLFREE"))
        areas = service.areas(country, number_type) or service.areas(country, "LOCAL")
        if not service.areas(country, number_type):
            number_type = "LOCAL"
        area = faker.random_element(areas)
        status = faker.random_element(_STATUSES)
        sizes = service.RANGE_SIZES[number_type]
        range_size = faker.random_element(sizes) if sizes and faker.boolean(chance_of_getting_true=15) else None
        quantity = faker.random_int(1, 5) * (range_size or 1) if range_size else faker.random_int(1, 30)
        created = start + timedelta(seconds=faker.random_int(0, 500 * 86400))
        updated = created + timedelta(minutes=faker.random_int(1, 72 * 60)) if status != service.PENDING else created
        guid = faker.uuid4()
        completed = status == service.COMPLETED
        numbers = (
            service.draw_numbers(country, number_type, area.prefix, quantity, range_size, guid) if completed else []
        )
        by_city = area.city is not None and faker.boolean(chance_of_getting_true=30)
        yield {
            "requestId": guid,
            "companyProfileId": profile["id"],
            "status": status,
            "statusReason": faker.random_element(_REJECTIONS) if status == service.REJECTED else None,
            "numberType": number_type,
            "country": country,
            "quantity": quantity,
            "rangeSize": range_size,
            "areaCode": None if by_city else area.prefix,
            "city": area.city if by_city else None,
            "region": area.region,
            "comment": faker.random_element(_COMMENTS),
            "callbackUrl": None,
            "createdOn": render.dotnet_datetime(created),
            "updatedOn": render.dotnet_datetime(updated),
            "id": faker.uuid4() if completed else None,
            "start": numbers[0] if numbers else None,
            "validFrom": render.dotnet_datetime(updated) if completed else None,
            "validTo": None,
            "numbers": numbers,
            "account": account,
            "prefix": area.prefix,
        }
