"""CloudLX's logic behind the wire: tokens, the number life cycle (available → reserved → cancelled),
listings with search and paging, number addresses."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, func, insert, text, update
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from emulator.core import counts, numbering
from emulator.core.bulk import execute_counted, fetch_one, held_values
from emulator.core.db import table_of
from emulator.core.fastread import FastReader
from emulator.core.identifiers import is_uuid
from emulator.core.search import containing
from emulator.providers.cloudlx.errors import CloudlxError, ValidationFailed
from emulator.providers.cloudlx.models import (
    AVAILABLE,
    CANCELLED,
    RESERVED,
    AccessToken,
    Number,
    NumberAddress,
)
from emulator.providers.cloudlx.schemas import (
    AddressIn,
    BulkReserveIn,
    ReserveIn,
    TranslationIn,
)

ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_SECONDS = 604800
TIMESTAMP = "%Y-%m-%d %H:%M:%S"
_TOKEN_ALPHABET = string.ascii_letters + string.digits


def parse_timestamp(value: str | None) -> datetime | None:
    """A documented ``Y-m-d H:i:s`` time, taken as UTC."""
    return datetime.strptime(value, TIMESTAMP).replace(tzinfo=UTC) if value else None


# --- tokens ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    refresh_token: str


def _new_token() -> str:
    """40 random letters and digits, like the OAuth2 server CloudLX runs on."""
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(40))


def issue_token(session: Session, tenant: str, now: datetime) -> IssuedToken:
    token = AccessToken(
        tenant=tenant,
        access_token=_new_token(),
        refresh_token=_new_token(),
        access_expires_at=now + timedelta(seconds=ACCESS_TOKEN_SECONDS),
        refresh_expires_at=now + timedelta(seconds=REFRESH_TOKEN_SECONDS),
    )
    session.add(token)
    session.commit()
    return IssuedToken(token.access_token, token.refresh_token)


def refresh_token(session: Session, tenant: str, refresh: str, now: datetime) -> IssuedToken | None:
    """A new pair for a live refresh token of this client; the old pair stops working."""
    if not _token_shaped(refresh):
        return None
    old = session.exec(select(AccessToken).where(AccessToken.refresh_token == refresh)).first()
    if old is None or old.revoked or old.tenant != tenant or old.refresh_expires_at <= now:
        return None
    revoked = session.exec(
        update(AccessToken)
        .where(col(AccessToken.id) == old.id, col(AccessToken.revoked).is_(False))
        .values(revoked=True)
    ).rowcount
    if revoked != 1:  # refreshed concurrently: only one of the two requests wins
        session.rollback()
        return None
    return issue_token(session, tenant, now)


def _token_shaped(value: str) -> bool:
    """Only what we issue is looked up (the database may refuse other text, e.g. NUL on PostgreSQL)."""
    return len(value) == 40 and value.isascii() and value.isalnum()


def tenant_for_access_token(session: Session, access_token: str, now: Callable[[str], datetime]) -> str | None:
    """The tenant whose unexpired token this is, ``now`` giving each tenant's own time."""
    return grant_tenant(access_grant(session, access_token), now)


def access_grant(session: Session, access_token: str) -> AccessToken | None:
    """The issued token pair an access token belongs to, valid or not."""
    if not _token_shaped(access_token):
        return None
    return session.exec(select(AccessToken).where(AccessToken.access_token == access_token)).first()


@dataclass(frozen=True)
class Grant:
    """What the check of an access token needs of its row."""

    tenant: str
    revoked: bool
    access_expires_at: datetime


_TOKENS = table_of(AccessToken)
_NUMBERS = table_of(Number)
_ADDRESSES = table_of(NumberAddress)
_GRANT = f"SELECT tenant, revoked, access_expires_at FROM {_TOKENS.name} WHERE access_token = :token"


async def read_access_grant(fast: FastReader, access_token: str) -> Grant | None:
    """``access_grant`` through the driver, without a session."""
    if not _token_shaped(access_token):
        return None
    row = await fast.fetchone(_GRANT, {"token": access_token})
    if row is None:
        return None
    return Grant(row[0], bool(row[1]), fast.value_of(_TOKENS.c.access_expires_at, row[2]))


def grant_tenant(token: AccessToken | Grant | None, now: Callable[[str], datetime]) -> str | None:
    """The tenant of a token pair whose access token is unrevoked and unexpired now."""
    if token is None or token.revoked or token.access_expires_at <= now(token.tenant):
        return None
    return token.tenant


