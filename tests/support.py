"""Test helpers shared by every provider's tests: a real emulator process, schemathesis runs (the
callback receiver is the library's: ``emulator.testing.CallbackReceiver``, the plugin's fixture)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmulatorProcess:
    """``python -m emulator serve`` in a child process on a free port, on a given database."""

    def __init__(self, database_url: str, env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> None:
        self.database_url = database_url
        self.env = env or {}
        self.args = args
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> EmulatorProcess:
        env = {**os.environ, "EMULATOR_LOG_LEVEL": "warning", **self.env}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emulator",
                "serve",
                "--port",
                str(self.port),
                "--database-url",
                self.database_url,
                *self.args,
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"emulator exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.base_url}/_emulator/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("emulator did not become healthy in time")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextmanager
def emulator_accepting(database_url: str, credentials: dict[str, list[list[str]]]) -> Iterator[EmulatorProcess]:
    """A real emulator that accepts only these credentials, so schemathesis's ignored-auth check
    can prove that others are refused."""
    with EmulatorProcess(database_url, env={"EMULATOR_CREDENTIALS": json.dumps(credentials)}) as emulator:
        yield emulator


def run_pytest(folder: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """pytest in a separate process in ``folder``, as a user of the package runs it: installed, the
    plugin loads by its entry point; from a bare checkout it is named explicitly. ``env`` adds to
    this process's environment (less ``NUMBER_EMULATOR_URL``, unless ``env`` names it)."""
    installed = any(entry.value == "emulator.pytest_plugin" for entry in entry_points(group="pytest11"))
    plugin = [] if installed else ["-p", "emulator.pytest_plugin"]
    env = {
        **{k: v for k, v in os.environ.items() if k != "NUMBER_EMULATOR_URL"},
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin, *args]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=300)


def run_schemathesis(
    schema_url: str, *args: str, max_examples: int = 30, config_file: Path | None = None
) -> subprocess.CompletedProcess:
    """All checks, all phases, against a live server; deterministic so CI failures reproduce.
    ``config_file``: a ``schemathesis.toml`` stating what a provider's API does differently from
    the tool's defaults (e.g. errors answered with HTTP 200)."""
    # The one installed beside the running interpreter (a venv's, even when not activated).
    beside = Path(sys.executable).with_name("schemathesis")
    executable = str(beside) if beside.exists() else shutil.which("schemathesis") or "schemathesis"
    command = [
        executable,
        *(["--config-file", str(config_file)] if config_file else []),
        "run",
        schema_url,
        "--checks",
        "all",
        "--max-examples",
        str(max_examples),
        "--seed",
        "20231",
        "--generation-database",
        "none",
        "--no-color",
        "--workers",
        "1",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=ROOT)


# A Yay.com number address as a client creates one.
YAY_ADDRESS = {
    "city": "Guildford",
    "country_code": "GB",
    "country_personal_id": "N12345678",
    "forename": "Pete",
    "is_default": False,
    "name": "Pete",
    "nickname": "Work Address",
    "postcode": "GU1 4UG",
    "premises": "22",
    "state": "Surrey",
    "street": "Station Road",
    "title": "Mr",
    "type_id": 2,
}


class RoundRobinBalancer:
    """A TCP load balancer on loopback, like the nginx of ``deploy/compose.replicas.yml``: each new
    client connection goes to the next backend in turn, bytes copied both ways."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.connections = [0] * len(backends)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        turn = sum(self.connections) % len(self.backends)
        self.connections[turn] += 1
        try:
            backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", self.backends[turn])
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(self._pipe(client_reader, backend_writer), self._pipe(backend_reader, client_writer))

    def __enter__(self) -> RoundRobinBalancer:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", self.port), self._loop
        )
        self._server = started.result(timeout=10)
        return self

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


# CloudLX's documented address request (its "Add a Number Address" example).
CLOUDLX_ADDRESS = {
    "name": "Epsilon UK Office",
    "address_line_1": "Third Floor Telephone House",
    "address_line_2": "69 Paul Street",
    "address_city": "London",
    "address_region": "London",
    "address_postal_code": "EC2A 4NW",
    "address_country": "GB",
    "use_for_emergency_address": True,
}
