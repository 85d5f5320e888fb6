"""Fault injection: rules that make matching provider requests slow, fail with the provider's own
error body, or lose their connection, with a probability and an optional count.

A rule matches on provider, method, a glob of the path below the provider prefix, and tenant.
Rules without a tenant are decided at the door, before the provider sees the request. The tenant
is only known once the provider has read the credentials, so tenant rules are decided then: the
middleware leaves a gate in the request scope that ``Tenants.enter`` calls with the tenant (every
provider calls it once per request). A fault decided there aborts the handler before it touches
state; the middleware then answers for it. So no provider needs its own hook, and a tenant rule
applies exactly to requests that authenticate as that tenant.

Rules live in the store, so every process on one database applies the same rules. Each process
keeps the rule list in memory for the hot path (no rules: one attribute read per request) and drops
it when the shared revision moves (a rule added, removed or cleared anywhere). A firing is claimed
in the store with one atomic conditional UPDATE (``fired < count``), so a rule's ``count`` holds
once overall, however many processes serve its requests. Probability and latency are rolled by
each process from the rule's own random stream.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, RowMapping, Text, delete, or_, update
from sqlalchemy import select as select_rows
from sqlmodel import Field, col

from emulator.core.db import Database, StoredModel, table_of
from emulator.core.scope import DROPPED_KEY, FAULT_KEY, TENANT_GATE_KEY, path_matches
from emulator.core.threads import in_thread
from emulator.core.traffic import Traffic

LATENCY, ERROR, DROP = "latency", "error", "drop"
DEFAULT_RETRY_AFTER_SECONDS = 1


class InjectedFault(Exception):
    """Raised through the provider's handler when a tenant rule fires: its work must not happen."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(f"fault rule {fault.rule_id}")
        self.fault = fault


class ConnectionDropped(Exception):
    """Ends a request whose connection a fault rule drops."""


@dataclass(frozen=True)
class Fault:
    """What one firing of a rule does to one request."""

    rule_id: int
    kind: str
    status: int
    retry_after: int | None
    delay_seconds: float


class FaultRuleRow(StoredModel, table=True):
    __tablename__ = "emulator_fault_rule"
    # Ids never go back, so a removed rule's id never names another one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    provider: str | None = Field(default=None, max_length=32)
    method: str | None = Field(default=None, max_length=16)
    path: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    tenant: str | None = Field(default=None, max_length=255)
    status: int = 500
    retry_after: int | None = None
    latency_ms: int = 0
    jitter_ms: int = 0
    probability: float = 1.0
    count: int | None = None
    seed: int | None = None
    fired: int = 0


_RULES_TABLE = table_of(FaultRuleRow)
_RULE_COLUMNS = tuple(column.key for column in _RULES_TABLE.columns)
_RULES = select_rows(_RULES_TABLE).order_by(_RULES_TABLE.c.id)


@dataclass
class FaultRule:
    """A rule as this process uses it: its stored row (what was asked for), how often it has
    fired as last seen, and its own random stream."""

    row: FaultRuleRow
    fired: int = 0
    _random: random.Random = field(default_factory=random.Random, repr=False)

    @property
    def id(self) -> int:
        assert self.row.id is not None
        return self.row.id

    @property
    def tenant(self) -> str | None:
        return self.row.tenant

    @property
    def remaining(self) -> int | None:
        return None if self.row.count is None else self.row.count - self.fired

    def matches(self, provider: str, method: str, path: str) -> bool:
        row = self.row
        return (
            self.remaining != 0
            and (row.provider is None or row.provider == provider)
            and (row.method is None or row.method == method)
            and path_matches(row.path, path)
        )

    def roll(self) -> Fault | None:
        """Whether the rule fires for this request (its own random stream, so a seeded rule is
        reproducible whatever other rules do)."""
        row = self.row
        if self.remaining == 0 or self._random.random() >= row.probability:
            return None
        delay = (row.latency_ms + self._random.uniform(0, row.jitter_ms)) / 1000
        return Fault(self.id, row.kind, row.status, row.retry_after, delay)


