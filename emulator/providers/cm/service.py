"""Number requests: validation, the life cycle (Pending → Accepted → Completed, or Rejected, or
Cancelled), the locale data behind them, and the callbacks every status change writes."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Final, Literal

import phonenumbers
from sqlalchemy import Connection, bindparam, insert, text, tuple_, update
from sqlalchemy import select as select_rows
from sqlmodel import Session, col, select

from emulator.core import counts, numbering
from emulator.core.bulk import execute_many, execute_one, fetch_one
from emulator.core.callbacks import delivery_row, enqueue_all
from emulator.core.db import table_of
from emulator.core.fastread import FastReader
from emulator.core.identifiers import UUID_PATTERN, is_uuid
from emulator.core.rendering import dotnet_json
from emulator.providers.cm import render
from emulator.providers.cm.errors import NAME
from emulator.providers.cm.models import CompanyProfile, NumberRequest
from emulator.providers.cm.settings import CMSettings

if TYPE_CHECKING:
    from emulator.core.context import ProviderContext

PENDING = "Pending"
ACCEPTED = "Accepted"
COMPLETED = "Completed"
REJECTED = "Rejected"
CANCELLED = "Cancelled"
FINAL = frozenset({COMPLETED, REJECTED, CANCELLED})
STATUSES: tuple[tuple[str, str, bool], ...] = (
    (PENDING, "The request is waiting to be reviewed.", False),
    (ACCEPTED, "The request was accepted; the numbers are being arranged.", False),
    (COMPLETED, "The numbers are assigned to the account.", True),
    (REJECTED, "The request was rejected; the reason says why.", True),
    (CANCELLED, "The request was cancelled by the customer.", True),
)

# Number types, and the kind of numbers each draws from.
NUMBER_TYPES: dict[str, str] = {
    "LOCAL": numbering.GEOGRAPHIC,
    "NATIONAL": numbering.NATIONAL,
    "TOLLFREE": numbering.TOLL_FREE,
}
DEFAULT_NUMBER_TYPE: Final = "LOCAL"
# Range sizes each number type may be ordered in; none means single numbers only.
RANGE_SIZES: dict[str, tuple[int, ...]] = {"LOCAL": (10, 100), "NATIONAL": (10, 100), "TOLLFREE": ()}
MIN_QUANTITY = 1
MAX_QUANTITY = 1000
# Countries numbers can be ordered in; a company profile the emulator does not know orders in the
# first. (Germany's ~5000 area codes take seconds to index, too long for a first request.)
COUNTRIES = ("GB", "NL", "BE", "US")
Country = Literal[COUNTRIES]  # type: ignore[valid-type]
DEFAULT_COUNTRY = "GB"
NANPA = frozenset(region for region in COUNTRIES if phonenumbers.country_code_for_region(region) == 1)

MAX_TEXT = 100
MAX_COMMENT = 1000
MAX_URL = 2048
# What "a well-formed absolute URL" means here: http(s), a host name or IPv4 address, a port.
# The port, when given, is one a URL can hold (0-65535), so the shape and the target check agree.
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|0[0-9]{4}|[0-9]{1,4})"
CALLBACK_URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})(?::" + _PORT + r")?(?:[/?#][!-~]*)?$"
)
GUID_PATTERN = UUID_PATTERN


CONTENT_TYPE = "application/json; charset=utf-8"

# State changes are read-modify-write: one at a time in this process, whether a request or the
# background job makes them, so a cancel cannot cross an acceptance.
_changes = threading.RLock()


class TransitionRefused(Exception):
    """The request's status does not allow the change."""


@dataclass(frozen=True)
class OrderData:
    company_profile_id: str | None
    quantity: int
    range_size: int | None
    number_type: str
    area_code: str | None
    city: str | None
    region: str | None
    comment: str | None
    callback_url: str | None


# --- locale data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """An area numbers can be ordered in: its dialled prefix, its place and NANPA region."""

    prefix: str
    city: str | None
    region: str | None


