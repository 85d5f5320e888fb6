"""The emulator inside a test process: a real HTTP server on a free port, so any HTTP client (and
the emulator's own callbacks) work, plus helpers over the ``/_emulator`` control plane.

The pytest plugin builds on this; it works without pytest too::

    with EmulatorServer() as emulator:
        tenant = emulator.new_tenant()
        httpx.get(tenant.base_url("yay") + "/voip/number-address", headers=tenant.credentials("yay"))

With ``url=`` (or ``NUMBER_EMULATOR_URL`` in the plugin) it drives an emulator that already runs,
e.g. a Docker Compose service, instead of starting one.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from emulator.core.provider import Provider, TenantCredentials
from emulator.providers import load_providers

if TYPE_CHECKING:
    import uvicorn


class EmulatorServer:
    def __init__(
        self, url: str | None = None, database_url: str | None = None, control_token: str | None = None, **settings: Any
    ) -> None:
        """``url``: an emulator that already runs; otherwise one is started in this process on a
        free port of 127.0.0.1, on ``database_url`` (default: a SQLite file in a temporary folder)
        with any other settings given (``EMULATOR_*`` variables apply to the rest).

        ``control_token`` (default: ``EMULATOR_CONTROL_TOKEN``) is sent to the control plane as a
        bearer token; an emulator started here is locked with it."""
        self.base_url = url.rstrip("/") if url else ""
        self.control_token = control_token or os.environ.get("EMULATOR_CONTROL_TOKEN") or None
        if self.control_token and not url:
            settings["control_token"] = self.control_token
        self._database_url = database_url
        self._settings = settings
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._folder: tempfile.TemporaryDirectory | None = None
        self.providers: dict[str, Provider] = {provider.name: provider for provider in load_providers()}
        self.control: httpx.Client | None = None

    def start(self, timeout: float = 30.0) -> EmulatorServer:
        if not self.base_url:
            self._serve(timeout)
        headers = {"Authorization": f"Bearer {self.control_token}"} if self.control_token else {}
        self.control = httpx.Client(base_url=self.base_url + "/_emulator", timeout=30, headers=headers)
        self.control.get("/health").raise_for_status()
        return self

    def _serve(self, timeout: float) -> None:
        import uvicorn

        from emulator.app import create_app
        from emulator.core.protocol import bounded_head_protocol
        from emulator.settings import Settings

        database_url = self._database_url
        if database_url is None:
            self._folder = tempfile.TemporaryDirectory(prefix="number-emulator-")
            database_url = f"sqlite:///{Path(self._folder.name) / 'emulator.sqlite3'}"
        settings = Settings(database_url=database_url, **self._settings)
        app = create_app(settings)
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))  # the port is ours from here on: no race for a "free" one
        port = listener.getsockname()[1]
        # No log_config: the test process's own logging stays as the test suite set it up.
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="on",
            http=bounded_head_protocol(settings.max_header_bytes),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [listener]}, name="number-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
            time.sleep(0.01)
        self.base_url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        if self.control is not None:
            self.control.close()
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def url(self, provider: str) -> str:
        """A provider's base URL: what the code under test uses instead of the real one."""
        return self.base_url + self.providers[provider].prefix

    def new_tenant(self, name: str | None = None) -> EmulatorTenant:
        """Credentials for a tenant no one else uses (a fresh copy of the default fixtures)."""
        return EmulatorTenant(self, name or f"test-{secrets.token_hex(6)}")

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        if self.control is None:
            raise RuntimeError("start the server first")
        response = self.control.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def reset(self, tenant: str | None = None, provider: str | None = None) -> None:
        """Tenants back to the default fixtures; their fault rules and journal entries go too."""
        self._call("POST", "/reset", params=_present(tenant=tenant, provider=provider))

    def requests(self, **filters: Any) -> list[dict]:
        """Journal entries, oldest first; filters: provider, tenant, method, path (glob), since, until, status, limit."""
        return self._call("GET", "/requests", params=_present(**filters))

    def count(self, **filters: Any) -> int:
        return self._call("GET", "/requests/count", params=_present(**filters))["count"]

    def clear_requests(self, **filters: Any) -> int:
        return self._call("DELETE", "/requests", params=_present(**filters))["cleared"]

    def add_fault(self, **rule: Any) -> dict:
        """A fault rule (kind, provider, method, path, tenant, status, latency_ms, probability, count, …)."""
        return self._call("POST", "/faults", json=rule)

    def faults(self) -> list[dict]:
        return self._call("GET", "/faults")

    def remove_fault(self, rule_id: int) -> dict:
        return self._call("DELETE", f"/faults/{rule_id}")

    def clear_faults(self) -> int:
        return self._call("DELETE", "/faults")["removed"]

    # The shared clock (every tenant without a clock of its own follows it). Each returns the
    # clock as the control plane reports it: ``now``, ``frozen``, and whose clock it is.

    def clock(self, provider: str | None = None, tenant: str | None = None) -> dict:
        """The shared clock, or a tenant's when both ``provider`` and ``tenant`` are given."""
        return self._call("GET", "/clock", params=_present(provider=provider, tenant=tenant))

    def advance_clock(self, seconds: float, provider: str | None = None, tenant: str | None = None) -> dict:
        """Move time forward and run what came due (order transitions, callbacks)."""
        params = _present(provider=provider, tenant=tenant)
        return self._call("POST", "/clock/advance", json={"seconds": seconds}, params=params)

    def set_clock(self, now: datetime | str, provider: str | None = None, tenant: str | None = None) -> dict:
        """Jump to an instant (UTC when it has no offset); a frozen clock stays frozen there."""
        instant = now.isoformat() if isinstance(now, datetime) else now
        params = _present(provider=provider, tenant=tenant)
        return self._call("POST", "/clock/set", json={"now": instant}, params=params)

    def freeze_clock(self, provider: str | None = None, tenant: str | None = None) -> dict:
        return self._call("POST", "/clock/freeze", params=_present(provider=provider, tenant=tenant))

    def resume_clock(self, provider: str | None = None, tenant: str | None = None) -> dict:
        return self._call("POST", "/clock/resume", params=_present(provider=provider, tenant=tenant))

    def reset_clock(self, provider: str | None = None, tenant: str | None = None) -> dict:
        """The shared clock back to real time; a tenant's back to following the shared one."""
        return self._call("POST", "/clock/reset", params=_present(provider=provider, tenant=tenant))

    def export_state(self, tenant: str | None = None) -> dict:
        return self._call("GET", "/state", params=_present(tenant=tenant))

    def restore_state(self, document: dict) -> dict:
        return self._call("PUT", "/state", json=document)


