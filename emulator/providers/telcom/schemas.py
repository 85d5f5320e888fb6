"""The documented shapes, for the OpenAPI document: envelopes, objects, action parameters.

The wire reads parameters itself (see ``params``), so the request models only describe them."""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

DestinationType = Literal["Menu", "CallGroup", "VoicemailBox", "Followme"]
SubscriberStatus = Literal["unknown", "validation_pending", "validated", "rejected"]
TIMESTAMP = Field(examples=["2015-05-05T14:43:36.000Z"], pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Flags(BaseModel):
    """Always ``{}`` for these actions."""


class Subscriber(_Closed):
    first_name: str | None
    name: str | None
    address1: str | None
    address2: str | None
    address3: str | None
    address4: str | None
    postcode: str | None
    pushed_at: str | None = TIMESTAMP
    status: SubscriberStatus


class Aquisition(_Closed):
    """Spelled ``aquisition`` on the wire, as the platform does."""

    acquired_at: str | None = TIMESTAMP
    subscriber: Subscriber


class DestinationObject(_Closed):
    id: int
    name: str


class NumberDestination(_Closed):
    type: DestinationType
    object: DestinationObject


class AcquiredNumber(_Closed):
    """A number as ``acquire`` returns it: no ``destination`` key at all."""

    id: int
    number: str = Field(examples=["03301222970"])
    context: Literal["incoming", "utility"]
    created_at: str = TIMESTAMP
    updated_at: str = TIMESTAMP
    recording_enabled: bool
    caller_id_prefix: str | None
    callerid_passthrough: bool
    forward_sip_to: str | None
    aquisition: Aquisition


class IncomingNumber(AcquiredNumber):
    destination: NumberDestination | None


class Prefix(_Closed):
    description: str = Field(examples=["Aberdeen (01224)"])
    prefix: str = Field(examples=["01224"])


class AccessNumber(_Closed):
    number: str = Field(examples=["*55"])
    description: str


def _success(name: str, data: object) -> type[BaseModel]:
    # ``data`` is a type made at run time, so the fields are a plain map to the type checker.
    fields: dict[str, Any] = {
        "status": (Literal["success"], ...),
        "time": (float, Field(description="Handling time in seconds, 2 decimals")),
        "flags": (Flags, ...),
        "data": (data, ...),
    }
    return create_model(name, __base__=_Closed, **fields)


NumberListEnvelope = _success("NumberListEnvelope", list[IncomingNumber])
NumberEnvelope = _success("NumberEnvelope", IncomingNumber)
AcquiredNumberEnvelope = _success("AcquiredNumberEnvelope", AcquiredNumber)
PrefixListEnvelope = _success("PrefixListEnvelope", list[Prefix])
NumberTextListEnvelope = _success("NumberTextListEnvelope", list[str])
DeletedEnvelope = _success("DeletedEnvelope", Literal[True])
AccessNumberListEnvelope = _success("AccessNumberListEnvelope", list[AccessNumber])
DestinationListEnvelope = _success("DestinationListEnvelope", list[DestinationObject])
DestinationEnvelope = _success("DestinationEnvelope", DestinationObject)


class Message(_Closed):
    message: str


class Errors(_Closed):
    errors: list[str] = Field(examples=[["Destination does not exist"]])


class CodedMessage(_Closed):
    code: str = Field(examples=["NumberNotAvailable"])
    message: str


class AccessDeniedEnvelope(_Closed):
    """No credentials, or credentials the platform does not accept (still HTTP 200)."""

    status: Literal["access-denied"]
    time: None
    flags: Flags
    data: Message


class NotFoundEnvelope(_Closed):
    status: Literal["not-found"]
    time: None
    flags: Flags
    data: Message


class ParameterErrorEnvelope(_Closed):
    """E.g. ``"`id` parameter is required but is missing"`` (the backquotes are part of it)."""

    status: Literal["parameter-error"]
    time: None
    flags: Flags
    data: Message


class ValidationErrorEnvelope(_Closed):
    status: Literal["validation-error"]
    time: None
    flags: Flags
    data: Errors


class DomainErrorEnvelope(_Closed):
    status: Literal["error"]
    time: None
    flags: Flags
    data: CodedMessage


ERRORS = (AccessDeniedEnvelope, NotFoundEnvelope, ParameterErrorEnvelope, ValidationErrorEnvelope, DomainErrorEnvelope)


def answers(success: type[BaseModel]) -> object:
    """Everything an action answers with HTTP 200: its success envelope or one of the errors."""
    return Union[(success, *ERRORS)]


class InvalidControllerOrAction(_Closed):
    status: Literal["invalid-controller-or-action"]


class InvalidJSONBody(_Closed):
    status: Literal["invalid-json"]
    details: str


# --- parameters (documentation only) -------------------------------------------------------------


class IdParams(BaseModel):
    id: int = Field(description="The ID of the object (required)", examples=[3466])


class SaveParams(BaseModel):
    id: int | None = Field(None, description="The ID of the number (required if you're updating an existing number)")
    destination_type: DestinationType | None = Field(
        None, description="The type of destination for the number, for example Menu"
    )
    destination_id: int | None = Field(None, description="The destination ID for the number")
    caller_id_prefix: str | None = Field(None, description="The caller ID prefix")
    recording_enabled: bool | None = Field(
        None, description="Whether or not incoming call recording is enabled for this number"
    )
    callerid_passthrough: bool | None = Field(
        None, description="Whether or not you wish to pass the caller ID when forwarding calls"
    )
    context: Literal["incoming", "utility"] | None = Field(
        None,
        description="The context to add a number into (creation only): incoming, or utility for an internal number",
    )
    number: str | None = Field(None, description="The number you wish to add (creation only)", examples=["03301222970"])


class PrefixParams(BaseModel):
    prefix: str = Field(description="The prefix to search for (required)", examples=["01234"])


class AcquireParams(BaseModel):
    number: str = Field(description="The number you wish to purchase (required)", examples=["01234901769"])


class SubscriberParams(BaseModel):
    id: int = Field(description="The ID of the number you wish to update (required)", examples=[4243])
    first_name: str | None = Field(None, description="The first name of the subscriber")
    name: str | None = Field(None, description="The surname or company name")
    address1: str | None = Field(None, description="The first line of the address")
    address2: str | None = Field(None, description="The second line of the address")
    address3: str | None = Field(None, description="The third line of the address")
    address4: str | None = Field(None, description="The fourth line of the address")
    postcode: str | None = Field(None, description="The postcode of the address")
