"""Reading request bodies defensively: declared content type, well-formed JSON (their size is
bounded before they get here, by ``core/guard.py``)."""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import Message, Receive


class BodyError(Exception):
    """The body cannot be used; ``reason`` says why (for logs and detailed error bodies)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_json_content_type(value: str | None) -> bool:
    media_type = (value or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def _reject_constant(name: str) -> Any:
    raise BodyError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is beyond the range of a number")
    return value


def parse_json(raw: bytes) -> Any:
    """The JSON value of ``raw`` as ``json.loads`` reads it, or ``BodyError``. orjson reads it
    when it can and holds no float (orjson reads an integer past 64 bits as a float); anything
    else, refusals included, takes the standard library's way, whose messages the errors give."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    else:
        if not _holds_float(value):
            return value
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite)
        # "\ud800" escapes decode to lone surrogates, which no database or UTF-8 response can hold.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError) as error:
        raise BodyError(f"body is not valid UTF-8 text: {error.reason}") from None
    except json.JSONDecodeError as error:
        raise BodyError(f"{error.msg} at line {error.lineno} column {error.colno}") from None
    except ValueError as error:  # an integer of more digits than Python converts, or 1e400
        raise BodyError(f"body holds a number out of range: {error}") from None
    except RecursionError:
        raise BodyError("body is nested too deeply") from None
    return value


def _holds_float(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        return any(_holds_float(item) for item in value.values())
    if kind is list:
        return any(_holds_float(item) for item in value)
    return kind is float


def allowed_methods(request: Request) -> str:
    """The ``Allow`` value for a 405: every method some route of the app serves at this path
    (Starlette names only the first matching route's). HEAD rides along with GET, unlisted."""
    allowed = []
    for method in ("DELETE", "GET", "PATCH", "POST", "PUT"):
        probe = {**request.scope, "method": method}
        if any(route.matches(probe)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out an already read ``body`` once, then defers to ``receive``."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
