"""The wire: moonrope's ``/api/v2/{controller}/{action}`` routing, auth headers and envelopes.

Like the real platform, an action answers any HTTP method the same way; the OpenAPI document
lists each action once, as POST with a JSON body (the way clients call it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Request, Security
from fastapi.security import APIKeyHeader
from starlette.responses import PlainTextResponse, Response

from emulator.core.context import ProviderContext
from emulator.core.fastread import reader
from emulator.core.subapp import Responses, build_subapp
from emulator.core.threads import in_thread
from emulator.providers.telcom import schemas
from emulator.providers.telcom.actions import ACTIONS, READS, action_at, run_action
from emulator.providers.telcom.errors import (
    ERRORS,
    NAME,
    AccessDenied,
    InvalidJSON,
    failure,
    invalid_controller_or_action,
    invalid_json,
)
from emulator.providers.telcom.validation import read_params

PREFIX = f"/{NAME}"
# Every method moonrope routes alike; others never reach it.
ROUTED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

_token = APIKeyHeader(
    name="X-Auth-Token", scheme_name="AuthToken", auto_error=False, description="API token (names the tenant)"
)
_secret = APIKeyHeader(name="X-Auth-Secret", scheme_name="AuthSecret", auto_error=False, description="API secret")


async def dispatch(
    request: Request,
    token: Annotated[str | None, Security(_token)],
    secret: Annotated[str | None, Security(_secret)],
) -> Response:
    if request.method == "OPTIONS":
        return PlainTextResponse(
            "OK", headers={"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "*"}
        )
    action = action_at(request.url.path)
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
    if action.handler in READS and reader(runtime.db).inline:
        # A read on a local SQLite file takes microseconds: a thread hop would cost more.
        return run_action(runtime, action, token, values)
    return await in_thread(run_action, runtime, action, token, values)


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
