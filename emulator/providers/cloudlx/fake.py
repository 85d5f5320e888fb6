"""Realistic CloudLX numbers: real UK ranges from ``emulator.core.numbering`` (area codes with their
place names, freephone, mobile and premium-rate blocks), charges per service type, deterministic
under a seed. Used to build the fixtures' available pool and by the bulk ``generate`` hook."""

from __future__ import annotations

import random
import re
import uuid as uuid_lib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from operator import itemgetter

import phonenumbers

from emulator.core import numbering, volume

REGION = "GB"
# Numbers derived from each fully validated one (see _national_numbers).
_NEIGHBOURS = 8
_TYPE_DESCRIPTIONS = {
    numbering.GEOGRAPHIC: "fixed_line",
    numbering.TOLL_FREE: "toll_free",
    numbering.MOBILE: "mobile",
    numbering.PREMIUM: "premium_rate",
}


@dataclass(frozen=True)
class Charges:
    monthly: float
    setup: float
    per_minute: float
    call_setup: float


# The geographic row is the documented example's (0.3 monthly, 0 setup, 0.85 per minute, 0.05 setup
# per call); the others are our choice, in the same currency.
CHARGES = {
    numbering.GEOGRAPHIC: Charges(0.3, 0, 0.85, 0.05),
    numbering.TOLL_FREE: Charges(1.5, 5, 0.02, 0),
    numbering.MOBILE: Charges(1, 0, 0.45, 0.05),
    numbering.PREMIUM: Charges(2, 10, 0, 0),
}

# How a bulk-generated account is made up (the rest is geographic).
_MIX = ((numbering.TOLL_FREE, 0.08), (numbering.MOBILE, 0.15), (numbering.PREMIUM, 0.04))
_PROVISIONED_FROM = datetime(2015, 1, 1, tzinfo=UTC)
_PROVISIONED_SPAN = timedelta(days=9 * 365)


def _uuid(rng: random.Random) -> str:
    return str(uuid_lib.UUID(int=rng.getrandbits(128), version=4))


def _ranges(service_type: str) -> list[str]:
    return list(numbering.service_type_prefixes(service_type, REGION))


