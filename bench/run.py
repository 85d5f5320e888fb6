"""Benchmark: the emulator against a peer (Stoplight Prism mocking the same OpenAPI document) on
this machine, in one run, with the same load generator (wrk). Publishes bench/RESULTS.md.

    python bench/run.py [--seconds 10] [--connections 16]

Needs `wrk` (Debian package) and Node.js with npm (Prism is installed into bench/peer/ on first run).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import free_port  # noqa: E402

AUTH = {"X-Auth-Reseller": "bench", "X-Auth-User": "user", "X-Auth-Password": "secret"}
DOCUMENTED = "/voip/number-address/31347d42-00bd-44a5-9b5c-20dc4197a2f6"
CM_AUTH = {"X-CM-PRODUCTTOKEN": "22222222-2222-2222-2222-222222222222"}
CM_REQUESTS = "/voice-phonenumberrequestapi/v1/11111111-1111-1111-1111-111111111111/numberrequests"
# name: (provider prefix on the emulator, OpenAPI document Prism mocks, path below the prefix, headers)
SCENARIOS = {
    "get one address": ("/yay", "yay", DOCUMENTED, AUTH),
    "list addresses": ("/yay", "yay", "/voip/number-address", AUTH),
    "CM list number requests": ("/cm", "cm", CM_REQUESTS, CM_AUTH),
}


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    base_url: str
    started_in: float

    def rss_mib(self) -> float:
        """Resident memory of the server and its children (Prism runs under npx)."""
        total = 0
        pids = [self.process.pid]
        while pids:
            pid = pids.pop()
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except (FileNotFoundError, AttributeError):
                continue
            pids.extend(int(child) for child in children)
        return total / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _wait_until_answering(process: subprocess.Popen, url: str, headers: dict, started: float) -> float:
    while time.monotonic() - started < 120:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}")
        try:
            if httpx.get(url, headers=headers, timeout=1).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer in time")


def start_emulator(database: Path) -> Server:
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "serve",
            "--port",
            str(port),
            "--database-url",
            f"sqlite:///{database}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    return Server(
        "number-emulator", process, base, _wait_until_answering(process, base + "/yay" + DOCUMENTED, AUTH, started)
    )


def start_prism(document: str = "yay", probe: str = DOCUMENTED, headers: dict = AUTH) -> Server:
    peer = ROOT / "bench" / "peer"
    if not (peer / "node_modules" / ".bin" / "prism").exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=peer, check=True)
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [
            str(peer / "node_modules" / ".bin" / "prism"),
            "mock",
            str(ROOT / "openapi" / f"{document}.json"),
            "-p",
            str(port),
            "--errors",
            "false",
        ],
        cwd=peer,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Prism serves the document's paths at the root, ignoring its `servers` prefix.
    base = f"http://127.0.0.1:{port}"
    return Server("Prism 5.16 (mock)", process, base, _wait_until_answering(process, base + probe, headers, started))


def wrk(url: str, seconds: int, connections: int, auth: dict = AUTH) -> dict:
    headers = [arg for name, value in auth.items() for arg in ("-H", f"{name}: {value}")]
    output = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency", *headers, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requests_per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "rps": requests_per_second,
        "p50": latency.get("50"),
        "p99": latency.get("99"),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    for tool in ("wrk", "npm"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed (wrk: apt-get install wrk; npm: Node.js)")

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        server = start_emulator(Path(folder) / "bench.sqlite3")
        try:
            measured = {
                name: wrk(server.base_url + prefix + path, args.seconds, args.connections, auth)
                for name, (prefix, _document, path, auth) in SCENARIOS.items()
            }
            results[server.name] = {"scenarios": measured, "startup": server.started_in, "rss": server.rss_mib()}
        finally:
            server.stop()
        # One Prism per document (it serves one); start-up and memory are those of the Yay one.
        peer: dict = {"scenarios": {}}
        for document in dict.fromkeys(document for _prefix, document, _path, _auth in SCENARIOS.values()):
            mine = {name: scenario for name, scenario in SCENARIOS.items() if scenario[1] == document}
            _prefix, _document, probe, auth = next(iter(mine.values()))
            server = start_prism(document, probe, auth)
            try:
                for name, (_prefix, _document, path, auth) in mine.items():
                    peer["scenarios"][name] = wrk(server.base_url + path, args.seconds, args.connections, auth)
                if document == "yay":
                    peer["startup"], peer["rss"] = server.started_in, server.rss_mib()
            finally:
                server.stop()
            results[server.name] = peer

    ours, peer = results["number-emulator"], results["Prism 5.16 (mock)"]
    lines = [
        "# Benchmark results",
        "",
        f"`python bench/run.py --seconds {args.seconds} --connections {args.connections}` on {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, {time.strftime('%Y-%m-%d')}. Load: wrk, 1 thread, "
        f"{args.connections} connections, {args.seconds} s per scenario, against Yay.com and CM.com. The peer mocks the same "
        "OpenAPI document (`openapi/yay.json`, `openapi/cm.json`) statelessly; the emulator reads real state from SQLite on every request.",
        "",
        "| scenario | server | requests/s | p50 | p99 | non-2xx |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for scenario in SCENARIOS:
        for name, result in results.items():
            m = result["scenarios"][scenario]
            lines.append(f"| {scenario} | {name} | {m['rps']:.0f} | {m['p50']} | {m['p99']} | {m['errors']} |")
    lines += [
        "",
        "| server | start to first answer | resident memory after load |",
        "|---|---:|---:|",
        *(f"| {name} | {r['startup']:.2f} s | {r['rss']:.0f} MiB |" for name, r in results.items()),
        "",
        "Ratios (emulator / peer): "
        + ", ".join(
            f"{scenario} throughput ×{ours['scenarios'][scenario]['rps'] / peer['scenarios'][scenario]['rps']:.2f}"
            for scenario in SCENARIOS
        )
        + f"; start-up ×{ours['startup'] / peer['startup']:.2f}; memory ×{ours['rss'] / peer['rss']:.2f}.",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
