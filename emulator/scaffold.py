"""``python -m emulator new-provider NAME``: a new provider room that already signs the whole
contract, and its tests, to be turned into the real provider's wire one file at a time.

The room emulates a small numbers API (list, get, add and remove numbers, an API key naming the
tenant) so that the conformance suite is green from the first run; docs/adding-a-provider.md walks
from there."""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from string import Template

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,11}$")

ROOM: dict[str, str] = {
    "__init__.py": '''\
"""$Title: numbers on an account, the tenant named by its API key."""

from __future__ import annotations

from sqlmodel import Session

from emulator.core.context import ProviderContext
from emulator.core.provider import Provider, TenantCredentials
from emulator.providers.$name import fake, service
from emulator.providers.$name.errors import NAME
from emulator.providers.$name.models import Number
from emulator.providers.$name.router import ERRORS, build_app


def _seed_tenant(session: Session, tenant: str, _runtime: ProviderContext) -> None:
    service.seed_tenant(session, tenant)


def _generate(session: Session, tenant: str, count: int, seed: int, runtime: ProviderContext) -> int:
    return service.add_records(session, tenant, fake.fake_numbers(seed, count), runtime.clock.now(NAME, tenant))


def _credentials_for(name: str) -> TenantCredentials:
    """The API key is the tenant."""
    return TenantCredentials(tenant=name, fields={"X-Api-Key": name})


PROVIDER = Provider(
    name=NAME,
    title="$Title API",
    build_app=build_app,
    seed_tenant=_seed_tenant,
    errors=ERRORS,
    reset_tables=(Number,),
    snapshot_tables=(Number,),
    credentials_for=_credentials_for,
    generate=_generate,
)
''',
    "errors.py": '''\
"""$Title's error body: ``{"error":{"status":N,"message":…}}``, with ``fields`` for invalid input."""

from __future__ import annotations

from http import HTTPStatus

from emulator.core.rendering import CompactJSONResponse

NAME = "$name"


class ${Class}Error(Exception):
    def __init__(
        self,
        status_code: int,
        message: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(status_code, message)
        self.status_code = status_code
        self.message = message or HTTPStatus(status_code).phrase
        self.fields = fields


def render_error(error: ${Class}Error) -> CompactJSONResponse:
    body: dict = {"status": error.status_code, "message": error.message}
    if error.fields is not None:
        body["fields"] = error.fields
    return CompactJSONResponse({"error": body}, status_code=error.status_code)


def error_response(status_code: int) -> CompactJSONResponse:
    return render_error(${Class}Error(status_code))
''',
    "models.py": '''\
"""$Title's tables: every row belongs to one tenant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from emulator.core.provider import TenantScoped


class Number(TenantScoped, table=True):
    __tablename__ = "${name}_number"
    __table_args__ = (UniqueConstraint("tenant", "uuid"), UniqueConstraint("tenant", "number"))

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36)
    number: str = Field(max_length=16, description="E.164")
    label: str = Field(max_length=255)
    created_at: datetime
''',
    "schemas.py": '''\
"""Request and response shapes as $Title documents them (they make the OpenAPI document)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from emulator.core.jsontypes import JSONStr


class NumberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: JSONStr = Field(max_length=16, description="E.164, e.g. +442079460123")
    label: JSONStr = Field(default="", max_length=255)


class NumberOut(BaseModel):
    id: str
    number: str
    label: str
    created_at: str = Field(description="ISO 8601, UTC")


class NumberList(BaseModel):
    numbers: list[NumberOut]


class ErrorDetail(BaseModel):
    status: int
    message: str
    fields: dict[str, list[str]] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail
''',
    "validation.py": '''\
"""Rules beyond the schema, and invalid input in $Title's words."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic_core import ErrorDetails

from emulator.providers.$name.errors import ${Class}Error
from emulator.providers.$name.schemas import NumberIn


def invalid(fields: dict[str, list[str]]) -> ${Class}Error:
    return ${Class}Error(422, "Invalid input", fields)


def field_errors(errors: Sequence[ErrorDetails]) -> dict[str, list[str]]:
    """The schema's refusals, keyed by the field they are about."""
    fields: dict[str, list[str]] = {}
    for error in errors:
        name = str(error["loc"][-1]) if error["loc"] else "body"
        fields.setdefault(name, []).append(error["msg"])
    return fields


def check_number(data: NumberIn) -> None:
    """The number must be one a phone could dial, not merely digits."""
    import phonenumbers  # its range data loads on first use, not at start

    try:
        valid = phonenumbers.is_valid_number(phonenumbers.parse(data.number))
    except phonenumbers.NumberParseException:
        valid = False
    if not valid or not data.number.startswith("+"):
        raise invalid({"number": ["Not a valid E.164 number"]})
''',
    "service.py": '''\
"""$Title's logic: the numbers of a tenant. No rendering here."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from emulator.providers.$name.errors import ${Class}Error
from emulator.providers.$name.fake import EXAMPLES
from emulator.providers.$name.models import Number
from emulator.providers.$name.schemas import NumberIn


def seed_tenant(session: Session, tenant: str) -> None:
    session.add_all(Number(tenant=tenant, **record) for record in EXAMPLES)


def add_records(session: Session, tenant: str, records: Iterable[dict], now: datetime) -> int:
    numbers = [Number(tenant=tenant, created_at=now, **record) for record in records]
    session.add_all(numbers)
    return len(numbers)


def list_numbers(session: Session, tenant: str) -> list[Number]:
    return list(session.exec(select(Number).where(Number.tenant == tenant).order_by(col(Number.id))))


def get_number(session: Session, tenant: str, number_id: str) -> Number:
    number = session.exec(select(Number).where(Number.tenant == tenant, Number.uuid == number_id)).first()
    if number is None:
        raise ${Class}Error(404)
    return number


def add_number(session: Session, tenant: str, data: NumberIn, now: datetime) -> Number:
    taken = session.exec(select(Number).where(Number.tenant == tenant, Number.number == data.number)).first()
    if taken is not None:
        raise ${Class}Error(409, "The number is already on the account")
    number = Number(tenant=tenant, uuid=str(uuid.uuid4()), number=data.number, label=data.label, created_at=now)
    session.add(number)
    session.commit()
    session.refresh(number)
    return number


def remove_number(session: Session, tenant: str, number_id: str) -> None:
    session.delete(get_number(session, tenant, number_id))
    session.commit()
''',
    "render.py": '''\
"""$Title's bytes: compact JSON, keys in the documented order."""

from __future__ import annotations

from datetime import UTC

from emulator.core.rendering import CompactJSONResponse
from emulator.providers.$name.models import Number


def number(record: Number) -> dict:
    created_at = record.created_at.replace(tzinfo=UTC) if record.created_at.tzinfo is None else record.created_at
    return {
        "id": record.uuid,
        "number": record.number,
        "label": record.label,
        "created_at": created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def json(body: object, status_code: int = 200) -> CompactJSONResponse:
    return CompactJSONResponse(body, status_code=status_code)
''',
    "fake.py": '''\
"""What every new $Title tenant starts with, and realistic numbers made to order."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

# Fixed, like documented examples, so that a reset tenant answers exactly as a new one.
_SINCE = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
EXAMPLES: tuple[dict, ...] = (
    {
        "uuid": "5b0d3f52-8c1e-4f7a-9a34-2e6b1c9d0a11",
        "number": "+442079460000",
        "label": "Main line",
        "created_at": _SINCE,
    },
    {
        "uuid": "9e4c2a71-3d5b-4c8e-b1f2-7a0d6e5c3b22",
        "number": "+442079460001",
        "label": "Support",
        "created_at": _SINCE,
    },
)


def fake_numbers(seed: int, count: int) -> Iterator[dict]:
    """``count`` distinct London numbers (020 3xxx xxxx, apart from the examples), deterministic under ``seed``."""
    rng = random.Random(seed)
    for index in rng.sample(range(10_000_000), count):
        yield {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "number": f"+44203{index:07d}",
            "label": f"Line {index}",
        }
''',
    "router.py": '''\
"""The wire: $Title's paths, its API key header and status codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, FastAPI, Request, Security
from fastapi.security import APIKeyHeader
from starlette.responses import Response

from emulator.core.context import ProviderContext
from emulator.core.provider import ErrorRenderer
from emulator.core.subapp import GuardedRoute, Responses, RuntimeDep, SessionDep, build_subapp
from emulator.providers.$name import render, service, validation
from emulator.providers.$name.errors import NAME, ${Class}Error, error_response, render_error
from emulator.providers.$name.schemas import ErrorBody, NumberIn, NumberList, NumberOut

_api_key = APIKeyHeader(name="X-Api-Key", scheme_name="ApiKey", auto_error=False, description="It names the tenant")
_ERRORS: Responses = {
    400: {"model": ErrorBody, "description": "Unreadable body"},
    401: {"model": ErrorBody, "description": "Missing API key"},
    422: {"model": ErrorBody, "description": "Invalid input"},
}
_NOT_FOUND: Responses = {404: {"model": ErrorBody, "description": "No such number"}}


async def _tenant(request: Request, runtime: RuntimeDep, api_key: Annotated[str | None, Security(_api_key)]) -> str:
    if api_key is None or not runtime.credentials.accepts(NAME, api_key):
        raise ${Class}Error(401)
    await runtime.tenants.enter_async(request, NAME, api_key)
    return api_key


TenantDep = Annotated[str, Depends(_tenant)]

router = APIRouter(prefix="/v1/numbers", tags=["Numbers"], route_class=GuardedRoute)


@router.get("", response_model=NumberList, responses=_ERRORS, summary="The account's numbers")
def list_numbers(tenant: TenantDep, session: SessionDep):
    return render.json({"numbers": [render.number(n) for n in service.list_numbers(session, tenant)]})


@router.get("/{number_id}", response_model=NumberOut, responses=_ERRORS | _NOT_FOUND, summary="One number")
def get_number(number_id: str, tenant: TenantDep, session: SessionDep):
    return render.json(render.number(service.get_number(session, tenant, number_id)))


@router.post("", status_code=201, response_model=NumberOut, responses=_ERRORS, summary="Add a number")
def add_number(data: Annotated[NumberIn, Body()], tenant: TenantDep, session: SessionDep, runtime: RuntimeDep):
    validation.check_number(data)
    number = service.add_number(session, tenant, data, runtime.clock.now(NAME, tenant))
    return render.json(render.number(number), 201)


@router.delete("/{number_id}", status_code=204, responses=_ERRORS | _NOT_FOUND, summary="Remove a number")
def remove_number(number_id: str, tenant: TenantDep, session: SessionDep):
    service.remove_number(session, tenant, number_id)
    return Response(status_code=204)


ERRORS = ErrorRenderer(
    status=error_response,
    unreadable_body=lambda error: render_error(${Class}Error(400, f"The body is not JSON: {error.reason}")),
    invalid_input=lambda error: render_error(validation.invalid(validation.field_errors(error.errors()))),
    raised={${Class}Error: render_error},
)


def build_app(runtime: ProviderContext) -> FastAPI:
    app = build_subapp(
        runtime,
        f"/{NAME}",
        title="$Title API (emulated)",
        description="Numbers on an account. Send `X-Api-Key`; the key names your tenant.",
        errors=ERRORS,
    )
    app.include_router(router)
    return app
''',
}

