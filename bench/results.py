"""The one way a benchmark writes ``bench/RESULTS.md``: its own section, between markers named
after it, replaced in place; every other benchmark's section is kept."""

from __future__ import annotations

from pathlib import Path


def publish(out: Path, name: str, heading: str, section: str) -> None:
    begin, end = f"<!-- bench/{name}: begin -->", f"<!-- bench/{name}: end -->"
    text = out.read_text(encoding="utf-8") if out.exists() else "# Benchmark results\n"
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        after = rest.split(end, 1)[1]
    else:
        before, after = text.rstrip("\n") + "\n\n", "\n"
    out.write_text(f"{before}{begin}\n## {heading}\n\n{section}\n{end}{after}", encoding="utf-8")
