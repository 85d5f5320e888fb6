"""The wire: moonrope's ``/api/v2/{controller}/{action}`` routing, auth headers and envelopes.

Like the real platform, an action answers any HTTP method the same way; the OpenAPI document
lists each action once, as POST with a JSON body (the way clients call it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import FastAPI, Request, Security
from fastapi.security import APIKeyHeader
from pydantic import BaseModel
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from emulator.core.context import ProviderContext
from emulator.core.fastread import FastReader, read_call, reader
from emulator.core.hotpath import Answer, HotRequest, HotRoute
from emulator.core.streaming import JOINED_BODY_LIMIT, RenderedList
from emulator.core.subapp import Responses, build_subapp
from emulator.providers.telcom import render, schemas, service
from emulator.providers.telcom.errors import (
    ERRORS,
    NAME,
    AccessDenied,
    InvalidJSON,
    NotFound,
    TelcomError,
    failure,
    invalid_controller_or_action,
    invalid_json,
)
from emulator.providers.telcom.service import Inventory, NumberChanges
from emulator.providers.telcom.validation import FORM, Params, media_type_of, parse_params, read_params

PREFIX = f"/{NAME}"
# Every method moonrope routes alike; others never reach it.
ROUTED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

_token = APIKeyHeader(
    name="X-Auth-Token", scheme_name="AuthToken", auto_error=False, description="API token (names the tenant)"
)
_secret = APIKeyHeader(name="X-Auth-Secret", scheme_name="AuthSecret", auto_error=False, description="API secret")

ACCESS_NUMBERS = [
    {
        "number": "*55",
        "description": "Access your main voicemail menu. If your extension you are dialling from matches a mailbox ID, you will be automatically logged into your mailbox using this option.",
    },
    {
        "number": "*56",
        "description": "Access your main voicemail menu, you will be required to login using your mailbox ID and password at all times.",
    },
    {"number": "*10", "description": "Plays back your current internal caller ID."},
    {"number": "*50", "description": "Plays the current music on hold."},
    {
        "number": "*30*{number}",
        "description": "Page an extension or call group. If enabled, the call will automatically be answered.",
    },
    {
        "number": "*31*{number}",
        "description": "Withhold your number. Your caller ID will not be displayed to callers when using this prefix.",
    },
    {
        "number": "*32*{number}",
        "description": "Send your number if your account is set to withhold caller ID by default.",
    },
    {
        "number": "*21*{number}",
        "description": "Sets up call forwarding for the extension you are dialling from - {number} should be replaced with the number you wish to forward to as if dialled from your extension.",
    },
    {"number": "*21", "description": "Cancels call forwarding"},
    {"number": "*22", "description": "Plays back your current call forwarding destination (if any)"},
    {"number": "*8", "description": "Picks up another ringing phone within a pickup group"},
    {"number": "*01", "description": "Run an echo test"},
]


@dataclass
class Call:
    """One action call: who, with what, when."""

    session: Session
    tenant: str
    params: Params
    now: datetime
    inventory: Inventory
    fast: FastReader


# --- actions ------------------------------------------------------------------------------------


def list_numbers(call: Call) -> object:
    return RenderedList(service.number_list(call.fast, call.tenant, render.listed_numbers))


def number_info(call: Call) -> object:
    return render.incoming_number(
        *service.get_number(call.session, call.tenant, call.params.integer("id", required=True))
    )


def save_number(call: Call) -> object:
    return render.written(service.save_number(call.session, call.tenant, _changes(call.params), call.now))


def _changes(p: Params) -> NumberChanges:
    # Checked in the documented order: the first wrong parameter is the one reported.
    return NumberChanges(
        number_id=p.integer("id"),
        destination_type=p.string("destination_type"),
        destination_id=p.integer("destination_id"),
        caller_id_prefix=p.string("caller_id_prefix"),
        recording_enabled=p.boolean("recording_enabled"),
        callerid_passthrough=p.boolean("callerid_passthrough"),
        context=p.string("context"),
        number=p.string("number"),
    )


def available_prefixes(_call: Call) -> object:
    return [{"description": area.description, "prefix": area.national_prefix} for area in service.available_prefixes()]


def acquirable_numbers(call: Call) -> object:
    prefix = call.params.string("prefix", required=True)
    return service.acquirable_numbers(call.session, call.tenant, prefix, call.inventory)


def acquire_number(call: Call) -> object:
    number = call.params.string("number", required=True)
    written = service.acquire(call.session, call.tenant, number, call.inventory, call.now)
    return render.written(written, with_destination=False)


def update_subscriber(call: Call) -> object:
    number_id = call.params.integer("id", required=True)
    details = {name: call.params.string(name) for name in service.SUBSCRIBER_FIELDS}
    return render.written(service.update_subscriber(call.session, call.tenant, number_id, details, call.now))


def delete_number(call: Call) -> object:
    service.delete_number(call.session, call.tenant, call.params.integer("id", required=True))
    return True


def available_access_numbers(_call: Call) -> object:
    return ACCESS_NUMBERS


def _destination_actions(kind: str, label: str) -> tuple[Callable[[Call], object], Callable[[Call], object]]:
    def list_all(call: Call) -> object:
        return [{"id": d.object_id, "name": d.name} for d in service.list_destinations(call.session, call.tenant, kind)]

    def info(call: Call) -> object:
        object_id = call.params.integer("id", required=True)
        destination = service.find_destination(call.session, call.tenant, kind, object_id)
        if destination is None:
            raise NotFound(f"No {label} found with ID {object_id}")
        return {"id": destination.object_id, "name": destination.name}

    return list_all, info


list_menus, menu_info = _destination_actions("Menu", "menu")
list_call_groups, call_group_info = _destination_actions("CallGroup", "call group")


@dataclass(frozen=True)
class Action:
    handler: Callable[[Call], object]
    summary: str
    description: str
    envelope: type[BaseModel]
    params: type[BaseModel] | None = None


ACTIONS: dict[tuple[str, str], Action] = {
    ("numbers", "list"): Action(
        list_numbers,
        "List all numbers",
        "Retrieve a list of all incoming numbers in your unit.",
        schemas.NumberListEnvelope,
    ),
    ("numbers", "info"): Action(
        number_info,
        "Number properties",
        "Retrieve information about a specific incoming number in your unit.",
        schemas.NumberEnvelope,
        schemas.IdParams,
    ),
    ("numbers", "save"): Action(
        save_number,
        "Add or update a number",
        "Add (without `id`: `number` and `context` required) or update (with `id`) an incoming number in your unit. `number` and `context` can only be given on creation.",
        schemas.NumberEnvelope,
        schemas.SaveParams,
    ),
    ("numbers", "available_prefixes"): Action(
        available_prefixes,
        "List all available prefixes",
        "Retrieve a list of all available number prefixes that numbers can be provided for.",
        schemas.PrefixListEnvelope,
    ),
    ("numbers", "acquirable_numbers"): Action(
        acquirable_numbers,
        "List available numbers within a prefix",
        "Retrieve a list of available numbers within a specific prefix.",
        schemas.NumberTextListEnvelope,
        schemas.PrefixParams,
    ),
    ("numbers", "acquire"): Action(
        acquire_number,
        "Purchase a new number",
        "Purchase an available number for your unit. The response has no `destination` key.",
        schemas.AcquiredNumberEnvelope,
        schemas.AcquireParams,
    ),
    ("numbers", "update_subscriber"): Action(
        update_subscriber,
        "Update subscriber information",
        "Update subscriber information for a specific number; the subscriber's status becomes `validation_pending`.",
        schemas.NumberEnvelope,
        schemas.SubscriberParams,
    ),
    ("numbers", "delete"): Action(
        delete_number,
        "Delete a number",
        "Remove an incoming number from your unit (`data: true`).",
        schemas.DeletedEnvelope,
        schemas.IdParams,
    ),
    ("numbers", "available_access_numbers"): Action(
        available_access_numbers,
        "List all access numbers",
        "Obtain a list of available access numbers within your unit.",
        schemas.AccessNumberListEnvelope,
    ),
    ("menus", "list"): Action(
        list_menus,
        "List all menus",
        "The unit's menus (number destinations of type `Menu`).",
        schemas.DestinationListEnvelope,
    ),
    ("menus", "info"): Action(
        menu_info, "Menu properties", "One menu of the unit.", schemas.DestinationEnvelope, schemas.IdParams
    ),
    ("call_groups", "list"): Action(
        list_call_groups,
        "List all call groups",
        "The unit's call groups (number destinations of type `CallGroup`).",
        schemas.DestinationListEnvelope,
    ),
    ("call_groups", "info"): Action(
        call_group_info,
        "Call group properties",
        "One call group of the unit.",
        schemas.DestinationEnvelope,
        schemas.IdParams,
    ),
}


_READS = frozenset({list_numbers, number_info})
"""Read-only actions, answered on the event loop where the database allows it."""


def _route(path: str) -> Action | None:
    """moonrope splits what follows ``/api/`` into version, controller and action."""
    parts = path.split("/api/", 1)[1].split("/") if "/api/" in path else []
    if len(parts) < 3:
        return None
    return ACTIONS.get((parts[1], parts[2]))


def _inventory(runtime: ProviderContext) -> Inventory:
    stock = runtime.fixture(NAME)["inventory"]
    return Inventory(seed=stock["seed"], listed={prefix: tuple(numbers) for prefix, numbers in stock["listed"].items()})


def _call(runtime: ProviderContext, session: Session, tenant: str, values: dict) -> Call:
    return Call(
        session, tenant, Params(values), runtime.clock.now(NAME, tenant), _inventory(runtime), reader(runtime.db)
    )


def _run(runtime: ProviderContext, action: Action, tenant: str, values: dict) -> Response:
    with runtime.db.session() as session:
        call = _call(runtime, session, tenant, values)
        # moonrope times the action itself, not routing, authentication or body reading.
        started = time.perf_counter()
        try:
            return render.success(action.handler(call), started)
        except TelcomError as error:
            session.rollback()
            return failure(error)


async def dispatch(
    request: Request,
    token: Annotated[str | None, Security(_token)],
    secret: Annotated[str | None, Security(_secret)],
) -> Response:
    if request.method == "OPTIONS":
        return PlainTextResponse(
            "OK", headers={"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "*"}
        )
    action = _route(request.url.path)
    if action is None:
        return invalid_controller_or_action()
    runtime: ProviderContext = request.app.state.runtime
    if token is None or not runtime.credentials.accepts(NAME, token, secret):
        await runtime.tenants.attribute_refused(request, NAME, token)
        return failure(AccessDenied("Invalid API token or secret"))
    await runtime.tenants.enter_async(request, NAME, token)
    try:
        values = await read_params(request)
    except InvalidJSON as error:
        return invalid_json(error.details)
    if action.handler in _READS and reader(runtime.db).inline:
        # A read on a local SQLite file takes microseconds: a thread hop would cost more.
        return _run(runtime, action, token, values)
    return await run_in_threadpool(_run, runtime, action, token, values)


# --- hot routes: the two read actions without FastAPI's routing, same bytes -----------------------


def _hot_call(request: HotRequest) -> tuple[str, dict] | None:
    """An action call's accepted token and readable parameters (not a form); None (the route
    answers) for anything else."""
    token = request.header(b"x-auth-token") or None
    if token is None or not request.runtime.credentials.accepts(NAME, token, request.header(b"x-auth-secret") or None):
        return None
    media_type = media_type_of(request.header(b"content-type"))
    if media_type == FORM:
        return None
    try:
        return token, parse_params(media_type, request.body, request.query)
    except InvalidJSON:
        return None


def _hot_action(action: Action) -> Answer:
    """``dispatch`` for an accepted token and readable parameters (not a form); None (the route
    answers) for anything else. The action's data is kept while the store is unchanged; ``time``
    is this answer's own."""

    async def answer(request: HotRequest) -> Response | None:
        called = _hot_call(request)
        if called is None:
            return None
        token, values = called
        runtime = request.runtime
        await request.enter(NAME, token)
        started = time.perf_counter()
        key = (action.summary, token, repr(sorted(values.items())))
        data = request.cached(key)
        if data is None:
            if action.handler is list_numbers:
                # Read and rendered in chunks; kept only when small.
                members = await service.read_number_list(reader(runtime.db), token, render.listed_numbers)
                data = RenderedList(members)
                if sum(len(member) for member in members) > JOINED_BODY_LIMIT:
                    return render.success(data, started)
            else:
                with runtime.db.session() as session:
                    try:
                        data = await read_call(runtime.db, action.handler, _call(runtime, session, token, values))
                    except TelcomError as error:
                        return failure(error)
                data = render.rendered(data)
            request.keep(key, data)
        return render.success(data, started)

    return answer


