"""Start-up builds only what serving needs: the app answers its hot routes (the documented GETs
and the common writes) without FastAPI ever being imported (nor the callback sender, until a
callback is due, nor anyio's asyncio backend, nor the ORM's mappings); the first request a hot route does not take builds its provider's FastAPI app
then."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import asyncio, json, sys
import httpx
from emulator.app import create_app
from emulator.settings import Settings
from sqlmodel.main import default_registry

YAY = {"X-Auth-Reseller": "start", "X-Auth-User": "user", "X-Auth-Password": "secret"}
TELCOM = {"X-Auth-Token": "start", "X-Auth-Secret": "secret", "Content-Type": "application/json"}
ADDRESS = "/yay/voip/number-address/31347d42-00bd-44a5-9b5c-20dc4197a2f6"
CM = {"X-CM-PRODUCTTOKEN": "22222222-2222-2222-2222-222222222222", "Content-Type": "application/json"}
CM_REQUESTS = "/cm/voice-phonenumberrequestapi/v1/00000000-0000-0000-0000-000000000000/numberrequests"
CM_ORDER = '{"companyProfileId":"2f1e7331-991b-497d-9a32-dd3c2d79c56d","quantity":1,"areaCode":"020"}'
app = create_app(Settings(database_url="sqlite:///" + sys.argv[1]))

def fastapi_loaded():
    return "fastapi" in sys.modules

async def main():
    seen = {}
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
            first = (await client.get(ADDRESS, headers=YAY)).status_code
            # Start-up and a new tenant's first answer read and write plain rows: no ORM mapping set up.
            seen["mapped"] = any(mapper.configured for mapper in default_registry.mappers)
            statuses = [
                first,
                (await client.get("/yay/voip/number-address", headers=YAY)).status_code,
                (await client.post("/telcom/api/v2/numbers/list", headers=TELCOM, content="{}")).status_code,
                (await client.post("/telcom/api/v2/numbers/info", headers=TELCOM, content='{"id":3466}')).status_code,
                (await client.get(CM_REQUESTS, headers=CM)).status_code,
                (await client.post(CM_REQUESTS, headers=CM, content=CM_ORDER)).status_code,
            ]
            seen["hot"] = (statuses, fastapi_loaded())
            seen["posting"] = "emulator.core.posting" in sys.modules  # no callback was sent
            # Seeding a new tenant runs on a worker thread, without anyio's backend (its imports).
            seen["anyio"] = "anyio._backends._asyncio" in sys.modules
            # A PUT is no hot route's: the Yay app is built for it.
            put = await client.put(ADDRESS, headers=YAY, content="{}")
            seen["routed"] = (put.status_code, fastapi_loaded())
    print(json.dumps(seen))

asyncio.run(main())
"""


def test_hot_routes_answer_without_fastapi_and_the_rest_builds_it(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "start.sqlite3")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["hot"] == [[200] * 6, False], done.stderr
    assert seen["posting"] is False
    assert seen["anyio"] is False
    assert seen["mapped"] is False
    status, loaded = seen["routed"]
    assert loaded is True and status != 500


def test_the_collector_runs_again_once_the_app_has_started(tmp_path):
    """``serve`` holds the garbage collector off while it imports and builds the app; the app's
    start turns it on again, whoever held it."""
    import gc

    from fastapi.testclient import TestClient

    from emulator.app import create_app
    from emulator.settings import Settings

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'start.sqlite3'}", data_dir=tmp_path))
    gc.disable()
    try:
        with TestClient(app):
            assert gc.isenabled()
    finally:
        gc.enable()
