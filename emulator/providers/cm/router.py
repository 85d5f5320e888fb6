"""The wire: CM.com's number request paths, the product token, problem details, paging headers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Security
from fastapi.security import APIKeyHeader

from emulator.core.context import ProviderContext
from emulator.core.fastread import read_call
from emulator.core.identifiers import is_uuid
from emulator.core.subapp import Responses, RuntimeDep, SessionDep, build_subapp
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
from emulator.providers.cm.errors import (
    ERRORS,
    NAME,
    CMError,
)
from emulator.providers.cm.schemas import (
    NUMBER_REQUEST_BODY,
    Availability,
    LocaleOptions,
    NumberRequestOut,
    NumberType,
    OrderRestriction,
    Problem,
    RequestStatus,
    ValidationProblem,
)
from emulator.providers.cm.settings import CMSettings

_product_token = APIKeyHeader(
    name="X-CM-PRODUCTTOKEN", auto_error=False, description="Your product token (a GUID); it names the tenant"
)


async def _tenant(request: Request, runtime: RuntimeDep, token: Annotated[str | None, Security(_product_token)]) -> str:
    if not is_uuid(token):
        raise CMError(401)
    tenant = token.lower()
    if not runtime.credentials.accepts(NAME, tenant):
        await runtime.tenants.attribute_refused(request, NAME, tenant)
        raise CMError(401)
    await runtime.tenants.enter_async(request, NAME, tenant)
    return tenant


async def _scope(
    tenant: Annotated[str, Depends(_tenant)],
    accountGuid: Annotated[
        str,
        Path(pattern=service.GUID_PATTERN, description="Unique identifier of the Logical Account or Voice Account."),
    ],
) -> TenantScope:
    """The tenant (the product token) and the account the path names inside it."""
    return TenantScope(tenant, accountGuid.lower())


async def _order_body(request: Request) -> Any:
    """The JSON body, read after the product token was checked (so a stranger learns nothing)."""
    return order_of(request.headers.get("content-type"), await request.body())


ScopeDep = Annotated[TenantScope, Depends(_scope)]
RequestGuid = Annotated[str, Path(pattern=service.GUID_PATTERN, description="The number request's requestId")]


def _problem_doc(model: type, description: str) -> dict[str, Any]:
    return {"model": model, "description": description}


_AUTH: Responses = {401: _problem_doc(Problem, "Missing or unknown product token")}
_INVALID: Responses = {400: _problem_doc(ValidationProblem, "Invalid input; nothing was stored")}
_NOT_FOUND: Responses = {404: _problem_doc(Problem, "No such number request in this account")}
_PAGING_HEADERS = {
    name: {"description": description, "schema": {"type": "integer"}}
    for name, description in (
        ("x-cm-pagination-skip", "Amount of items skipped."),
        ("x-cm-pagination-take", "Amount of items retrieved."),
        ("x-cm-pagination-total", "Total items that can be retrieved."),
    )
}


def _delivery_header(name: str, description: str) -> dict:
    return {"name": name, "in": "header", "required": True, "description": description, "schema": {"type": "integer"}}


# What the emulator POSTs to an order's callbackUrl on every status change.
_STATUS_CALLBACK = {
    "summary": "Number request status changed",
    "description": "The entire number request, as Get Number Request returns it, with its new status. "
    "Any answer but a 2xx (or none) is retried with backoff (see the control plane's callback deliveries).",
    "operationId": "NumberRequestStatusChanged",
    "security": [],
    "parameters": [
        _delivery_header("X-Emulator-Delivery", "The delivery's id, the same on every retry (for deduplication)"),
        _delivery_header("X-Emulator-Attempt", "Which attempt this is, from 1"),
    ],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NumberRequestOut"}}},
    },
    "responses": {
        "2XX": {"description": "Received"},
        "4XX": {"description": "Refused: the delivery is attempted again later"},
        "5XX": {"description": "Failed: the delivery is attempted again later"},
    },
}


def _links(request_id: str) -> dict:
    """OpenAPI links from a response naming a request to the operations on that request."""
    parameters = {"accountGuid": "$request.path.accountGuid", "requestId": request_id}
    return {
        operation: {"operationId": operation, "parameters": parameters}
        for operation in ("GetNumberRequest", "CancelNumberRequest")
    }


router = APIRouter(prefix=BASE, tags=["Number requests"], responses=_AUTH | _INVALID)


@router.post(
    "/numberrequests",
    response_model=NumberRequestOut,
    summary="Create Number Request",
    operation_id="CreateNumberRequest",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "Request data for new phone number ranges",
            "content": {"application/json": {"schema": NUMBER_REQUEST_BODY}},
        },
        "callbacks": {"numberRequestStatusChanged": {"{$request.body#/callbackUrl}": {"post": _STATUS_CALLBACK}}},
    },
    responses={
        200: {
            "description": "The number request. Numbers that are directly available are assigned at once; otherwise "
            "the request is pending and id, start, validFrom and validTo fields will be null.",
            "links": _links("$response.body#/requestId"),
        },
        415: _problem_doc(Problem, "The body is not JSON"),
    },
)
async def create_number_request(
    request: Request,
    scope: ScopeDep,
    body: Annotated[Any, Depends(_order_body)],
    runtime: RuntimeDep,
):
    """Request one or more phone numbers. If they are directly available they are assigned to the
    account at once; if not, the order takes some time to complete and every status change is
    POSTed to the callback URL."""
    return await created_request(runtime, request.scope.get("server"), scope, body)


@router.get(
    "/numberrequests",
    response_model=list[NumberRequestOut],
    summary="Get Number Requests",
    operation_id="GetNumberRequests",
    responses={
        200: {
            "description": "A page of the account's number requests, oldest first",
            "headers": _PAGING_HEADERS,
            "links": _links("$response.body#/0/requestId"),
        }
    },
)
async def list_number_requests(
    scope: ScopeDep,
    session: SessionDep,
    runtime: RuntimeDep,
    skip: Annotated[int, Query(alias="Skip", ge=0, le=MAX_INT32, description="Amount of items to skip")] = 0,
    take: Annotated[
        int, Query(alias="Take", ge=1, le=MAX_TAKE, description="Amount of items to retrieve")
    ] = DEFAULT_TAKE,
):
    rows, total = await read_call(runtime.db, service.list_requests, session, scope.tenant, scope.account, skip, take)
    return page_response(rows, total, skip, take)


@router.get(
    "/numberrequests/statuses",
    response_model=list[RequestStatus],
    summary="Get Number Request Statuses",
    operation_id="GetNumberRequestStatuses",
)
def request_statuses(scope: ScopeDep):
    return json_response(
        [{"status": name, "description": text, "isFinal": final} for name, text, final in service.STATUSES]
    )


@router.get(
    "/numberrequests/{requestId}",
    response_model=NumberRequestOut,
    summary="Get Number Request",
    operation_id="GetNumberRequest",
    responses=_NOT_FOUND | {200: {"description": "The number request", "links": _links("$request.path.requestId")}},
)
async def get_number_request(requestId: RequestGuid, scope: ScopeDep, session: SessionDep, runtime: RuntimeDep):
    request = await read_call(runtime.db, service.get_request, session, scope.tenant, scope.account, requestId)
    if request is None:
        raise CMError(404)
    return json_response(render.number_request(request))


@router.post(
    "/numberrequests/{requestId}/cancel",
    response_model=NumberRequestOut,
    summary="Cancel Number Request",
    operation_id="CancelNumberRequest",
    responses=_NOT_FOUND
    | {
        200: {"description": "The cancelled number request", "links": _links("$request.path.requestId")},
        409: _problem_doc(Problem, "The request is final (completed, rejected or cancelled)"),
    },
)
def cancel_number_request(requestId: RequestGuid, scope: ScopeDep, session: SessionDep, runtime: RuntimeDep):
    """Cancel a request that is not final yet; its callback URL hears of it."""
    request = service.get_request(session, scope.tenant, scope.account, requestId)
    if request is None:
        raise CMError(404)
    try:
        service.cancel_request(session, runtime, request)
    except service.TransitionRefused as refusal:
        raise CMError(409, detail=str(refusal)) from None
    return json_response(render.number_request(request))


CountryQuery = Annotated[service.Country, Query(description="ISO 3166-1 alpha-2 country (default GB)")]


@router.get(
    "/orderrestrictions",
    response_model=list[OrderRestriction],
    summary="Get Order Restrictions",
    operation_id="GetOrderRestrictions",
)
def order_restrictions(
    scope: ScopeDep,
    runtime: RuntimeDep,
    country: Annotated[service.Country | None, Query(description="Only this country")] = None,
    numberType: Annotated[NumberType | None, Query(description="Only this number type")] = None,
):
    """Allowed quantities and range sizes per country and number type."""
    return json_response(
        [
            {
                "country": each_country,
                "numberType": number_type,
                "minimumQuantity": service.MIN_QUANTITY,
                "maximumQuantity": service.MAX_QUANTITY,
                "immediateMaximumQuantity": runtime.settings_of(CMSettings).immediate_max_quantity,
                "rangesAllowed": bool(service.RANGE_SIZES[number_type]),
                "rangeSizes": list(service.RANGE_SIZES[number_type]),
                "regionRequired": each_country in service.NANPA,
            }
            for each_country in service.COUNTRIES
            if country in (None, each_country)
            for number_type in service.NUMBER_TYPES
            if numberType in (None, number_type)
        ]
    )


_TextQuery = Query(max_length=service.MAX_TEXT, pattern="^[^\\x00]*$")


@router.get(
    "/localeoptions", response_model=LocaleOptions, summary="Get Locale Options", operation_id="GetLocaleOptions"
)
def locale_options(
    scope: ScopeDep,
    country: CountryQuery = service.DEFAULT_COUNTRY,
    numberType: Annotated[NumberType, Query(description="Number type (default LOCAL)")] = service.DEFAULT_NUMBER_TYPE,
    region: Annotated[str | None, _TextQuery] = None,
):
    """Cities, area codes and (NANPA) regions numbers can be requested for."""
    areas = service.areas(country, numberType)
    if region and country in service.NANPA:
        areas = tuple(area for area in areas if area.region == region.strip().upper())
    regions = sorted({area.region for area in service.areas(country, numberType) if area.region})
    return json_response(
        {
            "country": country,
            "numberType": numberType,
            "regions": regions,
            "cities": sorted({area.city for area in areas if area.city}),
            "areaCodes": [{"areaCode": area.prefix, "city": area.city, "region": area.region} for area in areas],
        }
    )


@router.get("/availability", response_model=Availability, summary="Get Availability", operation_id="GetAvailability")
def availability(
    scope: ScopeDep,
    runtime: RuntimeDep,
    country: CountryQuery = service.DEFAULT_COUNTRY,
    numberType: Annotated[NumberType, Query(description="Number type (default LOCAL)")] = service.DEFAULT_NUMBER_TYPE,
    areaCode: Annotated[str | None, _TextQuery] = None,
    city: Annotated[str | None, _TextQuery] = None,
    region: Annotated[str | None, _TextQuery] = None,
    quantity: Annotated[int, Query(ge=service.MIN_QUANTITY, le=service.MAX_QUANTITY)] = 1,
):
    """Whether numbers can be had in an area, and whether an order would be filled at once."""
    area = service.find_area(country, numberType, areaCode, city, region) if (areaCode or city) else None
    immediate_max = runtime.settings_of(CMSettings).immediate_max_quantity
    return json_response(
        {
            "country": country,
            "numberType": numberType,
            "areaCode": areaCode,
            "city": city,
            "region": region,
            "quantity": quantity,
            **service.availability(area, quantity, immediate_max),
        }
    )


def _problem_content_type(document: dict) -> None:
    """Problem bodies under ``application/problem+json`` (their real content type) rather than the
    routes' JSON type."""
    for path in document["paths"].values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status.startswith(("4", "5")) and "application/json" in content:
                    response["content"] = {"application/problem+json": content.pop("application/json")}


def build_app(runtime: ProviderContext) -> FastAPI:
    app = build_subapp(
        runtime,
        f"/{NAME}",
        title="CM.com Voice: Phone Number Request API (emulated)",
        description="Replays CM.com's number requests (`api.cm.com/voice-phonenumberrequestapi`): asynchronous "
        "orders that move on with the emulator's clock and report every status change to their callback URL. "
        "Base URL: this server's `/cm`.",
        errors=ERRORS,
        document_hook=_problem_content_type,
    )
    app.include_router(router)
    return app
