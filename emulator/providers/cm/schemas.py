"""Request and response shapes of the number request API (field names are the emulator's; see
the fidelity notes)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from emulator.providers.cm.service import (
    CALLBACK_URL_PATTERN,
    GUID_PATTERN,
    MAX_COMMENT,
    MAX_QUANTITY,
    MAX_TEXT,
    MAX_URL,
    MIN_QUANTITY,
    NUMBER_TYPES,
    RANGE_SIZES,
)

NumberType = Literal["LOCAL", "NATIONAL", "TOLLFREE"]
Status = Literal["Pending", "Accepted", "Completed", "Rejected", "Cancelled"]

_NO_NUL = "^[^\\x00]*$"


def _nullable_text(limit: int, description: str) -> dict:
    return {
        "anyOf": [{"type": "string", "maxLength": limit, "pattern": _NO_NUL}, {"type": "null"}],
        "description": description,
    }


_RANGED_TYPES = [name for name, sizes in RANGE_SIZES.items() if sizes]
_RANGE_SIZES = sorted({size for sizes in RANGE_SIZES.values() for size in sizes})

# The create body, written out because its rules span fields: an area code or a city, and a
# range size only for the number types that come in ranges.
NUMBER_REQUEST_BODY: dict = {
    "title": "NumberRequestBody",
    "type": "object",
    "required": ["quantity"],
    "properties": {
        "companyProfileId": {
            "anyOf": [{"type": "string", "format": "uuid", "pattern": GUID_PATTERN}, {"type": "null"}],
            "description": "Unique identifier of the company profile that will be operating the requested numbers. "
            "Its country is the country the numbers are requested in.",
        },
        "quantity": {
            "type": "integer",
            "minimum": MIN_QUANTITY,
            "maximum": MAX_QUANTITY,
            "description": "The quantity of numbers to be requested.",
        },
        "rangeSize": {
            "anyOf": [{"type": "integer", "enum": _RANGE_SIZES}, {"type": "null"}],
            "description": "The size of the range to be requested. Only required if a range of numbers is requested. "
            "Requires number ranges to be supported: see the order restrictions endpoint for the allowed ranges.",
        },
        "numberType": {
            "type": "string",
            "enum": list(NUMBER_TYPES),
            "description": "Phone number type (default LOCAL)",
        },
        "areaCode": _nullable_text(
            MAX_TEXT,
            "The area code to request numbers for. Required when city is not provided. "
            "If the city is also provided, this will be used in combination with city.",
        ),
        "city": _nullable_text(
            MAX_TEXT,
            "City to request numbers for. Required when area code is not provided. "
            "If the area code is also provided, this will be used in combination with area code.",
        ),
        "region": _nullable_text(MAX_TEXT, "Region to request numbers for. Only required for NANPA."),
        "comment": _nullable_text(
            MAX_COMMENT, "Additional comment for customers to for example add a distribution group or IP address."
        ),
        "callbackUrl": {
            "anyOf": [{"type": "string", "maxLength": MAX_URL, "pattern": CALLBACK_URL_PATTERN}, {"type": "null"}],
            "description": "URL that we'll send a POST request to when the status of the request has been updated. "
            "The body of this post request will contain the entire number request order including the updated status.",
        },
    },
    "allOf": [
        {
            "anyOf": [
                {"required": ["areaCode"], "properties": {"areaCode": {"type": "string", "minLength": 1}}},
                {"required": ["city"], "properties": {"city": {"type": "string", "minLength": 1}}},
            ]
        },
        {
            "anyOf": [
                {"properties": {"rangeSize": {"type": "null"}}},
                {"properties": {"numberType": {"enum": _RANGED_TYPES}}},
            ]
        },
    ],
}


class NumberRequestOut(BaseModel):
    requestId: str = Field(description="Identifies the request (for get and cancel)")
    companyProfileId: str | None
    status: Status
    statusReason: str | None = Field(description="Why the request was rejected; null otherwise")
    numberType: NumberType
    country: str = Field(description="ISO 3166-1 alpha-2 country of the numbers (the company profile's)")
    quantity: int
    rangeSize: int | None
    areaCode: str | None
    city: str | None
    region: str | None
    comment: str | None
    callbackUrl: str | None
    createdOn: str = Field(examples=["2023-06-01T10:00:00Z"])
    updatedOn: str = Field(examples=["2023-06-01T10:00:00Z"])
    id: str | None = Field(description="The assigned number range; null while nothing is assigned")
    start: str | None = Field(description="The first assigned number (E.164); null while nothing is assigned")
    validFrom: str | None = Field(description="Since when the numbers are assigned; null while nothing is assigned")
    validTo: str | None = Field(description="Until when the numbers are assigned; null while they stay assigned")
    numbers: list[str] = Field(description="Every assigned number (E.164)")


class RequestStatus(BaseModel):
    status: Status
    description: str
    isFinal: bool


class OrderRestriction(BaseModel):
    country: str
    numberType: NumberType
    minimumQuantity: int
    maximumQuantity: int
    immediateMaximumQuantity: int = Field(description="Up to this many numbers in a known area are assigned at once")
    rangesAllowed: bool
    rangeSizes: list[int]
    regionRequired: bool


class AreaOption(BaseModel):
    areaCode: str
    city: str | None
    region: str | None


class LocaleOptions(BaseModel):
    country: str
    numberType: NumberType
    regions: list[str] = Field(description="NANPA regions (states, provinces); empty elsewhere")
    cities: list[str]
    areaCodes: list[AreaOption]


class Availability(BaseModel):
    country: str
    numberType: NumberType
    areaCode: str | None
    city: str | None
    region: str | None
    quantity: int
    available: bool = Field(description="The area is known: an order for it will be filled")
    immediatelyAvailable: bool = Field(description="An order for this quantity would be assigned at once")
    availableQuantity: int = Field(description="How many numbers can be assigned at once")


class Problem(BaseModel):
    type: str = Field(examples=["https://tools.ietf.org/html/rfc9110#section-15.5.5"])
    title: str
    status: int
    detail: str | None = None
    traceId: str


class ValidationProblem(BaseModel):
    type: str = Field(examples=["https://tools.ietf.org/html/rfc9110#section-15.5.1"])
    title: str = Field(examples=["One or more validation errors occurred."])
    status: int = Field(examples=[400])
    errors: dict[str, list[str]]
    traceId: str