def client_of_access_token(session: Session, access_token: str) -> str | None:
    """The client an access token was issued to, whether it is still valid or not (expired,
    refreshed away): whose request a refused token was."""
    if not _token_shaped(access_token):
        return None
    return session.exec(select(AccessToken.tenant).where(AccessToken.access_token == access_token)).first()


# --- listings -------------------------------------------------------------------------------------


S = TypeVar("S", bound=Select[Any])

# Offsets beyond this are past the end of any table (and would overflow the database's integers).
_MAX_OFFSET = 2**62


@dataclass(frozen=True)
class Listing:
    search: str | None
    max_per_page: int
    page: int


@dataclass(frozen=True)
class Page:
    numbers: list[Number]
    total: int
    paginates: bool


def list_numbers(
    session: Session,
    tenant: str,
    status: str,
    listing: Listing,
    region: str | None = None,
    service_type: str | None = None,
) -> Page:
    """One page, ordered by number; ``total`` counts every match. The page walks one index: the
    listing's, or for a search the trigram index (see ``core.search``). Without a search the total
    is read from the kept counts (``core.counts``): its cost does not grow with the tenant."""
    filters = {"tenant": tenant, "status": status}
    if region is not None:
        filters["region"] = region
    if service_type is not None:
        filters["service_type"] = service_type
    conditions = [_NUMBERS.c[name] == value for name, value in filters.items()]
    dialect = session.get_bind().dialect.name

    def matching(statement: S) -> S:
        statement = statement.where(*conditions)
        return containing(statement, _NUMBERS, listing.search, dialect) if listing.search else statement

    offset = (listing.page - 1) * listing.max_per_page
    rows: list[Number] = []
    if offset < _MAX_OFFSET:
        rows = list(
            session.exec(
                matching(select(Number))
                # The id breaks ties as the listing index does (its rows end with the row id), so a
                # search that sorts its matches orders them as the index walk does.
                .order_by(col(Number.number_e164), col(Number.id))
                .offset(offset)
                .limit(listing.max_per_page)
            )
        )
    # A partly filled page is the last one and tells the total; only a full or empty page needs a count.
    if rows and len(rows) < listing.max_per_page or not rows and offset == 0:
        total = offset + len(rows)
    elif listing.search is None:
        total = counts.total(session.connection(), _NUMBERS, filters)
    else:
        total = session.exec(matching(select(func.count()).select_from(Number))).one()
    return Page(rows, total, total > listing.max_per_page)


def addresses_for(session: Session, tenant: str, numbers: Iterable[Number]) -> dict[int, NumberAddress]:
    """Every address the given numbers point at, in one query."""
    ids = {i for n in numbers for i in (n.number_address_id, n.emergency_number_address_id) if i is not None}
    if not ids:
        return {}
    rows = session.exec(
        select(NumberAddress).where(NumberAddress.tenant == tenant, col(NumberAddress.address_id).in_(ids))
    )
    return {row.address_id: row for row in rows}


def account_number(session: Session, tenant: str, uuid: str) -> Number | None:
    """A number allocated to the account now (not the available pool, not a cancelled one)."""
    if not is_uuid(uuid):
        return None
    return session.exec(
        select(Number).where(Number.tenant == tenant, Number.uuid == uuid, Number.status == RESERVED)
    ).first()


# --- reserving and cancelling -----------------------------------------------------------------------


_NUMBER_STATUS = select(_NUMBERS.c.status).where(
    _NUMBERS.c.tenant == bindparam("tenant"), _NUMBERS.c.uuid == bindparam("uuid")
)
_ADDRESS_HELD = select(_ADDRESSES.c.id).where(
    _ADDRESSES.c.tenant == bindparam("tenant"), _ADDRESSES.c.address_id == bindparam("address_id")
)
_ALLOCATE = update(_NUMBERS).where(
    _NUMBERS.c.tenant == bindparam("b_tenant"),
    _NUMBERS.c.uuid == bindparam("b_uuid"),
    _NUMBERS.c.status == bindparam("b_available"),
)


def _check_address(connection: Connection, tenant: str, address_id: int | None) -> None:
    if address_id is None:
        return
    if fetch_one(connection, _ADDRESS_HELD, {"tenant": tenant, "address_id": address_id}) is None:
        raise CloudlxError(404, f"Number address {address_id} not found.")


