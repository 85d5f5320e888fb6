"""Which provider a request is for: shared by virtual-host routing, the journal and fault rules.

Everything here is pure ASGI (no ``BaseHTTPMiddleware``), so bodies stream through untouched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from emulator.core.provider import Provider

CONTROL_PREFIX = "/_emulator"


@dataclass(frozen=True)
class ProviderRequest:
    provider: Provider
    path: str
    """The path below the provider's prefix: the real API's path, e.g. ``/voip/number-address``."""


DOCS_PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
DOCS_ASSETS = "/docs-assets"
"""Swagger UI's script, styles and icons, served from the installed ``fastapi-offline`` package
(Swagger UI 5, which renders OpenAPI 3.1), so a docs page needs no outside host."""

DOCUMENTATION_PATHS = frozenset({"/openapi.json", DOCS_PATH, OAUTH2_REDIRECT_PATH, DOCS_ASSETS})
"""A sub-app's own OpenAPI document and Swagger UI paths (FastAPI's default ``openapi_url`` and
the ones above): served by the emulator, not the provider, so never journaled or faulted."""


_CLASSIFIED = "emulator.traffic"
"""Where a request's classification is kept in its scope, with the path it was made for."""


class Traffic:
    def __init__(self, providers: Iterable[Provider], documentation: dict[str, frozenset[str]]) -> None:
        self._providers = {provider.name: provider for provider in providers}
        self._documentation = {
            name: (paths, tuple(f"{path}/" for path in paths if path.endswith("-assets")))
            for name, paths in documentation.items()
        }

    def classify(self, scope: dict) -> ProviderRequest | None:
        """The provider a request's path belongs to, or None for the control plane, the index and
        the providers' documentation pages. Worked out once per request (the journal, the metrics
        and the faults all ask)."""
        path: str = scope["path"]
        kept = scope.get(_CLASSIFIED)
        if kept is not None and kept[0] is path:
            return kept[1]
        found = self._classified(path)
        scope[_CLASSIFIED] = (path, found)
        return found

    def _classified(self, path: str) -> ProviderRequest | None:
        provider = self._providers.get(path[1:].split("/", 1)[0]) if path.startswith("/") else None
        if provider is None:
            return None
        below = path[len(provider.prefix) :] or "/"
        paths, assets = self._documentation.get(provider.name, ((), ()))
        if below in paths or below.startswith(assets):
            return None
        return ProviderRequest(provider, below)


def request_host(scope: dict) -> str:
    """The ``Host`` header's name, lower-case, without port or trailing dot."""
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host = value.decode("latin-1").strip().lower()
            if host.startswith("["):  # IPv6 literal
                return host.split("]", 1)[0] + "]"
            return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")
    return ""


class VirtualHosts:
    """A request whose ``Host`` is a provider's real API host goes to that provider without the
    prefix, so a container reachable under that name needs no base-URL change in the client. The
    control plane stays reachable on every host."""

    def __init__(self, app, prefixes: dict[str, str]) -> None:
        self.app = app
        self._prefixes = prefixes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and self._prefixes:
            prefix = self._prefixes.get(request_host(scope))
            path = scope["path"]
            if prefix is not None and path != CONTROL_PREFIX and not path.startswith(CONTROL_PREFIX + "/"):
                raw_path = scope.get("raw_path") or path.encode()
                scope = {**scope, "path": prefix + path, "raw_path": prefix.encode() + raw_path}
        await self.app(scope, receive, send)


def virtual_host_prefixes(configured: dict[str, str] | None, providers: dict[str, Provider]) -> dict[str, str]:
    """Host → provider prefix, from the setting or, when unset, each provider's real hosts."""
    if configured is None:
        return {host.lower(): provider.prefix for provider in providers.values() for host in provider.hosts}
    unknown = sorted(set(configured.values()) - set(providers))
    if unknown:
        raise ValueError(f"EMULATOR_VIRTUAL_HOSTS names unknown providers: {', '.join(unknown)}")
    return {host.lower().rstrip("."): providers[name].prefix for host, name in configured.items()}
