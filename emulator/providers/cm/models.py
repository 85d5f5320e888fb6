from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field

from emulator.core.counts import ROW_COUNTS
from emulator.core.db import empty_list
from emulator.core.provider import TenantScoped


class NumberRequest(TenantScoped, table=True):
    __tablename__ = "cm_number_request"
    # A unique index, not a constraint: a bulk load sets it aside and makes it again
    # (emulator.core.bulk), where a constraint written into the table checks every row it inserts.
    __table_args__ = (
        Index("ix_cm_number_request_guid", "tenant", "guid", unique=True),
        Index("ix_cm_number_request_scope", "tenant", "account", "id"),
        Index("ix_cm_number_request_due", "next_transition_at"),
        # The list's total is read from counts kept per account, not counted row by row.
        {"info": {ROW_COUNTS: ("tenant", "account")}},
    )

    id: int | None = Field(default=None, primary_key=True)
    guid: str = Field(max_length=36)
    # The Logical or Voice Account GUID of the path, lower case.
    account: str = Field(max_length=36)
    company_profile_id: str | None = Field(default=None, max_length=36)
    country: str = Field(max_length=2)
    status: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=1000)
    number_type: str = Field(max_length=16)
    quantity: int
    range_size: int | None = None
    area_code: str | None = Field(default=None, max_length=100)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    comment: str | None = Field(default=None, max_length=1000)
    callback_url: str | None = Field(default=None, max_length=2048)
    # The national prefix numbers are drawn from; null when the area names no known place.
    prefix: str | None = Field(default=None, max_length=16)
    created_at: datetime
    updated_at: datetime
    # When the order moves on by itself (accepted, completed, or rejected); null when it waits
    # for a control-plane action or is final.
    next_transition_at: datetime | None = None
    range_id: str | None = Field(default=None, max_length=36)
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    # Assigned numbers, E.164.
    numbers: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))


class CompanyProfile(TenantScoped, table=True):
    """The company profiles a tenant may order numbers for; the profile's country is the
    country the numbers are requested in."""

    __tablename__ = "cm_company_profile"
    __table_args__ = (UniqueConstraint("tenant", "guid"),)

    id: int | None = Field(default=None, primary_key=True)
    guid: str = Field(max_length=36)
    name: str = Field(max_length=100)
    country: str = Field(max_length=2)
