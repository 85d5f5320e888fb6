from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from emulator.core.counts import ROW_COUNTS
from emulator.core.provider import TenantScoped
from emulator.core.search import SUBSTRING_SEARCH

AVAILABLE = "Available"
RESERVED = "Reserved"
CANCELLED = "Cancelled"


class Number(TenantScoped, table=True):
    """A number in a tenant's world: in the available pool, reserved to the account, or cancelled."""

    __tablename__ = "cloudlx_number"
    __table_args__ = (
        UniqueConstraint("tenant", "uuid"),
        # Listing and paging walk this index only; a search of three digits or more starts from
        # the trigram index instead.
        Index("ix_cloudlx_number_listing", "tenant", "status", "number_e164"),
        Index("ix_cloudlx_number_pool", "tenant", "status", "region", "service_type", "number_e164"),
        # The lists' totals without a search are read from counts kept per what they filter by.
        {"info": {SUBSTRING_SEARCH: "number_e164", ROW_COUNTS: ("tenant", "status", "region", "service_type")}},
    )

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36)
    status: str = Field(max_length=16)
    number_e164: str = Field(max_length=16)
    number: str = Field(max_length=15, description="The local part after the range code")
    range_code: str = Field(max_length=8)
    range_name: str = Field(max_length=64)
    country_code: str = Field(max_length=4)
    country_name: str = Field(max_length=64)
    region: str = Field(max_length=2, description="ISO 3166 code (GB); rendered country_iso says UK")
    service_type: str = Field(max_length=16)
    monthly_charge: float
    setup_charge: float
    per_minute_charge: float
    call_setup_charge: float
    provisioned: datetime | None = Field(default=None, description="When the number came to the account")
    service_provisioned: datetime | None = Field(default=None, description="details.provisioned")
    cancelled: datetime | None = None
    number_address_id: int | None = None
    emergency_number_address_id: int | None = None
    translations: str | None = Field(default=None, max_length=512, description="number_translations as JSON text")


class NumberAddress(TenantScoped, table=True):
    __tablename__ = "cloudlx_number_address"
    __table_args__ = (UniqueConstraint("tenant", "address_id"),)

    id: int | None = Field(default=None, primary_key=True)
    address_id: int = Field(description="The id the API shows; counted per tenant")
    name: str = Field(max_length=255)
    use_for_proof_of_address: bool
    use_for_emergency_address: bool
    line1: str = Field(max_length=255)
    line2: str = Field(max_length=255)
    city: str = Field(max_length=255)
    region: str = Field(max_length=255)
    postal_code: str = Field(max_length=255)
    country_iso: str = Field(max_length=2)
    country_name: str = Field(max_length=64)


class AccessToken(TenantScoped, table=True):
    """An issued OAuth2 token pair; ``tenant`` is the client_id that asked for it."""

    __tablename__ = "cloudlx_access_token"

    id: int | None = Field(default=None, primary_key=True)
    access_token: str = Field(max_length=40, unique=True)
    refresh_token: str = Field(max_length=40, unique=True)
    access_expires_at: datetime
    refresh_expires_at: datetime
    revoked: bool = False