def _translations(given: TranslationIn | None) -> str | None:
    """Where calls go, as given (``all``; or per calling network for toll-free numbers, null blocking
    one); nothing given means the default, the number itself."""
    if given is None or not given.model_fields_set:
        return None
    values = given.model_dump(include=given.model_fields_set)
    return json.dumps({key: values[key] for key in ("all", "fixed", "mobile", "payphone") if key in values})


def reserve(connection: Connection, tenant: str, uuid: str, data: ReserveIn, now: datetime) -> None:
    """Through the driver (a ``Database.write``, or a session's connection, which its caller
    commits); nothing is written when it refuses."""
    found = fetch_one(connection, _NUMBER_STATUS, {"tenant": tenant, "uuid": uuid}) if is_uuid(uuid) else None
    if found is None:
        raise CloudlxError(404, "Number not found.")
    if found[0] != AVAILABLE:
        raise CloudlxError(409, "Number is not available.")
    _check_address(connection, tenant, data.number_address_id)
    _check_address(connection, tenant, data.emergency_number_address_id)
    _allocate(
        connection,
        tenant,
        [uuid],
        now,
        now,
        {uuid: _translations(data.number_translation)},
        {uuid: (data.number_address_id, data.emergency_number_address_id)},
    )


def reserve_many(session: Session, tenant: str, data: BulkReserveIn, now: datetime) -> None:
    """All or nothing: every number must exist and be available, every detail must be valid."""
    uuids = data.number_uuids
    duplicates = {
        f"number_uuids.{i}": [f"The number uuids.{i} field has a duplicate value."]
        for i, uuid in enumerate(uuids)
        if uuid in uuids[:i]
    }
    if duplicates:
        raise ValidationFailed(duplicates)
    named = [item.number_uuid for item in data.number_translations or []]
    named += [item.number_uuid for item in data.number_addresses or []]
    strays = [uuid for uuid in named if uuid not in uuids]
    if strays:
        raise CloudlxError(404, "Numbers not in number_uuids: " + ", ".join(dict.fromkeys(strays)))
    lookups = [uuid for uuid in uuids if is_uuid(uuid)]
    numbers = {
        n.uuid: n for n in session.exec(select(Number).where(Number.tenant == tenant, col(Number.uuid).in_(lookups)))
    }
    missing = [uuid for uuid in uuids if uuid not in numbers]
    if missing:
        raise CloudlxError(404, "Numbers not found: " + ", ".join(missing))
    taken = [uuid for uuid in uuids if numbers[uuid].status != AVAILABLE]
    if taken:
        raise CloudlxError(409, "Numbers not available: " + ", ".join(taken))
    translations: dict[str, str | None] = {}
    for item in data.number_translations or []:
        given = TranslationIn.model_validate(item.model_dump(include=item.model_fields_set - {"number_uuid"}))
        translations[item.number_uuid] = _translations(given)
    addresses: dict[str, tuple[int | None, int | None]] = {}
    for address in data.number_addresses or []:
        _check_address(session.connection(), tenant, address.address_id)
        addresses[address.number_uuid] = (address.address_id, None)
    activation = datetime.combine(data.activate_on, datetime.min.time(), UTC) if data.activate_on else now
    _allocate(session.connection(), tenant, uuids, now, max(activation, now), translations, addresses)
    session.commit()


def _allocate(
    connection: Connection,
    tenant: str,
    uuids: Sequence[str],
    now: datetime,
    active_from: datetime,
    translations: dict[str, str | None],
    addresses: dict[str, tuple[int | None, int | None]],
) -> None:
    for uuid in uuids:
        number_address_id, emergency_number_address_id = addresses.get(uuid, (None, None))
        moved = execute_counted(
            connection,
            _ALLOCATE,
            {
                "b_tenant": tenant,
                "b_uuid": uuid,
                "b_available": AVAILABLE,
                "status": RESERVED,
                "provisioned": now,
                "service_provisioned": active_from,
                "translations": translations.get(uuid),
                "number_address_id": number_address_id,
                "emergency_number_address_id": emergency_number_address_id,
            },
        )
        if moved != 1:  # taken by a concurrent request since we looked: its caller writes nothing of it
            raise CloudlxError(409, "Number is not available.")


