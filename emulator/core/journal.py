"""The request journal: the last N provider requests and their answers, for tests to assert on.

Kept in the store (a table trimmed to its newest N rows by id), so every process on one database
shares one journal and the bound holds across them. Recording costs a request no database round
trip: entries wait in a bounded in-process buffer that a writer thread flushes in batches (it wakes
when an entry arrives and writes whatever has piled up meanwhile in one transaction). A query
first asks every other live process to write out its buffer and waits until they have (through
the shared revision's watchers, about 10 ms), then writes its own: so a query through any process
sees every request whose answer has been sent, and no request waits on the journal.
On a SQLite file the journal has a file of its own beside the database, so that recording it does
not change the main file's version, which keys the hot routes' render cache. A long response body
answered again and again (a list read from the render cache) is stored once: storing its text is
most of what recording costs, so a repeat costs a reference.
Credentials are masked as they are recorded (``SECRET_HEADERS``, and ``SECRET_FIELDS`` in JSON and
form bodies and query strings, both ways): anyone who reaches the control plane can read the
journal, and a shared sandbox's tenants should not learn each other's secrets from it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
from sqlalchemy import JSON, Column, Index, Row, Text, delete, func, inspect, select
from sqlalchemy.engine import Connection
from sqlmodel import Field

from emulator.core.db import Database, StoredModel, table_of
from emulator.core.scope import DROPPED_KEY, FAULT_KEY, TENANT_KEY, path_matches
from emulator.core.traffic import Traffic

log = logging.getLogger("emulator.journal")


@dataclass(frozen=True)
class JournalEntry:
    id: int
    time: datetime
    provider: str
    tenant: str | None
    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    request_body: str
    request_body_truncated: bool
    status: int | None
    response_headers: dict[str, str]
    response_body: str
    response_body_truncated: bool
    duration_ms: float
    fault_id: int | None


def _aware(instant: datetime) -> datetime:
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant


@dataclass(frozen=True)
class JournalFilter:
    provider: str | None = None
    tenant: str | None = None
    method: str | None = None
    path: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: int | None = None

    def matches(self, entry: JournalEntry) -> bool:
        return (
            (self.provider is None or entry.provider == self.provider)
            and (self.tenant is None or entry.tenant == self.tenant)
            and (self.method is None or entry.method == self.method.upper())
            and (self.status is None or entry.status == self.status)
            and (self.since is None or entry.time >= _aware(self.since))
            and (self.until is None or entry.time <= _aware(self.until))
            and path_matches(self.path, entry.path)
        )


class JournalRow(StoredModel, table=True):
    __tablename__ = "emulator_journal"
    # Ids never go back (not even after a clear), so "increases by one per request" holds.
    __table_args__ = (Index("ix_emulator_journal_scope", "provider", "tenant"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    time: datetime
    provider: str = Field(max_length=32)
    tenant: str | None = Field(default=None, max_length=255)
    method: str = Field(max_length=32)
    path: str = Field(sa_column=Column(Text, nullable=False))
    query: str = Field(sa_column=Column(Text, nullable=False))
    request_headers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    request_body: str = Field(sa_column=Column(Text, nullable=False))
    request_body_truncated: bool
    status: int | None = None
    response_headers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    response_body: str = Field(sa_column=Column(Text, nullable=False))
    response_body_truncated: bool
    duration_ms: float
    fault_id: int | None = None
    response_body_digest: str | None = Field(default=None, max_length=64, index=True)
    """Set when the body is kept in ``emulator_journal_body`` (``response_body`` is then empty)."""


class JournalBody(StoredModel, table=True):
    """A long response body, kept once for every entry that answered it."""

    __tablename__ = "emulator_journal_body"

    digest: str = Field(primary_key=True, max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))


SHARED_BODY_CHARS = 1024
"""Response bodies this long or longer, answered again, are kept once; shorter ones cost less to
store with their entry than to look up."""

_COLUMNS = [column.key for column in table_of(JournalRow).columns]
_BODIES = table_of(JournalBody)
_UNSHARED = _BODIES.delete().where(
    _BODIES.c.digest.not_in(
        select(table_of(JournalRow).c.response_body_digest).where(
            table_of(JournalRow).c.response_body_digest.is_not(None)
        )
    )
)
"""The kept bodies no entry answers with any more."""
JOURNAL_LOCK = 7_313_002
"""PostgreSQL's advisory lock for changing the journal: entries taking a kept body and the
cleanup of unshared ones must not cross (on SQLite, writes take turns anyway)."""


def _entry(row: Row) -> JournalEntry:
    fields = dict(zip(_COLUMNS, row[:-1], strict=True))  # and the kept body's text, last
    fields["time"] = _aware(fields["time"])
    if fields.pop("response_body_digest") is not None:
        fields["response_body"] = row[-1] or ""
    return JournalEntry(**fields)


def _stored_time(instant: datetime) -> datetime:
    return _aware(instant).astimezone(UTC)


def _nul_free(text: str) -> str:
    # PostgreSQL text cannot hold NUL; the journal shows it as U+FFFD (what a bad UTF-8 byte becomes).
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


_STORED = [column.key for column in table_of(JournalRow).columns if column.key != "id"]
_BODY_AT = _STORED.index("response_body")
_DIGEST_AT = _STORED.index("response_body_digest")


# Entries per insert statement: each statement is one hand-over of the interpreter from the writer
# thread to the requests and back (a thread switch for the event loop), so not one per entry.
INSERT_ROWS = 64


@functools.cache
def _insert(dialect: str, rows: int) -> str:
    """An insert of ``rows`` entries, in the driver's own positional style (SQLAlchemy's per-row
    processing would cost the writer more than the insert itself)."""
    mark = "?" if dialect == "sqlite" else "%s"
    values = "(" + ", ".join([mark] * len(_STORED)) + ")"
    return f"INSERT INTO {JournalRow.__tablename__} ({', '.join(_STORED)}) VALUES " + ", ".join([values] * rows)


@functools.cache
def _insert_bodies(dialect: str, rows: int) -> str:
    """An insert of ``rows`` kept bodies, each unless it is kept already."""
    mark = "?" if dialect == "sqlite" else "%s"
    values = ", ".join([f"({mark}, {mark})"] * rows)
    return f"INSERT INTO {JournalBody.__tablename__} (digest, text) VALUES {values} ON CONFLICT DO NOTHING"


# How long the writer lets entries gather before it writes them, and how many it writes at once.
WRITE_LINGER_SECONDS = 0.05
WRITE_BATCH = 500


class Journal:
    """The shared journal, with this process's buffer of entries not yet written."""

    def __init__(
        self, size: int, body_bytes: int, db: Database | None = None, gather: Callable[[], None] = lambda: None
    ) -> None:
        self.size = size
        # Has every other process write out its buffer (before a query).
        self._gather = gather
        self.body_bytes = body_bytes
        # On its own (a tool, a test of the journal alone): a private in-memory store.
        self._db = db or Database("sqlite://")
        self._db.create_all([table_of(JournalRow), _BODIES])
        self._outdated_table_replaced()
        self._dialect = self._db.engine.dialect.name
        self._digests = _Digests()
        # Bounded: entries beyond the journal's size would be trimmed at once anyway (a batch's
        # worth more, so entries of a burst are written, and numbered, before they are trimmed).
        self._buffer: deque[dict] = deque(maxlen=size + WRITE_BATCH)
        self._arrived = threading.Condition(threading.Lock())
        # Held while a batch is written, so a flush also waits for the batch already on its way.
        self._writing = threading.Lock()
        self._writer: threading.Thread | None = None
        self._closed = False

    def _outdated_table_replaced(self) -> None:
        """A journal file an earlier version made lacks the newer columns; its entries are
        a previous run's (cleared when serving starts anyway), so the table is made anew."""
        columns = {column["name"] for column in inspect(self._db.engine).get_columns(JournalRow.__tablename__)}
        if "response_body_digest" not in columns:
            with self._db.engine.begin() as connection:
                table_of(JournalRow).drop(connection)
                table_of(JournalRow).create(connection)

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def record(self, **fields) -> None:
        """Buffer one entry (no database work here: the writer thread stores it)."""
        with self._arrived:
            self._buffer.append(fields)
            if self._writer is None and not self._closed:
                self._writer = threading.Thread(target=self._write_forever, name="journal-writer", daemon=True)
                self._writer.start()
            if len(self._buffer) == 1 or len(self._buffer) >= WRITE_BATCH:  # a batch begins, or is full
                self._arrived.notify()

    def _write_forever(self) -> None:
        while True:
            with self._arrived:
                while not self._buffer and not self._closed:
                    self._arrived.wait()
                if self._closed and not self._buffer:
                    return
                # Let a batch gather: one write of many entries costs the requests (whose thread
                # it shares the interpreter with) far less than a write per entry. A query never
                # waits for this: it flushes first.
                lingered = time.monotonic() + WRITE_LINGER_SECONDS
                while not self._closed and len(self._buffer) < WRITE_BATCH and time.monotonic() < lingered:
                    self._arrived.wait(max(lingered - time.monotonic(), 0))
            try:
                self.flush()
            except Exception:  # the store is away for a moment: keep the entries, try again
                log.exception("could not write journal entries")
                time.sleep(0.5)

    def _take(self) -> list[dict]:
        with self._arrived:
            batch = list(self._buffer)
            self._buffer.clear()
        return batch

    def flush(self) -> None:
        """Write every buffered entry, and trim the table to its newest ``size`` rows."""
        with self._writing:
            batch = self._take()
            if not batch:
                return
            try:
                with self._db.engine.begin() as connection:
                    self._lock(connection)
                    bodies: dict[str, str] = {}
                    rows = [self._stored_row(fields, bodies) for fields in batch]
                    kept = list(bodies.items())
                    for start in range(0, len(kept), INSERT_ROWS):
                        part = kept[start : start + INSERT_ROWS]
                        values = tuple(itertools.chain.from_iterable(part))
                        connection.exec_driver_sql(_insert_bodies(self._dialect, len(part)), values)
                    for start in range(0, len(rows), INSERT_ROWS):
                        part = rows[start : start + INSERT_ROWS]
                        values = tuple(itertools.chain.from_iterable(part))
                        connection.exec_driver_sql(_insert(self._dialect, len(part)), values)
                    self._trim(connection)
            except Exception:
                with self._arrived:  # back to the front, oldest first, within the bound
                    self._buffer.extendleft(reversed(batch))
                raise

    def _lock(self, connection: Connection) -> None:
        if self._dialect == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({JOURNAL_LOCK})")

    def _stored_row(self, fields: dict, bodies: dict[str, str]) -> tuple:
        """An entry's column values as the driver takes them: NUL-free text (PostgreSQL's text
        cannot hold it), headers as JSON text, the time as SQLAlchemy's SQLite text of a UTC
        instant on SQLite and as the value itself elsewhere; a long response body by its digest,
        its text added to ``bodies``."""
        row = dict(fields)
        for name in ("path", "query", "request_body"):
            row[name] = _nul_free(row[name])
        body = fields["response_body"]
        shared = self._digests.of(body) if len(body) >= SHARED_BODY_CHARS else None
        if shared is None:
            row["response_body"], row["response_body_digest"] = _nul_free(body), None
        else:
            text, digest = shared
            bodies[digest] = text
            row["response_body"], row["response_body_digest"] = "", digest
        for name in ("request_headers", "response_headers"):
            headers = row[name]
            if "\x00" in "".join(headers.values()):
                headers = {key: _nul_free(value) for key, value in headers.items()}
            row[name] = orjson.dumps(headers).decode()
        instant = _stored_time(row["time"])
        row["time"] = (
            instant.replace(tzinfo=None).isoformat(" ", "microseconds") if self._dialect == "sqlite" else instant
        )
        return tuple(map(row.__getitem__, _STORED))

    def flush_quietly(self) -> None:
        """``flush``, for a request that waits on it: a store away for a moment must not fail the
        answer (the entries stay buffered for the writer to try again)."""
        try:
            self.flush()
        except Exception:
            log.exception("could not write journal entries")

    def _trim(self, connection: Connection) -> None:
        table = table_of(JournalRow)
        low, high = connection.execute(select(func.min(table.c.id), func.max(table.c.id))).one()
        if low is None or high - low < self.size:
            return
        # The id of the newest row beyond the bound; it and everything older go.
        cut = connection.execute(
            select(table.c.id).order_by(table.c.id.desc()).offset(self.size).limit(1)
        ).scalar_one_or_none()
        if cut is not None:
            connection.execute(delete(table).where(table.c.id <= cut))
            connection.execute(_UNSHARED)

    def close(self) -> None:
        """Write what is buffered and stop the writer (at shutdown)."""
        with self._arrived:
            self._closed = True
            self._arrived.notify()
        writer = self._writer
        if writer is not None:
            writer.join(timeout=5)
        with contextlib.suppress(Exception):
            self.flush()

    def _where(self, query: JournalFilter):
        table = table_of(JournalRow)
        conditions = []
        if query.provider is not None:
            conditions.append(table.c.provider == query.provider)
        if query.tenant is not None:
            conditions.append(table.c.tenant == query.tenant)
        if query.method is not None:
            conditions.append(table.c.method == query.method.upper())
        if query.status is not None:
            conditions.append(table.c.status == query.status)
        if query.since is not None:
            conditions.append(table.c.time >= _stored_time(query.since))
        if query.until is not None:
            conditions.append(table.c.time <= _stored_time(query.until))
        return conditions

    def gathered(self) -> None:
        """Every process's entries in the store: the others' buffers, then this one's."""
        self._gather()
        self.flush()

    def find(self, query: JournalFilter, limit: int | None = None) -> list[JournalEntry]:
        """Matching entries, oldest first; with ``limit``, the most recent ``limit`` of them."""
        self.gathered()
        table = table_of(JournalRow)
        statement = (
            select(table, _BODIES.c.text)
            .outerjoin(_BODIES, _BODIES.c.digest == table.c.response_body_digest)
            .where(*self._where(query))
            .order_by(table.c.id.desc())
        )
        if limit and query.path is None:  # a path glob is matched here, after the query
            statement = statement.limit(limit)
        with self._db.engine.begin() as connection:
            rows = connection.execute(statement).all()
        found = [entry for entry in map(_entry, rows) if path_matches(query.path, entry.path)]
        found.reverse()
        return found[-limit:] if limit else found

    def count(self, query: JournalFilter) -> int:
        if query.path is not None:
            return len(self.find(query))
        self.gathered()
        table = table_of(JournalRow)
        with self._db.engine.begin() as connection:
            return connection.execute(select(func.count()).select_from(table).where(*self._where(query))).scalar_one()

    def clear(self, query: JournalFilter = JournalFilter()) -> int:
        self.gathered()
        table = table_of(JournalRow)
        with self._db.engine.begin() as connection:
            self._lock(connection)
            if query.path is None:
                cleared = connection.execute(delete(table).where(*self._where(query))).rowcount
            else:
                rows = connection.execute(select(table.c.id, table.c.path).where(*self._where(query))).all()
                ids = [row.id for row in rows if path_matches(query.path, row.path)]
                cleared = 0
                for start in range(0, len(ids), 500):
                    cleared += connection.execute(
                        delete(table).where(table.c.id.in_(ids[start : start + 500]))
                    ).rowcount
            connection.execute(_UNSHARED)
        return cleared


