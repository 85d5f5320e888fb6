"""Shared by the CloudLX tests: tokens, headers, and the documentation's bodies as the docs print them."""

from __future__ import annotations

import re

BASE = "/cloudlx/api"
ACCEPT = {"Accept": "application/vnd.cloudlx.v1+json"}
DOCUMENTED_UUID = "7c327e0f-6bce-4b2f-9d5d-9c86e7fa065f"
CANCELLED_UUID = "84436b07-5aa7-481e-bc04-86b7a425b54c"
BAD_CREDENTIALS = (
    '{"message":"Failed to authenticate because of bad credentials or an invalid authorization header.",'
    '"status_code":401}'
)


def token(client, tenant: str = "tenant-1", secret: str = "secret") -> str:
    response = client.post(
        f"{BASE}/oauth2/access-token",
        data={"grant_type": "client_credentials", "client_id": tenant, "client_secret": secret},
        headers=ACCEPT,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def auth(client, tenant: str = "tenant-1") -> dict[str, str]:
    return {**ACCEPT, "Authorization": f"Bearer {token(client, tenant)}"}


_STRING_OR_SPACE = re.compile(r'("(?:[^"\\]|\\.)*")|\s+')


def compact(documented: str) -> str:
    """The documentation's pretty-printed example with the whitespace between tokens removed and
    nothing else changed (key order, number formatting, strings): PHP json_encode's bytes."""
    return _STRING_OR_SPACE.sub(lambda match: match.group(1) or "", documented)


def freeze(client, instant: str) -> None:
    assert client.post("/_emulator/clock/set", json={"now": instant}).status_code == 200
    assert client.post("/_emulator/clock/freeze").status_code == 200


def advance(client, seconds: float) -> None:
    assert client.post("/_emulator/clock/advance", json={"seconds": seconds}).status_code == 200


def generate(client, tenant: str, count: int, seed: int = 1) -> int:
    """Fill a tenant through the provider's bulk generation hook (as the seed command does)."""
    runtime = client.app.state.runtime
    provider = runtime.providers["cloudlx"]
    runtime.tenants.ensure("cloudlx", tenant)
    with runtime.db.session() as session:
        added = provider.generate(session, tenant, count, seed, runtime)
        session.commit()  # the seed command commits once, after its last batch
        return added