def cancel(session: Session, tenant: str, uuid: str, now: datetime) -> None:
    """The number leaves the account for the cancelled list; it does not return to the pool."""
    moved = (
        is_uuid(uuid)
        and session.exec(
            update(Number)
            .where(col(Number.tenant) == tenant, col(Number.uuid) == uuid, col(Number.status) == RESERVED)
            .values(status=CANCELLED, cancelled=now)
        ).rowcount
    )
    if moved != 1:
        raise CloudlxError(404, "Number not found.")
    session.commit()


# --- number addresses -------------------------------------------------------------------------------


_ADDRESS_COLUMNS = (
    "name",
    "use_for_proof_of_address",
    "use_for_emergency_address",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country_iso",
    "country_name",
)
# The next id of the tenant's addresses, taken in the insert itself.
_ADD_ADDRESS = text(
    f"INSERT INTO cloudlx_number_address (tenant, address_id, {', '.join(_ADDRESS_COLUMNS)})"
    f" SELECT :tenant, coalesce(max(address_id), 0) + 1, {', '.join(':' + name for name in _ADDRESS_COLUMNS)}"
    " FROM cloudlx_number_address WHERE tenant = :of_tenant RETURNING address_id"
)


def create_address(connection: Connection, tenant: str, data: AddressIn) -> int:
    """Store a new address under the next id of the tenant's (a ``Database.write``); its id. Two
    processes may take the same id at once: the loser's insert breaks the unique constraint."""
    values = {
        "name": data.name,
        "use_for_proof_of_address": data.use_for_proof_of_address,
        "use_for_emergency_address": data.use_for_emergency_address,
        "line1": data.address_line_1,
        "line2": data.address_line_2 or "",
        "city": data.address_city,
        "region": data.address_region,
        "postal_code": data.address_postal_code,
        "country_iso": data.address_country,
        "country_name": numbering.country_name(data.address_country),
    }
    # The tenant twice: PostgreSQL types a parameter once, and a column compared is not a value listed.
    row = fetch_one(connection, _ADD_ADDRESS, {"tenant": tenant, "of_tenant": tenant, **values})
    assert row is not None
    return row[0]


def restrictions(fixture: dict, region: str, service_type_code: str) -> dict:
    """A country's restrictions for a service type, from the fixtures (none known: an empty list)."""
    service_type = next(t for t in fixture["service_types"] if t["code"] == service_type_code)
    return {
        "number_restrictions": {
            "country": {"name": numbering.country_name(region), "iso": region},
            "number_service_type": service_type,
            "restrictions": fixture["number_restrictions"].get(region, {}).get(service_type_code, []),
        }
    }


# --- fixtures and bulk generation ------------------------------------------------------------------


def _timestamp(value: str | datetime | None) -> datetime | None:
    return parse_timestamp(value) if isinstance(value, str) else value


def _number_row(tenant: str, record: dict) -> dict:
    """A fixture or generated record as a row: timestamps parsed, translations as JSON text."""
    row = {key: value for key, value in record.items() if key != "number_translations"}
    for key in ("provisioned", "service_provisioned", "cancelled"):
        row[key] = _timestamp(record.get(key))
    translations = record.get("number_translations")
    row["translations"] = json.dumps(translations) if translations is not None else None
    row["tenant"] = tenant
    return row


def seed_tenant(session: Session, tenant: str, fixture: dict) -> None:
    for address in fixture["number_addresses"]:
        session.add(
            NumberAddress(
                tenant=tenant,
                address_id=address["id"],
                name=address["name"],
                use_for_proof_of_address=address["use_for_proof_of_address"],
                use_for_emergency_address=address["use_for_emergency_address"],
                line1=address["address_line_1"],
                line2=address["address_line_2"],
                city=address["address_city"],
                region=address["address_region"],
                postal_code=address["address_postal_code"],
                country_iso=address["address_country"],
                country_name=address["address_country_name"],
            )
        )
    session.exec(insert(Number), params=[_number_row(tenant, record) for record in fixture["numbers"]])


def existing_numbers(session: Session, tenant: str, candidates: Sequence[str]) -> set[str]:
    """Which of the candidate E.164 numbers the tenant already holds, whatever their status (named,
    so that the listing index finds each number)."""
    statuses = ", ".join(f"'{status}'" for status in (AVAILABLE, RESERVED, CANCELLED))
    return held_values(session, "cloudlx_number", "number_e164", tenant, candidates, f"status IN ({statuses})")
