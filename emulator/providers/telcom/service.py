"""Numbers, their inventory and their destinations: the rules behind the wire."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, bindparam, insert, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from emulator.core import numbering
from emulator.core.bulk import execute_one, fetch_one
from emulator.core.db import table_of
from emulator.core.fastread import FastReader
from emulator.core.rendering import compact_object_sql, json_bool_sql, json_object_sql, sqlite_quotes_like_json_dumps
from emulator.core.streaming import Part, RenderRows, read_rendered_rows, render_rows
from emulator.providers.telcom.errors import NotFound, StructuredError, ValidationError
from emulator.providers.telcom.models import Destination, Number, Sequence

DESTINATION_TYPES = ("Menu", "CallGroup", "VoicemailBox", "Followme")
CONTEXTS = ("incoming", "utility")
SUBSCRIBER_FIELDS = ("first_name", "name", "address1", "address2", "address3", "address4", "postcode")
ACQUIRABLE_SHOWN = 10
# How many numbers of each prefix the platform holds in stock beyond the documented ones.
STOCK_PER_PREFIX = 100
MAX_TEXT = 255
# IDs beyond this cannot exist (and would overflow a database integer); they are simply not found.
MAX_ID = 2**31 - 1
D = TypeVar("D")


@dataclass(frozen=True)
class Inventory:
    """The numbers the platform can sell: per prefix, the listed ones first, then generated ones."""

    seed: int
    listed: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def stock(self, prefix: str) -> tuple[str, ...]:
        return _stock(prefix, self.seed, self.listed.get(prefix, ()))


@lru_cache(maxsize=2048)
def _stock(prefix: str, seed: int, listed: tuple[str, ...]) -> tuple[str, ...]:
    generated = numbering.candidate_numbers(prefix, seed, STOCK_PER_PREFIX)
    return tuple(dict.fromkeys([*listed, *generated]))


@dataclass
class Written:
    """A number as a write left it, with the instants set by that write: the platform stores
    whole seconds, but the response to the write still shows the milliseconds it set."""

    number: Number | Mapping[str, Any]
    """The ORM row, or (a write through the driver) the row's column values."""
    destination: Destination | None
    fresh: dict[str, datetime] = field(default_factory=dict)


