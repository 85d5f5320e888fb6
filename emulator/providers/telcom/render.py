"""Telcom's bytes as moonrope prints them: the success envelope, numbers and their destinations."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from emulator.core.rendering import CompactJSONResponse
from emulator.providers.telcom import service
from emulator.providers.telcom.models import Destination, Number
from emulator.providers.telcom.service import Written


def success(data: object, started: float) -> CompactJSONResponse:
    """``time`` is the handling time in seconds, rounded to 2 decimals as moonrope does."""
    elapsed = round(time.perf_counter() - started, 2)
    return CompactJSONResponse({"status": "success", "time": elapsed, "flags": {}, "data": data})


def timestamp(value: datetime | None) -> str | None:
    """``2015-05-05T14:43:36.000Z``: UTC, milliseconds, ``Z``."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


def destination_body(destination: Destination | None) -> dict | None:
    if destination is None:
        return None
    return {"type": destination.kind, "object": {"id": destination.object_id, "name": destination.name}}


def incoming_number(
    number: Number, destination: Destination | None, fresh: dict | None = None, *, with_destination: bool = True
) -> dict:
    fresh = fresh or {}

    def stamp(name: str) -> str | None:
        return timestamp(fresh.get(name) or getattr(number, name))

    body = {
        "id": number.number_id,
        "number": number.number,
        "context": number.context,
        "created_at": stamp("created_at"),
        "updated_at": stamp("updated_at"),
        "recording_enabled": number.recording_enabled,
        "caller_id_prefix": number.caller_id_prefix,
        "callerid_passthrough": number.callerid_passthrough,
        "forward_sip_to": number.forward_sip_to,
        "aquisition": {
            "acquired_at": stamp("acquired_at"),
            "subscriber": {
                **{name: getattr(number, name) for name in service.SUBSCRIBER_FIELDS},
                "pushed_at": stamp("pushed_at"),
                "status": number.subscriber_status,
            },
        },
    }
    if with_destination:
        body["destination"] = destination_body(destination)
    return body


def written(result: Written, *, with_destination: bool = True) -> dict:
    return incoming_number(result.number, result.destination, result.fresh, with_destination=with_destination)
