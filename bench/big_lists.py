"""The unpaged lists with many records in one tenant: Yay's list of number addresses and Telcom's
``numbers/list``, over real HTTP against a live emulator on a SQLite file.

    python bench/big_lists.py [--counts 10000 100000] [--repeat 5]

Each tenant is filled by the ``seed`` command, then each list is asked for ``--repeat`` times.
Printed per list and size: the median and worst time to the body's last byte, the server's CPU
time per request (user + system, all its threads: steadier than the times on a shared machine), the
body's size, and how much the server's resident memory grew at its peak during a request (the
kernel's high-water mark, reset before each request) against what it used just before.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import cpu_seconds, load_average, seed  # noqa: E402

from tests.support import EmulatorProcess

TENANT = "bench"
LISTS = {
    "yay": ("GET", "/yay/voip/number-address", {"X-Auth-Reseller": TENANT, "X-Auth-User": "u", "X-Auth-Password": "p"}),
    "telcom": ("GET", "/telcom/api/v2/numbers/list", {"X-Auth-Token": TENANT, "X-Auth-Secret": "s"}),
}


def _status(pid: int) -> dict[str, int]:
    """The process's memory figures from ``/proc``, in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) * 1024
    return found


def _reset_peak(pid: int) -> bool:
    """Start the high-water mark afresh from the current resident size (Linux ``clear_refs``)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure(port: int, pid: int, method: str, path: str, headers: dict, repeat: int) -> dict:
    times, growths, cpu, size = [], [], 0.0, 0
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for _ in range(repeat):
        peak_known = _reset_peak(pid)
        before = _status(pid)["VmRSS"]
        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        times.append(time.perf_counter() - started)
        cpu += cpu_seconds(pid) - cpu_before
        assert response.status == 200, (response.status, body[:200])
        after = _status(pid)
        growths.append((after["VmHWM"] if peak_known else after["VmRSS"]) - before)
        size = len(body)
    connection.close()
    return {
        "median_ms": statistics.median(times) * 1000,
        "worst_ms": max(times) * 1000,
        "cpu_ms": cpu / repeat * 1000,
        "body_bytes": size,
        "growth_bytes": max(growths),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {load_average()}")
    print("| list | records | median | worst | server CPU | body | peak memory growth | growth / body |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for count in args.counts:
        with tempfile.TemporaryDirectory() as folder:
            database_url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            seeded = {provider: seed(database_url, provider, TENANT, count) for provider in LISTS}
            with EmulatorProcess(database_url) as emulator:
                assert emulator.process is not None
                for provider, (method, path, headers) in LISTS.items():
                    # The first request builds the provider's sub-app: not what is measured.
                    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=120)
                    warm = path + "/x" if provider == "yay" else path.replace("list", "info")
                    connection.request(method, warm, headers=headers)
                    connection.getresponse().read()
                    connection.close()
                    result = measure(emulator.port, emulator.process.pid, method, path, headers, args.repeat)
                    print(
                        f"| {provider} {path} | {count:,} | {result['median_ms']:.0f} ms | {result['worst_ms']:.0f} ms"
                        f" | {result['cpu_ms']:.0f} ms"
                        f" | {result['body_bytes'] / 2**20:.1f} MiB | {result['growth_bytes'] / 2**20:.1f} MiB"
                        f" | {result['growth_bytes'] / result['body_bytes']:.2f} |",
                        flush=True,
                    )
            for provider, line in seeded.items():
                print(f"  seed {provider}: {line}")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