class EmulatorTenant:
    """One test's own tenant on every provider: base URLs, credentials, its journal and faults."""

    def __init__(self, server: EmulatorServer, name: str) -> None:
        self.server = server
        self.name = name

    def _credentials(self, provider: str) -> TenantCredentials:
        return self.server.providers[provider].credentials_for(self.name)

    def tenant(self, provider: str) -> str:
        """The tenant name the emulator files this provider's requests under."""
        return self._credentials(provider).tenant

    def credentials(self, provider: str) -> dict[str, str]:
        """The provider's credential fields (for header-authenticated providers: the headers)."""
        return dict(self._credentials(provider).fields)

    def base_url(self, provider: str) -> str:
        return self.server.url(provider)

    def requests(self, provider: str, **filters: Any) -> list[dict]:
        """This tenant's journal entries for a provider, oldest first."""
        return self.server.requests(provider=provider, tenant=self.tenant(provider), **filters)

    def count(self, provider: str, **filters: Any) -> int:
        return self.server.count(provider=provider, tenant=self.tenant(provider), **filters)

    def add_fault(self, provider: str, **rule: Any) -> dict:
        """A fault rule that hits only this tenant's requests to the provider."""
        return self.server.add_fault(provider=provider, tenant=self.tenant(provider), **rule)

    # The tenant's own clock, on every provider (or one): moving it moves no other tenant's time
    # and not the shared clock, so tests running in parallel each keep their own time. Each
    # returns the clock of ``provider`` (default: the first provider) after the change.

    def now(self, provider: str | None = None) -> datetime:
        """The tenant's virtual now."""
        provider = provider or self._providers()[0]
        return _instant(self.server.clock(provider, self.tenant(provider))["now"])

    def advance(self, seconds: float, provider: str | None = None) -> dict:
        """Move this tenant's time forward and run what came due for it."""
        return self._on_clock(lambda p, t: self.server.advance_clock(seconds, p, t), provider)

    def set(self, now: datetime | str, provider: str | None = None) -> dict:
        """Jump this tenant's clock to an instant."""
        return self._on_clock(lambda p, t: self.server.set_clock(now, p, t), provider)

    def freeze(self, provider: str | None = None) -> dict:
        """Stop this tenant's clock where it is (time still runs for everyone else)."""
        return self._on_clock(self.server.freeze_clock, provider)

    def resume(self, provider: str | None = None) -> dict:
        """Let this tenant's time run again from where it was frozen."""
        return self._on_clock(self.server.resume_clock, provider)

    def reset_clock(self, provider: str | None = None) -> dict:
        """Back to following the shared clock."""
        return self._on_clock(self.server.reset_clock, provider)

    def _providers(self) -> list[str]:
        return list(self.server.providers)

    def _on_clock(self, action: Callable[[str, str], dict], provider: str | None) -> dict:
        names = [provider] if provider else self._providers()
        results = [action(name, self.tenant(name)) for name in names]
        return results[0]

    def reset(self) -> None:
        """Every provider's state for this tenant back to the fixtures; its rules and journal
        entries go, and its own clock (it follows the shared clock again)."""
        for provider in self.server.providers:
            self.server.reset(tenant=self.tenant(provider), provider=provider)


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    """What the receiver answered."""

    def json(self) -> Any:
        return json.loads(self.body)


class CallbackReceiver:
    """A local HTTP server standing in for the application's callback endpoint: it records every
    request and answers 200, or a chosen error for the next N (to exercise the emulator's retries).

    It listens on 127.0.0.1; with ``NUMBER_EMULATOR_CALLBACK_HOST`` set (e.g. ``host.docker.internal``
    when the emulator runs in a container) it listens on every interface and its URL names that host.
    """

    def __init__(self, host: str | None = None) -> None:
        self._advertised = host or os.environ.get("NUMBER_EMULATOR_CALLBACK_HOST") or "127.0.0.1"
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._failures: list[int] = []
        self.requests: list[ReceivedRequest] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._arrived:
                    status = receiver._failures.pop(0) if receiver._failures else 200
                    receiver.requests.append(
                        ReceivedRequest(
                            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, status
                        )
                    )
                    receiver._arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = _handle

            def log_message(self, *args) -> None:  # keep test output clean
                pass

        bind = "127.0.0.1" if self._advertised == "127.0.0.1" else "0.0.0.0"
        self._server = ThreadingHTTPServer((bind, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="callback-receiver", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The base URL to register as the callback address (append any path)."""
        return f"http://{self._advertised}:{self._server.server_address[1]}"

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next ``count`` requests with ``status``, then 200 again."""
        with self._lock:
            self._failures.extend([status] * count)

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Block until at least ``count`` requests have arrived; all of them so far."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.requests) >= count, timeout=timeout):
                raise TimeoutError(f"{len(self.requests)} of {count} callbacks arrived within {timeout}s")
            return list(self.requests)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _present(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
