"""Throughput of ``serve --workers 2`` against ``--workers 1`` on this machine, same run.

Each configuration gets a fresh SQLite file (or, with ``--database-url``, the PostgreSQL schema
given), then wrk loads the documented Yay GET and the CM list in turn. The ratio is workers 2 over
workers 1. Writes its section of ``bench/RESULTS.md`` (between its own markers).

    python bench/workers.py --seconds 5 --connections 16
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import publish  # noqa: E402
from run import AUTH, CM_AUTH, CM_REQUESTS, DOCUMENTED, ROOT, SCENARIOS, load_average, milliseconds, wrk  # noqa: E402

sys.path.insert(0, str(ROOT))
from tests.support import free_port  # noqa: E402

LOADS = {"Yay get one address": ("/yay" + DOCUMENTED, AUTH), "CM list number requests": ("/cm" + CM_REQUESTS, CM_AUTH)}


def start(workers: int, database_url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--workers", str(workers)]
        + ["--database-url", database_url, "--log-level", "warning"],
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/yay" + DOCUMENTED, headers=AUTH, timeout=2).status_code == 200:
                # Every worker builds its provider apps on its first request: warm them all.
                for _ in range(8 * workers):
                    for path, headers in LOADS.values():
                        httpx.get(base + path, headers=headers, timeout=30)
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the emulator did not answer in time")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: a fresh SQLite file per run)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    results: dict[int, dict[str, dict]] = {}
    load = load_average()
    with tempfile.TemporaryDirectory() as folder:
        for workers in (1, 2):
            database_url = args.database_url or f"sqlite:///{Path(folder) / f'workers-{workers}.sqlite3'}"
            process, base = start(workers, database_url)
            try:
                results[workers] = {
                    name: wrk(base + path, args.seconds, args.connections, SCENARIOS[name], headers)
                    for name, (path, headers) in LOADS.items()
                }
            finally:
                stop(process)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    lines = [
        f"`python bench/workers.py --seconds {args.seconds} --connections {args.connections}` on {os.cpu_count()} "
        f"cores, {backend}, wrk -c{args.connections}, load average before the run {load}.",
        "",
        "| scenario | workers 1 (req/s) | workers 2 (req/s) | ratio | p99 workers 1 | p99 workers 2 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in LOADS:
        one, two = results[1][name], results[2][name]
        lines.append(
            f"| {name} | {one['rps']:,.0f} | {two['rps']:,.0f} | ×{two['rps'] / one['rps']:.2f} "
            f"| {milliseconds(one['p99']):.1f} ms | {milliseconds(two['p99']):.1f} ms |"
        )
    section = "\n".join(lines)
    print(section)
    publish(args.out, "workers.py", "Worker processes", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