TESTS: dict[str, str] = {
    "__init__.py": "",
    "conformance.py": '''\
"""What $Title answers the conformance suite."""

from tests.conformance import Call, Conformance, Refusal

CONFORMANCE = Conformance(
    read=Call("GET", "/v1/numbers"),
    change=Call("POST", "/v1/numbers", json={"number": "+442079460123", "label": "Sales"}),
    wrong_method=Call("PATCH", "/v1/numbers"),
    unreadable_body=Refusal(
        Call("POST", "/v1/numbers", content=b"{"),
        400,
        '{"error":{"status":400,"message":"The body is not JSON: Expecting property name enclosed in double quotes '
        'at line 1 column 2"}}',
    ),
    invalid_body=Refusal(
        Call("POST", "/v1/numbers", json={"number": 7}),
        422,
        '{"error":{"status":422,"message":"Invalid input","fields":{"number":["Input should be a valid string"]}}}',
    ),
    seeded='"id":"5b0d3f52-8c1e-4f7a-9a34-2e6b1c9d0a11"',
)
''',
    "test_${name}.py": '''\
"""$Title: documented bodies as literal text, and its rules."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.each_backend

AUTH = {"X-Api-Key": "tenant-1"}
BASE = "/$name/v1/numbers"


def test_a_new_tenant_starts_with_the_examples(client):
    response = client.get(BASE, headers=AUTH)
    assert response.status_code == 200
    assert response.text == (
        '{"numbers":[{"id":"5b0d3f52-8c1e-4f7a-9a34-2e6b1c9d0a11","number":"+442079460000","label":"Main line",'
        '"created_at":"2024-01-02T03:04:05Z"},{"id":"9e4c2a71-3d5b-4c8e-b1f2-7a0d6e5c3b22","number":"+442079460001",'
        '"label":"Support","created_at":"2024-01-02T03:04:05Z"}]}'
    )


def test_an_added_number_is_listed_and_removed(client):
    client.post("/_emulator/clock/freeze")
    client.post("/_emulator/clock/set", json={"now": "2024-05-06T07:08:09Z"})
    created = client.post(BASE, headers=AUTH, json={"number": "+442079460123", "label": "Sales"})
    assert created.status_code == 201
    number_id = created.json()["id"]
    assert created.text == (
        f'{{"id":"{number_id}","number":"+442079460123","label":"Sales","created_at":"2024-05-06T07:08:09Z"}}'
    )
    assert number_id in client.get(BASE, headers=AUTH).text
    assert client.delete(f"{BASE}/{number_id}", headers=AUTH).status_code == 204
    missing = client.get(f"{BASE}/{number_id}", headers=AUTH)
    assert (missing.status_code, missing.text) == (404, '{"error":{"status":404,"message":"Not Found"}}')


def test_a_number_no_phone_could_dial_is_refused(client):
    response = client.post(BASE, headers=AUTH, json={"number": "+4400000"})
    assert (response.status_code, response.text) == (
        422,
        '{"error":{"status":422,"message":"Invalid input","fields":{"number":["Not a valid E.164 number"]}}}',
    )


def test_a_number_already_on_the_account_is_a_conflict(client):
    response = client.post(BASE, headers=AUTH, json={"number": "+442079460000"})
    assert (response.status_code, response.text) == (
        409,
        '{"error":{"status":409,"message":"The number is already on the account"}}',
    )


def test_no_api_key_is_refused(client):
    response = client.get(BASE)
    assert (response.status_code, response.text) == (401, '{"error":{"status":401,"message":"Unauthorized"}}')
''',
}


def _fill(template: str, name: str) -> str:
    return Template(template).substitute(name=name, Title=name.capitalize(), Class=name.capitalize())


def new_provider(name: str, root: Path) -> list[Path]:
    """Write the room ``<root>/emulator/providers/<name>/`` and ``<root>/tests/<name>/``; returns the files."""
    if not NAME_PATTERN.match(name) or keyword.iskeyword(name):
        raise ValueError(
            f"{name!r} is not a provider name: 2 to 12 lower-case letters and digits, starting with a letter"
        )
    room, tests = root / "emulator" / "providers" / name, root / "tests" / name
    for folder in (room, tests):
        if folder.exists():
            raise FileExistsError(f"{folder} already exists")
    written = []
    for folder, files in ((room, ROOM), (tests, TESTS)):
        folder.mkdir(parents=True)
        for file_name, template in files.items():
            path = folder / _fill(file_name, name)
            path.write_text(_fill(template, name), encoding="utf-8")
            written.append(path)
    return written
