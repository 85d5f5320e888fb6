"""CM.com orders moved by the clock: N accepted orders in one tenant (each with a callback URL),
then one ``POST /_emulator/clock/advance`` that completes them all, timed over real HTTP against a
live emulator on SQLite (a fresh emulator and database for each run).

    python bench/cm_advance.py [--orders 10000] [--quantity 1] [--runs 3] [--out bench/RESULTS.md]

Prints how long each advance took and checks that every order completed with its callback; writes
its section of the results file between its own markers (the best and median run against the 1 s
target, with the load average, since the machine may be shared).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import load_average  # noqa: E402
from results import publish  # noqa: E402

from emulator.core.runtime import Runtime
from emulator.providers import load_providers
from emulator.providers.cm.models import NumberRequest
from emulator.providers.cm.settings import CMSettings
from emulator.settings import Settings
from tests.support import EmulatorProcess

TARGET_SECONDS = 1.0
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


def run(orders: int, quantity: int) -> float:
    """One advance over ``orders`` accepted orders on a fresh emulator: its time, once checked."""
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        with EmulatorProcess(database_url, env={"EMULATOR_TICK_SECONDS": "3600"}) as emulator:
            httpx.post(f"{emulator.base_url}/_emulator/clock/freeze").raise_for_status()
            fill(database_url, orders, quantity)
            started = time.perf_counter()
            moved = httpx.post(f"{emulator.base_url}/_emulator/clock/advance", json={"seconds": 3600}, timeout=600)
            elapsed = time.perf_counter() - started
            moved.raise_for_status()
        with sqlite3.connect(Path(folder) / "bench.sqlite3") as db:
            waiting = db.execute(
                "SELECT count(*) FROM cm_number_request WHERE tenant = ? AND next_transition_at IS NOT NULL", (TOKEN,)
            ).fetchone()[0]
            callbacks = db.execute(
                "SELECT count(*) FROM emulator_callback WHERE event = 'Completed' AND tenant = ?", (TOKEN,)
            ).fetchone()[0]
    assert (waiting, callbacks) == (0, orders), (waiting, callbacks)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--quantity", type=int, default=1, help="numbers per order")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    before = load_average()
    times = []
    for _ in range(args.runs):
        times.append(run(args.orders, args.quantity))
        print(
            f"clock/advance completing {args.orders} accepted orders ({args.quantity} number(s) each): {times[-1]:.2f} s"
        )
    after = load_average()
    best, median = min(times), statistics.median(times)
    section = (
        f"`python bench/cm_advance.py --orders {args.orders} --quantity {args.quantity} --runs {args.runs}`: one "
        f"`POST /_emulator/clock/advance` completing {args.orders:,} accepted CM.com orders ({args.quantity} "
        "number(s) each, each with a callback URL) in one tenant, over HTTP against a `serve` process on a fresh "
        "SQLite file per run; every order checked completed, with its callback written. Load average "
        f"(1 / 5 / 15 min) {before} before, {after} after.\n\n"
        "| runs | best | median | best × the 1 s target | median × the 1 s target |\n|---:|---:|---:|---:|---:|\n"
        f"| {', '.join(f'{value:.2f} s' for value in times)} | {best:.2f} s | {median:.2f} s | "
        f"×{best / TARGET_SECONDS:.2f} | ×{median / TARGET_SECONDS:.2f} |\n"
    )
    publish(args.out, "cm_advance.py", "CM.com orders completed by one clock move", section)


if __name__ == "__main__":
    main()
