from __future__ import annotations

import os
import shutil
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.settings import Settings
from tests.postgres.server import PostgresServer
from tests.support import EmulatorProcess, emulator_accepting

warnings.filterwarnings("ignore", message=".*httpx2.*")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the session, started on first use; in CI it must exist."""
    server = PostgresServer()
    if not server.available:
        reason = "no PostgreSQL server binaries (initdb) on this machine"
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {reason}")
        pytest.skip(reason)
    server.start()
    yield server
    server.stop()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module marked ``each_backend`` runs every test that reaches a database twice: on SQLite
    and on the real PostgreSQL server (which refuses NUL characters and overlong values that SQLite
    lets through, and takes row locks SQLite has not)."""
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("each_backend"):
        only = metafunc.definition.get_closest_marker("only_backend")
        backends = [b for b in BACKENDS if only is None or (b if isinstance(b, str) else b.values[0]) == only.args[0]]
        assert backends, f"no backend named {only.args[0] if only else ''}"
        metafunc.parametrize("backend", backends, indirect=True, scope="module")


@pytest.fixture(scope="module")
def backend(request: pytest.FixtureRequest) -> str:
    """The store the test's emulator runs on: ``sqlite`` unless the module runs ``each_backend`` (then ``postgresql`` too)."""
    return getattr(request, "param", "sqlite")


def fresh_database(request: pytest.FixtureRequest, backend: str, folder: Path) -> str:
    """A private database on the backend: a SQLite file in ``folder``, or a fresh PostgreSQL schema."""
    if backend == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return server.create_schema(f"test_{uuid.uuid4().hex[:12]}")
    return f"sqlite:///{folder / 'emulator.sqlite3'}"


@pytest.fixture
def database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    """A real database, private to the test."""
    return fresh_database(request, backend, tmp_path)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def live_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """A real emulator process over HTTP, shared by a module's tests (e.g. schemathesis runs)."""
    database = tmp_path_factory.mktemp("live") / "emulator.sqlite3"
    with EmulatorProcess(f"sqlite:///{database}") as emulator:
        yield emulator


@pytest.fixture(scope="module")
def strict_emulator(
    request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmulatorProcess]:
    """A real emulator accepting only the test module's ``CREDENTIALS``, so schemathesis's
    ignored-auth check can prove that others are refused."""
    database = fresh_database(request, backend, tmp_path_factory.mktemp("contract"))
    with emulator_accepting(database, request.module.CREDENTIALS) as emulator:
        yield emulator


# Debian's chromium, headless, driven by Playwright, with every outside host unresolvable.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for a module's tests; in CI it must exist."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs the Debian package chromium (installed by .ci/run)")
        pytest.skip("no system Chromium (apt-get install chromium); .ci/run installs it under CI")
    try:
        import playwright.sync_api as playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs playwright (the test extra)")
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()
