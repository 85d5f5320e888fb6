"""Callbacks that are never lost: an outbox table and the dispatcher that empties it.

A provider writes a delivery with ``enqueue`` in the same transaction as the state change it
reports, so a change is never stored without its callback (nor a callback without its change).
The dispatcher, a background job, POSTs each due delivery to its URL and records every attempt;
failures (connection refused, timeout, a non-2xx answer) are retried with exponential backoff on
the emulator's clock up to a limit, then the delivery is marked failed and can be redelivered.
Deliveries sharing an ordering key (by default the URL) go out one at a time, in the order they
were written: a later one waits while an earlier one is still pending. Pending deliveries are
rows in the database, so they survive a restart.

Several processes on one database share the outbox. A process claims a delivery before it sends
it: an atomic conditional UPDATE sets a lease (owner and expiry, in real time) only when nobody
holds an unexpired one, so each delivery is POSTed by one process while every process is alive.
Only the head of an ordering key (its oldest pending delivery) is ever claimed, so per-URL order
holds across processes. When a process dies holding a lease, another takes the delivery over once
the lease has expired (at-least-once only then).
"""

from __future__ import annotations

import functools
import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Row, Select, bindparam, func, insert, or_, update
from sqlmodel import Field, Session, col, select

import emulator
from emulator.core.bulk import execute_many
from emulator.core.clock import Clock
from emulator.core.db import Database, StoredModel, empty_list, table_of
from emulator.core.targets import CallbackTargets
from emulator.settings import Settings

if TYPE_CHECKING:
    from emulator.core.posting import Poster

log = logging.getLogger("emulator.callbacks")

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
STATUSES = (PENDING, DELIVERED, FAILED)

# Attempts kept in a delivery's history (redeliveries can add more without end).
MAX_HISTORY = 50
# Heads of distinct URLs sent at the same time in one blocking pass (``deliver_due``).
MAX_PARALLEL_URLS = 8
# Heads looked at per pass; leased ones (in flight) are left out, so a dead receiver's never
# crowd out the others'.
HEADS_PER_PASS = 1000
# Deliveries of one URL claimed, sent and recorded together.
CLAIM_BATCH = 50
USER_AGENT = f"number-emulator/{emulator.__version__}"
MAX_ERROR_LENGTH = 500
# Bytes of a receiver's answer read to keep its connection alive (a longer one closes it).
MAX_ANSWER_BYTES = 65_536


class CallbackDelivery(StoredModel, table=True):
    __tablename__ = "emulator_callback"
    __table_args__ = (
        Index("ix_emulator_callback_queue", "status", "ordering_key", "id"),
        Index("ix_emulator_callback_scope", "provider", "tenant", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=32)
    tenant: str = Field(max_length=255)
    event: str = Field(max_length=64, description="What happened, e.g. the new status")
    url: str = Field(max_length=2048)
    ordering_key: str = Field(max_length=2048)
    content_type: str = Field(max_length=128)
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # The choices bound what a state document may restore as well.
    status: str = Field(default=PENDING, max_length=16, sa_column_kwargs={"info": {"choices": STATUSES}})
    attempt_count: int = 0
    # Failures since the delivery was (re)scheduled: they set the backoff and count to the limit.
    failures: int = 0
    created_at: datetime
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    attempts: list[dict] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))
    # The process sending it now, and until when (real UTC time) its claim holds.
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_expires_at: datetime | None = None


_TABLE = table_of(CallbackDelivery)
# What a run reads of its deliveries: what sending needs and what recording carries forward.
_RUN_COLUMNS = tuple(
    _TABLE.c[name]
    for name in (
        "id",
        "provider",
        "tenant",
        "url",
        "content_type",
        "payload",
        "attempt_count",
        "failures",
        "next_attempt_at",
        "delivered_at",
        "attempts",
    )
)


