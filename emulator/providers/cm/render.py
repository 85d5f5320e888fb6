"""CM.com's bytes: a number request as System.Text.Json writes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from emulator.providers.cm.models import NumberRequest


@dataclass(slots=True)
class StoredRequest:
    """A number request as read straight from its row (the fast reader), fields as the model's."""

    guid: str
    company_profile_id: str | None
    status: str
    reason: str | None
    number_type: str
    country: str
    quantity: int
    range_size: int | None
    area_code: str | None
    city: str | None
    region: str | None
    comment: str | None
    callback_url: str | None
    created_at: datetime
    updated_at: datetime
    range_id: str | None
    valid_from: datetime | None
    valid_to: datetime | None
    numbers: list[str]


@dataclass(slots=True)
class DueRequest(StoredRequest):
    """A number request the clock moves (service.run_due_transitions): a stored request plus what
    moving it needs, read from its row in this order (``fields``), changed in memory and written
    back."""

    id: int
    tenant: str
    prefix: str | None
    next_transition_at: datetime | None


@lru_cache(maxsize=4096)
def dotnet_datetime(instant: datetime | None) -> str | None:
    """A UTC DateTime as System.Text.Json writes it: fractional seconds only when non-zero.
    Cached: the requests a clock move changes share a few instants (their due times)."""
    if instant is None:
        return None
    text = instant.strftime("%Y-%m-%dT%H:%M:%S")
    if instant.microsecond:
        text += "." + f"{instant.microsecond:06d}".rstrip("0")
    return text + "Z"


def number_request(request: NumberRequest | StoredRequest) -> dict:
    """The number request as "get number request" returns it (and every callback carries it)."""
    return {
        "requestId": request.guid,
        "companyProfileId": request.company_profile_id,
        "status": request.status,
        "statusReason": request.reason,
        "numberType": request.number_type,
        "country": request.country,
        "quantity": request.quantity,
        "rangeSize": request.range_size,
        "areaCode": request.area_code,
        "city": request.city,
        "region": request.region,
        "comment": request.comment,
        "callbackUrl": request.callback_url,
        "createdOn": dotnet_datetime(request.created_at),
        "updatedOn": dotnet_datetime(request.updated_at),
        "id": request.range_id,
        "start": request.numbers[0] if request.numbers else None,
        "validFrom": dotnet_datetime(request.valid_from),
        "validTo": dotnet_datetime(request.valid_to),
        "numbers": list(request.numbers),
    }
