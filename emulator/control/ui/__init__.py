"""``/_emulator/ui``: the web inspector, one server-rendered page plus a small script and style
sheet served from this package (no outside asset, no build step).

The page holds no data: everything it shows it fetches from the control plane's JSON endpoints,
with ``Authorization: Bearer <token>`` when a control token was typed into it.
"""

from __future__ import annotations

import html
from functools import cache
from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response

import emulator
from emulator.control.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

_STATIC = {"inspector.js": "text/javascript; charset=utf-8", "inspector.css": "text/css; charset=utf-8"}


@cache
def _asset(folder: str, name: str) -> str:
    return resources.files(__name__).joinpath(folder, name).read_text("utf-8")


@router.get("/ui", response_class=HTMLResponse)
def page(runtime: RuntimeDep) -> HTMLResponse:
    options = "".join(
        f'<option value="{html.escape(name)}">{html.escape(provider.title)}</option>'
        for name, provider in runtime.providers.items()
    )
    body = (
        _asset("templates", "inspector.html")
        .replace("{{version}}", html.escape(emulator.__version__))
        .replace("{{provider_options}}", options)
    )
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/ui/static/{name}")
def static(name: str) -> Response:
    media_type = _STATIC.get(name)
    if media_type is None:
        raise HTTPException(404, "no such asset")
    return Response(_asset("static", name), media_type=media_type, headers={"Cache-Control": "no-cache"})