def _city_of(name: str, nanpa: bool) -> str | None:
    # NANPA place names carry their state ("New York, NY"); a bare name there is the state's own.
    if not nanpa:
        return name
    return name.rsplit(", ", 1)[0] if ", " in name else None


@cache
def areas(country: str, number_type: str) -> tuple[Area, ...]:
    """Every area of a number type in a country, by city then prefix."""
    if number_type != "LOCAL":
        return tuple(
            Area(prefix, None, None) for prefix in numbering.service_type_prefixes(NUMBER_TYPES[number_type], country)
        )
    nanpa_regions = {}
    if country in NANPA:
        nanpa_regions = {
            code: region
            for region in numbering.nanpa_regions(country)
            for code in numbering.nanpa_area_codes(region, country)
        }
    return tuple(
        Area(area.national_prefix, _city_of(area.name, country in NANPA), nanpa_regions.get(area.code))
        for area in numbering.area_codes(country)
    )


_warm_up_started = threading.Event()


def warm_up_soon() -> None:
    """Index the default country's local areas on a thread of its own, once: built from
    phonenumbers' data the first time (about a second), they would hold up the first order."""
    if not _warm_up_started.is_set():
        _warm_up_started.set()
        threading.Thread(
            target=areas, args=(DEFAULT_COUNTRY, DEFAULT_NUMBER_TYPE), name="cm-areas", daemon=True
        ).start()


@cache
def _areas_by_code(country: str, number_type: str) -> dict[str, tuple[Area, ...]]:
    """``areas`` by prefix without its trunk 0s, each in their order (an order names one of
    hundreds: looked up, not searched)."""
    found: dict[str, list[Area]] = {}
    for area in areas(country, number_type):
        found.setdefault(area.prefix.lstrip("0"), []).append(area)
    return {code: tuple(each) for code, each in found.items()}


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def find_area(
    country: str, number_type: str, area_code: str | None, city: str | None, region: str | None
) -> Area | None:
    """The area an order names (area code and city used together when both are given), or None."""
    candidates = areas(country, number_type)
    if area_code:
        digits = _digits(area_code)
        if not digits:
            return None
        # The trunk 0 may be left out: "20" and "020" both name London.
        candidates = _areas_by_code(country, number_type).get(digits.lstrip("0"), ())
    if city:
        wanted = city.strip().casefold()
        candidates = tuple(area for area in candidates if area.city is not None and area.city.casefold() == wanted)
    if region and country in NANPA:
        candidates = tuple(area for area in candidates if area.region == region.strip().upper())
    return candidates[0] if candidates else None