@dataclass
class _Capture:
    """The first ``limit`` bytes of a body that streams past."""

    limit: int
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    truncated: bool = False

    def add(self, chunk: bytes) -> None:
        room = self.limit - self.size
        if len(chunk) > room:
            self.truncated = True
            chunk = chunk[: max(room, 0)]
        if chunk:
            self.chunks.append(chunk)
            self.size += len(chunk)

    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", "replace")

    def masked(self, memo: _MaskedBodies) -> str:
        """``mask_text`` of the text; a body sent whole from the render cache is the same object
        every time, and is masked once."""
        if len(self.chunks) == 1 and not self.truncated:
            return memo.masked(self.chunks[0])
        return mask_text(self.text())


class _Digests:
    """Which recorded bodies are answered again: the same text object as a recent entry's (the
    masked text of a body sent from the render cache is the same object every time). Such a
    body is hashed once, and kept once; any other is stored with its entry, unhashed."""

    SIZE = 64

    def __init__(self) -> None:
        self._seen: dict[int, tuple[str, tuple[str, str] | None]] = {}

    def of(self, body: str) -> tuple[str, str] | None:
        """The NUL-free text and digest of a body seen before, or None the first time."""
        seen = self._seen.get(id(body))
        if seen is None or seen[0] is not body:
            if len(self._seen) >= self.SIZE:
                self._seen.clear()
            self._seen[id(body)] = (body, None)
            return None
        if seen[1] is None:
            text = _nul_free(body)
            seen = self._seen[id(body)] = (body, (text, hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()))
        return seen[1]


