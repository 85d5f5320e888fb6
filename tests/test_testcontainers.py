"""``emulator.testcontainers.NumberEmulatorContainer`` against the real Docker engine: it builds the
image, waits for the health check, and its URLs, credentials, settings and control client work."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support import ROOT
from tests.test_docker import _docker, _docker_env

pytestmark = pytest.mark.docker


def test_container_builds_starts_and_is_driven(monkeypatch):
    env = _docker_env()
    monkeypatch.setenv("DOCKER_HOST", env.get("DOCKER_HOST", ""))
    # No reaper container: the offline engine has no registry to pull it from; the container is
    # stopped by the context manager instead.
    monkeypatch.setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
    from testcontainers.core.config import testcontainers_config

    monkeypatch.setattr(testcontainers_config, "ryuk_disabled", True)
    from emulator.testcontainers import NumberEmulatorContainer

    tag = f"number-emulator:tc-{uuid.uuid4().hex[:8]}"
    try:
        # Host networking for the build: pip reaches the package index the way the host does.
        with NumberEmulatorContainer(
            tag, build_context=ROOT, build_kwargs={"network_mode": "host"}, journal_size=1, seed=7
        ) as emulator:
            assert httpx.get(f"{emulator.url}/_emulator/health").json()["status"] == "ok"
            headers = emulator.credentials("yay", tenant="tc-tenant")
            assert headers["X-Auth-Reseller"] == emulator.tenant("tc-tenant").tenant("yay")
            yay = httpx.Client(base_url=emulator.base_url("yay"), headers=headers)
            assert yay.get("/voip/number-address").status_code == 200
            assert yay.get("/voip/number-address/31347d42-00bd-44a5-9b5c-20dc4197a2f6").status_code == 200
            # journal_size=1 reached the container as EMULATOR_JOURNAL_SIZE: only the last request is kept.
            [entry] = emulator.control.requests(provider="yay")
            assert entry["path"] == "/voip/number-address/31347d42-00bd-44a5-9b5c-20dc4197a2f6"
            assert entry["tenant"] == headers["X-Auth-Reseller"]
            emulator.control.add_fault(provider="yay", kind="error", status=503, count=1)
            assert yay.get("/voip/number-address").status_code == 503
            assert yay.get("/voip/number-address").status_code == 200
            # The image carries the inspector's page and assets (package data).
            assert "Number emulator" in httpx.get(f"{emulator.url}/_emulator/ui").text
            assert httpx.get(f"{emulator.url}/_emulator/ui/static/inspector.js").status_code == 200
            assert "emulator_requests_total" in httpx.get(f"{emulator.url}/_emulator/metrics").text
            container_id = emulator.get_wrapped_container().id
        listed = _docker(env, "ps", "-a", "-q", "--no-trunc", "--filter", f"id={container_id}").stdout.strip()
        assert listed == "", "the container is removed when the block ends"
    finally:
        _docker(env, "rmi", "-f", tag, check=False)
