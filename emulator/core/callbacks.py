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

import httpx
from sqlalchemy import JSON, Column, Index, LargeBinary, func, insert, or_, update
from sqlmodel import Field, Session, SQLModel, col, select

import emulator
from emulator.core.bulk import execute_many
from emulator.core.clock import Clock
from emulator.core.db import Database, empty_list, table_of
from emulator.core.targets import CallbackTargets
from emulator.settings import Settings

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
# Bytes of a receiver's answer read to keep its connection alive.
MAX_ANSWER_BYTES = 65_536


class CallbackDelivery(SQLModel, table=True):
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


_OUTBOX = table_of(CallbackDelivery)


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
    execute_many(session, insert(_OUTBOX), rows)


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
        self._client: httpx.Client | None = None
        # Names this dispatcher in the leases it takes (unique across processes and restarts).
        self.owner = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        # The background path (``start_due``): ordering keys being drained by this process's
        # workers, and how many of them each tenant has, so one tenant never holds them all.
        self._guard = threading.Lock()
        self._draining: dict[str, tuple[str, str]] = {}
        self._per_tenant: Counter[tuple[str, str]] = Counter()
        self._queue: queue.SimpleQueue[CallbackDelivery | None] = queue.SimpleQueue()
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
        oldest_pending = select(func.min(CallbackDelivery.id)).where(CallbackDelivery.status == PENDING)
        if provider is not None:
            oldest_pending = oldest_pending.where(CallbackDelivery.provider == provider)
        if tenant is not None:
            oldest_pending = oldest_pending.where(CallbackDelivery.tenant == tenant)
        statement = select(CallbackDelivery).where(
            col(CallbackDelivery.id).in_(oldest_pending.group_by(CallbackDelivery.ordering_key)),
            or_(
                col(CallbackDelivery.next_attempt_at) <= self._clock.latest_now(),
                col(CallbackDelivery.lease_expires_at) >= wall,
            ),
        )
        with self._db.session() as session:
            heads = session.exec(statement).all()
        in_flight = [
            head for head in heads if head.lease_expires_at is not None and _aware(head.lease_expires_at) >= wall
        ]
        due = [head for head in heads if head not in in_flight and self._is_due(head)]
        return len(in_flight), len(due)

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

    def _due_heads(self, now: datetime, limit: int = HEADS_PER_PASS) -> list[CallbackDelivery]:
        """Heads due by ``now`` (the latest of every clock) that no process is sending (no
        unexpired lease), each then held to its own tenant's clock."""
        oldest_pending = (
            select(func.min(CallbackDelivery.id))
            .where(CallbackDelivery.status == PENDING)
            .group_by(CallbackDelivery.ordering_key)
        )
        wall = _wall_now()
        statement = (
            select(CallbackDelivery)
            .where(
                col(CallbackDelivery.id).in_(oldest_pending),
                col(CallbackDelivery.next_attempt_at) <= now,
                or_(col(CallbackDelivery.lease_expires_at).is_(None), col(CallbackDelivery.lease_expires_at) < wall),
            )
            .order_by(col(CallbackDelivery.id))
            .limit(limit)
        )
        with self._db.session() as session:
            heads = session.exec(statement).all()
        return [head for head in heads if self._is_due(head)]

    def _is_due(self, delivery: CallbackDelivery) -> bool:
        due = delivery.next_attempt_at
        return due is not None and _aware(due) <= self._clock.now(delivery.provider, delivery.tenant)

    def _claim(self, *deliveries: CallbackDelivery) -> bool:
        """Take the lease on pending deliveries unless another process holds an unexpired one on
        any of them: one atomic conditional UPDATE, all or none, so of several processes trying
        at once exactly one wins."""
        wall = _wall_now()
        ids = [delivery.id for delivery in deliveries]
        statement = (
            update(CallbackDelivery)
            .where(
                col(CallbackDelivery.id).in_(ids),
                col(CallbackDelivery.status) == PENDING,
                or_(col(CallbackDelivery.lease_expires_at).is_(None), col(CallbackDelivery.lease_expires_at) < wall),
            )
            .values(lease_owner=self.owner, lease_expires_at=wall + timedelta(seconds=self._lease_seconds()))
        )
        with self._db.session() as session:
            claimed = session.exec(statement).rowcount == len(ids)  # type: ignore[call-overload]
            if claimed:
                session.commit()
            else:
                session.rollback()
        return claimed

    def _lease_seconds(self) -> float:
        # Never shorter than an attempt may take, or a slow receiver would be sent to twice.
        return max(self._settings.callback_lease_seconds, self._settings.callback_timeout_seconds * 2)

    def _due_run(self, ordering_key: str) -> list[CallbackDelivery]:
        """The key's oldest pending deliveries that are due, in order, up to ``CLAIM_BATCH``."""
        with self._db.session() as session:
            rows = session.exec(
                select(CallbackDelivery)
                .where(CallbackDelivery.status == PENDING, CallbackDelivery.ordering_key == ordering_key)
                .order_by(col(CallbackDelivery.id))
                .limit(CLAIM_BATCH)
            ).all()
        run = []
        for row in rows:
            if not self._is_due(row):
                break
            run.append(row)
        return run

    def _drain(self, head: CallbackDelivery) -> None:
        """Send a URL's due deliveries in order until one fails: claimed a run at a time (one
        UPDATE), sent one by one over a kept-alive connection, recorded a run at a time (one
        transaction). A run stops early when its lease would run out before another attempt."""
        budget = self._lease_seconds() - self._settings.callback_timeout_seconds
        while True:
            run = self._due_run(head.ordering_key)
            if not run or not self._claim(*run):
                return
            claimed_at = time.monotonic()
            outcomes: list[tuple[CallbackDelivery, Outcome]] = []
            for delivery in run:
                if outcomes and time.monotonic() - claimed_at > budget:
                    break
                outcome = self._attempt(delivery)
                outcomes.append((delivery, outcome))
                if not outcome.delivered:
                    break
            self._record(outcomes, released=[d.id for d in run[len(outcomes) :]])
            if not outcomes[-1][1].delivered:
                return

    def _http(self) -> httpx.Client:
        if self._client is None:
            timeout = self._settings.callback_timeout_seconds
            # No proxies from the environment: receivers are usually on this machine or network.
            # Kept-alive connections: a URL's run reuses one.
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=self._settings.callback_workers * 2)
            self._client = httpx.Client(timeout=timeout, trust_env=False, follow_redirects=False, limits=limits)
        return self._client

    def _attempt(self, delivery: CallbackDelivery) -> Outcome:
        """POST once; what happened (recorded by the caller)."""
        attempted_at = self._clock.now(delivery.provider, delivery.tenant)
        started = time.monotonic()
        status_code: int | None = None
        error: str | None = None
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
        try:
            with self._http().stream("POST", delivery.url, content=delivery.payload, headers=headers) as response:
                status_code = response.status_code
                # The answer's body does not matter; a short one is read so the connection is kept
                # for the next delivery, a long one is not (the connection is closed instead).
                read = 0
                for chunk in response.iter_raw():
                    read += len(chunk)
                    if read > MAX_ANSWER_BYTES:
                        break
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except httpx.TimeoutException:
            error = "timed out"
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
        if error is not None:
            log.info("callback %s to %s failed: %s", delivery.id, delivery.url, error)
        return Outcome(attempted_at, status_code, error, round((time.monotonic() - started) * 1000))

    def _record(self, outcomes: list[tuple[CallbackDelivery, Outcome]], released: list[int | None]) -> None:
        """Every attempt of a run and its delivery's new state in one transaction; the leases of
        the run's unsent deliveries given back."""
        settings = self._settings
        with self._db.session() as session:
            current = {
                row.id: row
                for row in session.exec(
                    select(CallbackDelivery).where(col(CallbackDelivery.id).in_([d.id for d, _ in outcomes]))
                )
            }
            for sent, outcome in outcomes:
                delivery = current.get(sent.id)
                if delivery is None:  # dropped by a reset while in flight
                    continue
                delivery.attempt_count += 1
                delivery.lease_owner = None
                delivery.lease_expires_at = None
                attempt = {
                    "attempt": delivery.attempt_count,
                    "at": outcome.at.isoformat(),
                    "status_code": outcome.status_code,
                    "error": outcome.error,
                    "duration_ms": outcome.elapsed_ms,
                }
                delivery.attempts = [*delivery.attempts, attempt][-MAX_HISTORY:]
                if outcome.delivered:
                    delivery.status = DELIVERED
                    delivery.delivered_at = outcome.at
                    delivery.next_attempt_at = None
                else:
                    delivery.failures += 1
                    if outcome.final or delivery.failures >= settings.callback_max_attempts:
                        delivery.status = FAILED
                        delivery.next_attempt_at = None
                    else:
                        backoff = min(
                            settings.callback_backoff_seconds * 2 ** (delivery.failures - 1),
                            settings.callback_backoff_max_seconds,
                        )
                        delivery.next_attempt_at = outcome.at + timedelta(seconds=backoff)
                session.add(delivery)
            if released:
                session.exec(
                    update(CallbackDelivery)  # type: ignore[call-overload]
                    .where(col(CallbackDelivery.id).in_(released), col(CallbackDelivery.lease_owner) == self.owner)
                    .values(lease_owner=None, lease_expires_at=None)
                )
            session.commit()

    def close(self) -> None:
        with self._guard:
            for _worker in self._workers:
                self._queue.put(None)
            self._workers.clear()
        if self._client is not None:
            self._client.close()
            self._client = None

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
