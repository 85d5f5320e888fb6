"""CM.com's rules for a number request body, beyond its shape, in ASP.NET Core's words."""

from __future__ import annotations

import re
from typing import Any

from emulator.core.identifiers import is_uuid
from emulator.providers.cm.service import (
    CALLBACK_URL_PATTERN,
    DEFAULT_NUMBER_TYPE,
    MAX_COMMENT,
    MAX_QUANTITY,
    MAX_TEXT,
    MAX_URL,
    MIN_QUANTITY,
    NANPA,
    NUMBER_TYPES,
    RANGE_SIZES,
    OrderData,
)

_CALLBACK_URL = re.compile(CALLBACK_URL_PATTERN)


class ValidationFailed(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def _int32(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and -(2**31) <= value < 2**31:
        return value
    return None


def _conversion_error(path: str, target: str) -> list[str]:
    return [f"The JSON value could not be converted to {target}. Path: {path}."]


def parse_order(body: Any, country_of: Any) -> OrderData:
    """The create body checked as the documentation states it; ``country_of(profile id)`` names
    the country the numbers are ordered in. Raises ``ValidationFailed`` keyed like ASP.NET Core:
    ``$.field`` for values of the wrong JSON type, ``Field`` for rule violations."""
    if not isinstance(body, dict):
        raise ValidationFailed({"$": _conversion_error("$", "NumberRequest")})
    fields = {key.lower(): value for key, value in body.items()}  # System.Text.Json web defaults
    errors: dict[str, list[str]] = {}

    def text(name: str, limit: int) -> str | None:
        value = fields.get(name.lower())
        if value is None:
            return None
        if not isinstance(value, str):
            errors[f"$.{name}"] = _conversion_error(f"$.{name}", "System.String")
            return None
        pascal = name[0].upper() + name[1:]
        if "\x00" in value:
            errors[pascal] = [f"The field {pascal} must not contain NUL characters."]
        elif len(value) > limit:
            errors[pascal] = [f"The field {pascal} must be a string or array type with a maximum length of '{limit}'."]
        return value

    profile = fields.get("companyprofileid")
    if profile is not None and not (isinstance(profile, str) and is_uuid(profile)):
        errors["$.companyProfileId"] = _conversion_error("$.companyProfileId", "System.Nullable`1[System.Guid]")
    quantity = 0
    if "quantity" in fields and fields["quantity"] is not None:
        parsed = _int32(fields["quantity"])
        if parsed is None:
            errors["$.quantity"] = _conversion_error("$.quantity", "System.Int32")
        else:
            quantity = parsed
    elif "quantity" in fields:
        errors["$.quantity"] = _conversion_error("$.quantity", "System.Int32")
    range_size = None
    if fields.get("rangesize") is not None:
        range_size = _int32(fields["rangesize"])
        if range_size is None:
            errors["$.rangeSize"] = _conversion_error("$.rangeSize", "System.Nullable`1[System.Int32]")
    number_type = DEFAULT_NUMBER_TYPE
    if "numbertype" in fields:
        raw_type = fields["numbertype"]
        if not isinstance(raw_type, str) or raw_type not in NUMBER_TYPES:
            errors["$.numberType"] = _conversion_error("$.numberType", "NumberType")
        else:
            number_type = raw_type
    area_code = text("areaCode", MAX_TEXT)
    city = text("city", MAX_TEXT)
    region = text("region", MAX_TEXT)
    comment = text("comment", MAX_COMMENT)
    callback_url = text("callbackUrl", MAX_URL)
    if errors:
        raise ValidationFailed(errors)

    if quantity is not None and not MIN_QUANTITY <= quantity <= MAX_QUANTITY:
        errors["Quantity"] = [f"The field Quantity must be between {MIN_QUANTITY} and {MAX_QUANTITY}."]
    if range_size is not None:
        allowed = RANGE_SIZES[number_type]
        if not allowed:
            errors["RangeSize"] = [f"Number ranges cannot be requested for number type {number_type}."]
        elif range_size not in allowed:
            sizes = ", ".join(str(size) for size in allowed)
            errors["RangeSize"] = [f"The range size must be one of {sizes} for number type {number_type}."]
    if not area_code and not city:
        errors["AreaCode"] = ["The AreaCode field is required when City is not provided."]
        errors["City"] = ["The City field is required when AreaCode is not provided."]
    if not region and country_of(profile) in NANPA:
        errors["Region"] = ["The Region field is required for NANPA countries."]
    if callback_url is not None and not _CALLBACK_URL.match(callback_url):
        errors["CallbackUrl"] = ["The CallbackUrl field is not a valid fully-qualified http or https URL."]
    if errors:
        raise ValidationFailed(errors)
    return OrderData(
        company_profile_id=profile.lower() if profile else None,
        quantity=quantity,
        range_size=range_size,
        number_type=number_type,
        area_code=area_code,
        city=city,
        region=region,
        comment=comment,
        callback_url=callback_url,
    )
