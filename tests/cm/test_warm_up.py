"""The first CM request starts indexing the locale data on a thread of its own, so the first order
does not wait a second for it (checked in a fresh interpreter: the index is kept per process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_first_request_starts_indexing_the_default_areas(tmp_path):
    script = textwrap.dedent(
        f"""
        import threading
        from fastapi.testclient import TestClient
        from emulator.app import create_app
        from emulator.providers.cm import service
        from emulator.settings import Settings

        app = create_app(Settings(database_url="sqlite:///{tmp_path}/cm.sqlite3", data_dir="{tmp_path}"))
        with TestClient(app) as client:
            assert service.areas.cache_info().currsize == 0
            client.get(
                "/cm/voice-phonenumberrequestapi/v1/00000000-0000-0000-0000-000000000000/numberrequests",
                headers={{"X-CM-PRODUCTTOKEN": "22222222-2222-2222-2222-222222222222"}},
            )
            for thread in threading.enumerate():
                if thread.name == "cm-areas":
                    thread.join(30)
            assert service.areas.cache_info().currsize == 1
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
