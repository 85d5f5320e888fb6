"""Field types that accept exactly what their JSON Schema says, no more, no less.

pydantic's lax mode takes ``"5"`` and ``true`` for integers and numbers for datetimes (which the
schema forbids); its strict mode refuses ``2.0`` for an integer (which JSON Schema allows). These
types sit in between, so a document's schema and its validation agree.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, Strict, StringConstraints

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _json_integer(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _iso_text(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be an ISO 8601 date or date-time text")
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range once converted to UTC") from None


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def json_int(ge: int | None = None, le: int | None = None) -> Any:
    """A JSON integer (``2`` or ``2.0``), never a string or boolean, within bounds. The bounds sit
    inside the conversion so the JSON Schema states them as ``minimum``/``maximum``."""
    return Annotated[int, Strict(), Field(ge=ge, le=le), BeforeValidator(_json_integer)]


BigInt = json_int(-(2**53 - 1), 2**53 - 1)
"""Any integer a database column and a JSON double both hold exactly."""
JSONFloat = Annotated[float, Strict(), Field(allow_inf_nan=False)]
JSONBool = Annotated[bool, Strict()]
JSONStr = Annotated[str, Strict(), Field(pattern=r"^[^\x00]*$"), AfterValidator(_storable)]


def json_text(min_length: int = 0, max_length: int = 255) -> Any:
    """A JSON string a database column holds: bounded, no NUL, valid Unicode."""
    bounds = StringConstraints(min_length=min_length or None, max_length=max_length, pattern=r"^[^\x00]*$")
    return Annotated[str, Strict(), bounds, AfterValidator(_storable)]


Text = json_text()
RequiredText = json_text(min_length=1)
JSONDate = Annotated[date, BeforeValidator(_iso_text)]
UTCDateTime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_utc)]
"""ISO text only; an instant without offset is UTC; stored and compared in UTC."""
