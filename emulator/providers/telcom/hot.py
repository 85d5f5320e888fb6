"""Telcom's hot routes: ``numbers/list`` and ``numbers/info``, the update of a number by
``numbers/save`` and ``numbers/acquire``, answered ahead of FastAPI's routing (``core/hotpath``) with the dispatcher's own
bytes. Nothing here imports FastAPI: the first answer after start does not wait for it."""

from __future__ import annotations

import functools
import time

from starlette.datastructures import QueryParams
from starlette.responses import Response

from emulator.core.context import ProviderContext
from emulator.core.fastread import read_call, reader
from emulator.core.hotpath import Answer, HotRequest, HotRoute
from emulator.core.streaming import JOINED_BODY_LIMIT, RenderedList
from emulator.providers.telcom import render, service
from emulator.providers.telcom.actions import ACTIONS, Action, action_call, inventory_of, list_numbers, number_changes
from emulator.providers.telcom.errors import NAME, InvalidJSON, TelcomError, failure
from emulator.providers.telcom.validation import FORM, JSON, Params, media_type_of, parse_params

MEMO_BODY_BYTES = 1024
"""Parameters up to this size are parsed once for all the calls that send them alike."""


def _hot_call(request: HotRequest) -> tuple[str, dict, str] | None:
    """An action call's accepted token, readable parameters (not a form) and their canonical
    text (for the render cache's key); None (the route answers) for anything else."""
    token = request.header(b"x-auth-token") or None
    if token is None or not request.runtime.credentials.accepts(NAME, token, request.header(b"x-auth-secret") or None):
        return None
    media_type = media_type_of(request.header(b"content-type"))
    if media_type == FORM:
        return None
    # A JSON body is all there is to read; the query only otherwise.
    given = request.body if media_type == JSON else request.query_string
    read = _read_params(media_type, given) if len(given) <= MEMO_BODY_BYTES else _parsed(media_type, given)
    return None if read is None else (token, *read)


def _parsed(media_type: str, given: bytes) -> tuple[dict, str] | None:
    """``parse_params`` of a JSON body (or else a query string), with its canonical text."""
    try:
        values = parse_params(media_type, given, QueryParams(given) if media_type != JSON else {})
    except InvalidJSON:
        return None
    return values, repr(sorted(values.items()))


# The same few bodies come again and again; the values are only read (``Params``).
_read_params = functools.lru_cache(maxsize=256)(_parsed)


def _hot_action(action: Action) -> Answer:
    """``dispatch`` for an accepted token and readable parameters (not a form); None (the route
    answers) for anything else. The action's data is kept while the store is unchanged; ``time``
    is this answer's own."""

    async def answer(request: HotRequest) -> Response | None:
        called = _hot_call(request)
        if called is None:
            return None
        token, values, canonical = called
        runtime = request.runtime
        await request.enter(NAME, token)
        started = time.perf_counter()
        key = (action.summary, token, canonical)
        framed = request.cached(key)
        if framed is None:
            if action.handler is list_numbers:
                # Read and rendered in chunks; kept only when small.
                members = await service.read_number_list(
                    reader(runtime.db), token, render.listed_members, render.listed_numbers
                )
                data: object = RenderedList(members)
                if sum(len(member) for member in members) > JOINED_BODY_LIMIT:
                    return render.success(data, started)
            else:
                with runtime.db.session() as session:
                    try:
                        data = await read_call(runtime.db, action.handler, action_call(runtime, session, token, values))
                    except TelcomError as error:
                        return failure(error)
                data = render.rendered(data)
            framed = request.keep(key, render.Framed(data))
        return framed.response(started)

    return answer


async def _hot_update(request: HotRequest) -> Response | None:
    """``numbers/save`` of an existing number (an ``id``, no ``number`` or ``context``), as the
    action does it, through the driver in the database's next group commit; anything else (a
    new number, a form, a parameter the action would refuse) is the route's."""
    called = _hot_call(request)
    if called is None:
        return None
    token, values, _canonical = called
    runtime = request.runtime
    try:
        changes = number_changes(Params(values))
    except TelcomError:
        return None
    if changes.number_id is None or changes.number is not None or changes.context is not None:
        return None
    await request.enter(NAME, token)
    now = runtime.clock.now(NAME, token)
    started = time.perf_counter()
    try:
        row = await runtime.db.write(service.update_number, token, changes, now)
    except TelcomError as error:
        return failure(error)
    return render.success(render.rendered(render.number_item(row, now)), started)


async def _hot_acquire(request: HotRequest) -> Response | None:
    """``numbers/acquire``, as the action does it, in the database's next group commit; a missing
    or malformed ``number`` (or a form) is the route's to answer."""
    called = _hot_call(request)
    if called is None:
        return None
    token, values, _ = called
    try:
        number = Params(values).string("number", required=True)
    except TelcomError:
        return None
    runtime = request.runtime
    await request.enter(NAME, token)
    now = runtime.clock.now(NAME, token)
    started = time.perf_counter()
    try:
        written = await runtime.db.write(service.acquire, token, number, inventory_of(runtime), now)
    except TelcomError as error:
        return failure(error)
    return render.success(render.rendered(render.written(written, with_destination=False)), started)


def hot_routes(_runtime: ProviderContext) -> list[HotRoute]:
    routes = [
        HotRoute("/api/v2/numbers/save", _hot_update, method="POST", body=True),
        HotRoute("/api/v2/numbers/acquire", _hot_acquire, method="POST", body=True),
    ]
    for controller, name in (("numbers", "list"), ("numbers", "info")):
        answer = _hot_action(ACTIONS[(controller, name)])
        path = f"/api/v2/{controller}/{name}"
        routes.append(HotRoute(path, answer, method="POST", body=True))
        routes.append(HotRoute(path, answer, template="/api/{path:path}"))
    return routes
