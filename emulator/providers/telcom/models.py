from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from emulator.core.provider import TenantScoped

Text = 255  # longest string any column holds


class Number(TenantScoped, table=True):
    """An incoming number of a unit (the tenant), with its acquisition and subscriber record."""

    __tablename__ = "telcom_number"
    # Unique indexes, not constraints: a bulk load sets an index aside and makes it again
    # (emulator.core.bulk), where a constraint written into the table checks every row it inserts.
    __table_args__ = (
        Index("ix_telcom_number_number_id", "tenant", "number_id", unique=True),
        # One unit holds a number once; this also keeps two racing acquisitions from both winning.
        Index("ix_telcom_number_number", "tenant", "number", unique=True),
    )

    row_id: int | None = Field(default=None, primary_key=True)
    number_id: int
    number: str = Field(max_length=16)
    context: str = Field(max_length=16)
    created_at: datetime
    updated_at: datetime
    recording_enabled: bool
    caller_id_prefix: str | None = Field(default=None, max_length=Text)
    callerid_passthrough: bool
    forward_sip_to: str | None = Field(default=None, max_length=Text)
    acquired_at: datetime | None = None
    first_name: str | None = Field(default=None, max_length=Text)
    name: str | None = Field(default=None, max_length=Text)
    address1: str | None = Field(default=None, max_length=Text)
    address2: str | None = Field(default=None, max_length=Text)
    address3: str | None = Field(default=None, max_length=Text)
    address4: str | None = Field(default=None, max_length=Text)
    postcode: str | None = Field(default=None, max_length=Text)
    pushed_at: datetime | None = None
    subscriber_status: str = Field(default="unknown", max_length=32)
    destination_type: str | None = Field(default=None, max_length=16)
    destination_id: int | None = None


class Destination(TenantScoped, table=True):
    """Where a number's calls go: a menu, call group, voicemail box or follow-me of the unit."""

    __tablename__ = "telcom_destination"
    __table_args__ = (UniqueConstraint("tenant", "kind", "object_id"),)

    row_id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # Menu, CallGroup, VoicemailBox, Followme
    object_id: int
    name: str = Field(max_length=Text)


class Sequence(TenantScoped, table=True):
    """The unit's next number ID (IDs are never reused, as with a database's auto-increment)."""

    __tablename__ = "telcom_sequence"
    __table_args__ = (Index("ix_telcom_sequence_scope", "tenant", "name", unique=True),)

    row_id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=32)
    next_value: int
