"""Request and response shapes as CloudLX documents them (the response models describe the bodies in
the OpenAPI document; the bodies themselves are rendered in render.py, in the documented key order)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

import phonenumbers
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from emulator.core.jsontypes import RequiredText, Text

Digits = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,15}$")]
NumberUuid = Annotated[str, StringConstraints(min_length=1, max_length=36, pattern=r"^[^\x00]*$")]


def _whole_float_as_int(value: object) -> object:
    """PHP's integer rule takes 3488.0 as 3488, as JSON Schema's integer does."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Id = Annotated[int, Field(ge=1, le=2**31 - 1), BeforeValidator(_whole_float_as_int)]
if TYPE_CHECKING:  # the regions phonenumbers knows, listed at run time; statically a string
    CountryCode = str
else:
    CountryCode = Literal[tuple(sorted(phonenumbers.SUPPORTED_REGIONS))]

SERVICE_TYPES = ("GEOGRAPHIC", "TOLL FREE", "PREMIUM", "MOBILE")
RESTRICTION_SERVICE_TYPES = (*SERVICE_TYPES, "NATIONAL")


class _Input(BaseModel):
    # Unknown fields are ignored, as Laravel ignores input no rule names.
    model_config = ConfigDict(strict=True, extra="ignore")


# --- OAuth2 ------------------------------------------------------------------------------------------


class AccessTokenRequest(BaseModel):
    grant_type: Literal["client_credentials"]
    client_id: RequiredText = Field(
        description="The client ID; the emulator's tenant", examples=["xYrKf2x3qWXm0Zn35l8ki5kRH22IP0RPmLR0TlLB"]
    )
    client_secret: RequiredText = Field(examples=["nykSBHIDynMHrwkGyXWzLFAXYbOVP3EKtk6pprOS"])


class RefreshTokenRequest(BaseModel):
    grant_type: Literal["refresh_token"]
    refresh_token: RequiredText
    client_id: RequiredText
    client_secret: RequiredText


class TokenResponse(BaseModel):
    access_token: str = Field(examples=["cxl784Nu0NNbsUhotFWNFOyC2noFR8wiJ9Ki0qzx"])
    token_type: Literal["Bearer"]
    expires_in: int = Field(examples=[3600])
    refresh_token: str


# --- errors ------------------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    message: str
    status_code: int


class ValidationErrorBody(BaseModel):
    message: str = Field(examples=["422 Unprocessable Entity"])
    errors: dict[str, list[str]]
    status_code: int = Field(examples=[422])


# --- numbers -----------------------------------------------------------------------------------------


class AddressCountry(BaseModel):
    name: str
    iso: str


class NumberAddressOut(BaseModel):
    id: int
    name: str
    useForProofOfAddress: bool
    useForEmergencyAddress: bool
    addressLine1: str
    addressLine2: str
    addressCity: str
    addressRegion: str
    addressPostalCode: str
    addressCountry: AddressCountry


class NumberDetails(BaseModel):
    status: str
    provisioned: str = Field(examples=["2018-11-12 14:21:48"])
    cancelled: str = Field(description='"" while the number is active', examples=[""])
    number_address: NumberAddressOut | None
    emergency_number_address: NumberAddressOut | None


class _NumberFields(BaseModel):
    uuid: str = Field(examples=["7c327e0f-6bce-4b2f-9d5d-9c86e7fa065f"])
    number_e164: str = Field(examples=["+441245123456"])
    number: str = Field(examples=["123456"])
    range_code: str = Field(examples=["1245"])
    range_name: str = Field(examples=["Chelmsford"])
    country_code: str = Field(examples=["44"])
    country_name: str = Field(examples=["United Kingdom"])
    country_iso: str = Field(examples=["UK"])
    monthly_charge: float = Field(examples=[0.3])
    setup_charge: float = Field(examples=[0])


class AccountNumber(_NumberFields):
    status: str = Field(examples=["Reserved"])
    details: NumberDetails
    provisioned: str = Field(examples=["2016-01-03 17:48:59"])


class NumberTranslations(BaseModel):
    model_config = ConfigDict(extra="allow")
    all: str | None = None
    fixed: str | None = None
    mobile: str | None = None
    payphone: str | None = None


class NumberDetail(AccountNumber):
    number_translations: NumberTranslations


class CancelledNumber(_NumberFields):
    status: str = Field(examples=["Cancelled"])
    provisioned: str = Field(examples=["2016-01-04 11:26:50"])
    cancelled: str = Field(examples=["2016-01-04 11:27:00"])


