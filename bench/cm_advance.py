"""CM.com orders moved by the clock: N accepted orders in one tenant (each with a callback URL),
then one ``POST /_emulator/clock/advance`` that completes them all, timed over real HTTP against a
live emulator on SQLite.

    python bench/cm_advance.py [--orders 10000] [--quantity 1]

Prints how long the advance took, and the orders by status and the callbacks written afterwards.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator.core.runtime import Runtime
from emulator.providers import load_providers
from emulator.providers.cm.models import NumberRequest
from emulator.providers.cm.settings import CMSettings
from emulator.settings import Settings
from tests.support import EmulatorProcess

TOKEN = "22222222-2222-2222-2222-222222222222"
ACCOUNT = "11111111-1111-1111-1111-111111111111"


def fill(database_url: str, orders: int, quantity: int) -> None:
    """Accepted orders, due to complete on the clock as API-made ones are, in one bulk insert."""
    runtime = Runtime(Settings(database_url=database_url), load_providers())
    runtime.start()
    runtime.tenants.ensure("cm", TOKEN)
    now = runtime.clock.now("cm", TOKEN)
    due = now + timedelta(seconds=runtime.settings_of(CMSettings).complete_after_seconds)
    with runtime.db.session() as session:
        session.add_all(
            NumberRequest(
                tenant=TOKEN,
                guid=str(uuid.uuid4()),
                account=ACCOUNT,
                country="GB",
                status="Accepted",
                number_type="LOCAL",
                quantity=quantity,
                area_code="020",
                prefix="020",
                created_at=now,
                updated_at=now,
                next_transition_at=due,
                # Nothing listens there: deliveries are written and attempted, not waited for.
                callback_url="http://127.0.0.1:9/callbacks",
            )
            for _ in range(orders)
        )
        session.commit()
    runtime.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--quantity", type=int, default=1, help="numbers per order")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        with EmulatorProcess(database_url, env={"EMULATOR_TICK_SECONDS": "3600"}) as emulator:
            httpx.post(f"{emulator.base_url}/_emulator/clock/freeze").raise_for_status()
            fill(database_url, args.orders, args.quantity)
            started = time.perf_counter()
            moved = httpx.post(f"{emulator.base_url}/_emulator/clock/advance", json={"seconds": 3600}, timeout=600)
            elapsed = time.perf_counter() - started
            moved.raise_for_status()
        with sqlite3.connect(Path(folder) / "bench.sqlite3") as db:
            statuses = dict(db.execute("SELECT status, count(*) FROM cm_number_request GROUP BY status").fetchall())
            callbacks = db.execute("SELECT count(*) FROM emulator_callback").fetchone()[0]
    print(f"clock/advance completing {args.orders} accepted orders ({args.quantity} number(s) each): {elapsed:.2f} s")
    print(f"orders by status afterwards: {statuses}; callback deliveries written: {callbacks}")


if __name__ == "__main__":
    main()
