"""CloudLX's hot routes: the two documented GETs, reserving a number and adding a number address, answered ahead of
FastAPI's routing (``core/hotpath``) with the routes' own bytes. Nothing here imports FastAPI: the
first answer after start does not wait for it."""

from __future__ import annotations

from starlette.responses import Response

from emulator.core.context import ProviderContext
from emulator.core.fastread import read_call, reader
from emulator.core.hotpath import HotRequest, HotRoute
from emulator.providers.cloudlx import service
from emulator.providers.cloudlx.answers import (
    ACCEPT,
    VERSIONS,
    created_address,
    listing_of,
    number_detail,
    number_list,
    reserved_number,
    tenant_now,
)
from emulator.providers.cloudlx.errors import NAME, CloudlxError, render_error
from emulator.providers.cloudlx.schemas import AddressIn, ReserveIn


async def _hot_tenant(request: HotRequest) -> str | None:
    """The routes' ``_negotiate`` and ``_tenant`` for the default format and a valid access
    token; None (the route answers) for anything else. The token's row is kept while the store is unchanged; its
    expiry is checked against the tenant's clock every time."""
    negotiated = ACCEPT.search(request.header(b"accept") or "")
    if negotiated is not None and (negotiated.group(1) not in VERSIONS or negotiated.group(2) != "json"):
        return None
    scheme, _, token = (request.header(b"authorization") or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    runtime = request.runtime
    key = ("token", token)
    grant = request.cached(key)
    if grant is None:
        grant = await service.read_access_grant(reader(runtime.db), token)
        if grant is None:
            return None
        request.keep(key, grant)
    tenant = service.grant_tenant(grant, tenant_now(runtime))
    if tenant is not None:
        await request.enter(NAME, tenant)
    return tenant


async def _hot_list(request: HotRequest) -> Response | None:
    try:
        listing = listing_of(request.query)
    except CloudlxError:
        return None
    tenant = await _hot_tenant(request)
    if tenant is None:
        return None
    db = request.runtime.db

    async def build() -> Response:
        with db.session() as session:
            return await read_call(db, number_list, tenant, listing, session)

    return await request.answer(("list", tenant, listing), build)


async def _hot_get(request: HotRequest) -> Response | None:
    tenant = await _hot_tenant(request)
    if tenant is None:
        return None
    uuid = request.params["uuid"]
    db = request.runtime.db

    async def build() -> Response:
        with db.session() as session:
            try:
                return await read_call(db, number_detail, uuid, tenant, session)
            except CloudlxError as error:
                return render_error(error)

    return await request.answer(("get", tenant, uuid), build)


async def _hot_add_address(request: HotRequest) -> Response | None:
    """The route ``create_number_address`` for a JSON object the route takes as it is; anything it would
    refuse is its to answer (decided before the tenant is named)."""
    data = request.json_body(AddressIn)
    if data is None:
        return None
    if not data.use_for_emergency_address and not data.use_for_proof_of_address:
        return None
    tenant = await _hot_tenant(request)
    if tenant is None:
        return None
    try:
        return await created_address(request.runtime, tenant, data)
    except CloudlxError as error:
        return render_error(error)


async def _hot_reserve(request: HotRequest) -> Response | None:
    """The route ``reserve_number`` for no body or a JSON object the route takes as it is;
    anything it would refuse is its to answer (decided before the tenant is named)."""
    data = ReserveIn() if not request.body else request.json_body(ReserveIn)
    if data is None:
        return None
    tenant = await _hot_tenant(request)
    if tenant is None:
        return None
    try:
        return await reserved_number(request.runtime, tenant, request.params["uuid"], data)
    except CloudlxError as error:
        return render_error(error)


def hot_routes(_runtime: ProviderContext) -> list[HotRoute]:
    return [
        HotRoute("/api/numbers", _hot_list),
        HotRoute("/api/number/{uuid}", _hot_get),
        HotRoute("/api/number-addresses/new", _hot_add_address, method="POST", body=True),
        HotRoute("/api/number/{uuid}/reserve", _hot_reserve, method="PUT", body=True),
    ]