class Faults:
    def __init__(
        self, default_seed: int | None, db: Database | None = None, on_change: Callable[[], None] = lambda: None
    ) -> None:
        self._default_seed = default_seed
        if db is None:  # on its own (a test of the rules alone): a private in-memory store
            db = Database("sqlite://")
            table_of(FaultRuleRow).create(db.engine, checkfirst=True)
        self._db = db
        self._on_change = on_change
        # This process's copy of the rules (None: to be read again); rules keep their random streams.
        self._cache: builtins.list[FaultRule] | None = None
        self._known: dict[int, FaultRule] = {}
        self._lock = threading.Lock()
        # Counts the times the copy was dropped: a reload that read the store before a change must
        # not keep its older rules over the change.
        self._dropped = 0

    @property
    def active(self) -> bool:
        """Whether any rule exists (the hot path's one question when none does)."""
        rules = self._cache
        return bool(rules if rules is not None else self._reload())

    def forget(self) -> None:
        """Drop the cached rules: another process changed them (the shared revision moved)."""
        self._drop()

    def _drop(self) -> None:
        with self._lock:
            self._cache = None
            self._dropped += 1

    def _rule(self, row: Mapping[str, Any] | RowMapping) -> FaultRule:
        """The rule of a stored row's values: made the first time its id is seen, then kept."""
        rule = self._known.get(row["id"])
        if rule is None:
            rule = FaultRule(FaultRuleRow(**row))
            if rule.row.seed is not None:
                rule._random = random.Random(rule.row.seed)
            elif self._default_seed is not None:
                # Under the global seed each rule still gets a stream of its own, reproducibly.
                rule._random = random.Random(f"{self._default_seed}:{rule.id}")
            self._known[rule.id] = rule
        rule.fired = row["fired"]
        return rule

    def _reload(self) -> builtins.list[FaultRule]:
        dropped = self._dropped
        # Plain rows, not an ORM query: the first request of every process asks (most often to
        # find none), and the first ORM query of a process sets up every table's mapping.
        with self._db.session() as session:
            rows = session.connection().execute(_RULES).mappings().all()
        with self._lock:
            rules = [self._rule(row) for row in rows]
            self._known = {rule.id: rule for rule in rules}
            if dropped == self._dropped:  # else a change came meanwhile: the next request reads again
                self._cache = rules
        return rules

    def _changed(self) -> None:
        self._drop()
        self._on_change()

    def add(self, **spec) -> FaultRule:
        with self._db.session() as session:
            row = FaultRuleRow(**spec)
            session.add(row)
            session.commit()
            session.refresh(row)
        with self._lock:
            rule = self._rule({name: getattr(row, name) for name in _RULE_COLUMNS})
        self._changed()
        return rule

    def list(self) -> builtins.list[FaultRule]:
        return self._reload()

    def get(self, rule_id: int) -> FaultRule | None:
        return next((rule for rule in self._reload() if rule.id == rule_id), None)

    def remove(self, rule_id: int) -> FaultRule | None:
        rule = self.get(rule_id)
        if rule is not None:
            with self._db.session() as session:
                removed = session.execute(delete(FaultRuleRow).where(col(FaultRuleRow.id) == rule_id)).rowcount  # type: ignore[attr-defined]
                session.commit()
            self._changed()
            if not removed:  # another process removed it first
                return None
        return rule

    def clear(self, provider: str | None = None, tenant: str | None = None) -> int:
        """Remove every rule, or those of one provider and/or one tenant."""
        statement = delete(FaultRuleRow)
        if provider is not None:
            statement = statement.where(col(FaultRuleRow.provider) == provider)
        if tenant is not None:
            statement = statement.where(col(FaultRuleRow.tenant) == tenant)
        with self._db.session() as session:
            removed = session.execute(statement).rowcount  # type: ignore[attr-defined]
            session.commit()
        if removed:
            self._changed()
        return removed

    def candidates(self, provider: str, method: str, path: str) -> builtins.list[FaultRule]:
        rules = self._cache
        if rules is None:
            rules = self._reload()
        return [rule for rule in rules if rule.matches(provider, method, path)]

    def _claim(self, rule: FaultRule) -> bool:
        """Count one firing in the store unless the rule is used up (or gone) there."""
        table = table_of(FaultRuleRow)
        statement = (
            update(table)
            .where(table.c.id == rule.id, or_(table.c.count.is_(None), table.c.fired < table.c.count))
            .values(fired=table.c.fired + 1)
        )
        with self._db.session() as session:
            claimed = session.execute(statement).rowcount == 1  # type: ignore[attr-defined]
            session.commit()
        with self._lock:
            if claimed:
                rule.fired += 1
            elif rule.row.count is not None:
                rule.fired = rule.row.count  # used up elsewhere: this process stops trying it
        return claimed

    def decide(self, rules: builtins.list[FaultRule]) -> Fault | None:
        """The first of the rules (in creation order) that fires."""
        for rule in rules:
            with self._lock:
                fault = rule.roll()
            if fault is not None and self._claim(rule):
                return fault
        return None