async def _hot_update(request: HotRequest) -> Response | None:
    """``numbers/save`` of an existing number (an ``id``, no ``number`` or ``context``), as the
    action does it, through the driver in the database's next group commit; anything else (a
    new number, a form, a parameter the action would refuse) is the route's."""
    called = _hot_call(request)
    if called is None:
        return None
    token, values = called
    runtime = request.runtime
    try:
        changes = _changes(Params(values))
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


def hot_routes(_runtime: ProviderContext) -> list[HotRoute]:
    routes = [HotRoute("/api/v2/numbers/save", _hot_update, method="POST", body=True)]
    for controller, name in (("numbers", "list"), ("numbers", "info")):
        answer = _hot_action(ACTIONS[(controller, name)])
        path = f"/api/v2/{controller}/{name}"
        routes.append(HotRoute(path, answer, method="POST", body=True))
        routes.append(HotRoute(path, answer, template="/api/{path:path}"))
    return routes


_BAD_REQUEST: Responses = {
    400: {
        "model": schemas.InvalidControllerOrAction | schemas.InvalidJSONBody,
        "description": "The body (or the `params` field) is not a JSON object",
    }
}

_DESCRIPTION = """Replays Telcom's Voice API (moonrope). Base URL: this server's `/telcom`.

Every action answers **any HTTP method** alike. Parameters come as a JSON body
(`Content-Type: application/json`), as a form or query field `params=<JSON text>`, or as plain
form or query fields; this document shows the JSON body. Errors inside an action are **HTTP 200**
envelopes with `"time":null`: `access-denied`, `not-found`, `parameter-error`, `validation-error`,
and `"status":"error"` with a `code`. Only an unroutable path (`invalid-controller-or-action`) and an
unreadable body (`invalid-json`) get HTTP 400."""


def build_app(runtime: ProviderContext) -> FastAPI:
    app = build_subapp(runtime, PREFIX, title="Telcom Voice API (emulated)", description=_DESCRIPTION, errors=ERRORS)
    for (controller, name), action in ACTIONS.items():
        extra: dict = {}
        if action.params is not None:
            schema = action.params.model_json_schema()
            extra["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
        app.add_api_route(
            f"/api/v2/{controller}/{name}",
            dispatch,
            methods=["POST"],
            summary=action.summary,
            description=action.description,
            tags=[controller],
            operation_id=f"{controller}_{name}",
            response_class=Response,
            responses={
                200: {"model": schemas.answers(action.envelope), "description": "Success, or an error envelope"},
                **_BAD_REQUEST,
            },
            openapi_extra=extra,
        )
    app.add_api_route("/api/{path:path}", dispatch, methods=ROUTED_METHODS, include_in_schema=False)
    return app
