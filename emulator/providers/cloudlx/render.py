"""Bodies in CloudLX's key order and value types: charges as PHP prints them (0.3, and 0 for a whole
amount), ``Y-m-d H:i:s`` timestamps, ``country_iso`` "UK" for GB numbers while addresses say "GB"."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from emulator.providers.cloudlx.models import Number, NumberAddress
from emulator.providers.cloudlx.service import TIMESTAMP

# The currency the documented available-numbers example prices in.
PRICING_CURRENCY = {"name": "USD - US Dollar", "symbol": "$"}


def charge(value: float) -> float | int:
    """PHP's json_encode prints a whole float without a fraction (``0``, not ``0.0``)."""
    return int(value) if float(value).is_integer() else value


def timestamp(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime(TIMESTAMP) if value is not None else ""


def country_iso(region: str) -> str:
    return "UK" if region == "GB" else region


def address(row: NumberAddress | None) -> dict | None:
    if row is None:
        return None
    return {
        "id": row.address_id,
        "name": row.name,
        "useForProofOfAddress": row.use_for_proof_of_address,
        "useForEmergencyAddress": row.use_for_emergency_address,
        "addressLine1": row.line1,
        "addressLine2": row.line2,
        "addressCity": row.city,
        "addressRegion": row.region,
        "addressPostalCode": row.postal_code,
        "addressCountry": {"name": row.country_name, "iso": row.country_iso},
    }


def _common(number: Number) -> dict:
    return {
        "uuid": number.uuid,
        "number_e164": number.number_e164,
        "number": number.number,
        "range_code": number.range_code,
        "range_name": number.range_name,
        "country_code": number.country_code,
        "country_name": number.country_name,
        "country_iso": country_iso(number.region),
        "monthly_charge": charge(number.monthly_charge),
        "setup_charge": charge(number.setup_charge),
    }


def _address_of(addresses: dict[int, NumberAddress], address_id: int | None) -> dict | None:
    return address(addresses.get(address_id) if address_id is not None else None)


def account_number(number: Number, addresses: dict[int, NumberAddress]) -> dict:
    return {
        **_common(number),
        "status": number.status,
        "details": {
            "status": number.status,
            "provisioned": timestamp(number.service_provisioned),
            "cancelled": timestamp(number.cancelled),
            "number_address": _address_of(addresses, number.number_address_id),
            "emergency_number_address": _address_of(addresses, number.emergency_number_address_id),
        },
        "provisioned": timestamp(number.provisioned),
    }


def number_detail(number: Number, addresses: dict[int, NumberAddress]) -> dict:
    """The listing's item plus where calls go (by default: to the number itself)."""
    translations = json.loads(number.translations) if number.translations else {"all": number.number_e164[1:]}
    return {**account_number(number, addresses), "number_translations": translations}


def cancelled_number(number: Number) -> dict:
    return {
        **_common(number),
        "status": number.status,
        "provisioned": timestamp(number.provisioned),
        "cancelled": timestamp(number.cancelled),
    }


def available_number(number: Number) -> dict:
    return {
        **_common(number),
        "per_minute_charge": charge(number.per_minute_charge),
        "setup": charge(number.call_setup_charge),
        "no_pricing": False,
        "pricing_currency": PRICING_CURRENCY,
        "status": number.status,
    }