class _DropLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


def quiet_dropped_connections() -> None:
    """A dropped connection is a test's request, not a server error: keep it out of the error log."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(existing, _DropLogFilter) for existing in logger.filters):
        logger.addFilter(_DropLogFilter())


class FaultInjection:
    """ASGI middleware applying the fault rules to provider requests."""

    def __init__(self, app, faults: Faults, traffic: Traffic, max_body_bytes: int) -> None:
        self.app = app
        self._faults = faults
        self._traffic = traffic
        self._max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send) -> None:
        target = self._traffic.classify(scope) if scope["type"] == "http" and self._faults.active else None
        rules = self._faults.candidates(target.provider.name, scope["method"], target.path) if target else []
        if target is None or not rules:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        body = _BodyTracker(receive)
        door_rules = [rule for rule in rules if rule.tenant is None]
        fault = await in_thread(self._faults.decide, door_rules) if door_rules else None
        if fault is not None:
            state[FAULT_KEY] = fault.rule_id
            await asyncio.sleep(fault.delay_seconds)
            if fault.kind == LATENCY:
                await self.app(scope, receive, send)
            else:
                await self._answer(fault, target.provider, scope, body, send)
            return
        tenant_rules = [rule for rule in rules if rule.tenant is not None]
        if not tenant_rules:
            await self.app(scope, receive, send)
            return

        decided: list[Fault] = []

        def gate(tenant: str) -> None:
            fault = self._faults.decide([rule for rule in tenant_rules if rule.tenant == tenant])
            if fault is not None:
                decided.append(fault)
                state[FAULT_KEY] = fault.rule_id
                if fault.kind != LATENCY:
                    raise InjectedFault(fault)

        async def gated_send(message) -> None:
            if decided:
                if decided[0].kind != LATENCY:
                    return  # the provider app's own error page for the aborted handler is not sent
                if message["type"] == "http.response.start":
                    await asyncio.sleep(decided[0].delay_seconds)
            await send(message)

        state[TENANT_GATE_KEY] = gate
        try:
            await self.app(scope, body.receive, gated_send)
        except InjectedFault as injected:
            await asyncio.sleep(injected.fault.delay_seconds)
            await self._answer(injected.fault, target.provider, scope, body, send)

    async def _answer(self, fault: Fault, provider, scope, body: _BodyTracker, send) -> None:
        # Read the body first (within the usual limit), as a real server does before failing, so
        # the client finishes sending and the journal sees what it sent.
        await body.drain(self._max_body_bytes)
        if fault.kind == DROP:
            scope["state"][DROPPED_KEY] = True
            try:
                # uvicorn writes nothing for a status line it cannot print and, when the app then
                # fails, closes the connection: the client sees it drop with no response at all.
                await send({"type": "http.response.start", "status": 0, "headers": []})
            except Exception:
                pass
            raise ConnectionDropped(f"fault rule {fault.rule_id} dropped the connection")
        response = provider.errors.status(fault.status)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        elif fault.status == 429 and "retry-after" not in response.headers:
            response.headers["Retry-After"] = str(DEFAULT_RETRY_AFTER_SECONDS)
        await response(scope, body.receive, send)


class _BodyTracker:
    """Knows whether the request body has been read to its end, so it is drained only once."""

    def __init__(self, receive) -> None:
        self._receive = receive
        self.complete = False

    async def receive(self):
        message = await self._receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.complete = True
        return message

    async def drain(self, limit: int) -> None:
        size = 0
        while not self.complete and size <= limit:
            message = await self.receive()
            size += len(message.get("body", b""))
