"""One real ``serve`` process for the hostile-input suite, every route it documents, and the
checks every hostile answer must pass."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from emulator.providers import load_providers
from tests.support import EmulatorProcess

PLACEHOLDER_GUID = "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f"
PLACEHOLDER_ID = "987654"
CONTROL = "/_emulator"
TELCOM_ERRORS = {"access-denied", "not-found", "parameter-error", "validation-error", "error"}


@dataclass(frozen=True)
class Route:
    owner: str
    """The provider's name, or ``control``."""
    method: str
    template: str
    """The full path as documented, e.g. ``/yay/voip/number-address/{uuid}``."""
    path: str
    """With every path parameter filled in."""
    body_fields: tuple[str, ...]
    """Every property name its request body schemas name (empty: it takes no body)."""
    integer_queries: tuple[str, ...]
    string_queries: tuple[str, ...]

    @property
    def takes_body(self) -> bool:
        return bool(self.body_fields)

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


def _fill(template: str, parameters: list[dict]) -> str:
    path = template
    for parameter in parameters:
        if parameter["in"] == "path":
            kind = parameter.get("schema", {}).get("type")
            path = path.replace(
                "{" + parameter["name"] + "}", PLACEHOLDER_ID if kind == "integer" else PLACEHOLDER_GUID
            )
    return path


def _query_names(parameters: list[dict], integer: bool) -> tuple[str, ...]:
    def is_integer(parameter: dict) -> bool:
        schema = parameter.get("schema", {})
        kinds = {schema.get("type"), *(option.get("type") for option in schema.get("anyOf", []))}
        return "integer" in kinds

    return tuple(
        parameter["name"] for parameter in parameters if parameter["in"] == "query" and is_integer(parameter) == integer
    )


def _field_names(schema: dict, document: dict, seen: set[str]) -> list[str]:
    """Property names of a schema, its references and alternatives followed (each once)."""
    reference = schema.get("$ref")
    if reference is not None:
        if reference in seen:
            return []
        seen.add(reference)
        schema = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
    names = list(schema.get("properties", {}))
    nested = [*schema.get("properties", {}).values(), *schema.get("anyOf", []), *schema.get("allOf", [])]
    if isinstance(schema.get("items"), dict):
        nested.append(schema["items"])
    for part in nested:
        names.extend(_field_names(part, document, seen))
    return names


def _body_fields(operation: dict, document: dict) -> tuple[str, ...]:
    if "requestBody" not in operation:
        return ()
    names: list[str] = []
    for content in operation["requestBody"].get("content", {}).values():
        names.extend(_field_names(content.get("schema", {}), document, set()))
    # A body with no named fields (free-form JSON) still takes input.
    return tuple(dict.fromkeys(names)) or ("value",)


def documented_routes(base_url: str) -> list[Route]:
    """Every operation of every OpenAPI document the running emulator serves (the providers the
    index lists, and the control plane): a new route is covered without touching the suite."""
    index = httpx.get(base_url + "/").json()
    documents = {name: entry["openapi"] for name, entry in index["providers"].items()}
    documents["control"] = index["control"]["openapi"]
    routes = []
    for owner, url in documents.items():
        document = httpx.get(base_url + url).json()
        prefix = document["servers"][0]["url"]
        for template, operations in document["paths"].items():
            for method, operation in operations.items():
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                parameters = operation.get("parameters", [])
                routes.append(
                    Route(
                        owner=owner,
                        method=method.upper(),
                        template=prefix + template,
                        path=prefix + _fill(template, parameters),
                        body_fields=_body_fields(operation, document),
                        integer_queries=_query_names(parameters, integer=True),
                        string_queries=_query_names(parameters, integer=False),
                    )
                )
    return routes


