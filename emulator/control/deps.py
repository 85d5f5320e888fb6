"""The control plane's routes reach the whole runtime (journal, faults, snapshots), not only the
narrow context providers see."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from emulator.core.runtime import Runtime


async def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
