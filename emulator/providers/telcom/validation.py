"""Action parameters the way moonrope reads them.

A JSON body (``Content-Type: application/json``) is the parameter object; otherwise a form or query
field ``params`` holding JSON text is; otherwise the plain form and query fields are (form fields
win over query fields of the same name, as in Rack). Declared types are checked with moonrope's
own messages, backquotes included.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, overload
from urllib.parse import parse_qsl

from starlette.requests import Request

from emulator.core.http import BodyError, parse_json
from emulator.providers.telcom.errors import InvalidJSON, ParameterError

_TRUE_LIKE = ("true", "1", 1, True)
_FALSE_LIKE = ("false", "0", 0, False)
MAX_DIGITS = 4300
_RUBY_CLASS = {bool: "TrueClass", int: "Integer", float: "Float", str: "String", list: "Array", dict: "Hash"}


JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def media_type_of(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _media_type(request: Request) -> str:
    return media_type_of(request.headers.get("content-type"))


def _json_object(raw: bytes) -> dict:
    try:
        value = parse_json(raw)
    except BodyError as error:
        raise InvalidJSON(error.reason) from None
    if not isinstance(value, dict):
        raise InvalidJSON("params must be a JSON object")
    return value


async def read_params(request: Request) -> dict:
    media_type = _media_type(request)
    if media_type != FORM:
        return parse_params(media_type, await request.body() if media_type == JSON else b"", request.query_params)
    fields = dict(request.query_params)
    try:
        fields.update(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise InvalidJSON("form body is not valid UTF-8 text") from None
    return _fields(fields)


def parse_params(media_type: str, body: bytes, query: Mapping[str, str]) -> dict:
    """The parameters of a request that is not a form: its JSON body, or its query."""
    if media_type == JSON:
        return _json_object(body)
    return _fields(dict(query))


def _fields(fields: dict[str, str]) -> dict:
    if "params" in fields:
        return _json_object(fields["params"].encode("utf-8"))
    return fields


def _ruby_class(value: object) -> str:
    if value is False:
        return "FalseClass"
    return _RUBY_CLASS.get(type(value), type(value).__name__)


class Params:
    """Typed access to one request's parameters; ``None`` (JSON null) counts as missing."""

    def __init__(self, values: dict) -> None:
        self._values = values

    def _get(self, name: str, required: bool) -> object:
        value = self._values.get(name)
        if value is None and required:
            raise ParameterError(f"`{name}` parameter is required but is missing")
        return value

    @overload
    def integer(self, name: str, *, required: Literal[True]) -> int: ...
    @overload
    def integer(self, name: str, *, required: bool = False) -> int | None: ...
    def integer(self, name: str, *, required: bool = False) -> int | None:
        """An integer, or its decimal digits as text (what plain form and query fields carry)."""
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, str) and value.isascii() and value.isdigit():
            # Python refuses int() of more digits than this (a JSON body cannot carry them either).
            if len(value) > MAX_DIGITS:
                raise ParameterError(f"`{name}` is out of range")
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ParameterError(f"`{name}` should be a `Integer` but is a `{_ruby_class(value)}`")

    def boolean(self, name: str) -> bool | None:
        value = self._get(name, False)
        if value is None:
            return None
        if any(value == like and type(value) is type(like) for like in _TRUE_LIKE):
            return True
        if any(value == like and type(value) is type(like) for like in _FALSE_LIKE):
            return False
        raise ParameterError(f"`{name}` should be a boolean value")

    @overload
    def string(self, name: str, *, required: Literal[True]) -> str: ...
    @overload
    def string(self, name: str, *, required: bool = False) -> str | None: ...
    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self._get(name, required)
        if value is None or isinstance(value, str):
            return value
        raise ParameterError(f"`{name}` should be a `String` but is a `{_ruby_class(value)}`")
