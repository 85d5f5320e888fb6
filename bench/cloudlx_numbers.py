"""CloudLX listings with many numbers in one tenant: fills a tenant through the provider's bulk
``generate`` hook, then times list, page and search requests over real HTTP against a live emulator.

    python bench/cloudlx_numbers.py [--numbers 100000] [--repeat 30]

Prints the generation time and, per request, the median and 95th percentile latency.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator.core.runtime import Runtime
from emulator.providers import load_providers
from emulator.settings import Settings
from tests.cloudlx.helpers import auth
from tests.support import EmulatorProcess

TENANT = "bench"


def fill(database_url: str, count: int) -> float:
    runtime = Runtime(Settings(database_url=database_url), load_providers())
    runtime.start()
    runtime.tenants.ensure("cloudlx", TENANT)
    started = time.perf_counter()
    with runtime.db.session() as session:
        added = runtime.providers["cloudlx"].generate(session, TENANT, count, 1, runtime)
    elapsed = time.perf_counter() - started
    runtime.db.dispose()
    assert added == count, added
    return elapsed


def timed(client: httpx.Client, path: str, params: dict, repeat: int) -> tuple[float, float, dict]:
    samples = []
    body = {}
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, params=params)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
        body = response.json()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--numbers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        seconds = fill(database_url, args.numbers)
        print(f"generate: {args.numbers} numbers in {seconds:.2f} s")
        total = args.numbers + 1  # and the documented number
        last_page = -(-total // 50)
        with EmulatorProcess(database_url) as emulator, httpx.Client(base_url=f"{emulator.base_url}/cloudlx") as client:
            with httpx.Client(base_url=emulator.base_url) as root:
                client.headers.update(auth(root, TENANT))
            cases = {
                "first page (50)": ("/api/numbers", {}),
                "first page (200)": ("/api/numbers", {"max_per_page": 200}),
                "middle page": ("/api/numbers", {"page": last_page // 2}),
                "last page": ("/api/numbers", {"page": last_page}),
                "past the end": ("/api/numbers", {"page": last_page + 1}),
                "search '123' (common)": ("/api/numbers", {"search": "123"}),
                "search '123', page 5": ("/api/numbers", {"search": "123", "page": 5}),
                "search '1245123456' (rare)": ("/api/numbers", {"search": "1245123456"}),
                "search, no match": ("/api/numbers", {"search": "000000000000"}),
                "number detail": ("/api/number/7c327e0f-6bce-4b2f-9d5d-9c86e7fa065f", {}),
                "available numbers": ("/api/available_numbers", {}),
            }
            print(f"{'request':<28} {'median':>9} {'p95':>9}  num_results")
            for name, (path, params) in cases.items():
                median, p95, body = timed(client, path, params, args.repeat)
                print(f"{name:<28} {median:>7.1f}ms {p95:>7.1f}ms  {body.get('num_results', '-')}")


if __name__ == "__main__":
    main()
