"""CM's hot routes: listing, getting and creating number requests, answered ahead of FastAPI's
routing (``core/hotpath``) with the routes' own bytes. Nothing here imports FastAPI: the first
answer after start does not wait for it."""

from __future__ import annotations

import re

from starlette.responses import Response

from emulator.core.context import ProviderContext
from emulator.core.fastread import reader
from emulator.core.hotpath import HotRequest, HotRoute
from emulator.core.identifiers import is_uuid
from emulator.core.tenancy import TenantScope
from emulator.providers.cm import render, service
from emulator.providers.cm.answers import (
    BASE,
    DEFAULT_TAKE,
    MAX_INT32,
    MAX_TAKE,
    created_request,
    json_response,
    order_of,
    page_response,
)
from emulator.providers.cm.errors import NAME, CMError, error_response, raised_problem

_PAGING_NUMBER = re.compile(r"0|[1-9][0-9]{0,9}")


async def _hot_scope(request: HotRequest) -> TenantScope | None:
    """The routes' ``_scope`` for an accepted product token and a well-formed account; None otherwise."""
    token = request.header(b"x-cm-producttoken") or None
    account = request.params["accountGuid"]
    if not is_uuid(token) or not is_uuid(account) or not request.runtime.credentials.accepts(NAME, token.lower()):
        return None
    await request.enter(NAME, token.lower())
    return TenantScope(token.lower(), account.lower())


def _paging(request: HotRequest) -> tuple[int, int] | None:
    """Skip and Take when plainly valid (each at most once); None leaves the rest to the route."""
    if not request.query_string:
        return 0, DEFAULT_TAKE
    values = {"Skip": 0, "Take": DEFAULT_TAKE}
    seen = set()
    for name, value in request.query.multi_items():
        if name in values:
            if name in seen or not _PAGING_NUMBER.fullmatch(value):
                return None
            seen.add(name)
            values[name] = int(value)
    skip, take = values["Skip"], values["Take"]
    return (skip, take) if skip <= MAX_INT32 and 1 <= take <= MAX_TAKE else None


async def _hot_list(request: HotRequest) -> Response | None:
    paging = _paging(request)
    if paging is None:
        return None
    scope = await _hot_scope(request)
    if scope is None:
        return None
    skip, take = paging

    async def build() -> Response:
        rows, total = await service.read_requests(reader(request.runtime.db), scope.tenant, scope.account, skip, take)
        return page_response(rows, total, skip, take)

    return await request.answer(("list", scope, paging), build)


async def _hot_get(request: HotRequest) -> Response | None:
    guid = request.params["requestId"]
    if not is_uuid(guid):
        return None
    scope = await _hot_scope(request)
    if scope is None:
        return None
    key = ("get", scope, guid.lower())
    found = request.cached(key)
    if found is None:
        stored = await service.read_request(reader(request.runtime.db), scope.tenant, scope.account, guid)
        if stored is None:
            return error_response(404)  # a fresh trace id each time: never kept
        found = request.keep(key, json_response(render.number_request(stored)))
    return found


async def _hot_create(request: HotRequest) -> Response | None:
    """The route ``create_number_request`` for an accepted product token and a well-formed account; past
    those, the route's answer depends on the body alone, so this one answers every body, the
    refusals included, exactly as the route does."""
    scope = await _hot_scope(request)
    if scope is None:
        return None
    try:
        body = order_of(request.header(b"content-type"), request.body)
        return await created_request(request.runtime, request.scope.get("server"), scope, body)
    except CMError as error:
        return raised_problem(error)


def hot_routes(_runtime: ProviderContext) -> list[HotRoute]:
    return [
        HotRoute(BASE + "/numberrequests", _hot_list),
        HotRoute(BASE + "/numberrequests", _hot_create, method="POST", body=True),
        HotRoute(BASE + "/numberrequests/{requestId}", _hot_get),
    ]