def stored_instant(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(microsecond=0)


# --- destinations -----------------------------------------------------------------------------


def list_destinations(session: Session, tenant: str, kind: str) -> list[Destination]:
    query = select(Destination).where(Destination.tenant == tenant, Destination.kind == kind)
    return list(session.exec(query.order_by(col(Destination.object_id))))


def find_destination(session: Session, tenant: str, kind: str, object_id: int) -> Destination | None:
    if not 0 < object_id <= MAX_ID:
        return None
    query = select(Destination).where(
        Destination.tenant == tenant, Destination.kind == kind, Destination.object_id == object_id
    )
    return session.exec(query).first()


# --- numbers ------------------------------------------------------------------------------------


def _with_destinations(tenant: str):
    return (
        select(Number, Destination)
        .outerjoin(
            Destination,
            and_(
                col(Destination.tenant) == tenant,
                col(Destination.kind) == col(Number.destination_type),
                col(Destination.object_id) == col(Number.destination_id),
            ),
        )
        .where(Number.tenant == tenant)
    )


def list_numbers(session: Session, tenant: str) -> list[tuple[Number, Destination | None]]:
    return list(session.exec(_with_destinations(tenant).order_by(Number.number_id)))


# ``list_numbers`` as one SQL text for the bulk rendering: the number's columns as
# ``render.listed_numbers`` takes them, then its destination's kind, ID and name (or nulls).
_LISTED = (
    "number_id",
    "number",
    "context",
    "created_at",
    "updated_at",
    "recording_enabled",
    "caller_id_prefix",
    "callerid_passthrough",
    "forward_sip_to",
    "acquired_at",
    *SUBSCRIBER_FIELDS,
    "pushed_at",
    "subscriber_status",
)
_LISTED_FROM = (
    " FROM telcom_number n LEFT JOIN telcom_destination d"
    " ON d.tenant = :tenant AND d.kind = n.destination_type AND d.object_id = n.destination_id"
    " WHERE n.tenant = :tenant ORDER BY n.number_id"
)
_READ_LISTED = f"SELECT {', '.join('n.' + name for name in _LISTED)}, d.kind, d.object_id, d.name{_LISTED_FROM}"


STAMP_MARK = "\x00"
"""Leads a stored instant the SQL rendering leaves to ``render._stored_timestamp`` (one not in
SQLAlchemy's own text form), for ``render.listed_members`` to mend."""


def _stamp_sql(column: str) -> str:
    """``render._stored_timestamp`` of a column in SQL for SQLAlchemy's text form (26 characters,
    a space 11th, a dot 20th); any other value is marked (``STAMP_MARK``) and left as it is."""
    return (
        f"CASE WHEN {column} IS NULL THEN NULL"
        f" WHEN typeof({column}) = 'text' AND {column} GLOB '?????????? ????????.??????'"
        f" THEN substr({column}, 1, 10) || 'T' || substr({column}, 12, 12) || 'Z' ELSE char(0) || {column} END"
    )


# ``render.number_item`` of each row by SQLite itself, one BLOB per row: a long list without a
# Python object per value.
_MEMBER = compact_object_sql(
    [
        ("id", "n.number_id"),
        ("number", "n.number"),
        ("context", "n.context"),
        ("created_at", _stamp_sql("n.created_at")),
        ("updated_at", _stamp_sql("n.updated_at")),
        ("recording_enabled", json_bool_sql("n.recording_enabled")),
        ("caller_id_prefix", "n.caller_id_prefix"),
        ("callerid_passthrough", json_bool_sql("n.callerid_passthrough")),
        ("forward_sip_to", "n.forward_sip_to"),
        (
            "aquisition",
            json_object_sql(
                [
                    ("acquired_at", _stamp_sql("n.acquired_at")),
                    (
                        "subscriber",
                        json_object_sql(
                            [
                                *((name, f"n.{name}") for name in SUBSCRIBER_FIELDS),
                                ("pushed_at", _stamp_sql("n.pushed_at")),
                                ("status", "n.subscriber_status"),
                            ]
                        ),
                    ),
                ]
            ),
        ),
        (
            "destination",
            "CASE WHEN d.kind IS NULL THEN NULL ELSE "
            + json_object_sql(
                [("type", "d.kind"), ("object", json_object_sql([("id", "d.object_id"), ("name", "d.name")]))]
            )
            + " END",
        ),
    ]
)
_READ_MEMBERS = f"SELECT {_MEMBER}{_LISTED_FROM}"


def _listing(fast: FastReader, members: RenderRows, items: RenderRows) -> tuple[str, RenderRows]:
    """The statement and renderer of the list: SQLite's own rendering (``members`` joins its
    rows) where it quotes as ``json.dumps`` does, the rows' columns (``items``) elsewhere."""
    if fast.sqlite and sqlite_quotes_like_json_dumps():
        return _READ_MEMBERS, members
    return _READ_LISTED, items


def number_list(fast: FastReader, tenant: str, members: RenderRows, items: RenderRows) -> list[Part]:
    """``list_numbers``, rendered a chunk at a time (in the calling thread; see ``_listing``)."""
    sql, render = _listing(fast, members, items)
    return render_rows(fast, sql, {"tenant": tenant}, render, b",")


async def read_number_list(fast: FastReader, tenant: str, members: RenderRows, items: RenderRows) -> list[Part]:
    """``number_list`` for a request (on the event loop if the list is short)."""
    sql, render = _listing(fast, members, items)
    return await read_rendered_rows(fast, sql, {"tenant": tenant}, render, b",")


def get_number(session: Session, tenant: str, number_id: int) -> tuple[Number, Destination | None]:
    row = None
    if 0 < number_id <= MAX_ID:
        row = session.exec(_with_destinations(tenant).where(Number.number_id == number_id)).first()
    if row is None:
        raise NotFound(f"No number found with ID {number_id}")
    return row[0], row[1]


_TAKE_NUMBER_IDS = text(
    "UPDATE telcom_sequence SET next_value = next_value + :count WHERE tenant = :tenant AND name = 'number'"
)
_NEXT_NUMBER_ID = text("SELECT next_value FROM telcom_sequence WHERE tenant = :tenant AND name = 'number'")


def _next_ids(connection: Connection, tenant: str, count: int) -> int:
    """Reserve ``count`` consecutive number IDs; returns the first. The update comes first, so
    the row is write-locked before it is read and concurrent requests never share an ID."""
    execute_one(connection, _TAKE_NUMBER_IDS, {"tenant": tenant, "count": count})
    following = fetch_one(connection, _NEXT_NUMBER_ID, {"tenant": tenant})
    assert following is not None  # every seeded tenant has its sequence
    return following[0] - count


def _holds(session: Session, tenant: str, numbers: Iterable[str]) -> set[str]:
    numbers = list(numbers)
    if not numbers:
        return set()
    query = select(Number.number).where(Number.tenant == tenant, col(Number.number).in_(numbers))
    return set(session.exec(query))


@dataclass
class NumberChanges:
    """What ``numbers/save`` asks for; ``None`` means not given."""

    number_id: int | None = None
    number: str | None = None
    context: str | None = None
    destination_type: str | None = None
    destination_id: int | None = None
    caller_id_prefix: str | None = None
    recording_enabled: bool | None = None
    callerid_passthrough: bool | None = None


def _text_errors(label: str, value: str | None) -> list[str]:
    if value is None:
        return []
    if "\x00" in value:
        return [f"{label} is invalid"]
    if len(value) > MAX_TEXT:
        return [f"{label} is too long (maximum is {MAX_TEXT} characters)"]
    return []


def _national_number(text: str) -> str | None:
    """The number in national format ("03301222970"), or None unless it is a valid UK number."""
    if "\x00" in text or len(text) > 32:
        return None
    try:
        info = numbering.describe(text, "GB")
    except ValueError:
        return None
    return info.national_format if info.region == "GB" else None


def _update_errors(changes: NumberChanges) -> list[str]:
    """What an update may not change."""
    errors = []
    if changes.number is not None:
        errors.append("Number cannot be changed once the number has been created")
    if changes.context is not None:
        errors.append("Context cannot be changed once the number has been created")
    return errors


def _checked_destination(changes: NumberChanges, find: Callable[[str, int], D | None]) -> tuple[D | None, list[str]]:
    """The destination a save names (looked up by ``find``), and what is wrong with it."""
    if changes.destination_type is None and changes.destination_id is None:
        return None, []
    if changes.destination_type not in DESTINATION_TYPES:
        return None, ["Destination type is not included in the list"]
    if changes.destination_id is None:
        return None, ["Destination can't be blank"]
    destination = find(changes.destination_type, changes.destination_id)
    return destination, [] if destination is not None else ["Destination does not exist"]


def save_number(session: Session, tenant: str, changes: NumberChanges, now: datetime) -> Written:
    """Create a number (no ``id``) or update one; every problem is reported at once, nothing is
    written unless all is well."""
    existing = None
    if changes.number_id is not None:
        existing, _ = get_number(session, tenant, changes.number_id)
    errors: list[str] = []
    number = None
    if existing is None:
        if changes.number is None:
            errors.append("Number can't be blank")
        else:
            number = _national_number(changes.number)
            if number is None:
                errors.append("Number is invalid")
            elif _holds(session, tenant, [number]):
                errors.append("Number has already been taken")
        if changes.context not in CONTEXTS:
            errors.append("Context is not included in the list")
    else:
        errors += _update_errors(changes)
    destination, destination_errors = _checked_destination(
        changes, lambda kind, object_id: find_destination(session, tenant, kind, object_id)
    )
    errors += destination_errors
    errors += _text_errors("Caller ID prefix", changes.caller_id_prefix)
    if errors:
        raise ValidationError(errors)

    stored = stored_instant(now)
    if existing is None:
        assert number is not None and changes.context is not None  # refused above otherwise
        existing = Number(
            tenant=tenant,
            number_id=_next_ids(session.connection(), tenant, 1),
            number=number,
            context=changes.context,
            created_at=stored,
            updated_at=stored,
            recording_enabled=True,
            callerid_passthrough=True,
        )
        fresh = {"created_at": now, "updated_at": now}
    else:
        existing.updated_at = stored
        fresh = {"updated_at": now}
    if destination is not None:
        existing.destination_type, existing.destination_id = destination.kind, destination.object_id
    for name in ("caller_id_prefix", "recording_enabled", "callerid_passthrough"):
        value = getattr(changes, name)
        if value is not None:
            setattr(existing, name, value)
    session.add(existing)
    _commit_or_taken(session, existing.number)
    if destination is None:
        destination = _destination_of(session, existing)
    return Written(existing, destination, fresh)


_NUMBERS = table_of(Number)
_SELECTED = f"SELECT {', '.join('n.' + name for name in _LISTED)}, d.kind, d.object_id, d.name"
_NUMBER_ROW = text(
    _SELECTED + " FROM telcom_number n LEFT JOIN telcom_destination d"
    " ON d.tenant = n.tenant AND d.kind = n.destination_type AND d.object_id = n.destination_id"
    " WHERE n.tenant = :tenant AND n.number_id = :number_id"
)
_DESTINATION_ROW = text(
    "SELECT kind, object_id FROM telcom_destination WHERE tenant = :tenant AND kind = :kind AND object_id = :object_id"
)
_UPDATE_NUMBER = update(_NUMBERS).where(
    _NUMBERS.c.tenant == bindparam("b_tenant"), _NUMBERS.c.number_id == bindparam("b_number_id")
)


def update_number(connection: Connection, tenant: str, changes: NumberChanges, now: datetime) -> tuple:
    """``save_number`` of an existing number (``changes.number_id`` given), through the driver (a
    ``Database.write``): the same checks in the same order, the same errors, the same update. The
    number's row afterwards as ``number_list`` reads it."""
    number_id = changes.number_id
    assert number_id is not None
    key = {"tenant": tenant, "number_id": number_id}
    if not 0 < number_id <= MAX_ID or fetch_one(connection, _NUMBER_ROW, key) is None:
        raise NotFound(f"No number found with ID {number_id}")

    def find(kind: str, object_id: int) -> tuple | None:
        if not 0 < object_id <= MAX_ID:
            return None
        return fetch_one(connection, _DESTINATION_ROW, {"tenant": tenant, "kind": kind, "object_id": object_id})

    destination, destination_errors = _checked_destination(changes, find)
    errors = _update_errors(changes) + destination_errors + _text_errors("Caller ID prefix", changes.caller_id_prefix)
    if errors:
        raise ValidationError(errors)
    values: dict[str, object] = {"updated_at": stored_instant(now)}
    if destination is not None:
        values["destination_type"], values["destination_id"] = destination
    for name in ("caller_id_prefix", "recording_enabled", "callerid_passthrough"):
        value = getattr(changes, name)
        if value is not None:
            values[name] = value
    execute_one(connection, _UPDATE_NUMBER, {"b_tenant": tenant, "b_number_id": number_id, **values})
    row = fetch_one(connection, _NUMBER_ROW, key)
    assert row is not None
    return row


def _commit_or_taken(session: Session, number: str) -> None:
    try:
        session.commit()
    except IntegrityError:  # another request took the same number between our check and our write
        session.rollback()
        raise StructuredError("NumberNotAvailable", f"The number {number} is not available") from None


def _destination_of(session: Session, number: Number) -> Destination | None:
    if number.destination_type is None or number.destination_id is None:
        return None
    return find_destination(session, number.tenant, number.destination_type, number.destination_id)


def available_prefixes() -> tuple[numbering.AreaCode, ...]:
    return numbering.area_codes("GB")


def acquirable_numbers(session: Session, tenant: str, prefix: str, inventory: Inventory) -> list[str]:
    if prefix not in _offered_prefixes():
        raise StructuredError("InvalidPrefix", f"No numbers are available with the prefix {prefix}")
    stock = inventory.stock(prefix)
    held = _holds(session, tenant, stock)
    return [number for number in stock if number not in held][:ACQUIRABLE_SHOWN]


@lru_cache(maxsize=1)
def _offered_prefixes() -> frozenset[str]:
    return frozenset(area.national_prefix for area in available_prefixes())


def in_stock(number: str, inventory: Inventory) -> bool:
    """Whether ``number`` is in the stock of an offered prefix it starts with. Not only the longest
    one: a number offered under 01387 may start with the longer area code 013873 as well."""
    if not (number.isascii() and number.isdigit()):
        return False
    offered = _offered_prefixes()
    return any(number[:end] in offered and number in inventory.stock(number[:end]) for end in range(2, len(number)))


_HELD = text("SELECT 1 FROM telcom_number WHERE tenant = :tenant AND number = :number")
_INSERT_NUMBER = insert(_NUMBERS)


def acquire(connection: Connection, tenant: str, number: str, inventory: Inventory, now: datetime) -> Written:
    """The number from the stock into the unit, through the driver (a ``Database.write``, or a
    session's connection, which its caller commits)."""
    key = {"tenant": tenant, "number": number}
    if not in_stock(number, inventory) or fetch_one(connection, _HELD, key) is not None:
        raise StructuredError("NumberNotAvailable", f"The number {number} is not available")
    stored = stored_instant(now)
    row = {**_new_number_row(), "tenant": tenant, "number_id": _next_ids(connection, tenant, 1), "number": number}
    row.update(created_at=stored, updated_at=stored, acquired_at=stored)
    try:
        execute_one(connection, _INSERT_NUMBER, row)
    except connection.dialect.dbapi.IntegrityError:  # type: ignore[union-attr]
        # Another process took the same number between our check and our write.
        raise StructuredError("NumberNotAvailable", f"The number {number} is not available") from None
    return Written(row, None, {"created_at": now, "updated_at": now, "acquired_at": now})


@lru_cache(maxsize=1)
def _new_number_row() -> dict[str, Any]:
    """Every column of an acquired number's row but its key, as the model gives them (building
    the model object itself for each write costs more than the write's statements)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    acquired = Number(
        tenant="",
        number_id=0,
        number="",
        context="incoming",
        created_at=epoch,
        updated_at=epoch,
        recording_enabled=True,
        caller_id_prefix=None,
        callerid_passthrough=True,
        acquired_at=epoch,
    )
    return {column.name: getattr(acquired, column.name) for column in _NUMBERS.columns if not column.primary_key}


def update_subscriber(
    session: Session, tenant: str, number_id: int, details: dict[str, str | None], now: datetime
) -> Written:
    """Given fields replace the subscriber's; any update sends the record for validation again."""
    number, destination = get_number(session, tenant, number_id)
    errors = [e for name, value in details.items() for e in _text_errors(name.replace("_", " ").capitalize(), value)]
    if errors:
        raise ValidationError(errors)
    for name, value in details.items():
        if value is not None:
            setattr(number, name, value)
    number.subscriber_status = "validation_pending"
    number.updated_at = stored_instant(now)
    session.add(number)
    session.commit()
    return Written(number, destination, {"updated_at": now})


def delete_number(session: Session, tenant: str, number_id: int) -> None:
    """The number leaves the unit; if it came from the inventory it can be acquired again."""
    number, _ = get_number(session, tenant, number_id)
    session.delete(number)
    session.commit()


class SubscriberNotPending(Exception):
    pass


def decide_subscriber(session: Session, tenant: str, number_id: int, status: str, now: datetime) -> Number:
    """The carrier's verdict on a subscriber record awaiting validation. A validated record is
    pushed to the directory at once, so ``pushed_at`` records the moment."""
    number, _ = get_number(session, tenant, number_id)
    if number.subscriber_status != "validation_pending":
        raise SubscriberNotPending(number.subscriber_status)
    number.subscriber_status = status
    if status == "validated":
        number.pushed_at = stored_instant(now)
    session.add(number)
    session.commit()
    return number


# --- fixtures and bulk generation ---------------------------------------------------------------


def _parse_instant(text: str) -> datetime:
    return stored_instant(datetime.fromisoformat(text))


def seed_tenant(session: Session, tenant: str, fixture: dict) -> None:
    session.add(Sequence(tenant=tenant, name="number", next_value=fixture["next_number_id"]))
    for kind, objects in fixture["destinations"].items():
        for item in objects:
            session.add(Destination(tenant=tenant, kind=kind, object_id=item["id"], name=item["name"]))
    for record in fixture["numbers"]:
        acquisition = record["aquisition"]
        pushed_at = acquisition["subscriber"]["pushed_at"]
        destination = record.get("destination") or {}
        session.add(
            Number(
                tenant=tenant,
                number_id=record["id"],
                number=record["number"],
                context=record["context"],
                created_at=_parse_instant(record["created_at"]),
                updated_at=_parse_instant(record["updated_at"]),
                recording_enabled=record["recording_enabled"],
                caller_id_prefix=record["caller_id_prefix"],
                callerid_passthrough=record["callerid_passthrough"],
                forward_sip_to=record["forward_sip_to"],
                acquired_at=_parse_instant(acquisition["acquired_at"]),
                pushed_at=_parse_instant(pushed_at) if pushed_at is not None else None,
                subscriber_status=acquisition["subscriber"]["status"],
                destination_type=destination.get("type"),
                destination_id=(destination.get("object") or {}).get("id"),
                **{name: acquisition["subscriber"][name] for name in SUBSCRIBER_FIELDS},
            )
        )


def reserve_number_ids(session: Session, tenant: str, count: int) -> int:
    """``count`` consecutive number IDs for rows inserted in bulk; returns the first."""
    return _next_ids(session.connection(), tenant, count)
