"""Calling the Telcom emulator the way its clients do, and reading bodies as text."""

from __future__ import annotations

import re

AUTH = {"X-Auth-Token": "unit-1", "X-Auth-Secret": "secret"}
API = "/telcom/api/v2"
_MEASURED_TIME = re.compile(r'^\{"status":"success","time":\d+(?:\.\d+)?,')


def call(client, action: str, params: dict | None = None, headers: dict | None = None):
    """POST with a JSON body, as clients do (no body when there are no parameters)."""
    headers = AUTH if headers is None else headers
    if params is None:
        return client.post(f"{API}/{action}", headers=headers)
    return client.post(f"{API}/{action}", headers=headers, json=params)


def with_time(text: str, documented: float) -> str:
    """The body with its measured handling time replaced by the documented one: the only value
    that may differ from the documentation."""
    assert _MEASURED_TIME.match(text), text
    return _MEASURED_TIME.sub(f'{{"status":"success","time":{documented},', text, count=1)


def freeze_clock(client, instant: str) -> None:
    assert client.post("/_emulator/clock/freeze").status_code == 200
    assert client.post("/_emulator/clock/set", json={"now": instant}).status_code == 200
