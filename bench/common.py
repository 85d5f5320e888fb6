"""What the benchmarks share: the machine's load, a process's CPU time, the 99th percentile, and
SQLite files filled by the ``seed`` command (kept between runs on request)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (the machine may be shared)."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def cpu_seconds(pid: int) -> float:
    """The process's user and system CPU time so far, all its threads (the steadier figure on a
    shared machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile_99(ordered: list[float]) -> float:
    """The 99th percentile of samples in ascending order."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def seed(database_url: str, provider: str, tenant: str, count: int) -> str:
    """``count`` generated records in the tenant, by the ``seed`` command; what it reported."""
    command = [sys.executable, "-m", "emulator", "seed", "--provider", provider, "--tenant", tenant]
    command += ["--count", str(count), "--seed", "1", "--quiet", "--database-url", database_url]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def seeded_file(folder: Path, provider: str, tenant: str, count: int) -> tuple[Path, float | None]:
    """A SQLite file in ``folder`` holding ``count`` generated records in the tenant (and the
    fixtures'), and the seed command's wall time (None when the file was already there)."""
    database = folder / f"{provider}-{count}.sqlite3"
    if database.exists():
        return database, None
    started = time.perf_counter()
    seed(f"sqlite:///{database}", provider, tenant, count)
    return database, time.perf_counter() - started


def each_seeded(
    keep: Path | None, provider: str, tenant: str, sizes: list[int], noun: str
) -> Iterator[tuple[int, Path]]:
    """Each size with its seeded file (``seeded_file``), saying how long seeding took: in ``keep``
    (made if missing, left behind for the next run), or in a temporary folder removed afterwards."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            database, seconds = seeded_file(folder, provider, tenant, size)
            if seconds is not None:
                print(f"seed {size:,} {noun}: {seconds:.1f} s")
            yield size, database