class HostileEmulator:
    def __init__(self, process: EmulatorProcess) -> None:
        self.process = process
        self.port = process.port
        self.base_url = process.base_url
        self.credentials = self._credentials()
        self.routes = documented_routes(self.base_url)

    def _credentials(self) -> dict[str, dict[str, str]]:
        """Each provider's accepted credentials for one tenant, used once so it is seeded: hostile
        requests then get past authentication to the input they carry."""
        made = {provider.name: provider.credentials_for("hostile").fields for provider in load_providers()}
        client = httpx.Client(base_url=self.base_url)
        token = client.post("/cloudlx/api/oauth2/access-token", data=made["cloudlx"]).json()["access_token"]
        made["cloudlx"] = {"Authorization": f"Bearer {token}"}
        assert client.get("/yay/voip/number-address", headers=made["yay"]).status_code == 200
        assert client.post("/telcom/api/v2/numbers/list", headers=made["telcom"]).json()["status"] == "success"
        assert client.get("/cloudlx/api/numbers", headers=made["cloudlx"]).status_code == 200
        account = f"/cm/voice-phonenumberrequestapi/v1/{PLACEHOLDER_GUID}/numberrequests"
        assert client.get(account, headers=made["cm"]).status_code == 200
        made["control"] = {}
        return made

    def state(self) -> bytes:
        return httpx.get(self.base_url + "/_emulator/state", timeout=30).content

    def memory_kib(self) -> dict[str, int]:
        """The server process's resident memory now (VmRSS) and at its peak so far (VmHWM)."""
        status = Path(f"/proc/{self.process.process.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return {name: int(fields[name].split()[0]) for name in ("VmRSS", "VmHWM")}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileEmulator]:
    database = tmp_path_factory.mktemp("hostile") / "emulator.sqlite3"
    # A small snapshot limit: the 10 MB and 100 MB cases are refused on PUT /_emulator/state too,
    # so the memory bound holds for every route.
    with EmulatorProcess(f"sqlite:///{database}", env={"EMULATOR_MAX_SNAPSHOT_BYTES": str(4 * 1_048_576)}) as process:
        yield HostileEmulator(process)


@pytest.fixture(scope="module")
def baseline(hostile: HostileEmulator) -> dict:
    """The server's memory before any hostile input."""
    return hostile.memory_kib()


@pytest.fixture(autouse=True)
def state_untouched(hostile: HostileEmulator, baseline: dict) -> Iterator[None]:
    """Whatever a test sent, the emulator still answers and holds exactly what it held."""
    before = hostile.state()
    yield
    assert hostile.process.process.poll() is None, "the emulator process died"
    after = hostile.state()
    if after != before:
        at = next(index for index, (old, new) in enumerate(zip(before, after, strict=False)) if old != new)
        raise AssertionError(
            f"hostile input changed the state: {before[at - 80 : at + 80]!r} became {after[at - 80 : at + 80]!r}"
        )


def answer_problems(path: str, answer, *, allow_success: bool = False) -> list[str]:
    """What is wrong with a hostile request's answer: it must be a 4xx in the format of whoever
    owns the path (Telcom: also its HTTP 200 error envelope), never a 5xx."""
    status = answer.status
    owner = _owner_of(path)
    if allow_success and status == 200 and not (owner == "telcom" and b'"time":null' in answer.body):
        return []
    try:
        body = json.loads(answer.body)
    except ValueError:
        return [f"{status} not JSON: {answer.body[:120]!r}"]
    if owner == "telcom":
        if status == 200 and isinstance(body, dict) and list(body) == ["status", "time", "flags", "data"]:
            if body["status"] in TELCOM_ERRORS and body["time"] is None:
                return []
        if 400 <= status < 500 and isinstance(body, dict) and isinstance(body.get("status"), str):
            if set(body) <= {"status", "details"}:
                return []
        return [f"{status} not a Telcom error: {answer.body[:160]!r}"]
    if not 400 <= status < 500:
        return [f"status {status}: {answer.body[:160]!r}"]
    if not isinstance(body, dict):
        return [f"{status} body not an object: {answer.body[:120]!r}"]
    if owner == "yay":
        expected = {"result": {}, "status_code": status}
        if list(body) == ["result", "status_code", "status_message"] and body | expected == body:
            return []
        return [f"{status} not Yay's envelope: {answer.body[:160]!r}"]
    if owner == "cloudlx":
        if isinstance(body.get("message"), str) and body.get("status_code") == status:
            if set(body) <= {"message", "errors", "status_code"}:
                return []
        return [f"{status} not CloudLX's error: {answer.body[:160]!r}"]
    if owner == "cm":
        if answer.headers.get("content-type", "").startswith("application/problem+json"):
            if body.get("status") == status and {"type", "title", "traceId"} <= set(body):
                return []
        return [f"{status} not CM's problem details: {answer.body[:160]!r}"]
    if "detail" in body:
        return []
    return [f"{status} not the control plane's problem: {answer.body[:160]!r}"]


def _owner_of(path: str) -> str:
    """Whose format the answer must be in: the provider the first path segment names."""
    first = path.split("?", 1)[0][1:].split("/", 1)[0]
    return first if first in {"yay", "telcom", "cloudlx", "cm"} else "control"