class _MaskedBodies:
    """The masked text of recently recorded bodies, by the body object itself (held here, so its
    id is not reused meanwhile): no hashing of the content, which would cost what it saves."""

    SIZE = 64

    def __init__(self) -> None:
        self._kept: dict[int, tuple[bytes, str]] = {}

    def masked(self, body: bytes) -> str:
        kept = self._kept.get(id(body))
        if kept is not None and kept[0] is body:
            return kept[1]
        text = mask_text(body.decode("utf-8", "replace"))
        if len(self._kept) >= self.SIZE:
            self._kept.clear()
        self._kept[id(body)] = (body, text)
        return text


MASK = "***"
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-auth-password", "x-auth-secret"}
)
SECRET_FIELDS = ("client_secret", "password", "secret", "access_token", "refresh_token")
_FIELD_NAMES = "|".join(SECRET_FIELDS)
# A JSON string member or a form/query pair whose name is a secret field; the value is replaced,
# the rest of the text (spacing, order, other fields) stays exactly as sent.
_SECRET_JSON = re.compile(rf'("(?:{_FIELD_NAMES})"\s*:\s*)"(?:[^"\\]|\\.)*"')
# Enough to tell whether a text may hold any secret field (the others contain one of these): a
# substring search each, far quicker over a long body than one search for the alternatives.
_TELLTALES = tuple(name for name in SECRET_FIELDS if not any(other in name for other in SECRET_FIELDS if other != name))
_SECRET_PAIR = re.compile(rf"(^|&)((?:{_FIELD_NAMES})=)[^&]*")