def draw_numbers(
    country: str, number_type: str, prefix: str, quantity: int, range_size: int | None, seed: str
) -> list[str]:
    """``quantity`` numbers in the area, E.164; with a range size, in consecutive blocks of that
    size (the last holding what remains)."""
    service_type = NUMBER_TYPES[number_type]
    if not range_size:
        national = numbering.candidate_numbers(prefix, seed, quantity, country, service_type)
    else:
        blocks_needed = -(-quantity // range_size)
        national = []
        seen: set[str] = set()
        for candidate in numbering.candidate_numbers(prefix, seed, blocks_needed * 4, country, service_type):
            start = int(candidate) - int(candidate) % range_size
            first = str(start).zfill(len(candidate))
            if first in seen or not first.startswith(prefix):
                continue
            seen.add(first)
            national.extend(str(start + offset).zfill(len(candidate)) for offset in range(range_size))
            if len(national) >= quantity:
                break
        national = national[:quantity]
    return [numbering.e164(number, country) for number in national]


# --- queries --------------------------------------------------------------------------------------


_PROFILE_COUNTRY_SQL = "SELECT country FROM cm_company_profile WHERE tenant = :tenant AND guid = :guid"
_PROFILE_COUNTRY = text(_PROFILE_COUNTRY_SQL)


def profile_country(connection: Connection | FastReader, tenant: str, profile_id: str | None) -> str:
    """The country a company profile orders in, read in a write's transaction (``connection``)
    or, to validate an order before it is written, through the fast reader."""
    if is_uuid(profile_id):
        params = {"tenant": tenant, "guid": profile_id.lower()}
        if isinstance(connection, FastReader):
            rows = connection.rows(_PROFILE_COUNTRY_SQL, params)
            row = rows[0] if rows else None
        else:
            row = fetch_one(connection, _PROFILE_COUNTRY, params)
        if row is not None:
            return row[0]
    return DEFAULT_COUNTRY


def get_request(session: Session, tenant: str, account: str, guid: str) -> NumberRequest | None:
    return session.exec(
        select(NumberRequest).where(
            NumberRequest.tenant == tenant, NumberRequest.account == account, NumberRequest.guid == guid.lower()
        )
    ).first()


def list_requests(
    session: Session, tenant: str, account: str, skip: int, take: int
) -> tuple[Sequence[NumberRequest], int]:
    scope = (NumberRequest.tenant == tenant) & (NumberRequest.account == account)
    total = counts.total(session.connection(), table_of(NumberRequest), {"tenant": tenant, "account": account})
    rows = session.exec(
        select(NumberRequest).where(scope).order_by(col(NumberRequest.id)).offset(skip).limit(take)
    ).all()
    return rows, total


_STORED = (
    "guid, company_profile_id, status, reason, number_type, country, quantity, range_size, area_code, city, "
    "region, comment, callback_url, created_at, updated_at, range_id, valid_from, valid_to, numbers"
)
_READ_ONE = f"SELECT {_STORED} FROM cm_number_request WHERE tenant = :tenant AND account = :account AND guid = :guid"
_READ_PAGE = (
    f"SELECT {_STORED} FROM cm_number_request WHERE tenant = :tenant AND account = :account "
    "ORDER BY id LIMIT :take OFFSET :skip"
)
_COUNT = counts.total_sql(table_of(NumberRequest), ["tenant", "account"])


def _instant(value: datetime | str | None) -> datetime | None:
    """A DATETIME column: SQLite hands back the stored text, PostgreSQL a ``datetime``."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _stored(row: Sequence) -> render.StoredRequest:
    values = list(row)
    for at in _INSTANTS:
        values[at] = _instant(values[at])
    if isinstance(values[-1], str):
        values[-1] = json.loads(values[-1])
    return render.StoredRequest(*values)


_INSTANTS = (13, 14, 16, 17)
"""created_at, updated_at, valid_from and valid_to in ``_STORED``."""


async def read_request(fast: FastReader, tenant: str, account: str, guid: str) -> render.StoredRequest | None:
    """``get_request`` through the fast reader."""
    row = await fast.fetchone(_READ_ONE, {"tenant": tenant, "account": account, "guid": guid.lower()})
    return None if row is None else _stored(row)


async def read_requests(
    fast: FastReader, tenant: str, account: str, skip: int, take: int
) -> tuple[list[render.StoredRequest], int]:
    """``list_requests`` through the fast reader."""
    scope = {"tenant": tenant, "account": account}
    total = (await fast.fetchone(_COUNT, scope) or (0,))[0]
    rows = await fast.fetchall(_READ_PAGE, {**scope, "skip": skip, "take": take}) if total > skip else []
    return [_stored(row) for row in rows], total


# --- the life cycle -------------------------------------------------------------------------------


_INSERT_REQUEST = insert(table_of(NumberRequest))


def create_request(
    connection: Connection, runtime: ProviderContext, tenant: str, account: str, order: OrderData
) -> render.DueRequest:
    """Assigned at once when the inventory can fill it, otherwise pending until it moves on (a
    ``Database.write``: one insert through the driver; a new request crosses no other change,
    so it needs no turn of ``_changes``). Built as a plain row, not the ORM model, whose
    instrumented construction cost the writer more than the insert."""
    settings = runtime.settings_of(CMSettings)
    now = runtime.clock.now(NAME, tenant)
    country = profile_country(connection, tenant, order.company_profile_id)
    area = find_area(country, order.number_type, order.area_code, order.city, order.region)
    request = render.DueRequest(
        id=0,  # the database's, unknown until inserted (and never rendered)
        tenant=tenant,
        guid=str(uuid.uuid4()),
        company_profile_id=order.company_profile_id,
        country=country,
        status=PENDING,
        reason=None,
        number_type=order.number_type,
        quantity=order.quantity,
        range_size=order.range_size,
        area_code=order.area_code,
        city=order.city,
        region=order.region,
        comment=order.comment,
        callback_url=order.callback_url,
        prefix=area.prefix if area else None,
        created_at=now,
        updated_at=now,
        next_transition_at=None,
        range_id=None,
        valid_from=None,
        valid_to=None,
        numbers=[],
    )
    if area is not None and order.quantity <= settings.immediate_max_quantity:
        _assign(request, now)
    else:
        request.next_transition_at = now + timedelta(seconds=settings.accept_after_seconds)
    row = {name: getattr(request, name) for name in _NEW_COLUMNS}
    execute_one(connection, _INSERT_REQUEST, {**row, "account": account})
    return request


_NEW_COLUMNS = tuple(field.name for field in fields(render.DueRequest) if field.name != "id")
"""What a new request's row holds beside its account (the id is the database's)."""


def _assign(request: NumberRequest | render.DueRequest, now: datetime) -> None:
    request.numbers = draw_numbers(
        request.country, request.number_type, request.prefix or "", request.quantity, request.range_size, request.guid
    )
    request.status = COMPLETED
    request.range_id = str(uuid.uuid4())
    request.valid_from = now
    request.next_transition_at = None


def _claim(session: Session, request: NumberRequest) -> bool:
    """Make this transaction the one that changes ``request`` from the state it was read in, across
    processes: a conditional UPDATE that matches only while the status and due time are still the
    ones read. It takes the row's write lock (the database's, on SQLite), so a second process doing
    the same waits for the first to commit, then matches nothing and leaves the request alone."""
    statement = (
        update(NumberRequest)
        .where(
            col(NumberRequest.id) == request.id,
            col(NumberRequest.status) == request.status,
            col(NumberRequest.next_transition_at).is_(None)
            if request.next_transition_at is None
            else col(NumberRequest.next_transition_at) == request.next_transition_at,
        )
        .values(status=request.status)
        # The row is changed through ``request`` next; matching the session's other objects
        # against the criteria (the default) would cost a scan of the session per claim.
        .execution_options(synchronize_session=False)
    )
    return session.exec(statement).rowcount == 1  # type: ignore[call-overload]


def _change(
    session: Session,
    runtime: ProviderContext,
    request: NumberRequest,
    status: str,
    at: datetime,
    reason: str | None = None,
) -> None:
    """Apply a status change and write its callback in the same transaction (the caller commits)."""
    complete_after = timedelta(seconds=runtime.settings_of(CMSettings).complete_after_seconds)
    delivery = _apply(request, status, at, complete_after, reason)
    session.add(request)
    enqueue_all(session, [delivery] if delivery else [])


def _apply(
    request: NumberRequest | render.DueRequest,
    status: str,
    at: datetime,
    complete_after: timedelta,
    reason: str | None = None,
) -> dict | None:
    """Change ``request`` as of ``at``; the callback it owes, as an outbox row, if it has a URL."""
    if status == COMPLETED:
        _assign(request, at)
    else:
        request.status = status
        request.reason = reason
        request.next_transition_at = at + complete_after if status == ACCEPTED else None
    request.updated_at = at
    if not request.callback_url:
        return None
    return delivery_row(
        provider=NAME,
        tenant=request.tenant,
        event=status,
        url=request.callback_url,
        payload=dotnet_json(render.number_request(request)).encode("ascii"),
        content_type=CONTENT_TYPE,
        now=at,
    )


def no_numbers_reason(request: NumberRequest | render.DueRequest) -> str:
    place = " ".join(part for part in (request.area_code, request.city, request.region) if part)
    return f"No {request.number_type} numbers are available for {place} in {request.country}."


def cancel_request(session: Session, runtime: ProviderContext, request: NumberRequest) -> None:
    with _changes:
        session.refresh(request)
        if request.status in FINAL:
            raise TransitionRefused(f"The number request is {request.status.lower()} and can no longer be cancelled.")
        if not _claim(session, request):  # another process changed it meanwhile: judge again
            session.rollback()
            session.refresh(request)
            raise TransitionRefused(f"The number request is {request.status.lower()} and can no longer be cancelled.")
        _change(session, runtime, request, CANCELLED, runtime.clock.now(NAME, request.tenant))
        session.commit()


def force_transition(
    session: Session, runtime: ProviderContext, request: NumberRequest, status: str, reason: str | None = None
) -> None:
    """A support action from the control plane: accept (pending only), complete or reject (while
    not final)."""
    with _changes:
        session.refresh(request)
        allowed_from = {ACCEPTED: {PENDING}, COMPLETED: {PENDING, ACCEPTED}, REJECTED: {PENDING, ACCEPTED}}[status]
        if request.status not in allowed_from:
            raise TransitionRefused(f"A {request.status.lower()} number request cannot become {status.lower()}.")
        if status == COMPLETED and request.prefix is None:
            raise TransitionRefused(no_numbers_reason(request))
        if not _claim(session, request):
            session.rollback()
            session.refresh(request)
            raise TransitionRefused(f"A {request.status.lower()} number request cannot become {status.lower()}.")
        _change(session, runtime, request, status, runtime.clock.now(NAME, request.tenant), reason)
        session.commit()


def _scheduled(request: render.DueRequest, now: datetime, complete_after: timedelta) -> list[tuple[datetime, str]]:
    """The changes a request goes through by itself up to ``now``, with their times."""
    changes: list[tuple[datetime, str]] = []
    status, due = request.status, request.next_transition_at
    while due is not None and due <= now:
        if status == PENDING and request.prefix is None:
            changes.append((due, REJECTED))
            break
        if status == PENDING:
            changes.append((due, ACCEPTED))
            status, due = ACCEPTED, due + complete_after
        elif status == ACCEPTED:
            changes.append((due, COMPLETED))
            break
        else:
            break
    return changes


def _lock_for_transitions(session: Session) -> None:
    """Make the rows this transaction reads next its own until it commits, across processes. On
    SQLite, take the database's write lock before reading (what is read is then what is changed);
    on PostgreSQL the batch's ``FOR UPDATE SKIP LOCKED`` locks the rows it reads instead."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")