class PricingCurrency(BaseModel):
    name: str = Field(examples=["USD - US Dollar"])
    symbol: str = Field(examples=["$"])


class AvailableNumber(_NumberFields):
    per_minute_charge: float = Field(examples=[0.85])
    setup: float = Field(examples=[0.05], description="Charge per call set up")
    no_pricing: bool
    pricing_currency: PricingCurrency
    status: Literal["Available"]


class NumberList(BaseModel):
    numbers: list[AccountNumber]
    num_results: int = Field(description="How many numbers match, over all pages")
    paginates: bool = Field(description="Whether more numbers match than max_per_page")


class CancelledNumberList(BaseModel):
    numbers: list[CancelledNumber]
    num_results: int
    paginates: bool


class AvailableNumberList(BaseModel):
    available_numbers: list[AvailableNumber]
    num_results: int
    paginates: bool


class ResultMessage(BaseModel):
    result: str = Field(examples=["Number allocated to account successfully"])


# --- reserving ---------------------------------------------------------------------------------------


class TranslationIn(_Input):
    """Where calls go: ``all`` for most numbers; toll-free numbers per network (null blocks it)."""

    all: Digits | None = None
    fixed: Digits | None = None
    mobile: Digits | None = None
    payphone: Digits | None = None


class ReserveIn(_Input):
    sbc_trunk_group_id: Id | list[Id] | None = Field(default=None, description="Delivery trunk group(s)")
    number_translation: TranslationIn | None = None
    number_address_id: Id | None = Field(default=None, description="Proof-of-address number address id")
    emergency_number_address_id: Id | None = Field(default=None, description="Emergency-services number address id")


class NumberTranslationItem(TranslationIn):
    number_uuid: NumberUuid


class NumberAddressItem(_Input):
    number_uuid: NumberUuid
    address_id: Id


class BulkReserveIn(_Input):
    number_uuids: list[NumberUuid] = Field(min_length=1, max_length=200, json_schema_extra={"uniqueItems": True})
    activate_on: date | None = Field(default=None, description="The day the numbers become active (YYYY-MM-DD)")
    sbc_trunk_group_id: Id | list[Id] | None = None
    number_translations: list[NumberTranslationItem] | None = Field(default=None, max_length=200)
    number_addresses: list[NumberAddressItem] | None = Field(default=None, max_length=200)

    @field_validator("activate_on", mode="before")
    @classmethod
    def _date_text(cls, value: object) -> object:
        if value is None or isinstance(value, date):
            return value
        if isinstance(value, str) and len(value) == 10:
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise ValueError("The :attribute is not a valid date.")


# --- number addresses -------------------------------------------------------------------------------


class AddressIn(_Input):
    model_config = ConfigDict(
        strict=True,
        extra="ignore",
        # At least one use_for_* must be true.
        json_schema_extra={
            "anyOf": [
                {
                    "properties": {"use_for_emergency_address": {"const": True}},
                    "required": ["use_for_emergency_address"],
                },
                {"properties": {"use_for_proof_of_address": {"const": True}}, "required": ["use_for_proof_of_address"]},
            ]
        },
    )

    name: RequiredText = Field(description="A friendly name for the address", examples=["Epsilon UK Office"])
    address_line_1: RequiredText = Field(examples=["Third Floor Telephone House"])
    address_line_2: Text | None = Field(default=None, examples=["69 Paul Street"])
    address_city: RequiredText = Field(examples=["London"])
    address_region: RequiredText = Field(examples=["London"])
    address_postal_code: RequiredText = Field(examples=["EC2A 4NW"])
    address_country: CountryCode = Field(description="ISO 3166-1 alpha-2", examples=["GB"])
    use_for_emergency_address: bool = False
    use_for_proof_of_address: bool = False


class AddressCreated(BaseModel):
    id: int = Field(examples=[2])
    message: str = Field(examples=["Address added successfully."])


# --- number restrictions ----------------------------------------------------------------------------


class RestrictionCountry(BaseModel):
    name: str = Field(examples=["United Kingdom"])
    iso: str = Field(examples=["GB"])


class ServiceType(BaseModel):
    id: int
    name: str = Field(examples=["Geographic"])
    code: str = Field(examples=["GEOGRAPHIC"])


class NumberRestrictionsBody(BaseModel):
    country: RestrictionCountry
    number_service_type: ServiceType
    restrictions: list[str]


class NumberRestrictions(BaseModel):
    number_restrictions: NumberRestrictionsBody