def mask_text(text: str) -> str:
    """``text`` with the values of secret JSON members and form or query fields masked."""
    if not any(name in text for name in _TELLTALES):
        return text
    return _SECRET_PAIR.sub(rf"\1\2{MASK}", _SECRET_JSON.sub(rf'\1"{MASK}"', text))


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        if key in SECRET_HEADERS:
            text = MASK
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


class RequestJournal:
    """ASGI middleware recording every provider request with its answer (status, headers, body,
    duration), faults and dropped connections included."""

    def __init__(self, app, journal: Journal, traffic: Traffic, now: Callable[[str, str | None], datetime]) -> None:
        self.app = app
        self._journal = journal
        self._traffic = traffic
        self._now = now
        self._masked = _MaskedBodies()

    async def __call__(self, scope, receive, send) -> None:
        target = self._traffic.classify(scope) if scope["type"] == "http" and self._journal.enabled else None
        if target is None:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        started_at, started = self._now(target.provider.name, None), time.perf_counter()
        request_body = _Capture(self._journal.body_bytes)
        response_body = _Capture(self._journal.body_bytes)
        response: dict = {"status": None, "headers": []}

        async def recording_receive():
            message = await receive()
            if message["type"] == "http.request":
                request_body.add(message.get("body", b""))
            return message

        def record() -> None:
            nonlocal started_at
            tenant = state.get(TENANT_KEY)
            if tenant is not None:  # when it arrived on the clock of the tenant it turned out to be for
                started_at += self._now(target.provider.name, tenant) - self._now(target.provider.name, None)
            elapsed = time.perf_counter() - started
            self._journal.record(
                time=started_at,
                provider=target.provider.name,
                tenant=tenant,
                method=scope["method"],
                path=target.path,
                query=mask_text(scope.get("query_string", b"").decode("latin-1")),
                request_headers=_headers(scope.get("headers", [])),
                request_body=mask_text(request_body.text()),
                request_body_truncated=request_body.truncated,
                status=None if state.get(DROPPED_KEY) else response["status"],
                response_headers=_headers(response["headers"]),
                response_body=response_body.masked(self._masked),
                response_body_truncated=response_body.truncated,
                duration_ms=round(elapsed * 1000, 3),
                fault_id=state.get(FAULT_KEY),
            )

        async def recording_send(message) -> None:
            if message["type"] == "http.response.start":
                response["status"], response["headers"] = message["status"], message.get("headers", [])
            elif message["type"] == "http.response.body":
                response_body.add(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, recording_receive, recording_send)
        except BaseException:
            if response["status"] is None:
                response["status"] = 500  # what the server answers for an unhandled error
            raise
        finally:
            record()
