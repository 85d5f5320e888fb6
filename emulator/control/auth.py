"""The control token: with ``EMULATOR_CONTROL_TOKEN`` set, control routes want
``Authorization: Bearer <token>``. Declared as an HTTP bearer scheme, so the control plane's
Swagger UI offers its Authorize button and generated clients know how to send it."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ControlToken",
    description="The emulator's `EMULATOR_CONTROL_TOKEN`; needed only when the emulator was started with one.",
)


async def require_control_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    expected = request.app.state.runtime.settings.control_token
    if expected is None:
        return
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8")):
        raise HTTPException(
            401,
            "this control plane is locked: send Authorization: Bearer <EMULATOR_CONTROL_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )


ControlToken = Depends(require_control_token)
