"""``build_subapp`` with a provider's error renderer: whatever a provider's handlers leave unanswered
gets the provider's own body, never FastAPI's ``{"detail": …}`` or a plain-text 500."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse

from emulator.core.provider import ErrorRenderer
from emulator.core.subapp import GuardedRoute, build_subapp
from emulator.settings import Settings


class Refused(Exception):
    pass


ERRORS = ErrorRenderer(
    status=lambda status: PlainTextResponse(f"status {status}", status_code=status),
    unreadable_body=lambda error: PlainTextResponse(f"unreadable: {error.reason}", status_code=400),
    invalid_input=lambda error: PlainTextResponse(f"invalid: {error.errors()[0]['loc'][-1]}", status_code=422),
    raised={Refused: lambda _error: PlainTextResponse("refused", status_code=403)},
)


class _Runtime:
    """What a sub-app and its guarded routes read of the runtime: the settings."""

    settings = Settings(max_body_bytes=100)


@pytest.fixture
def client():
    router = APIRouter(route_class=GuardedRoute)

    @router.post("/things")
    def add_thing(count: int, body: dict):
        return {"count": count}

    @router.get("/refused")
    def refused():
        raise Refused

    @router.get("/broken")
    def broken():
        raise RuntimeError("a bug")

    app = build_subapp(_Runtime(), "/p", title="p", description="p", errors=ERRORS)  # type: ignore[arg-type]
    app.include_router(router)
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "answer"),
    [
        ("GET", "/nowhere", {}, (404, "status 404")),
        ("DELETE", "/things", {}, (405, "status 405")),
        ("POST", "/things?count=1", {"content": b"{", "headers": {"Content-Type": "application/json"}}, None),
        ("POST", "/things?count=x", {"json": {}}, (422, "invalid: count")),
        ("GET", "/refused", {}, (403, "refused")),
        ("GET", "/broken", {}, (500, "status 500")),
    ],
)
def test_every_failure_gets_the_renderers_body(client, method, path, kwargs, answer):
    response = client.request(method, path, **kwargs)
    if answer is None:
        assert response.status_code == 400 and response.text.startswith("unreadable: ")
    else:
        assert (response.status_code, response.text) == answer
