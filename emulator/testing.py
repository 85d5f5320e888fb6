"""The emulator inside a test process: a real HTTP server on a free port, so any HTTP client (and
the emulator's own callbacks) work, plus helpers over the ``/_emulator`` control plane.

The pytest plugin builds on this; it works without pytest too::

    with EmulatorServer() as emulator:
        tenant = emulator.new_tenant()
        httpx.get(tenant.base_url("yay") + "/voip/number-address", headers=tenant.credentials("yay"))

With ``url=`` (or ``NUMBER_EMULATOR_URL`` in the plugin) it drives an emulator that already runs,
e.g. a Docker Compose service, instead of starting one. ``in_process()`` is the emulator with no
port at all, for async code that takes an httpx client.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable
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


class EmulatorError(httpx.HTTPStatusError):
    """The control plane refused a helper's call (any status of 400 and up): the message carries
    the server's status and body; ``status_code`` and ``body`` (parsed JSON, else text) hold them."""

    def __init__(self, response: httpx.Response) -> None:
        try:
            self.body: Any = response.json()
        except ValueError:
            self.body = response.text
        self.status_code = response.status_code
        request = response.request
        super().__init__(
            f"{request.method} {request.url.path} answered {response.status_code}: {response.text}",
            request=request,
            response=response,
        )


class EmulatorServer:
    """An emulator for a test run and helpers over its control plane. Use it as a context manager
    (``with EmulatorServer() as emulator:``), or call ``start()`` and ``stop()``."""

    def __init__(
        self, url: str | None = None, database_url: str | None = None, control_token: str | None = None, **settings: Any
    ) -> None:
        """``url``: an emulator that already runs; otherwise one is started in this process on a
        free port of 127.0.0.1, on ``database_url`` (default: a SQLite file in a temporary folder)
        with any other settings given as ``Settings`` keyword arguments (``cm_accept_after_seconds=5``;
        ``EMULATOR_*`` variables apply to the rest).

        ``control_token`` (default: ``EMULATOR_CONTROL_TOKEN``) is sent to the control plane as a
        bearer token; an emulator started here is locked with it."""
        self.base_url = url.rstrip("/") if url else ""
        """The emulator's root URL, e.g. ``http://127.0.0.1:41234`` (set once started)."""
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
        """An ``httpx.Client`` on ``/_emulator`` (token included) for any control route the helpers
        do not wrap: ``emulator.control.post("/clock/freeze")``."""

    def start(self, timeout: float = 30.0) -> EmulatorServer:
        """Start the emulator (unless ``url`` named one) and wait until it is healthy."""
        if not self.base_url:
            self._serve(timeout)
        headers = {"Authorization": f"Bearer {self.control_token}"} if self.control_token else {}
        self.control = httpx.Client(base_url=self.base_url + "/_emulator", timeout=30, headers=headers)
        self._call("GET", "/health")
        return self

    def _serve(self, timeout: float) -> None:
        import uvicorn

        from emulator.app import create_app
        from emulator.core.protocol import protocol_options
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
            **protocol_options(settings.max_header_bytes),
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
        """Stop an emulator started here (its temporary database goes with it); close the client."""
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
        if response.is_error:
            raise EmulatorError(response)
        return response.json()

    def reset(self, tenant: str | None = None, provider: str | None = None) -> None:
        """Tenants back to the default fixtures; their fault rules and journal entries go too."""
        self._call("POST", "/reset", params=_present(tenant=tenant, provider=provider))

    def requests(self, **filters: Any) -> list[dict]:
        """Journal entries, oldest first; filters: provider, tenant, method, path (glob), since, until, status, limit."""
        return self._call("GET", "/requests", params=_present(**filters))

    def count(self, **filters: Any) -> int:
        """How many journal entries match the filters (as for ``requests``)."""
        return self._call("GET", "/requests/count", params=_present(**filters))["count"]

    def clear_requests(self, **filters: Any) -> int:
        """Remove the matching journal entries (all without filters); how many went."""
        return self._call("DELETE", "/requests", params=_present(**filters))["cleared"]

    def add_fault(self, **rule: Any) -> dict:
        """A fault rule (kind, provider, method, path, tenant, status, latency_ms, probability, count, …)."""
        return self._call("POST", "/faults", json=rule)

    def faults(self) -> list[dict]:
        """Every fault rule, with how often each fired."""
        return self._call("GET", "/faults")

    def remove_fault(self, rule_id: int) -> dict:
        """Remove one fault rule; the rule as it was."""
        return self._call("DELETE", f"/faults/{rule_id}")

    def clear_faults(self) -> int:
        """Remove every fault rule; how many went."""
        return self._call("DELETE", "/faults")["removed"]

    # The shared clock (every tenant without a clock of its own follows it). Each returns the
    # clock as the control plane reports it: ``now``, ``frozen``, and whose clock it is.

    def clock(self, provider: str | None = None, tenant: str | None = None) -> dict:
        """The shared clock, or a tenant's when both ``provider`` and ``tenant`` are given."""
        return self._call("GET", "/clock", params=_present(provider=provider, tenant=tenant))

    def advance_clock(
        self, seconds: float, provider: str | None = None, tenant: str | None = None, *, settle: bool = True
    ) -> dict:
        """Move time forward and run what came due (order transitions, callbacks). With ``settle``
        (the default) it returns once every callback that came due has been attempted (of the
        tenant, when one is named; see ``settle_callbacks``)."""
        params = _present(provider=provider, tenant=tenant)
        clock = self._call("POST", "/clock/advance", json={"seconds": seconds}, params=params)
        if settle:
            self.settle_callbacks(provider, tenant)
        return clock

    def set_clock(
        self, now: datetime | str, provider: str | None = None, tenant: str | None = None, *, settle: bool = True
    ) -> dict:
        """Jump to an instant (UTC when it has no offset); a frozen clock stays frozen there.
        ``settle`` as for ``advance_clock``."""
        instant = now.isoformat() if isinstance(now, datetime) else now
        params = _present(provider=provider, tenant=tenant)
        clock = self._call("POST", "/clock/set", json={"now": instant}, params=params)
        if settle:
            self.settle_callbacks(provider, tenant)
        return clock

    def settle_callbacks(self, provider: str | None = None, tenant: str | None = None, timeout: float = 30.0) -> dict:
        """Wait until every due callback (of a provider, a tenant, or all) has been attempted:
        ``{"settled": true, "in_flight": 0, "due": 0}``, or ``settled`` false after ``timeout``
        seconds (a receiver slower than that). Moving the clock only starts deliveries."""
        params = _present(provider=provider, tenant=tenant, timeout=timeout)
        return self._call("POST", "/callbacks/settle", params=params, timeout=timeout + 30)

    def freeze_clock(self, provider: str | None = None, tenant: str | None = None) -> dict:
        """Stop the clock where it is (the shared one, or a tenant's)."""
        return self._call("POST", "/clock/freeze", params=_present(provider=provider, tenant=tenant))

    def resume_clock(self, provider: str | None = None, tenant: str | None = None) -> dict:
        """Let a frozen clock run again from where it stopped."""
        return self._call("POST", "/clock/resume", params=_present(provider=provider, tenant=tenant))

    def reset_clock(self, provider: str | None = None, tenant: str | None = None) -> dict:
        """The shared clock back to real time; a tenant's back to following the shared one."""
        return self._call("POST", "/clock/reset", params=_present(provider=provider, tenant=tenant))

    def export_state(self, tenant: str | None = None) -> dict:
        """The state snapshot document: everything, or one tenant's."""
        return self._call("GET", "/state", params=_present(tenant=tenant))

    def restore_state(self, document: dict) -> dict:
        """Replace the document's scope (everything, or its tenant) with what it holds."""
        return self._call("PUT", "/state", json=document)