@cache
def _type_pattern(service_type: str) -> tuple[re.Pattern[str], frozenset[int]]:
    """The metadata's number pattern and lengths for one service type in the region."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(REGION)
    if metadata is None or metadata.general_desc is None:
        raise LookupError(f"phonenumbers has no metadata for {REGION}")
    desc = getattr(metadata, _TYPE_DESCRIPTIONS[service_type])
    return re.compile(desc.national_number_pattern), frozenset(
        desc.possible_length or metadata.general_desc.possible_length
    )


def _national_numbers(service_type: str, prefix: str, count: int, seed: int, rng: random.Random) -> list[str]:
    """``count`` distinct valid numbers under a prefix, fast: a few are drawn and fully validated by
    ``numbering``; the rest are their neighbours in the same thousand-block (ranges are allocated in
    such blocks), kept only when the type's own number pattern still holds for them."""
    drawn = numbering.candidate_numbers(prefix, seed, -(-count // _NEIGHBOURS), REGION, service_type=service_type)
    pattern, lengths = _type_pattern(service_type)
    found = dict.fromkeys(drawn)
    for national in drawn:
        for _ in range(_NEIGHBOURS * 2):
            if len(found) >= count:
                return list(found)[:count]
            neighbour = national[:-3] + f"{rng.randrange(1000):03d}"
            nsn = neighbour[1:]
            if neighbour not in found and len(nsn) in lengths and pattern.fullmatch(nsn):
                found[neighbour] = None
    return list(found)[:count]


def _records(service_type: str, prefix: str, count: int, seed: int, rng: random.Random) -> Iterator[dict]:
    """Up to ``count`` numbers of one national prefix, as number records without status or dates."""
    country = numbering.country_name(REGION)
    charges = CHARGES[service_type]
    candidates = _national_numbers(service_type, prefix, count, seed, rng)
    # Non-geographic prefixes are whole destination codes: one description holds for all.
    block = numbering.describe(candidates[0], REGION) if candidates and service_type != numbering.GEOGRAPHIC else None
    for national in candidates:
        nsn = national[1:]
        if block is None:
            area = numbering.area_code_for_prefix(national, REGION)
            if area is None:
                continue
            range_code, range_name = area.code, area.name
        else:
            range_code, range_name = block.range_code, block.range_name
        yield {
            "uuid": _uuid(rng),
            "number_e164": f"+44{nsn}",
            "number": nsn[len(range_code) :],
            "range_code": range_code,
            "range_name": range_name,
            "country_code": "44",
            "country_name": country,
            "region": REGION,
            "service_type": service_type,
            "monthly_charge": charges.monthly,
            "setup_charge": charges.setup,
            "per_minute_charge": charges.per_minute,
            "call_setup_charge": charges.call_setup,
        }


def available_pool(seed: int, ranges: dict[str, list[str]], per_range: int) -> list[dict]:
    """A pool of available numbers: ``per_range`` numbers from each national prefix named per type."""
    rng = random.Random(seed)
    return [
        {**record, "status": "Available"}
        for service_type, prefixes in ranges.items()
        for prefix in prefixes
        for record in _records(service_type, prefix, per_range, seed, rng)
    ]


# The table columns ``account_rows`` gives values for, in its order; ``account_constants`` are
# the columns that hold one value for all of them.
ACCOUNT_COLUMNS = (
    "uuid",
    "number_e164",
    "number",
    "range_code",
    "range_name",
    "service_type",
    "monthly_charge",
    "setup_charge",
    "per_minute_charge",
    "call_setup_charge",
    "provisioned",
    "service_provisioned",
    "number_address_id",
    "emergency_number_address_id",
)
E164 = ACCOUNT_COLUMNS.index("number_e164")
_PROVISIONING_SECONDS = 3 * 86400


def _account_numbers(seed: int, count: int, exclude: set[str]) -> list[tuple[str, str, str, str]]:
    """``count`` distinct numbers spread over every UK range in the account's mix, each as (service
    type, E.164, range code, range name)."""
    wanted = {service_type: round(count * share) for service_type, share in _MIX}
    wanted[numbering.GEOGRAPHIC] = count - sum(wanted.values())
    seen = set(exclude)
    numbers = []
    for service_type, type_count in wanted.items():
        ranges = _ranges(service_type)
        per_range = -(-type_count // len(ranges))
        made = 0
        for prefix in ranges:
            candidates = numbering.block_numbers(prefix, seed, min(per_range, type_count - made), REGION, service_type)
            # Non-geographic prefixes are whole destination codes: one description holds for all.
            block = (
                numbering.describe(candidates[0], REGION)
                if candidates and service_type != numbering.GEOGRAPHIC
                else None
            )
            # A thousand-block lies within one area code: its area is looked up once.
            areas: dict[str, numbering.AreaCode | None] = {}
            for national in candidates:
                e164 = f"+44{national[1:]}"
                if e164 in seen:
                    continue
                if block is None:
                    stem = national[:-3]
                    area = (
                        areas[stem]
                        if stem in areas
                        else areas.setdefault(stem, numbering.area_code_for_prefix(national, REGION))
                    )
                    if area is None:
                        continue
                    range_code, range_name = area.code, area.name
                else:
                    range_code, range_name = block.range_code, block.range_name
                seen.add(e164)
                numbers.append((service_type, e164, range_code, range_name))
                made += 1
            if made >= type_count:
                break
    return numbers


def account_constants(tenant: str) -> dict[str, str]:
    """The columns every row of ``account_rows`` shares, with their values."""
    return {
        "tenant": tenant,
        "status": "Reserved",
        "country_code": "44",
        "country_name": numbering.country_name(REGION),
        "region": REGION,
    }


def account_rows(seed: int, count: int, exclude: set[str]) -> list[tuple]:
    """``count`` numbers reserved to an account over the years, spread over every UK range, as
    rows of ``ACCOUNT_COLUMNS`` (instants as stored text), deterministic under ``seed``."""
    rng = random.Random(seed)
    # In number order, as the account lists them: the indexes on the number grow at their end.
    numbers = sorted(_account_numbers(seed, count, exclude), key=itemgetter(1))
    count = len(numbers)
    if not count:
        return []
    uuids = volume.ordered_uuid4s(rng, count)
    provisioned = volume.offsets(rng, int(_PROVISIONED_SPAN.total_seconds()), count)
    later = volume.offsets(rng, _PROVISIONING_SECONDS, count)
    provisioned_at = volume.stored_instants(_PROVISIONED_FROM, provisioned)
    service_at = volume.stored_instants(_PROVISIONED_FROM, [a + b for a, b in zip(provisioned, later, strict=True)])
    with_address = volume.chances(rng, 0.3, count)
    emergency = volume.chances(rng, 0.5, count)
    # Column by column, and the rows by one zip: no Python work per row but each column's own.
    service_types, e164s, range_codes, range_names = (list(map(itemgetter(at), numbers)) for at in range(4))
    charges = [CHARGES[service_type] for service_type in service_types]
    return list(
        zip(
            uuids,
            e164s,
            [e164[3 + len(code) :] for e164, code in zip(e164s, range_codes, strict=True)],
            range_codes,
            range_names,
            service_types,
            [charge.monthly for charge in charges],
            [charge.setup for charge in charges],
            [charge.per_minute for charge in charges],
            [charge.call_setup for charge in charges],
            provisioned_at,
            service_at,
            [1 if address else None for address in with_address],
            [2 if address and also else None for address, also in zip(with_address, emergency, strict=True)],
            strict=True,
        )
    )
