"""What every control route depends on."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from pydantic import BaseModel

from emulator.core.runtime import Runtime


async def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


class ErrorDetail(BaseModel):
    detail: str


NOT_FOUND = {404: {"model": ErrorDetail, "description": "Not found"}}
BAD_BODY = {400: {"model": ErrorDetail, "description": "The body is not JSON"}}
