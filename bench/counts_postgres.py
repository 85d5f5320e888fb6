"""What the kept counts (``core.counts``) do on PostgreSQL: the plans of CloudLX's plain first page
and of its total (the kept counts against a ``count(*)``), and what the statement triggers add to
a one-row status change. Starts its own server (as the tests do) and fills one tenant.

    python bench/counts_postgres.py [--numbers 50000] [--updates 1000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import load_average  # noqa: E402
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.settings import Settings
from tests.cloudlx.helpers import auth, generate
from tests.postgres.server import PostgresServer

TENANT = "bench"
PLANS = [
    "SELECT * FROM cloudlx_number WHERE tenant = 'bench' AND status = 'Reserved' ORDER BY number_e164, id LIMIT 50",
    "SELECT coalesce(sum(n), 0) FROM cloudlx_number_count WHERE tenant = 'bench' AND status = 'Reserved'",
    "SELECT count(*) FROM cloudlx_number WHERE tenant = 'bench' AND status = 'Reserved'",
]
TOGGLE = "ALTER TABLE cloudlx_number {} TRIGGER cloudlx_number_count_{}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--numbers", type=int, default=50_000)
    parser.add_argument("--updates", type=int, default=1000)
    args = parser.parse_args()
    print(f"load average before: {load_average()}")
    server = PostgresServer().start()
    try:
        app = create_app(Settings(database_url=server.create_database("counts_bench")))
        with TestClient(app) as client:
            auth(client, TENANT)
            generate(client, TENANT, args.numbers, seed=1)
            raw = app.state.runtime.db.engine.raw_connection()
            cursor = raw.cursor()
            cursor.execute("ANALYZE cloudlx_number")
            for query in PLANS:
                print("\n".join(row[0] for row in cursor.execute(f"EXPLAIN ANALYZE {query}").fetchall()) + "\n")
            ids = [row[0] for row in cursor.execute(f"SELECT id FROM cloudlx_number LIMIT {args.updates}").fetchall()]
            raw.commit()
            for _ in range(2):  # alternated, so that both see the same machine
                for state in ("ENABLE", "DISABLE"):
                    for event in ("insert", "delete", "update"):
                        cursor.execute(TOGGLE.format(state, event))
                    raw.commit()
                    started = time.perf_counter()
                    for row_id in ids:
                        cursor.execute(
                            "UPDATE cloudlx_number SET status = CASE status WHEN 'Reserved' THEN 'Cancelled' "
                            "ELSE 'Reserved' END WHERE id = %s",
                            (row_id,),
                        )
                        raw.commit()
                    per_update = (time.perf_counter() - started) * 1000 / len(ids)
                    print(f"triggers {state.lower()}d: {per_update:.3f} ms per one-row status UPDATE and its commit")
            raw.close()
    finally:
        server.stop()
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