_TABLE = table_of(NumberRequest)
_DUE = select_rows(*(_TABLE.c[field.name] for field in fields(render.DueRequest)))
_CHANGED = ("status", "reason", "updated_at", "next_transition_at", "range_id", "valid_from", "numbers")
"""The columns a transition changes."""
_WRITE_BACK = update(_TABLE).where(_TABLE.c.id == bindparam("row_id"))


def run_due_transitions(runtime: ProviderContext, now: datetime, batch: int = 2000) -> None:
    """Every change that has come due, in time order across requests, each at its own due time
    (so its callback and its ``updatedOn`` say when it happened, however far the clock jumped).
    ``now`` is the latest of every clock; each request moves only as far as its tenant's clock.
    Set-based: a batch of rows is read under a lock in one query, changed in memory, written back
    in one executemany, with its callbacks in another."""
    complete_after = timedelta(seconds=runtime.settings_of(CMSettings).complete_after_seconds)
    after: tuple[datetime, int] | None = None
    while True:
        with _changes, runtime.db.session() as session:
            _lock_for_transitions(session)
            statement = _DUE.where(_TABLE.c.next_transition_at <= now)
            if after is not None:  # past the rows a tenant's own clock left waiting
                statement = statement.where(tuple_(_TABLE.c.next_transition_at, _TABLE.c.id) > after)
            connection = session.connection()
            due = [
                render.DueRequest(*row)
                for row in connection.execute(
                    statement.order_by(_TABLE.c.next_transition_at, _TABLE.c.id)
                    .limit(batch)
                    # On PostgreSQL, rows another process is transitioning now are left to it.
                    .with_for_update(skip_locked=True)
                )
            ]
            if due:
                last = due[-1]
                after = (last.next_transition_at, last.id)  # type: ignore[assignment]
            tenant_now = {tenant: runtime.clock.now(NAME, tenant) for tenant in {request.tenant for request in due}}
            changes = sorted(
                (
                    (at, request.id, step, request, status)
                    for request in due
                    for step, (at, status) in enumerate(_scheduled(request, tenant_now[request.tenant], complete_after))
                ),
                key=lambda change: change[:3],
            )
            deliveries = []
            changed: dict[int, render.DueRequest] = {}
            for at, _id, _step, request, status in changes:
                reason = no_numbers_reason(request) if status == REJECTED else None
                delivery = _apply(request, status, at, complete_after, reason)
                if delivery is not None:
                    deliveries.append(delivery)
                changed[request.id] = request
            execute_many(
                session,
                _WRITE_BACK,
                [
                    {"row_id": request.id, **{name: getattr(request, name) for name in _CHANGED}}
                    for request in changed.values()
                ],
            )
            enqueue_all(session, deliveries)
            session.commit()
        if len(due) < batch:
            return


