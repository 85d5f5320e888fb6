"""Profile the CM.com clock batch in-process (cProfile): N accepted orders in one tenant, each with
a callback URL, then ``run_due_transitions`` completing them all on a SQLite file, no HTTP.

    python bench/profile_cm_advance.py [--orders 10000] [--top 30]

Prints the batch's wall time (profiled) and the top functions by cumulative and by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cm_advance import fill  # noqa: E402

from emulator.core.runtime import Runtime
from emulator.providers import load_providers
from emulator.providers.cm import service
from emulator.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{Path(folder) / 'profile.sqlite3'}"
        runtime = Runtime(Settings(database_url=database_url), load_providers())
        runtime.start()
        runtime.clock.freeze()
        fill(database_url, args.orders, 1)
        runtime.clock.load()
        runtime.clock.advance(3600)
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        service.run_due_transitions(runtime, runtime.clock.latest_now())
        profile.disable()
        print(f"run_due_transitions over {args.orders} orders: {time.perf_counter() - started:.2f} s (profiled)")
        runtime.db.dispose()
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
