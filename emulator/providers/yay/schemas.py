"""Request and response shapes exactly as Yay.com documents them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field

from emulator.core.jsontypes import JSONBool, RequiredText, Text, json_int

if TYPE_CHECKING:  # built at run time (bounds, the regions phonenumbers knows); statically plain values
    TypeId = int
    CountryCode = str
else:
    TypeId = json_int(1, 2)
    CountryCode = Literal[tuple(sorted(phonenumbers.SUPPORTED_REGIONS))]


class AddressIn(BaseModel):
    """The POST and PUT body: every documented field, required (PUT replaces the whole object)."""

    model_config = ConfigDict(extra="ignore")

    city: RequiredText = Field(description="Village or area within a town, and the town")
    country_code: CountryCode = Field(description="The Countries 2 letter ISO Code")
    country_personal_id: Text = Field(
        description="The customer's ID number applicable to the country, for example a Spanish CIF/NIF"
    )
    forename: Text = Field(
        description="The first name of the person this address is for. Required for Individual addresses only"
    )
    is_default: JSONBool = Field(description="Whether or not this is the default number address for this Reseller")
    name: RequiredText = Field(
        description="The surname of the person this address is for if an Individual address. "
        "The Business Name if a Business address"
    )
    nickname: RequiredText = Field(description="The nickname for this number address")
    postcode: RequiredText = Field(description="The addresses post or zip code")
    premises: RequiredText = Field(description="The premises on a thoroughfare, e.g. a house number or name")
    state: Text = Field(description="The state or county")
    street: RequiredText = Field(description="The street name")
    title: Text = Field(
        description="The title of the person this address is for. Required for Individual addresses only"
    )
    type_id: TypeId = Field(description="What type of address is this, Use 1 for an individual, 2 for a business")


class _AddressOutFields(BaseModel):
    city: str
    country_code: str
    country_personal_id: str
    created_on: str = Field(examples=["2023-06-01"])
    forename: str
    is_default: bool
    name: str
    nickname: str
    postcode: str
    premises: str
    state: str
    street: str
    title: str
    type_id: int


class CreatedAddress(_AddressOutFields):
    """The 201 body: ``created_on`` but no ``updated_on``."""

    uuid: str


class Address(_AddressOutFields):
    updated_on: str = Field(examples=["2023-06-01"])
    uuid: str


class EmptyResult(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Envelope(BaseModel):
    status_code: int
    status_message: str


class AddressListEnvelope(_Envelope):
    result: list[Address]


class AddressEnvelope(_Envelope):
    result: Address


class CreatedAddressEnvelope(_Envelope):
    result: CreatedAddress


class EmptyEnvelope(_Envelope):
    """Every error, and a delete: ``"result" : {}`` and no detail."""

    result: EmptyResult
