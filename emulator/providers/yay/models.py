from __future__ import annotations

from datetime import date

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from emulator.core.provider import TenantScoped


class NumberAddress(TenantScoped, table=True):
    __tablename__ = "yay_number_address"
    __table_args__ = (
        UniqueConstraint("tenant", "uuid"),
        Index("ix_yay_number_address_scope", "tenant", "account", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The sub-customer named by X-Auth-For; "" is the reseller's own account.
    account: str = Field(default="", max_length=255)
    uuid: str = Field(max_length=36)
    city: str = Field(max_length=255)
    country_code: str = Field(max_length=2)
    country_personal_id: str = Field(max_length=255)
    forename: str = Field(max_length=255)
    is_default: bool
    name: str = Field(max_length=255)
    nickname: str = Field(max_length=255)
    postcode: str = Field(max_length=255)
    premises: str = Field(max_length=255)
    state: str = Field(max_length=255)
    street: str = Field(max_length=255)
    title: str = Field(max_length=255)
    type_id: int
    created_on: date
    updated_on: date


# An address's own columns (not its tenant and account), in the order reads and bulk writes use.
ADDRESS_COLUMNS = (
    "uuid",
    "city",
    "country_code",
    "country_personal_id",
    "forename",
    "is_default",
    "name",
    "nickname",
    "postcode",
    "premises",
    "state",
    "street",
    "title",
    "type_id",
    "created_on",
    "updated_on",
)
