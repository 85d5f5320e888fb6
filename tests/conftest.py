from __future__ import annotations

import os
import shutil
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


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A real SQLite file, private to the test."""
    return f"sqlite:///{tmp_path / 'emulator.sqlite3'}"


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
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmulatorProcess]:
    """A real emulator accepting only the test module's ``CREDENTIALS``, so schemathesis's
    ignored-auth check can prove that others are refused."""
    database = tmp_path_factory.mktemp("contract") / "emulator.sqlite3"
    with emulator_accepting(f"sqlite:///{database}", request.module.CREDENTIALS) as emulator:
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
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()
