"""Laravel's validator, as far as CloudLX's endpoints need it: its rules for query parameters, and its
messages ("The max per page must be between 1 and 200.") for bodies that pydantic has rejected."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pydantic_core import ErrorDetails

from emulator.core.provider import ErrorRenderer
from emulator.providers.cloudlx.errors import CloudlxError, ValidationFailed, error_response, render_error

PHP_INT_MAX = 2**63 - 1
# PHP's FILTER_VALIDATE_INT: optional sign, no leading zeros, surrounding whitespace ignored.
_PHP_INT = re.compile(r"[+-]?(0|[1-9][0-9]*)")


def attribute_name(key: str) -> str:
    """How Laravel names a field in its messages: ``max_per_page`` → ``max per page``."""
    return key.replace("_", " ")


class QueryRules:
    """Collects the messages of failing query-parameter rules, one per field as Laravel shows them."""

    def __init__(self, params: Mapping[str, str]) -> None:
        self._params = params
        self.errors: dict[str, list[str]] = {}

    def _value(self, key: str) -> str | None:
        return self._params.get(key)

    def _fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message.replace(":attribute", attribute_name(key)))

    def required(self, key: str) -> str | None:
        value = self._value(key)
        if not value:
            self._fail(key, "The :attribute field is required.")
        return value

    def integer(self, key: str, default: int, low: int, high: int | None = None) -> int:
        value = self._value(key)
        if value is None:
            return default
        text = value.strip()
        # Length first: int() refuses thousands of digits, and PHP_INT_MAX has 19.
        if not _PHP_INT.fullmatch(text) or len(text.lstrip("+-")) > 19 or abs(int(text)) > PHP_INT_MAX:
            self._fail(key, "The :attribute must be an integer.")
            return default
        number = int(text)
        if high is not None and not low <= number <= high:
            self._fail(key, f"The :attribute must be between {low} and {high}.")
        elif number < low:
            self._fail(key, f"The :attribute must be at least {low}.")
        return number

    def digits(self, key: str, max_digits: int) -> str | None:
        """Digits to look for; sent empty, the filter is off (Laravel skips an empty optional field)."""
        value = self._value(key)
        if value and not re.fullmatch(rf"[0-9]{{1,{max_digits}}}", value):
            self._fail(key, "The :attribute format is invalid.")
            return None
        return value or None

    def one_of(self, key: str, allowed: Sequence[str]) -> str | None:
        value = self._value(key)
        if value is not None and value not in allowed:
            self._fail(key, "The selected :attribute is invalid.")
            return None
        return value

    def boolean(self, key: str) -> bool:
        value = self._value(key)
        if value is None:
            return False
        if value not in ("1", "0", "true", "false"):
            self._fail(key, "The :attribute field must be true or false.")
            return False
        return value in ("1", "true")

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


_TYPE_TAGS = ("int", "str", "bool", "float", "list", "dict", "none")


def _key(loc: Sequence[str | int]) -> str:
    return ".".join(str(part) for part in loc)


def _message(error: ErrorDetails, name: str) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return f"The {name} field is required."
    if kind in ("string_type",):
        return f"The {name} must be a string."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"The {name} must be an integer."
    if kind == "bool_type":
        return f"The {name} field must be true or false."
    if kind in ("list_type", "dict_type", "model_type", "model_attributes_type"):
        return f"The {name} must be an array."
    if kind == "string_too_long":
        return f"The {name} may not be greater than {ctx.get('max_length')} characters."
    if kind == "greater_than_equal":
        return f"The {name} must be at least {ctx.get('ge')}."
    if kind == "less_than_equal":
        return f"The {name} may not be greater than {ctx.get('le')}."
    if kind == "too_short":
        return f"The {name} must have at least {ctx.get('min_length')} items."
    if kind == "too_long":
        return f"The {name} may not have more than {ctx.get('max_length')} items."
    if kind == "string_pattern_mismatch":
        return f"The {name} format is invalid."
    if kind == "value_error":
        return str(ctx.get("error", "")).replace(":attribute", name)
    return f"The selected {name} is invalid."


def body_errors(errors: Sequence[ErrorDetails]) -> dict[str, list[str]]:
    """pydantic's complaints about a JSON body as Laravel's message bag, keyed by dotted field path."""
    bag: dict[str, list[str]] = {}
    for error in errors:
        loc = [part for part in error["loc"] if part != "body"]
        # A union names each branch it tried ("constrained-int", "list[constrained-int]"); the field is what failed.
        loc = [
            part for part in loc if not (isinstance(part, str) and ("[" in part or "-" in part or part in _TYPE_TAGS))
        ]
        if not loc:
            bag.setdefault("body", ["The request body must be a JSON object."])
            continue
        key = _key(loc)
        # One message per field: the first branch's, as Laravel stops at a field's first type rule.
        bag.setdefault(key, [_message(error, attribute_name(key))])
    return bag


ERRORS = ErrorRenderer(
    status=error_response,
    unreadable_body=lambda error: render_error(
        CloudlxError(400, f"The request body could not be read: {error.reason}.")
    ),
    invalid_input=lambda error: render_error(ValidationFailed(body_errors(error.errors()))),
    raised={CloudlxError: render_error},
)
"""CloudLX's error bodies (with the validation messages, hence here)."""
