"""Number addresses: the state transitions and queries behind the wire."""

from __future__ import annotations

import uuid as uuid_lib
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, update
from sqlmodel import Session, col, select

from emulator.core.bulk import execute_many, execute_one
from emulator.core.db import table_of
from emulator.core.fastread import FastReader, iso_date
from emulator.core.identifiers import is_uuid
from emulator.core.rendering import perl_pretty_items, perl_pretty_member_sql, sqlite_quotes_like_json_dumps
from emulator.core.streaming import Part, read_rendered_rows
from emulator.core.tenancy import TenantScope
from emulator.providers.yay.models import ADDRESS_COLUMNS, NumberAddress

if TYPE_CHECKING:
    from emulator.providers.yay.schemas import AddressIn as AddressData


def _in_scope(scope: TenantScope):
    return (NumberAddress.tenant == scope.tenant) & (NumberAddress.account == scope.account)


def list_addresses(session: Session, scope: TenantScope) -> list[NumberAddress]:
    return list(session.exec(select(NumberAddress).where(_in_scope(scope)).order_by(col(NumberAddress.id))))


def get_address(session: Session, scope: TenantScope, uuid: str) -> NumberAddress | None:
    if not is_uuid(uuid):
        return None
    return session.exec(select(NumberAddress).where(_in_scope(scope), NumberAddress.uuid == uuid)).first()


_READ = f"SELECT {', '.join(ADDRESS_COLUMNS)} FROM yay_number_address WHERE tenant = :tenant AND account = :account"
_READ_ONE = _READ + " AND uuid = :uuid"
# The listed columns in the order the wire shows them (sorted), for the list's bulk rendering.
_LISTED = tuple(sorted(ADDRESS_COLUMNS))
_READ_LISTED = (
    f"SELECT {', '.join(_LISTED)} FROM yay_number_address WHERE tenant = :tenant AND account = :account ORDER BY id"
)


def _rendered(row) -> dict:
    """A row as the wire shows it (what ``router._render`` makes of a model)."""
    body = dict(zip(ADDRESS_COLUMNS, row, strict=True))
    body["is_default"] = bool(body["is_default"])
    body["created_on"] = iso_date(body["created_on"])
    body["updated_on"] = iso_date(body["updated_on"])
    return body


# The same members rendered by SQLite itself, one BLOB per row.
_READ_MEMBERS = (
    f"SELECT {perl_pretty_member_sql(_LISTED, 2, booleans=('is_default',))} FROM yay_number_address "
    "WHERE tenant = :tenant AND account = :account ORDER BY id"
)


def _joined(rows) -> bytes:
    """Rows of ``_READ_MEMBERS`` as members of the envelope's ``result`` list."""
    return b",\n".join([row[0] for row in rows])


def _listed(rows) -> bytes:
    """Rows of ``_READ_LISTED`` as members of the envelope's ``result`` list."""
    items = []
    for row in rows:
        item = dict(zip(_LISTED, row, strict=True))
        item["is_default"] = bool(item["is_default"])
        item["created_on"] = iso_date(item["created_on"])
        item["updated_on"] = iso_date(item["updated_on"])
        items.append(item)
    return perl_pretty_items(items, depth=2)


async def read_address_list(fast: FastReader, scope: TenantScope) -> list[Part]:
    """``list_addresses``, rendered a chunk at a time through the fast reader (see ``render.address_list``)."""
    params = {"tenant": scope.tenant, "account": scope.account}
    if fast.sqlite and sqlite_quotes_like_json_dumps():
        return await read_rendered_rows(fast, _READ_MEMBERS, params, _joined, b",\n")
    return await read_rendered_rows(fast, _READ_LISTED, params, _listed, b",\n")


async def read_address(fast: FastReader, scope: TenantScope, uuid: str) -> dict | None:
    """``get_address``, rendered, through the fast reader."""
    if not is_uuid(uuid):
        return None
    row = await fast.fetchone(_READ_ONE, {"tenant": scope.tenant, "account": scope.account, "uuid": uuid})
    return None if row is None else _rendered(row)


_TABLE = table_of(NumberAddress)


def _clear_other_defaults(connection: Connection, scope: TenantScope, keep_uuid: str) -> None:
    """One default address per account: a new default takes the place of the old."""
    table = _TABLE
    connection.execute(
        update(table)
        .where(
            table.c.tenant == scope.tenant,
            table.c.account == scope.account,
            table.c.uuid != keep_uuid,
            table.c.is_default.is_(True),
        )
        .values(is_default=False)
    )


_INSERT = insert(_TABLE)


def create_address(connection: Connection, scope: TenantScope, data: AddressData, today: date) -> dict:
    """Store a new address (no ORM object; a ``Database.write``); the wire's view of it as
    created, which shows no ``updated_on``."""
    fields = data.model_dump()
    uuid = str(uuid_lib.uuid4())
    if data.is_default:
        _clear_other_defaults(connection, scope, uuid)
    row = {**fields, "tenant": scope.tenant, "account": scope.account, "uuid": uuid}
    execute_one(connection, _INSERT, {**row, "created_on": today, "updated_on": today})
    return {**fields, "uuid": uuid, "created_on": today.isoformat()}


def replace_address(
    session: Session, scope: TenantScope, uuid: str, data: AddressData, today: date
) -> NumberAddress | None:
    """PUT replaces the whole object; only identity and creation date survive."""
    address = get_address(session, scope, uuid)
    if address is None:
        return None
    for field, value in data.model_dump().items():
        setattr(address, field, value)
    address.updated_on = today
    if address.is_default:
        _clear_other_defaults(session.connection(), scope, uuid)
    session.add(address)
    session.commit()
    return address


def delete_address(session: Session, scope: TenantScope, uuid: str) -> bool:
    address = get_address(session, scope, uuid)
    if address is None:
        return False
    session.delete(address)
    session.commit()
    return True


def seed_tenant(session: Session, tenant: str, records: list[dict]) -> None:
    """The reseller's own account starts with the fixture addresses (one insert of them all, no
    ORM objects)."""
    rows = [
        {
            **record,
            "tenant": tenant,
            "account": "",
            "created_on": date.fromisoformat(record["created_on"]),
            "updated_on": date.fromisoformat(record["updated_on"]),
        }
        for record in records
    ]
    execute_many(session, _INSERT, rows)
