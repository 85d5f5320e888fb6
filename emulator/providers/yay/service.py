"""Number addresses: the state transitions and queries behind the wire."""

from __future__ import annotations

import uuid as uuid_lib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, select

from emulator.core.identifiers import is_uuid
from emulator.providers.yay.models import NumberAddress
from emulator.providers.yay.schemas import AddressIn as AddressData


@dataclass(frozen=True)
class Scope:
    """A reseller (the tenant) and the sub-customer it acts for ("" for itself)."""

    tenant: str
    account: str = ""


def _in_scope(scope: Scope):
    return (NumberAddress.tenant == scope.tenant) & (NumberAddress.account == scope.account)


def list_addresses(session: Session, scope: Scope) -> list[NumberAddress]:
    return list(session.exec(select(NumberAddress).where(_in_scope(scope)).order_by(NumberAddress.id)))


def get_address(session: Session, scope: Scope, uuid: str) -> NumberAddress | None:
    if not is_uuid(uuid):
        return None
    return session.exec(select(NumberAddress).where(_in_scope(scope), NumberAddress.uuid == uuid)).first()


def _clear_other_defaults(session: Session, scope: Scope, keep_uuid: str) -> None:
    """One default address per account: a new default takes the place of the old."""
    session.exec(
        update(NumberAddress)
        .where(_in_scope(scope), NumberAddress.uuid != keep_uuid, NumberAddress.is_default.is_(True))
        .values(is_default=False)
    )


def create_address(session: Session, scope: Scope, data: AddressData, today: date) -> NumberAddress:
    address = NumberAddress(
        tenant=scope.tenant,
        account=scope.account,
        uuid=str(uuid_lib.uuid4()),
        created_on=today,
        updated_on=today,
        **data.model_dump(),
    )
    if address.is_default:
        _clear_other_defaults(session, scope, address.uuid)
    session.add(address)
    session.commit()
    return address


def replace_address(session: Session, scope: Scope, uuid: str, data: AddressData, today: date) -> NumberAddress | None:
    """PUT replaces the whole object; only identity and creation date survive."""
    address = get_address(session, scope, uuid)
    if address is None:
        return None
    for field, value in data.model_dump().items():
        setattr(address, field, value)
    address.updated_on = today
    if address.is_default:
        _clear_other_defaults(session, scope, uuid)
    session.add(address)
    session.commit()
    return address


def delete_address(session: Session, scope: Scope, uuid: str) -> bool:
    address = get_address(session, scope, uuid)
    if address is None:
        return False
    session.delete(address)
    session.commit()
    return True


def seed_tenant(session: Session, tenant: str, records: list[dict]) -> None:
    """The reseller's own account starts with the fixture addresses."""
    for record in records:
        session.add(
            NumberAddress(
                tenant=tenant,
                account="",
                **{
                    **record,
                    "created_on": date.fromisoformat(record["created_on"]),
                    "updated_on": date.fromisoformat(record["updated_on"]),
                },
            )
        )