class EmulatorTenant:
    """One test's own tenant on every provider: base URLs, credentials, its journal and faults."""

    def __init__(self, server: EmulatorServer, name: str) -> None:
        self.server = server
        self.name = name
        """The unique name each provider's credentials are derived from."""

    def _credentials(self, provider: str) -> TenantCredentials:
        return self.server.providers[provider].credentials_for(self.name)

    def tenant(self, provider: str) -> str:
        """The tenant name the emulator files this provider's requests under: the ``tenant`` of
        journal entries, ``/_emulator/tenants``, reset and snapshots (for CM.com, the product token)."""
        return self._credentials(provider).tenant

    def credentials(self, provider: str) -> dict[str, str]:
        """The provider's credential fields: for Yay, Telcom and CM.com the auth headers; for
        CloudLX the OAuth2 client-credentials form to post to ``/api/oauth2/access-token``."""
        return dict(self._credentials(provider).fields)

    def base_url(self, provider: str) -> str:
        """The provider's base URL on the emulator (as ``EmulatorServer.url``)."""
        return self.server.url(provider)

    def requests(self, provider: str, **filters: Any) -> list[dict]:
        """This tenant's journal entries for a provider, oldest first (its refused requests too)."""
        return self.server.requests(provider=provider, tenant=self.tenant(provider), **filters)

    def count(self, provider: str, **filters: Any) -> int:
        """How many of this tenant's journal entries for a provider match the filters."""
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
        """Move this tenant's time forward and run what came due for it; it returns once the
        tenant's callbacks that came due have been attempted."""
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


