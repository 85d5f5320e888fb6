"""The ``seed`` command at volume: how long it takes to add N records to one tenant of a fresh
SQLite file, and whether it added exactly N.

    python bench/seeding.py [--provider yay] [--counts 100000 1000000]

Prints per run the command's own wall time (process start to exit, imports included), the CPU
time it used (user + system: what a loaded machine does not inflate much), the records it
reports, and the rows the table then holds for the tenant.
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import load_average

ROOT = Path(__file__).resolve().parent.parent
TABLES = {
    "yay": "yay_number_address",
    "telcom": "telcom_number",
    "cloudlx": "cloudlx_number",
    "cm": "cm_number_request",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--provider", default="yay", choices=sorted(TABLES))
    parser.add_argument("--counts", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    print(f"load average before: {load_average()}")
    print("| provider | asked | wall time | CPU time | records/s | reported | rows in the table |")
    print("|---|---:|---:|---:|---:|---|---:|")
    for count in args.counts:
        with tempfile.TemporaryDirectory() as folder:
            database = Path(folder) / "seed.sqlite3"
            command = [sys.executable, "-m", "emulator", "seed", "--provider", args.provider, "--tenant", "bench"]
            command += ["--count", str(count), "--seed", "1", "--quiet", "--database-url", f"sqlite:///{database}"]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            elapsed = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            assert done.returncode == 0, done.stderr
            with sqlite3.connect(database) as connection:
                (rows,) = connection.execute(
                    f"SELECT count(*) FROM {TABLES[args.provider]} WHERE tenant = 'bench'"
                ).fetchone()
            reported = done.stdout.strip().split(" to tenant")[0]
            print(
                f"| {args.provider} | {count:,} | {elapsed:.1f} s | {cpu:.1f} s | {count / elapsed:,.0f} | {reported} "
                f"| {rows:,} |"
            )
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
