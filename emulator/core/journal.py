"""The request journal: the last N provider requests and their answers, for tests to assert on.

Kept in memory (a bounded deque behind a lock): recording costs no database write on the hot path,
the bound holds memory flat however long the emulator runs (the oldest entry goes first), and the
journal is lost on restart, which suits what it is for (asserting on the calls a test just made).
Credentials are masked as they are recorded (``SECRET_HEADERS``, and ``SECRET_FIELDS`` in JSON and
form bodies and query strings, both ways): anyone who reaches the control plane can read the
journal, and a shared sandbox's tenants should not learn each other's secrets from it.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from emulator.core.scope import DROPPED_KEY, FAULT_KEY, TENANT_KEY, path_matches
from emulator.core.traffic import Traffic


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


class Journal:
    def __init__(self, size: int, body_bytes: int) -> None:
        self.size = size
        self.body_bytes = body_bytes
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def record(self, **fields) -> None:
        with self._lock:
            self._entries.append(JournalEntry(id=next(self._ids), **fields))

    def find(self, query: JournalFilter, limit: int | None = None) -> list[JournalEntry]:
        """Matching entries, oldest first; with ``limit``, the most recent ``limit`` of them."""
        with self._lock:
            entries = list(self._entries)
        found = [entry for entry in entries if query.matches(entry)]
        return found[-limit:] if limit else found

    def count(self, query: JournalFilter) -> int:
        with self._lock:
            return sum(1 for entry in self._entries if query.matches(entry))

    def clear(self, query: JournalFilter = JournalFilter()) -> int:
        with self._lock:
            kept = [entry for entry in self._entries if not query.matches(entry)]
            cleared = len(self._entries) - len(kept)
            self._entries = deque(kept, maxlen=self.size)
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


MASK = "***"
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-auth-password", "x-auth-secret"}
)
SECRET_FIELDS = ("client_secret", "password", "secret", "access_token", "refresh_token")
_FIELD_NAMES = "|".join(SECRET_FIELDS)
# A JSON string member or a form/query pair whose name is a secret field; the value is replaced,
# the rest of the text (spacing, order, other fields) stays exactly as sent.
_SECRET_JSON = re.compile(rf'("(?:{_FIELD_NAMES})"\s*:\s*)"(?:[^"\\]|\\.)*"')
_SECRET_PAIR = re.compile(rf"(^|&)((?:{_FIELD_NAMES})=)[^&]*")


def mask_text(text: str) -> str:
    """``text`` with the values of secret JSON members and form or query fields masked."""
    if not any(name in text for name in SECRET_FIELDS):
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
                response_body=mask_text(response_body.text()),
                response_body_truncated=response_body.truncated,
                duration_ms=round(elapsed * 1000, 3),
                fault_id=state.get(FAULT_KEY),
            )
