"""Test helpers shared by every provider's tests: a real emulator process, schemathesis runs, a
callback receiver."""

from __future__ import annotations

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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmulatorProcess:
    """``python -m emulator serve`` in a child process on a free port, on a given database."""

    def __init__(self, database_url: str, env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.env = env or {}
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> EmulatorProcess:
        env = {**os.environ, "EMULATOR_LOG_LEVEL": "warning", **self.env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", "--port", str(self.port), "--database-url", self.database_url],
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


class CallbackReceiver:
    """A real HTTP server on 127.0.0.1 that records every POST it gets, for callback tests.

    ``fail_next(n, status)`` makes the next ``n`` requests fail (answered with ``status``),
    ``delay_next(n, seconds)`` makes them hang;
    ``received`` holds the bodies it accepted (2xx), in arrival order; ``requests`` every request.
    It can be stopped and started again on the same port, to play a receiver that is down."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/callbacks"
        self.requests: list[dict] = []
        self.received: list[bytes] = []
        self._failures: list[int] = []
        self._delays: list[float] = []
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None

    def fail_next(self, count: int, status: int = 503) -> None:
        with self._changed:
            self._failures.extend([status] * count)

    def delay_next(self, count: int, seconds: float) -> None:
        """Answer the next ``count`` requests only after ``seconds`` (to outlast a timeout)."""
        with self._changed:
            self._delays.extend([seconds] * count)

    def received_json(self) -> list:
        with self._changed:
            return [json.loads(body) for body in self.received]

    def wait_for(self, count: int, timeout: float = 20.0) -> list:
        """The first ``count`` accepted bodies, parsed, once they have arrived."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"{len(self.received)} callbacks arrived, {count} expected")
            return [json.loads(body) for body in self.received[:count]]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        with self._changed:
            delay = self._delays.pop(0) if self._delays else 0.0
        if delay:
            time.sleep(delay)
            return  # the sender gave up; it hears nothing
        with self._changed:
            status = self._failures.pop(0) if self._failures else 204
            self.requests.append(
                {"path": handler.path, "headers": dict(handler.headers), "body": body, "answered": status}
            )
            if status < 300:
                self.received.append(body)
            self._changed.notify_all()
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def start(self) -> CallbackReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server naming)
                receiver._handle(self)

            def log_message(self, *_args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> CallbackReceiver:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