# A URL's head: its (ordering key's) oldest pending delivery, the only one that may be sent or leased.
_HEAD_COLUMNS = tuple(_TABLE.c[name] for name in ("id", "provider", "tenant", "url", "ordering_key", "next_attempt_at"))
_PENDING_IDS = select(func.min(_TABLE.c.id)).where(_TABLE.c.status == PENDING)
# The heads due by the latest clock that no process holds an unexpired lease on (``wall``: real
# time), oldest first.
_DUE_HEADS = (
    select(*_HEAD_COLUMNS)
    .where(
        _TABLE.c.id.in_(_PENDING_IDS.group_by(_TABLE.c.ordering_key)),
        _TABLE.c.next_attempt_at <= bindparam("now"),
        or_(_TABLE.c.lease_expires_at.is_(None), _TABLE.c.lease_expires_at < bindparam("wall")),
    )
    .order_by(_TABLE.c.id)
    .limit(HEADS_PER_PASS)
)
_SCOPE_HEAD_COLUMNS = (*_HEAD_COLUMNS, _TABLE.c.lease_expires_at)


@functools.cache
def _heads_of_scope(by_provider: bool, by_tenant: bool) -> Select[Any]:
    """A scope's heads that are due by the latest clock (``now``) or leased until after ``wall``:
    what ``in_progress`` reads, made once per combination of its filters (``settle`` asks every
    10 ms)."""
    pending = _PENDING_IDS
    if by_provider:
        pending = pending.where(_TABLE.c.provider == bindparam("provider"))
    if by_tenant:
        pending = pending.where(_TABLE.c.tenant == bindparam("tenant"))
    return select(*_SCOPE_HEAD_COLUMNS).where(
        _TABLE.c.id.in_(pending.group_by(_TABLE.c.ordering_key)),
        or_(_TABLE.c.next_attempt_at <= bindparam("now"), _TABLE.c.lease_expires_at >= bindparam("wall")),
    )


def _aware(instant: datetime) -> datetime:
    # SQLite hands datetimes back naive; they were stored as UTC.
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _wall_now() -> datetime:
    """Real time (UTC): leases must expire even while the emulator's clock is frozen."""
    return datetime.now(UTC)


def delivery_row(
    *,
    provider: str,
    tenant: str,
    event: str,
    url: str,
    payload: bytes,
    content_type: str,
    now: datetime,
    ordering_key: str | None = None,
) -> dict:
    """An outbox row, due at once: what ``enqueue`` and ``enqueue_all`` write."""
    return {
        "provider": provider,
        "tenant": tenant,
        "event": event,
        "url": url,
        "ordering_key": ordering_key or url,
        "content_type": content_type,
        "payload": payload,
        "status": PENDING,
        "attempt_count": 0,
        "failures": 0,
        "created_at": now,
        "next_attempt_at": now,
        "attempts": [],
    }


def enqueue(session: Session, **fields) -> CallbackDelivery:
    """Add one delivery to the session (``delivery_row``'s fields); it is written when the caller
    commits its change."""
    delivery = CallbackDelivery(**delivery_row(**fields))
    session.add(delivery)
    return delivery


def enqueue_all(session: Session, rows: list[dict]) -> None:
    """Write many ``delivery_row``s in one statement, in order (they are sent in id order), as
    part of the caller's transaction, straight through the DB-API (the rows are not the session's
    objects)."""
    execute_many(session, insert(_TABLE), rows)


@dataclass(frozen=True)
class Outcome:
    """One attempt: when (on the emulator's clock), the answer's status, why it failed."""

    at: datetime
    status_code: int | None
    error: str | None
    elapsed_ms: int
    final: bool = False  # refused: no retry can change it

    @property
    def delivered(self) -> bool:
        return self.error is None


class RedeliveryRefused(Exception):
    """The delivery is still pending: it will be attempted anyway."""


