"""The wire: CloudLX's paths under ``/api``, OAuth2 bearer tokens, Dingo's version negotiation by
``Accept`` header, its error bodies and PHP's JSON rendering."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import parse_qsl

import phonenumbers
from fastapi import APIRouter, Body, Depends, FastAPI, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2
from pydantic import BaseModel
from sqlmodel import Session

from emulator.core.auth import MAX_CREDENTIAL_LENGTH
from emulator.core.context import ProviderContext
from emulator.core.fastread import read_call
from emulator.core.http import BodyError, is_json_content_type, parse_json
from emulator.core.rendering import PHPJSONResponse
from emulator.core.subapp import GuardedRoute, Responses, RuntimeDep, SessionDep, build_subapp
from emulator.core.threads import in_thread
from emulator.providers.cloudlx import render, service
from emulator.providers.cloudlx.answers import (
    ACCEPT,
    VERSIONS,
    created_address,
    json_response,
    listing_of,
    listing_of_rules,
    number_detail,
    number_list,
    reserved_number,
    tenant_now,
)
from emulator.providers.cloudlx.errors import (
    NAME,
    NOT_ACCEPTABLE,
    UNKNOWN_VERSION,
    CloudlxError,
    OAuthError,
    ValidationFailed,
)
from emulator.providers.cloudlx.models import AVAILABLE, CANCELLED
from emulator.providers.cloudlx.schemas import (
    RESTRICTION_SERVICE_TYPES,
    SERVICE_TYPES,
    AccessTokenRequest,
    AddressCreated,
    AddressIn,
    AvailableNumberList,
    BulkReserveIn,
    CancelledNumberList,
    ErrorBody,
    NumberDetail,
    NumberList,
    NumberRestrictions,
    RefreshTokenRequest,
    ReserveIn,
    ResultMessage,
    TokenResponse,
    ValidationErrorBody,
)
from emulator.providers.cloudlx.validation import ERRORS, PHP_INT_MAX, QueryRules

PREFIX = f"/{NAME}"
_oauth2 = OAuth2(
    flows=OAuthFlows(
        clientCredentials=OAuthFlowClientCredentials(
            # Absolute paths: a relative one resolves against the server URL's parent (``/``).
            tokenUrl=f"{PREFIX}/api/oauth2/access-token",
            refreshUrl=f"{PREFIX}/api/oauth2/refresh-token",
            scopes={},
        )
    ),
    scheme_name="CloudLXOAuth2",
    description="Client credentials: the client_id names the tenant. Send `Authorization: Bearer <access_token>`.",
    auto_error=False,
)


def _error(description: str, model: type = ErrorBody) -> dict[str, Any]:
    return {"model": model, "description": description}


_NEGOTIATION: Responses = {
    400: _error("Unknown API version in the Accept header, or a body that is not JSON"),
    406: _error("Unsupported response format in the Accept header"),
}
_AUTH: Responses = {401: _error("Missing, unknown or expired access token")}
_INVALID: Responses = {422: _error("Validation failed", ValidationErrorBody)}
_NOT_FOUND: Responses = {404: _error("No such number")}
_CONFLICT: Responses = {409: _error("The number is not in a state that allows this")}


async def _negotiate(request: Request) -> None:
    """Dingo picks the API version from the Accept header before routing; no match means v1 JSON."""
    match = ACCEPT.search(request.headers.get("accept", ""))
    if match is None:
        return
    version, response_format = match.groups()
    if version not in VERSIONS:
        raise CloudlxError(400, UNKNOWN_VERSION)
    if response_format != "json":
        raise CloudlxError(406, NOT_ACCEPTABLE)


# Async: the token lookup is a short read (on the loop on a SQLite file), only a tenant's first
# request waits on a thread to seed it.
async def _tenant(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    authorization: Annotated[str | None, Security(_oauth2)],
) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    tenant = None
    if scheme.lower() == "bearer" and token.strip():
        tenant = await read_call(
            runtime.db, service.tenant_for_access_token, session, token.strip(), tenant_now(runtime)
        )
    if tenant is None:
        if scheme.lower() == "bearer" and token.strip():
            client = await read_call(runtime.db, service.client_of_access_token, session, token.strip())
            await runtime.tenants.attribute_refused(request, NAME, client)
        raise CloudlxError(401)
    await runtime.tenants.enter_async(request, NAME, tenant)
    return tenant


TenantDep = Annotated[str, Depends(_tenant)]


# --- OAuth2 -----------------------------------------------------------------------------------------


async def _token_parameters(request: Request) -> dict[str, object]:
    """The form or JSON body's fields (PHP reads either); a body it cannot read has no fields."""
    raw = await request.body()
    content_type = request.headers.get("content-type")
    try:
        if is_json_content_type(content_type):
            data = parse_json(raw) if raw else {}
            return data if isinstance(data, dict) else {}
        if (content_type or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except (BodyError, UnicodeDecodeError):
        pass
    return {}


def _basic_credentials(request: Request) -> tuple[str | None, str | None]:
    """HTTP Basic client authentication, which the OAuth2 server takes when the body has none."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return user, password


async def _client(request: Request, params: dict[str, object], runtime: ProviderContext) -> str:
    basic_id, basic_secret = _basic_credentials(request)
    client_id = params.get("client_id", basic_id)
    client_secret = params.get("client_secret", basic_secret)
    if not isinstance(client_id, str):
        raise OAuthError.invalid_request("client_id")
    if not isinstance(client_secret, str):
        raise OAuthError.invalid_request("client_secret")
    if "\x00" in client_id + client_secret or not runtime.credentials.accepts(NAME, client_id, client_secret):
        await runtime.tenants.attribute_refused(request, NAME, client_id)
        raise OAuthError.invalid_client()
    return client_id


def _grant(params: dict[str, object], expected: str) -> None:
    grant_type = params.get("grant_type")
    if not isinstance(grant_type, str):
        raise OAuthError.invalid_request("grant_type")
    if grant_type != expected:
        raise OAuthError.unsupported_grant_type(grant_type[:MAX_CREDENTIAL_LENGTH])


def _token_body(token: service.IssuedToken) -> PHPJSONResponse:
    return json_response(
        {
            "access_token": token.access_token,
            "token_type": "Bearer",
            "expires_in": service.ACCESS_TOKEN_SECONDS,
            "refresh_token": token.refresh_token,
        }
    )


def _token_request_body(model: type[BaseModel]) -> dict:
    # The form, as OAuth2 has it; a JSON body with the same fields is read too, but a second
    # content type breaks generated clients (openapi-python-client leaves a name undefined).
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {
        "requestBody": {
            "required": True,
            "description": "A form (or a JSON object) with these fields",
            "content": {"application/x-www-form-urlencoded": {"schema": schema}},
        }
    }


def _token_request_schemas(document: dict) -> None:
    """The token requests as named schemas: their handlers read the raw body, so FastAPI lists none."""
    schemas = document["components"]["schemas"]
    for model in (AccessTokenRequest, RefreshTokenRequest):
        schemas[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
    document["components"]["schemas"] = dict(sorted(schemas.items()))


oauth = APIRouter(prefix="/api/oauth2", tags=["OAuth2"], dependencies=[Depends(_negotiate)])


@oauth.post(
    "/access-token",
    response_model=TokenResponse,
    responses={**_NEGOTIATION, 401: _error("Unknown client or wrong secret")},
    openapi_extra=_token_request_body(AccessTokenRequest),
    summary="Obtaining an access token",
)
async def access_token(request: Request, runtime: RuntimeDep):
    params = await _token_parameters(request)
    _grant(params, "client_credentials")
    tenant = await _client(request, params, runtime)
    return await _issue(request, runtime, tenant)


@oauth.post(
    "/refresh-token",
    response_model=TokenResponse,
    responses={**_NEGOTIATION, 401: _error("Unknown client or wrong secret")},
    openapi_extra=_token_request_body(RefreshTokenRequest),
    summary="Refreshing an access token (the old pair stops working)",
)
async def refresh_access_token(request: Request, runtime: RuntimeDep):
    params = await _token_parameters(request)
    _grant(params, "refresh_token")
    tenant = await _client(request, params, runtime)
    refresh = params.get("refresh_token")
    if not isinstance(refresh, str):
        raise OAuthError.invalid_request("refresh_token")
    return await _issue(request, runtime, tenant, refresh)


async def _issue(
    request: Request, runtime: ProviderContext, tenant: str, refresh: str | None = None
) -> PHPJSONResponse:
    def issue() -> service.IssuedToken | None:
        runtime.tenants.enter(request, NAME, tenant)
        with runtime.db.session() as session:
            if refresh is None:
                return service.issue_token(session, tenant, runtime.clock.now(NAME, tenant))
            return service.refresh_token(session, tenant, refresh, runtime.clock.now(NAME, tenant))

    token = await in_thread(issue)
    if token is None:
        raise OAuthError.invalid_refresh()
    return _token_body(token)


# --- numbers ----------------------------------------------------------------------------------------


def _query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


_LISTING_PARAMETERS = [
    _query("search", {"type": "string", "pattern": "^[0-9]{0,15}$"}, "The number must contain these digits"),
    _query(
        "max_per_page", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "Results per page (max 200)"
    ),
    _query("page", {"type": "integer", "minimum": 1, "maximum": PHP_INT_MAX, "default": 1}, "The page number"),
]
_AVAILABLE_PARAMETERS = [
    *_LISTING_PARAMETERS,
    _query("number_service_type", {"type": "string", "enum": list(SERVICE_TYPES)}, "The Number Service Type"),
    _query("in_country_termination", {"type": "boolean"}, "Whether the number supports In Country Termination"),
    _query(
        "emergency_address_registration",
        {"type": "boolean"},
        "Whether the number supports Emergency Address registration",
    ),
]


def _list_query(request: Request) -> service.Listing:
    return listing_of(request.query_params)


ListingDep = Annotated[service.Listing, Depends(_list_query)]

router = APIRouter(prefix="/api", tags=["Numbers"], route_class=GuardedRoute, dependencies=[Depends(_negotiate)])


@router.get(
    "/numbers",
    response_model=NumberList,
    responses=_NEGOTIATION | _AUTH | _INVALID,
    openapi_extra={"parameters": _LISTING_PARAMETERS},
    summary="List numbers reserved to your account",
)
async def list_numbers(tenant: TenantDep, listing: ListingDep, session: SessionDep, runtime: RuntimeDep):
    return await read_call(runtime.db, number_list, tenant, listing, session)


@router.get(
    "/numbers/cancelled",
    response_model=CancelledNumberList,
    responses=_NEGOTIATION | _AUTH | _INVALID,
    openapi_extra={"parameters": _LISTING_PARAMETERS},
    summary="Cancelled numbers that were previously in your account",
)
def list_cancelled_numbers(tenant: TenantDep, listing: ListingDep, session: SessionDep):
    page = service.list_numbers(session, tenant, CANCELLED, listing)
    return json_response(
        {
            "numbers": [render.cancelled_number(number) for number in page.numbers],
            "num_results": page.total,
            "paginates": page.paginates,
        }
    )


@router.get(
    "/number/{uuid}",
    response_model=NumberDetail,
    responses=_NEGOTIATION | _AUTH | _NOT_FOUND,
    summary="Show details of a number allocated to your account",
)
async def get_number(uuid: str, tenant: TenantDep, session: SessionDep, runtime: RuntimeDep):
    return await read_call(runtime.db, number_detail, uuid, tenant, session)


@router.put(
    "/number/{uuid}/reserve",
    response_model=ResultMessage,
    responses=_NEGOTIATION | _AUTH | {404: _error("No such number, or no such number address")} | _CONFLICT | _INVALID,
    summary="Reserve a number to your account",
)
async def reserve_number(
    uuid: str, tenant: TenantDep, runtime: RuntimeDep, data: Annotated[ReserveIn | None, Body()] = None
):
    return await reserved_number(runtime, tenant, uuid, data or ReserveIn())


@router.post(
    "/numbers/reserve",
    response_model=ResultMessage,
    responses=_NEGOTIATION
    | _AUTH
    | {404: _error("Some numbers or number addresses do not exist")}
    | _CONFLICT
    | _INVALID,
    summary="Bulk number reserve (all or nothing)",
)
def reserve_numbers(
    data: Annotated[BulkReserveIn, Body()], tenant: TenantDep, session: SessionDep, runtime: RuntimeDep
):
    service.reserve_many(session, tenant, data, runtime.clock.now(NAME, tenant))
    return json_response({"result": "Numbers allocated to account successfully"})


@router.delete(
    "/number/{uuid}",
    response_model=ResultMessage,
    responses=_NEGOTIATION | _AUTH | _NOT_FOUND,
    summary="Cancel a number in your account (emulator's choice of path)",
)
def cancel_number(uuid: str, tenant: TenantDep, session: SessionDep, runtime: RuntimeDep):
    service.cancel(session, tenant, uuid, runtime.clock.now(NAME, tenant))
    return json_response({"result": "Number cancelled successfully"})


def _available(request: Request, tenant: str, session: Session, region: str) -> PHPJSONResponse:
    rules = QueryRules(request.query_params)
    listing = listing_of_rules(rules)
    service_type = rules.one_of("number_service_type", SERVICE_TYPES)
    rules.boolean("in_country_termination")
    rules.boolean("emergency_address_registration")
    rules.check()
    page = service.list_numbers(session, tenant, AVAILABLE, listing, region=region, service_type=service_type)
    return json_response(
        {
            "available_numbers": [render.available_number(number) for number in page.numbers],
            "num_results": page.total,
            "paginates": page.paginates,
        }
    )


@router.get(
    "/available_numbers",
    response_model=AvailableNumberList,
    responses=_NEGOTIATION | _AUTH | _INVALID,
    openapi_extra={"parameters": _AVAILABLE_PARAMETERS},
    summary="Available numbers to reserve to your account (UK)",
)
def list_available_numbers(request: Request, tenant: TenantDep, session: SessionDep):
    return _available(request, tenant, session, "GB")


@router.get(
    "/available_numbers/country/{country_code}",
    response_model=AvailableNumberList,
    responses=_NEGOTIATION | _AUTH | _INVALID | {404: _error("Unknown country")},
    openapi_extra={"parameters": _AVAILABLE_PARAMETERS},
    summary="Available numbers in a country (ISO code; `uk` for the United Kingdom)",
)
def list_available_numbers_in_country(country_code: str, request: Request, tenant: TenantDep, session: SessionDep):
    return _available(request, tenant, session, _region(country_code))


def _region(country_code: str) -> str:
    region = country_code.upper()
    region = "GB" if region == "UK" else region
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise CloudlxError(404, "Country not found.")
    return region


# --- number addresses and restrictions --------------------------------------------------------------


@router.post(
    "/number-addresses/new",
    response_model=AddressCreated,
    responses=_NEGOTIATION | _AUTH | _INVALID,
    tags=["Number addresses"],
    summary="Add a Number Address",
)
async def create_number_address(data: Annotated[AddressIn, Body()], tenant: TenantDep, runtime: RuntimeDep):
    if not data.use_for_emergency_address and not data.use_for_proof_of_address:
        raise ValidationFailed({"use_for_emergency_address": ["At least one use_for_* parameter must be true."]})
    return await created_address(runtime, tenant, data)


def _restriction_countries() -> list[str]:
    return sorted({*phonenumbers.SUPPORTED_REGIONS, "UK"})


@router.get(
    "/number-restrictions",
    response_model=NumberRestrictions,
    responses=_NEGOTIATION | _AUTH | _INVALID,
    openapi_extra={
        "parameters": [
            _query(
                "country_iso", {"type": "string", "enum": _restriction_countries()}, "ISO code of the country", True
            ),
            _query(
                "number_service_type_code",
                {"type": "string", "enum": list(RESTRICTION_SERVICE_TYPES)},
                "The Number Service Type",
                True,
            ),
        ]
    },
    tags=["Number restrictions"],
    summary="Restrictions on numbers of a service type in a country",
)
def number_restrictions(request: Request, tenant: TenantDep, runtime: RuntimeDep):
    rules = QueryRules(request.query_params)
    country = rules.required("country_iso")
    if country is not None:
        country = rules.one_of("country_iso", _restriction_countries())
    code = rules.required("number_service_type_code")
    if code is not None:
        code = rules.one_of("number_service_type_code", RESTRICTION_SERVICE_TYPES)
    rules.check()
    assert country is not None and code is not None  # check() refused a missing one
    return json_response(service.restrictions(runtime.fixture(NAME), "GB" if country == "UK" else country, code))


def build_app(runtime: ProviderContext) -> FastAPI:
    app = build_subapp(
        runtime,
        PREFIX,
        title="CloudLX API (emulated)",
        description=(
            "Replays CloudLX's number API. Base URL: this server's `/cloudlx`. Get a token from "
            "`POST /api/oauth2/access-token` (any client id and secret; the client id names your tenant), "
            "then send `Authorization: Bearer <access_token>`. `Accept: application/vnd.cloudlx.v1+json` "
            "selects the API version (the default); an unknown version gets 400, a format other than json 406."
        ),
        errors=ERRORS,
        document_hook=_token_request_schemas,
    )
    app.include_router(oauth)
    app.include_router(router)
    return app
