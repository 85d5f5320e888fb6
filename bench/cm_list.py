"""CM's list of number requests as one account grows from a thousand requests to a million: seeds
a SQLite file per size with the ``seed`` command, then asks ``GET .../numberrequests`` over real
HTTP against a live emulator, each request different (a different ``Take`` each time, first
pages: the emulator keeps answers while the store is unchanged).

    python bench/cm_list.py [--sizes 1000 1000000] [--requests 300] [--keep DIR]

The total (``x-cm-pagination-total``) is the account's kept count (``core.counts``). Prints per
size the median and 99th percentile and the server's CPU time per request, then their growth
from the smallest size to the largest. ``--keep`` keeps the seeded files in DIR and reuses them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import cpu_seconds, each_seeded, load_average, percentile_99  # noqa: E402

from tests.support import EmulatorProcess

TOKEN = "33333333-3333-3333-3333-333333333333"
ACCOUNT = "00000000-0000-0000-0000-000000000000"
"""The fixtures' default account: generated requests are ordered for it."""
LIST = f"/cm/voice-phonenumberrequestapi/v1/{ACCOUNT}/numberrequests"


def run_size(database: Path, requests: int) -> tuple[float, float, float, int]:
    """p50 and p99 in ms, the server's CPU ms per request, the total."""
    with EmulatorProcess(f"sqlite:///{database}") as emulator, httpx.Client(base_url=emulator.base_url) as client:
        assert emulator.process is not None
        client.headers["X-CM-PRODUCTTOKEN"] = TOKEN
        client.get(LIST, params={"Take": 1000})  # first-request costs (imports) off the clock
        samples, totals = [], set()
        cpu = cpu_seconds(emulator.process.pid)
        for i in range(requests):
            started = time.perf_counter()
            response = client.get(LIST, params={"Take": 1 + i % 100, "Skip": i // 100})
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
            totals.add(int(response.headers["x-cm-pagination-total"]))
        cpu_ms = (cpu_seconds(emulator.process.pid) - cpu) * 1000 / requests
    samples.sort()
    (total,) = totals
    return statistics.median(samples), percentile_99(samples), cpu_ms, total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 1_000_000])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--keep", type=Path, help="keep the seeded SQLite files here and reuse them")
    args = parser.parse_args()
    print(f"load average before: {load_average()}")
    figures: dict[int, tuple[float, float, float, int]] = {}
    for size, database in each_seeded(args.keep, "cm", TOKEN, args.sizes, "requests"):
        figures[size] = run_size(database, args.requests)
    print(f"\n{args.requests} different first pages per size; milliseconds over HTTP, one client")
    print("| requests in the account | p50 | p99 | server CPU per request | total |")
    print("|---:|---:|---:|---:|---:|")
    for size, (p50, p99, cpu, total) in figures.items():
        print(f"| {size:,} | {p50:.1f} | {p99:.1f} | {cpu:.2f} | {total:,} |")
    small, large = figures[min(figures)], figures[max(figures)]
    growth = " / ".join(f"{large[i] / small[i]:.1f}x" for i in range(3))
    print(f"\ngrowth {min(figures):,} → {max(figures):,} (p50 / p99 / CPU per request): {growth}")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
