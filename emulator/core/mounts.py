"""Mounts whose apps are built on first use: start-up builds (and imports) nothing nobody calls."""

from __future__ import annotations

import threading
from collections.abc import Callable

from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send


class LazyMount(Mount):
    """A mount whose app is built when first needed (its first request, or whoever asks for its
    ``app``, e.g. for its OpenAPI document), so that start-up builds no routes nobody calls."""

    def __init__(self, path: str, build: Callable[[], ASGIApp]) -> None:
        self._build: Callable[[], ASGIApp] | None = build
        self._built: ASGIApp | None = None
        self._lock = threading.Lock()
        self._mounted = False
        super().__init__(path, app=_unbuilt)
        self._mounted = True

    def _app(self) -> ASGIApp:
        if not self._mounted:  # Mount's own __init__ reading it back
            return _unbuilt
        if self._built is None:
            with self._lock:
                if self._built is None:
                    assert self._build is not None
                    self._built, self._build = self._build(), None
        return self._built

    # Mount keeps its app in both; each is the built one, and Mount's own assignments are ignored.
    app = property(_app, lambda _self, _value: None)  # type: ignore[assignment]
    _base_app = property(_app, lambda _self, _value: None)  # type: ignore[assignment]


async def _unbuilt(_scope: Scope, _receive: Receive, _send: Send) -> None:
    raise RuntimeError("a lazy mount answered before its app was built")
