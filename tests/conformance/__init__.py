"""The conformance suite's vocabulary: what each provider declares of itself (in
``tests/<provider>/conformance.py`` as ``CONFORMANCE``) so that one suite can hold every provider
to the same contract without knowing any of them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from emulator.core.provider import Provider, TenantCredentials


@dataclass(frozen=True)
class Call:
    """One request, its path below the provider's prefix; ``content`` is sent as raw JSON."""

    method: str
    path: str
    json: Any = None
    content: bytes | None = None

    def send(self, client: TestClient, provider: Provider, headers: Mapping[str, str]) -> Response:
        if self.content is not None:
            headers = {**headers, "Content-Type": "application/json"}
            return client.request(self.method, provider.prefix + self.path, headers=headers, content=self.content)
        return client.request(self.method, provider.prefix + self.path, headers=headers, json=self.json)


@dataclass(frozen=True)
class Refusal:
    """A request the provider refuses, and its answer as text (varying parts written ``…``)."""

    call: Call
    status: int
    body: str


def header_credentials(_client: TestClient, credentials: TenantCredentials) -> dict[str, str]:
    """The credentials' fields are the request headers."""
    return dict(credentials.fields)


@dataclass(frozen=True)
class Conformance:
    read: Call
    """Answered 200 to a fresh tenant, showing the state that ``change`` alters."""
    change: Call
    """A successful request that changes what ``read`` answers."""
    wrong_method: Call
    """A path the provider serves, with a method it does not serve there."""
    unreadable_body: Refusal
    """A body that is not JSON."""
    invalid_body: Refusal
    """Well-formed JSON the route's schema refuses."""
    seeded: str
    """Text that ``read`` answers a fresh tenant with, from its default fixtures."""
    authenticate: Callable[[TestClient, TenantCredentials], dict[str, str]] = header_credentials
    """The request headers that present a tenant's credentials."""
    varying: tuple[str, ...] = ()
    """Patterns of what differs between two identical answers (trace ids, timings)."""

    def masked(self, text: str) -> str:
        for pattern in self.varying:
            text = re.sub(pattern, "…", text)
        return text


def declared(provider: Provider) -> Conformance:
    """The provider's own declaration; a registered provider without one fails the suite."""
    return import_module(f"tests.{provider.name}.conformance").CONFORMANCE
