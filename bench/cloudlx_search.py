"""CloudLX's number search as one tenant grows from a thousand numbers to a million: seeds a SQLite
file per size with the ``seed`` command, then times ``GET /api/numbers`` over real HTTP against a
live emulator, each request different (the emulator keeps answers while the store is unchanged,
so a repeated request would time its cache).

    python bench/cloudlx_search.py [--sizes 1000 100000 1000000] [--requests 300] [--keep DIR]

Cases: a selective search (six digits from the end of a random number of the tenant: a handful of
matches at any size), a search no number matches (ten random digits), a common search (three
random digits: about 1% of the numbers match, so the matches and their count grow with the
table), a two-digit search (no trigram: a plain LIKE), and the plain listing's first page (a
different ``max_per_page`` each time; its total is the tenant's kept count, ``core.counts``).
Prints per size and case the median and 99th percentile and the server's CPU time per request
(user and system, from ``/proc``: steadier than latencies on a shared machine), then each case's
growth from the smallest size to the largest. ``--keep`` keeps the seeded files in DIR and reuses
them on the next run.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import cpu_seconds, each_seeded, load_average, percentile_99  # noqa: E402

from tests.cloudlx.helpers import auth
from tests.support import EmulatorProcess

TENANT = "bench"
CASES = ["selective search", "search, no match", "common search (3 digits)", "2-digit search", "plain list"]


def terms(database: Path, count: int, rng: random.Random) -> dict[str, list[dict]]:
    """``count`` distinct requests per case."""
    with sqlite3.connect(database) as connection:
        numbers = [
            row[0]
            for row in connection.execute(
                "SELECT number_e164 FROM cloudlx_number WHERE tenant = ? AND status = 'Reserved'", (TENANT,)
            )
        ]

    def distinct(make: Callable[[], str]) -> list[str]:
        found: dict[str, None] = {}
        while len(found) < count:
            found[make()] = None
        return list(found)

    digits = "0123456789"
    # A hundred two-digit terms: on several pages each, for enough different requests.
    two_digits = distinct(lambda: f"{rng.randrange(100):02d} {rng.randrange(1, 2 + count // 100)}")
    return {
        "selective search": [{"search": t} for t in distinct(lambda: rng.choice(numbers)[-6:])],
        "search, no match": [{"search": t} for t in distinct(lambda: "".join(rng.choices(digits, k=10)))],
        "common search (3 digits)": [{"search": t} for t in distinct(lambda: "".join(rng.choices(digits, k=3)))],
        "2-digit search": [{"search": t[:2], "page": int(t[3:])} for t in two_digits],
        "plain list": [{"max_per_page": 1 + i % 200, "page": 1 + i // 200} for i in range(count)],
    }


Figures = tuple[float, float, float, float]
"""p50 and p99 in ms, the server's CPU ms per request, the median num_results."""


def measure(client: httpx.Client, requests: list[dict], pid: int) -> Figures:
    samples, results = [], []
    cpu = cpu_seconds(pid)
    for params in requests:
        started = time.perf_counter()
        response = client.get("/api/numbers", params=params)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
        results.append(response.json()["num_results"])
    cpu_ms = (cpu_seconds(pid) - cpu) * 1000 / len(requests)
    samples.sort()
    return statistics.median(samples), percentile_99(samples), cpu_ms, statistics.median(results)


def run_size(database: Path, requests: int) -> dict[str, Figures]:
    cases = terms(database, requests, random.Random(7))
    with (
        EmulatorProcess(f"sqlite:///{database}") as emulator,
        httpx.Client(base_url=f"{emulator.base_url}/cloudlx") as client,
    ):
        assert emulator.process is not None
        with httpx.Client(base_url=emulator.base_url) as root:
            client.headers.update(auth(root, TENANT))
        client.get("/api/numbers", params={"search": "999"})  # first-request costs (imports) off the clock
        return {case: measure(client, cases[case], emulator.process.pid) for case in CASES}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=300, help="per case, at most 1000 (3-digit terms)")
    parser.add_argument("--keep", type=Path, help="keep the seeded SQLite files here and reuse them")
    args = parser.parse_args()
    print(f"load average before: {load_average()}")
    figures: dict[int, dict[str, Figures]] = {}
    for size, database in each_seeded(args.keep, "cloudlx", TENANT, args.sizes, "numbers"):
        figures[size] = run_size(database, args.requests)
    print(f"\n{args.requests} different requests per case and size; milliseconds over HTTP, one client")
    print("| numbers in the tenant | case | p50 | p99 | server CPU per request | median num_results |")
    print("|---:|---|---:|---:|---:|---:|")
    for size, cases in figures.items():
        for case, (p50, p99, cpu, results) in cases.items():
            print(f"| {size:,} | {case} | {p50:.1f} | {p99:.1f} | {cpu:.2f} | {results:,.0f} |")
    small, large = min(figures), max(figures)
    print(f"\ngrowth {small:,} → {large:,} numbers (large / small)")
    print("| case | p50 | p99 | CPU per request |")
    print("|---|---:|---:|---:|")
    for case in CASES:
        before, after = figures[small][case], figures[large][case]
        print(f"| {case} | " + " | ".join(f"{after[i] / before[i]:.1f}x" for i in range(3)) + " |")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
