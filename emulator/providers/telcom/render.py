"""Telcom's bytes as moonrope prints them: the success envelope, numbers and their destinations."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import Response

from emulator.core.rendering import CompactJSONResponse, compact_items, compact_json
from emulator.core.streaming import RenderedList, chunked_response, list_frame
from emulator.providers.telcom import service
from emulator.providers.telcom.models import Destination, Number
from emulator.providers.telcom.service import Written


@dataclass(frozen=True)
class RenderedData:
    """An action's data as ``CompactJSONResponse`` renders it (what the hot routes keep while the
    store is unchanged: framed by the envelope, not rendered again)."""

    body: bytes


def rendered(data: object) -> RenderedData:
    return RenderedData(compact_json(data))


@functools.lru_cache(maxsize=64)
def _frame(elapsed: float, listed: bool) -> tuple[bytes, bytes]:
    """What comes before and after the data (or a list's members) in the envelope with this
    ``time``, which is nearly always the same: rendered once."""
    marker = "\x00"
    data: object = [marker] if listed else marker
    whole = compact_json({"status": "success", "time": elapsed, "flags": {}, "data": data})
    return list_frame(whole, compact_items([marker]))


def success(data: object, started: float) -> Response:
    """``time`` is the handling time in seconds, rounded to 2 decimals as moonrope does. A list
    rendered in chunks (``RenderedList``, by ``compact_items``) is sent as its chunks; data
    already rendered (``RenderedData``) is framed as it is."""
    return _success(data, round(time.perf_counter() - started, 2))


class Framed:
    """Rendered data (what the hot routes keep while the store is unchanged) with its whole
    answer for each ``time`` it has been sent with: nearly always the same one."""

    TIMES = 8

    def __init__(self, data: object) -> None:
        self.data = data
        self._answers: dict[float, Response] = {}

    def response(self, started: float) -> Response:
        """``success`` of the data."""
        elapsed = round(time.perf_counter() - started, 2)
        found = self._answers.get(elapsed)
        if found is None:
            found = _success(self.data, elapsed)
            if len(self._answers) < self.TIMES:
                self._answers[elapsed] = found
        return found


def _success(data: object, elapsed: float) -> Response:
    if isinstance(data, RenderedList):
        if data.members:
            head, tail = _frame(elapsed, True)
            return chunked_response([head, *data.members, tail], media_type=CompactJSONResponse.media_type)
        data = []
    if isinstance(data, RenderedData):
        head, tail = _frame(elapsed, False)
        return Response(head + data.body + tail, media_type=CompactJSONResponse.media_type)
    return CompactJSONResponse({"status": "success", "time": elapsed, "flags": {}, "data": data})


def timestamp(value: datetime | None) -> str | None:
    """``2015-05-05T14:43:36.000Z``: UTC, milliseconds, ``Z``."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


def _stored_timestamp(value: Any) -> str | None:
    """``timestamp`` of a column as the DB-API hands it: SQLAlchemy's text on SQLite
    (``2015-05-05 14:43:36.000000``), a ``datetime`` elsewhere."""
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " " and value[19] == ".":
            return f"{value[:10]}T{value[11:19]}.{value[20:23]}Z"
        value = datetime.fromisoformat(value)
    return timestamp(value)


def listed_members(rows: Sequence[Sequence[Any]]) -> bytes:
    """Rows of SQLite's own rendering of ``service.number_list`` (one member each), as list
    members; a member with an instant the SQL left marked is mended here."""
    joined = b",".join([row[0] for row in rows])
    if _MARKED not in joined:
        return joined
    return b",".join([_mended(row[0]) if _MARKED in row[0] else row[0] for row in rows])


_MARKED = orjson.dumps(service.STAMP_MARK)[1:-1]
_STAMPS = (("created_at",), ("updated_at",), ("aquisition", "acquired_at"), ("aquisition", "subscriber", "pushed_at"))


def _mended(member: bytes) -> bytes:
    """A member whose marked instants (or text holding the mark) are rendered by ``_stored_timestamp``."""
    item = orjson.loads(member)
    for *path, name in _STAMPS:
        holder = functools.reduce(dict.__getitem__, path, item)
        value = holder[name]
        if isinstance(value, str) and value.startswith(service.STAMP_MARK):
            holder[name] = _stored_timestamp(value[1:])
    return compact_items([item])


def listed_numbers(rows: Sequence[Sequence[Any]]) -> bytes:
    """Rows of ``service.number_list``, as ``incoming_number`` renders them, as list members."""
    return compact_items([number_item(row) for row in rows])


def number_item(row: Sequence[Any], updated_at: datetime | None = None) -> dict:
    """A row as ``service.number_list`` reads it, as ``incoming_number`` renders it; ``updated_at``
    is the instant a write has just set (shown to the millisecond, stored to the second)."""
    kind, object_id, name = row[19:22]
    return {
        "id": row[0],
        "number": row[1],
        "context": row[2],
        "created_at": _stored_timestamp(row[3]),
        "updated_at": timestamp(updated_at) if updated_at is not None else _stored_timestamp(row[4]),
        "recording_enabled": bool(row[5]),
        "caller_id_prefix": row[6],
        "callerid_passthrough": bool(row[7]),
        "forward_sip_to": row[8],
        "aquisition": {
            "acquired_at": _stored_timestamp(row[9]),
            "subscriber": {
                **dict(zip(service.SUBSCRIBER_FIELDS, row[10:17], strict=True)),
                "pushed_at": _stored_timestamp(row[17]),
                "status": row[18],
            },
        },
        "destination": None if kind is None else {"type": kind, "object": {"id": object_id, "name": name}},
    }


def destination_body(destination: Destination | None) -> dict | None:
    if destination is None:
        return None
    return {"type": destination.kind, "object": {"id": destination.object_id, "name": destination.name}}


def incoming_number(
    number: Number | Mapping[str, Any],
    destination: Destination | None,
    fresh: dict | None = None,
    *,
    with_destination: bool = True,
) -> dict:
    """A number as the platform shows it: ``number`` the ORM row, or a mapping of its column
    values; ``fresh`` the instants a write has just set (shown to the millisecond)."""
    fresh = fresh or {}
    field: Callable[[str], Any] = (
        number.__getitem__ if isinstance(number, Mapping) else functools.partial(getattr, number)
    )

    def stamp(name: str) -> str | None:
        return timestamp(fresh.get(name) or field(name))

    body = {
        "id": field("number_id"),
        "number": field("number"),
        "context": field("context"),
        "created_at": stamp("created_at"),
        "updated_at": stamp("updated_at"),
        "recording_enabled": field("recording_enabled"),
        "caller_id_prefix": field("caller_id_prefix"),
        "callerid_passthrough": field("callerid_passthrough"),
        "forward_sip_to": field("forward_sip_to"),
        "aquisition": {
            "acquired_at": stamp("acquired_at"),
            "subscriber": {
                **{name: field(name) for name in service.SUBSCRIBER_FIELDS},
                "pushed_at": stamp("pushed_at"),
                "status": field("subscriber_status"),
            },
        },
    }
    if with_destination:
        body["destination"] = destination_body(destination)
    return body


def written(result: Written, *, with_destination: bool = True) -> dict:
    return incoming_number(result.number, result.destination, result.fresh, with_destination=with_destination)