class CallbackDispatcher:
    def __init__(self, db: Database, clock: Clock, settings: Settings, targets: CallbackTargets | None = None) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings
        self._targets = targets or CallbackTargets(settings.callback_hosts, settings.host, settings.port)
        self._posting: Poster | None = None
        # Names this dispatcher in the leases it takes (unique across processes and restarts).
        self.owner = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        # The background path (``start_due``): ordering keys being drained by this process's
        # workers, and how many of them each tenant has, so one tenant never holds them all.
        self._guard = threading.Lock()
        self._draining: dict[str, tuple[str, str]] = {}
        self._per_tenant: Counter[tuple[str, str]] = Counter()
        self._queue: queue.SimpleQueue[Row | None] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []

    # --- sending -------------------------------------------------------------------------------

    def deliver_due(self, now: datetime) -> None:
        """One pass: every URL whose oldest pending delivery is due gets it, then the next ones
        that are due, in order, until one fails. Different URLs are served side by side."""
        heads = self._due_heads(now)
        if not heads:
            return
        if len(heads) == 1:
            self._drain(heads[0])
            return
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_URLS, len(heads)), thread_name_prefix="callback") as pool:
            list(pool.map(self._drain, heads))

    def start_due(self, now: datetime) -> int:
        """Hand every URL whose oldest pending delivery is due to the worker pool and return at
        once (how many were handed over): each worker drains its URL as ``deliver_due`` does, so
        a receiver that never answers holds one worker for one attempt timeout and nothing else.
        A tenant gets at most a quarter of the workers (at least one)."""
        heads = self._due_heads(now)
        if not heads:
            return 0
        workers = self._settings.callback_workers
        per_tenant = max(1, workers // 4)
        started = 0
        with self._guard:
            while len(self._workers) < workers:
                worker = threading.Thread(target=self._work, name=f"callback-{len(self._workers)}", daemon=True)
                worker.start()
                self._workers.append(worker)
            for head in heads:
                scope = (head.provider, head.tenant)
                if head.ordering_key in self._draining or self._per_tenant[scope] >= per_tenant:
                    continue
                self._draining[head.ordering_key] = scope
                self._per_tenant[scope] += 1
                self._queue.put(head)
                started += 1
        return started

    def _work(self) -> None:
        # Daemon threads: a process that stops does not wait for a receiver that never answers
        # (the lease hands an unfinished delivery to another process, or to this one on restart).
        while (head := self._queue.get()) is not None:
            try:
                self._drain(head)
            except Exception:  # a broken row or a lost database must not kill the worker
                log.exception("callback delivery to %s failed", head.url)
            finally:
                with self._guard:
                    scope = self._draining.pop(head.ordering_key)
                    self._per_tenant[scope] -= 1
                    if not self._per_tenant[scope]:
                        del self._per_tenant[scope]

    def in_progress(self, provider: str | None = None, tenant: str | None = None) -> tuple[int, int]:
        """(in flight, due): deliveries of the scope some process is sending now (an unexpired
        lease), and heads that are due and not taken yet. Both 0: every due delivery has been
        attempted, whichever process sent it. One statement, so one snapshot: only heads are
        ever leased, and a head handed from "due" to "in flight" is seen as one or the other."""
        wall = _wall_now()
        params: dict[str, object] = {"now": self._clock.latest_now(), "wall": wall}
        if provider is not None:
            params["provider"] = provider
        if tenant is not None:
            params["tenant"] = tenant
        statement = _heads_of_scope(provider is not None, tenant is not None)
        with self._db.engine.connect() as connection:
            heads = connection.execute(statement, params).all()
        in_flight = due = 0
        for head in heads:
            if head.lease_expires_at is not None and _aware(head.lease_expires_at) >= wall:
                in_flight += 1
            elif self._is_due(head):
                due += 1
        return in_flight, due

    def settle(self, provider: str | None = None, tenant: str | None = None, timeout: float = 30.0) -> tuple[int, int]:
        """Wait (starting due deliveries here) until the scope has nothing in flight and nothing
        due, or ``timeout`` real seconds have passed; what ``in_progress`` says at the end."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.in_progress(provider, tenant)
            if state == (0, 0) or time.monotonic() >= deadline:
                return state
            if state[1]:
                self.start_due(self._clock.latest_now())
            time.sleep(0.01)

    def _due_heads(self, now: datetime) -> list[Row]:
        """Heads due by ``now`` (the latest of every clock) that no process is sending (no
        unexpired lease), each then held to its own tenant's clock: plain rows, read by a
        statement made once (every tick asks, and most ticks find none)."""
        with self._db.engine.connect() as connection:
            heads = connection.execute(_DUE_HEADS, {"now": now, "wall": _wall_now()}).all()
        return [head for head in heads if self._is_due(head)]

    def _is_due(self, delivery: Row) -> bool:
        due = delivery.next_attempt_at
        return due is not None and _aware(due) <= self._clock.now(delivery.provider, delivery.tenant)

    def _claim(self, *deliveries: CallbackDelivery | Row) -> bool:
        """Take the lease on pending deliveries unless another process holds an unexpired one on
        any of them: one atomic conditional UPDATE, all or none, so of several processes trying
        at once exactly one wins."""
        wall = _wall_now()
        ids = [delivery.id for delivery in deliveries]
        table = _TABLE
        statement = (
            update(table)
            .where(
                table.c.id.in_(ids),
                table.c.status == PENDING,
                or_(table.c.lease_expires_at.is_(None), table.c.lease_expires_at < wall),
            )
            .values(lease_owner=self.owner, lease_expires_at=wall + timedelta(seconds=self._lease_seconds()))
        )
        with self._db.engine.connect() as connection:
            claimed = connection.execute(statement).rowcount == len(ids)
            if claimed:
                connection.commit()
            else:
                connection.rollback()
        return claimed

    def _lease_seconds(self) -> float:
        # Never shorter than an attempt may take, or a slow receiver would be sent to twice.
        return max(self._settings.callback_lease_seconds, self._settings.callback_timeout_seconds * 2)

    def _due_run(self, ordering_key: str) -> list[Row]:
        """The key's oldest pending deliveries that are due, in order, up to ``CLAIM_BATCH``: plain
        rows (no ORM objects), as the run only reads them and writes them back by id."""
        table = _TABLE
        with self._db.engine.connect() as connection:
            rows = connection.execute(
                select(*_RUN_COLUMNS)
                .where(table.c.status == PENDING, table.c.ordering_key == ordering_key)
                .order_by(table.c.id)
                .limit(CLAIM_BATCH)
            ).all()
        run = []
        for row in rows:
            if not self._is_due(row):
                break
            run.append(row)
        return run

    def _drain(self, head: Row) -> None:
        """Send a URL's due deliveries in order until one fails: claimed a run at a time (one
        UPDATE), sent one by one over a kept-alive connection, recorded a run at a time (one
        transaction). A run stops early when its lease would run out before another attempt."""
        budget = self._lease_seconds() - self._settings.callback_timeout_seconds
        while True:
            run = self._due_run(head.ordering_key)
            if not run or not self._claim(*run):
                return
            claimed_at = time.monotonic()
            outcomes: list[tuple[Row, Outcome]] = []
            for delivery in run:
                if outcomes and time.monotonic() - claimed_at > budget:
                    break
                outcome = self._attempt(delivery)
                outcomes.append((delivery, outcome))
                if not outcome.delivered:
                    break
            self._record(outcomes, released=[row.id for row in run[len(outcomes) :]])
            if not outcomes[-1][1].delivered:
                return

    def _poster(self) -> Poster:
        if self._posting is None:
            # Imported with the first delivery: a server that sends no callback never needs h11.
            from emulator.core.posting import Poster

            # Kept-alive connections: a URL's run reuses one.
            self._posting = Poster(
                timeout=self._settings.callback_timeout_seconds,
                max_answer_bytes=MAX_ANSWER_BYTES,
                max_idle=self._settings.callback_workers * 2,
            )
        return self._posting

    def _attempt(self, delivery: Row) -> Outcome:
        """POST once; what happened (recorded by the caller)."""
        attempted_at = self._clock.now(delivery.provider, delivery.tenant)
        started = time.monotonic()
        headers = {
            "Content-Type": delivery.content_type,
            "User-Agent": USER_AGENT,
            "X-Emulator-Delivery": str(delivery.id),
            "X-Emulator-Attempt": str(delivery.attempt_count + 1),
        }
        refusal = self._targets.refusal(delivery.url)
        if refusal is not None:  # never sent; no retry can change where the name points now
            log.warning("callback %s to %s refused: %s", delivery.id, delivery.url, refusal)
            return Outcome(attempted_at, None, f"refused: {refusal}", 0, final=True)
        answer = self._poster().post(delivery.url, delivery.payload, headers)
        status_code, error = answer.status_code, answer.error
        if error is not None and len(error) > MAX_ERROR_LENGTH:
            error = error[:MAX_ERROR_LENGTH]
        if error is not None:
            log.info("callback %s to %s failed: %s", delivery.id, delivery.url, error)
        return Outcome(attempted_at, status_code, error, round((time.monotonic() - started) * 1000))

    def _record(self, outcomes: list[tuple[Row, Outcome]], released: list[int]) -> None:
        """Every attempt of a run and its delivery's new state in one transaction (one statement
        for all), the leases of the run's unsent deliveries given back. The new state is worked
        out from the rows as claimed: while the lease is held nothing else writes them, and a
        row dropped or replaced meanwhile (reset, restore) no longer carries this lease, so it is
        left alone."""
        settings = self._settings
        changes = []
        for sent, outcome in outcomes:
            attempt_count = sent.attempt_count + 1
            attempt = {
                "attempt": attempt_count,
                "at": outcome.at.isoformat(),
                "status_code": outcome.status_code,
                "error": outcome.error,
                "duration_ms": outcome.elapsed_ms,
            }
            change = {
                "b_id": sent.id,
                "b_attempt_count": attempt_count,
                "b_attempts": [*sent.attempts, attempt][-MAX_HISTORY:],
                "b_failures": sent.failures,
                "b_status": PENDING,
                "b_delivered_at": sent.delivered_at,
                "b_next_attempt_at": None,
            }
            if outcome.delivered:
                change.update(b_status=DELIVERED, b_delivered_at=outcome.at)
            else:
                failures = sent.failures + 1
                change["b_failures"] = failures
                if outcome.final or failures >= settings.callback_max_attempts:
                    change["b_status"] = FAILED
                else:
                    backoff = min(
                        settings.callback_backoff_seconds * 2 ** (failures - 1),
                        settings.callback_backoff_max_seconds,
                    )
                    change["b_next_attempt_at"] = outcome.at + timedelta(seconds=backoff)
            changes.append(change)
        table = _TABLE
        with self._db.engine.begin() as connection:
            if changes:
                connection.execute(
                    update(table)
                    .where(table.c.id == bindparam("b_id"), table.c.lease_owner == self.owner)
                    .values(
                        attempt_count=bindparam("b_attempt_count"),
                        attempts=bindparam("b_attempts"),
                        failures=bindparam("b_failures"),
                        status=bindparam("b_status"),
                        delivered_at=bindparam("b_delivered_at"),
                        next_attempt_at=bindparam("b_next_attempt_at"),
                        lease_owner=None,
                        lease_expires_at=None,
                    ),
                    changes,
                )
            if released:
                connection.execute(
                    update(table)
                    .where(table.c.id.in_(released), table.c.lease_owner == self.owner)
                    .values(lease_owner=None, lease_expires_at=None)
                )

    def close(self) -> None:
        with self._guard:
            for _worker in self._workers:
                self._queue.put(None)
            self._workers.clear()
        if self._posting is not None:
            self._posting.close()
            self._posting = None

    # --- inspection and control ----------------------------------------------------------------

    def list(
        self,
        *,
        provider: str | None = None,
        tenant: str | None = None,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[CallbackDelivery]:
        statement = select(CallbackDelivery)
        if provider is not None:
            statement = statement.where(CallbackDelivery.provider == provider)
        if tenant is not None:
            statement = statement.where(CallbackDelivery.tenant == tenant)
        if status is not None:
            statement = statement.where(CallbackDelivery.status == status)
        with self._db.session() as session:
            return session.exec(statement.order_by(col(CallbackDelivery.id)).offset(offset).limit(limit)).all()

    def redeliver(self, delivery_id: int) -> CallbackDelivery | None:
        """Schedule a failed (or delivered) delivery again, due now, with a fresh attempt budget."""
        with self._db.session() as session:
            delivery = session.get(CallbackDelivery, delivery_id)
            if delivery is None:
                return None
            if delivery.status == PENDING:
                raise RedeliveryRefused(delivery_id)
            delivery.status = PENDING
            delivery.failures = 0
            delivery.next_attempt_at = self._clock.now(delivery.provider, delivery.tenant)
            session.add(delivery)
            session.commit()
            return delivery
