"""What CM's routes and its hot routes both answer with: the order's body, its checks and its
write, a page of requests. No FastAPI here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.responses import Response

from emulator.core.context import ProviderContext
from emulator.core.fastread import read_call, reader
from emulator.core.http import BodyError, is_json_content_type, parse_json
from emulator.core.rendering import DotNetJSONResponse
from emulator.core.tenancy import TenantScope
from emulator.providers.cm import render, service, validation
from emulator.providers.cm.errors import CMError

MAX_INT32 = 2**31 - 1
DEFAULT_TAKE = 100
MAX_TAKE = 1000
BASE = "/voice-phonenumberrequestapi/v1/{accountGuid}"


def order_of(content_type: str | None, raw: bytes) -> Any:
    """The order body as JSON, or the ``CMError`` it gets."""
    if not is_json_content_type(content_type):
        raise CMError(415)
    if not raw.strip():
        raise CMError(400, errors={"": ["A non-empty request body is required."]})
    try:
        return parse_json(raw)
    except BodyError as error:
        raise CMError(400, errors={"$": [f"The JSON value is invalid: {error.reason}."]}) from None


def json_response(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> DotNetJSONResponse:
    return DotNetJSONResponse(body, status_code=status_code, headers=headers)


def page_response(rows: Sequence[Any], total: int, skip: int, take: int) -> DotNetJSONResponse:
    """A page of number requests, with the paging headers CM sends."""
    headers = {
        "x-cm-pagination-skip": str(skip),
        "x-cm-pagination-take": str(take),
        "x-cm-pagination-total": str(total),
    }
    return json_response([render.number_request(row) for row in rows], headers=headers)


async def created_request(runtime: ProviderContext, server: Any, scope: TenantScope, body: Any) -> Response:
    """The order checked, stored and rendered (the route's and the hot route's); a refusal
    raises its ``CMError``. ``server`` is the address the request came in on."""
    try:
        order = await read_call(runtime.db, parsed_order, runtime, body, scope.tenant)
    except validation.ValidationFailed as failure:
        raise CMError(400, errors=failure.errors) from None
    if order.callback_url is not None:
        runtime.callback_targets.listening_on([server])
        refusal = runtime.callback_targets.refusal(order.callback_url, resolve_names=False)
        if refusal is not None:
            raise CMError(
                400, errors={"CallbackUrl": [f"The CallbackUrl field is not an allowed callback target: {refusal}."]}
            )
    created = await runtime.db.write(service.create_request, runtime, scope.tenant, scope.account, order)
    return json_response(render.number_request(created))


def parsed_order(runtime: ProviderContext, body: Any, tenant: str) -> validation.OrderData:
    fast = reader(runtime.db)
    return validation.parse_order(body, lambda profile: service.profile_country(fast, tenant, profile))
