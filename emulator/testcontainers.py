"""The emulator as a testcontainers module (``pip install 'number-emulator[testcontainers]'``)::

    from emulator.testcontainers import NumberEmulatorContainer

    with NumberEmulatorContainer(build_context=".", seed=42) as emulator:
        yay = httpx.Client(base_url=emulator.base_url("yay"), headers=emulator.credentials("yay"))
        yay.get("/voip/number-address")
        assert emulator.control.count(provider="yay") == 1

It runs the image (``image``, built first from ``build_context`` when given), waits for
``/_emulator/health``, and gives the base URLs, per-tenant credentials and the control-plane client
(:class:`emulator.testing.EmulatorServer`, driving the container's emulator).
"""

from __future__ import annotations

import json
import time
from os import PathLike
from typing import Any

import httpx
from testcontainers.core.container import DockerContainer
from testcontainers.core.image import DockerImage

from emulator.testing import EmulatorServer, EmulatorTenant

PORT = 8080
DEFAULT_IMAGE = "number-emulator:latest"


def _setting_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value)
    return str(value)


class NumberEmulatorContainer(DockerContainer):
    def __init__(
        self,
        image: str = DEFAULT_IMAGE,
        *,
        build_context: str | PathLike[str] | None = None,
        build_kwargs: dict[str, Any] | None = None,
        startup_timeout: float = 90.0,
        **settings: Any,
    ) -> None:
        """``settings`` are the emulator's settings by name, e.g. ``seed=42``,
        ``journal_size=5000``, ``credentials={"yay": [["r", "u", "p"]]}``: each becomes the
        ``EMULATOR_<NAME>`` variable (dicts and lists as JSON)."""
        super().__init__(image)
        self._build_context = build_context
        self._build_kwargs = build_kwargs or {}
        self._startup_timeout = startup_timeout
        self._built: DockerImage | None = None
        self._server: EmulatorServer | None = None
        # A control_token setting locks the container's control plane; our own client sends it.
        self._control_token = settings.get("control_token")
        self.with_exposed_ports(PORT)
        for name, value in settings.items():
            self.with_env(f"EMULATOR_{name.upper()}", _setting_value(value))

    def start(self) -> NumberEmulatorContainer:
        if self._build_context is not None:
            self._built = DockerImage(
                path=self._build_context, tag=self.image, clean_up=False, **self._build_kwargs
            ).build()
        super().start()
        self._wait_healthy()
        self._server = EmulatorServer(url=self.url, control_token=self._control_token).start()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self._startup_timeout
        last_error = "no answer"
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/_emulator/health", timeout=2).status_code == 200:
                    return
                last_error = "health check did not answer 200"
            except httpx.HTTPError as error:
                last_error = f"{type(error).__name__}: {error}"
            self.get_wrapped_container().reload()
            if self.get_wrapped_container().status == "exited":
                stdout, stderr = self.get_logs()
                raise RuntimeError(f"the emulator container exited:\n{stderr.decode(errors='replace')[-3000:]}")
            time.sleep(0.25)
        raise TimeoutError(f"the emulator did not turn healthy within {self._startup_timeout}s ({last_error})")

    def stop(self, force: bool = True, delete_volume: bool = True) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        super().stop(force=force, delete_volume=delete_volume)

    @property
    def url(self) -> str:
        """The emulator's root URL as the test process reaches it."""
        return f"http://{self.get_container_host_ip()}:{self.get_exposed_port(PORT)}"

    def base_url(self, provider: str) -> str:
        """Where a client of ``provider`` points instead of the real API."""
        return self.control.url(provider)

    def tenant(self, name: str | None = None) -> EmulatorTenant:
        """A tenant of its own on every provider (credentials, journal, faults, reset)."""
        return self.control.new_tenant(name)

    def credentials(self, provider: str, tenant: str = "testcontainers") -> dict[str, str]:
        """The provider's credential fields for a tenant named ``tenant`` (the same name, the same tenant)."""
        return self.control.new_tenant(tenant).credentials(provider)

    @property
    def control(self) -> EmulatorServer:
        """The control-plane client: ``requests()``, ``count()``, ``add_fault()``, ``advance_clock()``,
        ``export_state()``, ``reset()``…"""
        if self._server is None:
            raise RuntimeError("the container is not started")
        return self._server
