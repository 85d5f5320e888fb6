"""Hot routes: a provider's documented GETs answered by pure ASGI, ahead of FastAPI's routing and
dependency solving (which cost a request more than its whole query and rendering).

The dispatcher sits inside the emulator's middlewares (virtual hosts, guard, journal, metrics,
faults), so every request it answers is journaled, counted and faulted like any other. A provider
registers its hot routes through its ``Provider`` contract; each route's ``answer`` either
returns the provider's own response or ``None``, and ``None`` hands the request on to the FastAPI
route unchanged: a hot route answers only the plain, well-formed case (accepted credentials, the
documented parameters) and leaves every refusal to the route, so error bodies stay the route's.
It must decide that before it names the tenant (tenant fault rules act then, once).

Answers may be kept in a render cache keyed by the store's version (``FastReader.data_version``:
the SQLite file's wal-index header): any write, by this process or another one sharing the file,
changes the version and so empties the cache before the next read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.core.fastread import reader
from emulator.core.http import BodyError, parse_json, replaying
from emulator.core.streaming import ChunkedResponse

if TYPE_CHECKING:
    from emulator.core.context import ProviderContext


T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
Answer = Callable[["HotRequest"], Awaitable[Response | None]]


@dataclass(frozen=True)
class HotRoute:
    """One documented GET: its path below the provider prefix, ``{name}`` for a segment."""

    path: str
    answer: Answer
    method: str = "GET"
    body: bool = False
    """Whether the request's body is read for it (``HotRequest.body``); otherwise a request
    with a body is the FastAPI route's."""
    template: str = ""
    """The FastAPI route's path template, which the metrics file requests under, when not ``path``."""

    @property
    def filed_as(self) -> _Filed:
        return _Filed(self.template or self.path)


@dataclass(frozen=True)
class _Filed:
    """Stands for the FastAPI route in the scope (``scope["route"].path``), for the metrics."""

    path: str


_SEGMENT = re.compile(r"\{(\w+)\}")

MAX_CACHED_BODY = 262_144
"""Larger answers are rendered each time rather than kept."""
MAX_CACHED_ANSWERS = 4096


def _pattern(path: str) -> re.Pattern[str]:
    """Starlette's own reading of a ``{name}`` segment: one or more characters but ``/``."""
    parts = _SEGMENT.split(path)
    text = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(text)


class RenderCache:
    """Rendered answers (or what a route needs to answer, e.g. a credential's row) valid while
    the store's version stays the same."""

    def __init__(self) -> None:
        self._version: Hashable | None = None
        self._answers: dict[Hashable, Any] = {}

    def lookup(self, version: Hashable | None, key: Hashable) -> Any:
        if version is None:
            return None
        if version != self._version:
            self._version = version
            self._answers = {}
            return None
        return self._answers.get(key)

    def keep(self, version: Hashable | None, key: Hashable, value: Any) -> None:
        if version is None or version != self._version:
            return
        if isinstance(value, ChunkedResponse) or (isinstance(value, Response) and len(value.body) > MAX_CACHED_BODY):
            return
        if len(self._answers) >= MAX_CACHED_ANSWERS:
            self._answers = {}
        self._answers[key] = value


class HotRequest:
    """What a hot route sees of a request: its path parameters, headers and query, the runtime,
    and the render cache."""

    __slots__ = ("scope", "params", "body", "runtime", "_cache", "_version", "_query")

    def __init__(
        self, scope: Scope, params: dict[str, str], runtime: ProviderContext, cache: RenderCache, body: bytes = b""
    ) -> None:
        self.scope = scope
        self.params = params
        self.body = body
        self.runtime = runtime
        self._cache = cache
        self._version: Hashable | None = None
        self._query: QueryParams | None = None

    def json_body(self, model: type[M]) -> M | None:
        """The body as ``model`` when it is a JSON object (``application/json``) the model takes
        as it is; None for anything else, which the FastAPI route is to answer."""
        content_type = self.header(b"content-type")
        if content_type is None or content_type.split(";")[0].strip().lower() != "application/json":
            return None
        try:
            return model.model_validate(parse_json(self.body))
        except (BodyError, ValidationError):
            return None

    def header(self, name: bytes) -> str | None:
        """The first value of a header (``name`` in lower case), as Starlette's ``Headers.get``."""
        for key, value in self.scope["headers"]:
            if key == name:
                return value.decode("latin-1")
        return None

    @property
    def query(self) -> QueryParams:
        if self._query is None:
            self._query = QueryParams(self.scope.get("query_string", b""))
        return self._query

    @property
    def query_string(self) -> bytes:
        return self.scope.get("query_string", b"")

    async def enter(self, provider: str, tenant: str) -> None:
        """Name the request's tenant (journal, tenant fault rules) and seed it if new."""
        await self.runtime.tenants.enter_scope(self.scope, provider, tenant)

    def cached(self, key: Hashable) -> Any:
        """What was kept for ``key`` since the store last changed, or None. An answer is looked
        up after ``enter`` (a tenant's seeding is a write)."""
        self._version = reader(self.runtime.db).data_version()
        return self._cache.lookup(self._version, key)

    def keep(self, key: Hashable, value: T) -> T:
        self._cache.keep(self._version, key, value)
        return value

    async def answer(self, key: Hashable, build: Callable[[], Awaitable[T]]) -> T:
        """What was kept for ``key`` since the store last changed; else ``build()``'s answer, kept."""
        found = self.cached(key)
        return found if found is not None else self.keep(key, await build())