def availability(area: Area | None, quantity: int, immediate_max: int) -> dict:
    return {
        "available": area is not None,
        "immediatelyAvailable": area is not None and quantity <= immediate_max,
        "availableQuantity": immediate_max if area is not None else 0,
    }


def seed_tenant(session: Session, tenant: str, fixture: dict) -> None:
    for profile in fixture["company_profiles"]:
        session.add(CompanyProfile(tenant=tenant, guid=profile["id"], name=profile["name"], country=profile["country"]))
    for record in fixture["number_requests"]:
        session.add(request_from_record(tenant, record))


def schedule_waiting(request: NumberRequest, now: datetime, settings: CMSettings) -> None:
    """A pending or accepted request moves on with the clock from ``now``, as one just created or
    just accepted through the API would."""
    if request.status == PENDING:
        request.next_transition_at = now + timedelta(seconds=settings.accept_after_seconds)
    elif request.status == ACCEPTED:
        request.next_transition_at = now + timedelta(seconds=settings.complete_after_seconds)


def request_from_record(tenant: str, record: dict) -> NumberRequest:
    """A fixture record (the rendered shape plus ``account`` and ``prefix``) as a row; the default
    fixtures' requests that are not final wait for a control-plane action (they are documented
    examples, so they stay as documented)."""

    def instant(value: str) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))

    return NumberRequest(
        tenant=tenant,
        guid=record["requestId"],
        account=record["account"],
        company_profile_id=record["companyProfileId"],
        country=record["country"],
        status=record["status"],
        reason=record["statusReason"],
        number_type=record["numberType"],
        quantity=record["quantity"],
        range_size=record["rangeSize"],
        area_code=record["areaCode"],
        city=record["city"],
        region=record["region"],
        comment=record["comment"],
        callback_url=record["callbackUrl"],
        prefix=record["prefix"],
        created_at=instant(record["createdOn"]),
        updated_at=instant(record["updatedOn"]),
        range_id=record["id"],
        valid_from=instant(record["validFrom"]) if record["validFrom"] else None,
        valid_to=instant(record["validTo"]) if record["validTo"] else None,
        numbers=record["numbers"],
    )
