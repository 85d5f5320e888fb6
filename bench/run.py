"""Benchmark: the emulator against a peer (Stoplight Prism mocking the same OpenAPI document) on
this machine, in one run, with the same load generator (wrk). Publishes bench/RESULTS.md.

    python bench/run.py [--seconds 10] [--connections 16] [--rounds 3]

Every server starts alone (its start-up is timed), then all serve side by side and each scenario
runs on the emulator and on Prism back to back, so a change in the machine's load weighs on both
sides of a ratio alike; with `--rounds N` each scenario runs N times and the median run is shown.

Needs `wrk` (Debian package) and Node.js with npm (Prism is installed into bench/peer/ on first run).
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import load_average  # noqa: E402
from results import publish  # noqa: E402

from tests.support import free_port  # noqa: E402

AUTH = {"X-Auth-Reseller": "bench", "X-Auth-User": "user", "X-Auth-Password": "secret"}
DOCUMENTED = "/voip/number-address/31347d42-00bd-44a5-9b5c-20dc4197a2f6"
TELCOM_AUTH = {"X-Auth-Token": "bench", "X-Auth-Secret": "secret", "Content-Type": "application/json"}
CM_AUTH = {"X-CM-PRODUCTTOKEN": "22222222-2222-2222-2222-222222222222"}
CM_REQUESTS = "/voice-phonenumberrequestapi/v1/00000000-0000-0000-0000-000000000000/numberrequests"
CM_REQUEST = CM_REQUESTS + "/3b9a6a3e-8c4f-4a8e-9a51-0c1d2e3f4a5b"
# Prism refuses the vendor Accept type (406); the emulator takes plain JSON as v1 JSON, as Dingo does.
CLOUDLX_AUTH = {"Accept": "application/json", "Authorization": "Bearer {token}"}
ADDRESS = (
    '{"city":"Guildford","country_code":"GB","country_personal_id":"N12345678","forename":"Pete",'
    '"is_default":false,"name":"Pete","nickname":"Work","postcode":"GU1 4UG","premises":"22",'
    '"state":"Surrey","street":"Station Road","title":"Mr","type_id":2}'
)

CLOUDLX_ADDRESS = (
    '{"name":"Epsilon UK Office","address_line_1":"Third Floor Telephone House","address_line_2":"69 Paul Street",'
    '"address_city":"London","address_region":"London","address_postal_code":"EC2A 4NW","address_country":"GB",'
    '"use_for_emergency_address":true}'
)
CM_ORDER = '{"companyProfileId":"2f1e7331-991b-497d-9a32-dd3c2d79c56d","quantity":1,"areaCode":"020"}'


@dataclass(frozen=True)
class Scenario:
    document: str
    """The provider: its prefix on the emulator, the OpenAPI document Prism mocks."""
    path: str
    """Below the prefix (Prism serves the document's paths at its root)."""
    headers: dict
    method: str = "GET"
    body: str | None = None
    write: bool = False
    each: Callable[[Server, Path, int], Distinct] | None = None
    """For a write that uses up what it acts on (a number acquired leaves the stock): makes each
    round's distinct requests, on the emulator's database (its file) before the round."""


@dataclass(frozen=True)
class Distinct:
    """One round of a write that uses up what it acts on: the round's requests take ``items`` in
    turn, each as its path below the prefix (``into="path"``) or as its body (``into="body"``),
    as a tenant of the round's own (``headers``), so every round finds the same stock."""

    items: list[str]
    into: str
    headers: dict


def telcom_acquires(ours: Server, _database: Path, round_number: int) -> Distinct:
    """Every number the default stock offers (each offered prefix's listed and generated numbers),
    for a tenant that holds none of them yet. The tenant is made before the round (its first
    request seeds it from the fixtures), so the round times acquires, not that seeding."""
    from emulator.providers.telcom import service

    fixture = json.loads((ROOT / "emulator" / "default_fixtures" / "telcom.json").read_text())["inventory"]
    inventory = service.Inventory(seed=fixture["seed"], listed={k: tuple(v) for k, v in fixture["listed"].items()})
    numbers = [n for area in service.available_prefixes() for n in inventory.stock(area.national_prefix)]
    headers = {**TELCOM_AUTH, "X-Auth-Token": f"bench-acquire-{round_number}"}
    listed = {name: value for name, value in headers.items() if name != "Content-Type"}
    httpx.post(f"{ours.base_url}/telcom/api/v2/numbers/list", headers=listed).raise_for_status()
    return Distinct([json.dumps({"number": number}) for number in dict.fromkeys(numbers)], "body", headers)


CLOUDLX_RESERVABLE = 30_000


def cloudlx_reserves(ours: Server, database: Path, round_number: int) -> Distinct:
    """A pool of ``CLOUDLX_RESERVABLE`` available numbers of a tenant of the round's own: made by
    the ``seed`` command (numbers of the account) and then put back on offer in the database, as
    the fixture's available numbers are (no dates, no addresses)."""
    tenant = f"bench-reserve-{round_number}"
    subprocess.run(
        [sys.executable, "-m", "emulator", "seed", "--provider", "cloudlx", "--tenant", tenant, "--quiet"]
        + ["--count", str(CLOUDLX_RESERVABLE), "--seed", str(round_number), "--database-url", f"sqlite:///{database}"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as connection, connection:
        connection.execute(
            "UPDATE cloudlx_number SET status = 'Available', provisioned = NULL, service_provisioned = NULL,"
            " number_address_id = NULL, emergency_number_address_id = NULL WHERE tenant = ? AND status = 'Reserved'",
            (tenant,),
        )
        uuids = [
            row[0]
            for row in connection.execute(
                "SELECT uuid FROM cloudlx_number WHERE tenant = ? AND status = 'Available'", (tenant,)
            )
        ]
    token = cloudlx_token(ours.base_url, tenant)
    return Distinct(
        [f"/api/number/{uuid}/reserve" for uuid in uuids],
        "path",
        {**CLOUDLX_AUTH, "Authorization": f"Bearer {token}"},
    )


SCENARIOS = {
    "Yay get one address": Scenario("yay", DOCUMENTED, AUTH),
    "Yay list addresses": Scenario("yay", "/voip/number-address", AUTH),
    # Writes go to a tenant of their own where a read would see them: the list stays the same.
    "Yay create address (write)": Scenario(
        "yay",
        "/voip/number-address",
        {**AUTH, "X-Auth-Reseller": "bench-writes", "Content-Type": "application/json"},
        "POST",
        ADDRESS,
        write=True,
    ),
    "Telcom numbers/info": Scenario("telcom", "/api/v2/numbers/info", TELCOM_AUTH, "POST", '{"id":3466}'),
    # No parameters, no body: the committed document gives numbers/list none (Prism refuses `{}`).
    "Telcom numbers/list": Scenario(
        "telcom", "/api/v2/numbers/list", {k: v for k, v in TELCOM_AUTH.items() if k != "Content-Type"}, "POST"
    ),
    "Telcom numbers/save (write)": Scenario(
        "telcom", "/api/v2/numbers/save", TELCOM_AUTH, "POST", '{"id":3466,"recording_enabled":true}', write=True
    ),
    "Telcom numbers/acquire (write)": Scenario(
        "telcom",
        "/api/v2/numbers/acquire",
        TELCOM_AUTH,
        "POST",
        '{"number":"01234069352"}',
        write=True,
        each=telcom_acquires,
    ),
    "CloudLX number detail": Scenario("cloudlx", "/api/number/7c327e0f-6bce-4b2f-9d5d-9c86e7fa065f", CLOUDLX_AUTH),
    "CloudLX list numbers": Scenario("cloudlx", "/api/numbers", CLOUDLX_AUTH),
    "CloudLX add a number address (write)": Scenario(
        "cloudlx",
        "/api/number-addresses/new",
        {**CLOUDLX_AUTH, "Content-Type": "application/json"},
        "POST",
        CLOUDLX_ADDRESS,
        write=True,
    ),
    "CloudLX reserve a number (write)": Scenario(
        "cloudlx",
        "/api/number/e0165638-8d72-4223-a472-7acefb7c2360/reserve",
        CLOUDLX_AUTH,
        "PUT",
        write=True,
        each=cloudlx_reserves,
    ),
    "CM list number requests": Scenario("cm", CM_REQUESTS, CM_AUTH),
    "CM get number request": Scenario("cm", CM_REQUEST, CM_AUTH),
    # As the Yay creates: another product token (tenant), so the list scenario's list stays the same.
    "CM create number request (write)": Scenario(
        "cm",
        CM_REQUESTS,
        {"X-CM-PRODUCTTOKEN": "33333333-3333-3333-3333-333333333333", "Content-Type": "application/json"},
        "POST",
        CM_ORDER,
        write=True,
    ),
}
PEER = "Prism 5.16 (mock)"
OURS = "number-emulator"


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


def _wait_until_answering(
    process: subprocess.Popen, url: str, headers: dict, started: float, method: str = "GET", body: str | None = None
) -> float:
    while time.monotonic() - started < 120:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}")
        try:
            if httpx.request(method, url, headers=headers, content=body, timeout=1).is_success:
                return time.monotonic() - started
        except httpx.TransportError:
            time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer in time")


def start_emulator(database: Path) -> Server:
    # As an installed package has it (pip compiles it), and as Python leaves it after a first run
    # unless PYTHONDONTWRITEBYTECODE is set: otherwise each start compiles every module again.
    compileall.compile_dir(ROOT / "emulator", quiet=1)
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
    return Server(OURS, process, base, _wait_until_answering(process, base + "/yay" + DOCUMENTED, AUTH, started))


def start_prism(document: str, probe: Scenario) -> Server:
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
            "-v",
            "silent",
        ],
        cwd=peer,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Prism serves the document's paths at the root, ignoring its `servers` prefix.
    base = f"http://127.0.0.1:{port}"
    headers = {name: value.format(token="bench-token") for name, value in probe.headers.items()}
    answered = _wait_until_answering(process, base + probe.path, headers, started, probe.method, probe.body)
    return Server(PEER, process, base, answered)


def wrk(
    url: str, seconds: int, connections: int, scenario: Scenario, headers: dict, distinct: Distinct | None = None
) -> dict:
    """One wrk run; a POST's method and body come from a Lua script, and so do the distinct paths
    or bodies of a write that uses up what it acts on (read from a file, one per line)."""
    items = None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f"wrk.method = {json.dumps(scenario.method)}\n")
        if scenario.body is not None:
            script.write(f"wrk.body = {json.dumps(scenario.body)}\n")
        if distinct is not None:
            with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listed:
                listed.write("\n".join(distinct.items) + "\n")
            items = listed.name
            prefix = url.removesuffix(scenario.path).split("//", 1)[1].partition("/")[2]
            prefix = "/" + prefix if prefix else ""
            take = (
                f"wrk.format(nil, {json.dumps(prefix)} .. item)"
                if distinct.into == "path"
                else ("wrk.format(nil, nil, nil, item)")
            )
            script.write(
                f"local items = {{}}\nfor line in io.lines({json.dumps(items)}) do items[#items + 1] = line end\n"
                "local taken = 0\n"
                f"request = function()\n  taken = taken % #items + 1\n  local item = items[taken]\n  return {take}\nend\n"
            )
    arguments = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    try:
        output = subprocess.run(
            ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", script.name]
            + arguments
            + [url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
        if items is not None:
            os.unlink(items)
    requests_per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "rps": requests_per_second,
        "p50": latency.get("50"),
        "p99": latency.get("99"),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def milliseconds(latency: str | None) -> float:
    """wrk's ``850.00us``, ``10.34ms`` or ``1.20s`` in milliseconds."""
    if latency is None:
        return float("nan")
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", latency).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def import_seconds() -> float:
    """``import emulator.app`` in a fresh interpreter, as ``-X importtime`` counts it (best of 3)."""
    best = float("inf")
    for _ in range(3):
        report = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import emulator.app"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        cumulative = re.search(r"\|\s+(\d+) \|\s+emulator\.app$", report, re.MULTILINE)
        best = min(best, int(cumulative.group(1)) / 1e6)
    return best


def cloudlx_token(base_url: str, tenant: str = "bench") -> str:
    issued = httpx.post(
        base_url + "/cloudlx/api/oauth2/access-token",
        data={"grant_type": "client_credentials", "client_id": tenant, "client_secret": "secret"},
        headers={"Accept": "application/vnd.cloudlx.v1+json"},
    )
    issued.raise_for_status()
    return issued.json()["access_token"]


def median_run(runs: list[dict]) -> dict:
    """The run of median throughput (its own latencies with it)."""
    return sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--only", nargs="*", help="only these scenarios (by name)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of every scenario; the median run is shown")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    for tool in ("wrk", "npm"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed (wrk: apt-get install wrk; npm: Node.js)")
    scenarios = {name: s for name, s in SCENARIOS.items() if not args.only or name in args.only}
    load_before = load_average()

    results: dict[str, dict] = {OURS: {"scenarios": {}}, PEER: {"scenarios": {}}}
    runs: dict[str, dict[str, list[dict]]] = {OURS: {}, PEER: {}}
    servers: list[Server] = []
    with tempfile.TemporaryDirectory() as folder:
        try:
            # Each server starts alone (start-up is timed), then all of them serve side by side and
            # each scenario runs on the emulator and on Prism back to back, so a change in the
            # machine's load between scenarios weighs on both sides of a ratio alike.
            database = Path(folder) / "bench.sqlite3"
            ours = start_emulator(database)
            servers.append(ours)
            results[OURS].update(startup=ours.started_in, idle=ours.rss_mib())
            token = cloudlx_token(ours.base_url)
            # One Prism per document (it serves one); start-up and memory are those of the Yay one.
            prisms: dict[str, Server] = {}
            for document in sorted(dict.fromkeys(s.document for s in scenarios.values()), key=lambda d: d != "yay"):
                first = next(s for s in scenarios.values() if s.document == document)
                prisms[document] = start_prism(document, first)
                servers.append(prisms[document])
                if "idle" not in results[PEER]:
                    results[PEER].update(startup=prisms[document].started_in, idle=prisms[document].rss_mib())
            for round_number in range(args.rounds):
                for name, scenario in scenarios.items():
                    distinct = scenario.each(ours, database, round_number) if scenario.each else None
                    given = distinct.headers if distinct else scenario.headers
                    headers = {key: value.format(token=token) for key, value in given.items()}
                    url = f"{ours.base_url}/{scenario.document}{scenario.path}"
                    measured = wrk(url, args.seconds, args.connections, scenario, headers, distinct)
                    runs[OURS].setdefault(name, []).append(measured)
                    prism = prisms[scenario.document]
                    headers = {key: value.format(token="bench-token") for key, value in scenario.headers.items()}
                    url = prism.base_url + scenario.path
                    measured = wrk(url, args.seconds, args.connections, scenario, headers, distinct)
                    runs[PEER].setdefault(name, []).append(measured)
            results[OURS]["rss"] = ours.rss_mib()
            results[PEER]["rss"] = next(iter(prisms.values())).rss_mib()
        finally:
            for server in servers:
                server.stop()
    for name, measured in runs.items():
        for scenario, each in measured.items():
            results[name]["scenarios"][scenario] = median_run(each)
    imported = import_seconds()
    load_after = load_average()

    ours, peer = results[OURS], results[PEER]
    lines = [
        "# Benchmark results",
        "",
        f"`python bench/run.py --seconds {args.seconds} --connections {args.connections} --rounds {args.rounds}` on "
        f"{os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}. Load: wrk, 1 "
        f"thread, {args.connections} connections, {args.seconds} s per scenario, one emulator process (SQLite file, "
        "journal on) against one Prism per provider mocking the same committed OpenAPI document (`openapi/*.json`, "
        "`-v silent`) statelessly, all serving side by side; each scenario runs on the emulator and on Prism back "
        f"to back, {args.rounds} time(s), and the run of median throughput is shown. The emulator reads and writes "
        "real state. The machine is shared: load average "
        f"(1 / 5 / 15 min) {load_before} before the run, {load_after} after it.",
        "",
        "| scenario | server | requests/s | p50 | p99 | non-2xx |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for scenario in scenarios:
        for name, result in results.items():
            m = result["scenarios"][scenario]
            lines.append(f"| {scenario} | {name} | {m['rps']:.0f} | {m['p50']} | {m['p99']} | {m['errors']} |")
    lines += [
        "",
        "| server | start to first answer | idle memory | memory after load |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {r['startup']:.2f} s | {r['idle']:.0f} MiB | {r['rss']:.0f} MiB |"
            for name, r in results.items()
        ),
        "",
        f'`import emulator.app`: {imported:.3f} s (`python -X importtime -c "import emulator.app"`, best of 3). '
        "The emulator starts with its bytecode compiled, as `pip install` leaves it.",
        "",
        "| scenario | throughput × Prism | p99 × Prism (lower is better) |",
        "|---|---:|---:|",
    ]
    for scenario in scenarios:
        o, p = ours["scenarios"][scenario], peer["scenarios"][scenario]
        lines.append(
            f"| {scenario} | ×{o['rps'] / p['rps']:.2f} | ×{milliseconds(o['p99']) / milliseconds(p['p99']):.2f} |"
        )
    lines += [
        "",
        f"Start-up ×{ours['startup'] / peer['startup']:.2f} Prism's; idle memory ×{ours['idle'] / peer['idle']:.2f}; "
        f"memory after load ×{ours['rss'] / peer['rss']:.2f}.",
        "",
    ]
    publish(args.out, "run.py", "Hot path against Prism", "\n".join(lines[2:]))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