@dataclass(frozen=True)
class _Table:
    routes: tuple[tuple[HotRoute, re.Pattern[str]], ...]
    errors: Callable[[int], Response]
    cache: RenderCache


class HotRoutes:
    """ASGI middleware: the hot routes of every provider, in front of the app's routing.

    ``providers`` gives, per provider prefix name, a function building its hot routes and its
    bare-status error renderer; the routes are built on the provider's first request."""

    def __init__(
        self,
        app: ASGIApp,
        runtime: ProviderContext,
        providers: HotTable,
        enabled: bool = True,
        answered: Counter[str] | None = None,
    ) -> None:
        self.app = app
        self._answered = Counter[str]() if answered is None else answered
        self._runtime = runtime
        self._providers = providers if enabled else {}
        self._tables: dict[str, _Table] = {}

    def _table(self, name: str) -> _Table | None:
        table = self._tables.get(name)
        if table is None:
            found = self._providers.get(name)
            if found is None:
                return None
            build, errors = found
            routes = tuple((route, _pattern(route.path)) for route in build(self._runtime))
            table = self._tables[name] = _Table(routes, errors, RenderCache())
        return table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._providers:
            path: str = scope["path"]
            name = path[1:].split("/", 1)[0] if path.startswith("/") else ""
            table = self._table(name) if name in self._providers else None
            if table is not None:
                below = path[len(name) + 1 :]
                method = scope["method"]
                for route, pattern in table.routes:
                    match = pattern.fullmatch(below) if route.method == method else None
                    if match is None:
                        continue
                    if not _plain(scope["headers"], route.body):
                        break
                    body = b""
                    if route.body:
                        body, receive = await _buffered(receive)
                    request = HotRequest(scope, match.groupdict(), self._runtime, table.cache, body)
                    if await _answer(table, route.answer, request, send):
                        # What the route's metrics are filed under, as for the FastAPI route.
                        scope["route"] = route.filed_as
                        self._answered[f"{method} /{name}{route.path}"] += 1
                        return
                    break
        await self.app(scope, receive, send)


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body (the guard outside has bounded it), and a ``receive`` that hands it out
    again to the FastAPI route if the hot route passes."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise RuntimeError("client disconnected")  # nothing left to answer
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return body, replaying(body, receive)


def _plain(headers: Iterable[tuple[bytes, bytes]], body: bool) -> bool:
    """No ``Origin`` (CORS is the sub-app's), and no body unless the route reads one (a GET with
    one is the route's to judge)."""
    for name, value in headers:
        if name == b"origin":
            return False
        if not body and (name == b"transfer-encoding" or (name == b"content-length" and value != b"0")):
            return False
    return True


async def _answer(table: _Table, answer: Answer, request: HotRequest, send: Send) -> bool:
    try:
        response = await answer(request)
    except Exception:
        # As the provider's app does with an unexpected failure (and with a tenant fault rule's
        # abort, which the fault middleware then answers): its own 500, and the error goes on up.
        await send_response(table.errors(500), send)
        raise
    if response is None:
        return False
    await send_response(response, send)
    return True


async def send_response(response: Response, send: Send) -> None:
    if isinstance(response, ChunkedResponse):
        await response.send_to(send)
        return
    await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


HotTable = dict[str, tuple[Callable[["ProviderContext"], Sequence[HotRoute]], Callable[[int], Response]]]