@contextlib.asynccontextmanager
async def in_process(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The emulator in this process with no port: ``create_app`` behind an ``httpx.ASGITransport``,
    its background work running for as long as the block. State is in a temporary SQLite file
    (gone after the block) unless ``database_url`` says otherwise; other keyword arguments are
    ``Settings``. The client's base URL is the emulator's root::

        async with in_process() as emulator:
            await emulator.get("/yay/voip/number-address", headers=...)

    CM.com callbacks still go out over real HTTP, to the URL the order names."""
    from emulator.app import create_app
    from emulator.settings import Settings

    with tempfile.TemporaryDirectory(prefix="number-emulator-") as folder:
        database_url = settings.pop("database_url", None) or f"sqlite:///{Path(folder) / 'emulator.sqlite3'}"
        app = create_app(Settings(database_url=database_url, **settings))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as client,
        ):
            yield client


@dataclass(frozen=True)
class ReceivedRequest:
    """One request a ``CallbackReceiver`` got, with what it answered."""

    method: str
    path: str
    headers: httpx.Headers
    """Case-insensitive, as sent: ``request.headers["x-emulator-delivery"]``."""
    body: bytes
    status: int | None
    """What the receiver answered; None when it held the request past the sender's patience
    (``delay_next``) and closed the connection without an answer."""

    def json(self) -> Any:
        """The body, parsed as JSON."""
        return json.loads(self.body)

    @property
    def accepted(self) -> bool:
        """Whether the receiver answered 2xx (so the sender counts the callback as delivered)."""
        return self.status is not None and 200 <= self.status < 300


class CallbackReceiver:
    """A real HTTP server standing in for the application's callback endpoint: it records every
    request and answers 200 (empty body), or what ``fail_next`` / ``delay_next`` ask for the next
    ones, to exercise the emulator's retries and timeouts. It runs once built; ``stop()`` and
    ``start()`` take it down and bring it back on the same port (a receiver that is down), and it
    is a context manager::

        with CallbackReceiver() as receiver:
            ...  # register receiver.url (plus any path) as the callback URL
            [callback] = receiver.wait_for(1)
            assert callback.json()["status"] == "Accepted"

    It listens on 127.0.0.1; with ``host`` (or ``NUMBER_EMULATOR_CALLBACK_HOST``) set, e.g.
    ``host.docker.internal`` when the emulator runs in a container, it listens on every interface
    and its URL names that host.
    """

    def __init__(self, host: str | None = None, port: int = 0) -> None:
        self._advertised = host or os.environ.get("NUMBER_EMULATOR_CALLBACK_HOST") or "127.0.0.1"
        self._bind = "127.0.0.1" if self._advertised == "127.0.0.1" else "0.0.0.0"
        self._changed = threading.Condition()
        # How to answer the next requests: (status, 0) answers, (None, seconds) holds the request
        # that long and closes the connection without an answer.
        self._answers: list[tuple[int | None, float]] = []
        self.requests: list[ReceivedRequest] = []
        """Every request received, in arrival order, whatever it was answered."""
        self._server: ThreadingHTTPServer | None = None
        self.port = port
        self.start()

    @property
    def url(self) -> str:
        """The base URL to register as the callback address (append any path)."""
        return f"http://{self._advertised}:{self.port}"

    def start(self) -> CallbackReceiver:
        """Listen (again, on the same port after ``stop``); a no-op while it runs."""
        if self._server is not None:
            return self
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                receiver._answer(self)

            do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = _handle

            def log_message(self, *_args) -> None:  # keep test output clean
                pass

        self._server = ThreadingHTTPServer((self._bind, self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="callback-receiver", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening: senders get connection refused until ``start()``."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> CallbackReceiver:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next ``count`` requests with ``status``, then 200 again."""
        with self._changed:
            self._answers.extend([(status, 0.0)] * count)

    def delay_next(self, count: int, seconds: float) -> None:
        """Hold each of the next ``count`` requests ``seconds`` (to outlast the sender's timeout),
        then close the connection without an answer."""
        with self._changed:
            self._answers.extend([(None, seconds)] * count)

    @property
    def accepted(self) -> list[ReceivedRequest]:
        """The requests answered 2xx, in arrival order: the callbacks the sender saw delivered."""
        with self._changed:  # re-entrant: wait_for calls it holding the lock
            return [request for request in self.requests if request.accepted]

    @property
    def received(self) -> list[bytes]:
        """The bodies of the accepted requests, in arrival order."""
        return [request.body for request in self.accepted]

    def received_json(self) -> list[Any]:
        """The bodies of the accepted requests, parsed as JSON, in arrival order."""
        return [request.json() for request in self.accepted]

    def wait_for(self, count: int = 1, timeout: float = 20.0) -> list[ReceivedRequest]:
        """Block until ``count`` requests have been accepted (answered 2xx); the first ``count``
        of them. Raises ``TimeoutError`` when they do not arrive within ``timeout`` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.accepted) >= count, timeout=timeout):
                raise TimeoutError(
                    f"{len(self.accepted)} of {count} callbacks accepted within {timeout}s "
                    f"({len(self.requests)} requests arrived)"
                )
            return self.accepted[:count]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        with self._changed:
            status, hold = self._answers.pop(0) if self._answers else (200, 0.0)
            self.requests.append(
                ReceivedRequest(
                    handler.command,
                    handler.path,
                    httpx.Headers(list(handler.headers.items())),
                    body,
                    status,
                )
            )
            self._changed.notify_all()
        if status is None:
            time.sleep(hold)
            handler.close_connection = True  # the sender gave up; it hears nothing
            return
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _present(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
