"""State snapshots: every tenant's rows (or one tenant's), the tenant registry and the clock, as
versioned JSON, and their exact restoration.

The tables come from the providers' ``snapshot_tables`` plus ``CORE_TABLES``, so a new provider or a new
tenant-keyed core table is exported without a special case. Rows are written column by column as
JSON-safe values (dates and datetimes as ISO text, datetimes in UTC) and read back through a
pydantic model derived from the same columns, so a restore accepts exactly what an export holds.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from enum import Enum
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Protocol, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    create_model,
)
from sqlalchemy import Integer, delete, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from emulator.core.callbacks import CallbackDelivery
from emulator.core.clock import ClockState, TenantClockState
from emulator.core.db import table_of
from emulator.core.jsontypes import (
    BigInt,
    JSONBool,
    JSONDate,
    JSONFloat,
    JSONStr,
    UTCDateTime,
)
from emulator.core.runtime import Runtime
from emulator.core.tenancy import TenantRecord

FORMAT = "number-emulator-state"
VERSION = 1

CORE_TABLES: tuple[type[SQLModel], ...] = (CallbackDelivery, TenantClockState)
"""Tenant-keyed tables of the core (not of one provider) whose rows are tenant state, in the same
order as a provider's ``snapshot_tables`` (children before parents): callbacks still owed and a tenant's own
clock are state too."""


class StateDocument(Protocol):
    """What a restore reads of a validated state document (its model is built per app, from the
    tables of the providers mounted)."""

    @property
    def tenant(self) -> str | None: ...

    @property
    def clock(self) -> Any: ...

    @property
    def tenants(self) -> Sequence[BaseModel]: ...

    @property
    def tables(self) -> Any: ...


class SnapshotConflict(Exception):
    """The snapshot is well-formed but cannot be restored as it is (duplicate keys, rows outside its scope)."""


def state_tables(runtime: Runtime) -> list[type[SQLModel]]:
    """Every table a snapshot holds, children before parents."""
    return [table for provider in runtime.providers.values() for table in provider.snapshot_tables] + list(CORE_TABLES)


def _json_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _rows(session: Session, model: type[SQLModel], tenant: str | None) -> list[dict[str, Any]]:
    table = table_of(model)
    statement = select(table).order_by(*table.primary_key.columns)
    if tenant is not None:
        statement = statement.where(table.c.tenant == tenant)
    columns = [column.key for column in table.columns]
    return [
        {key: _json_value(value) for key, value in zip(columns, row, strict=True)} for row in session.execute(statement)
    ]


def export_state(runtime: Runtime, tenant: str | None = None) -> dict[str, Any]:
    """The whole state, or one tenant's (then without the shared clock; with the tenant's own, if any)."""
    import emulator

    with runtime.db.session() as session:
        clock = None
        if tenant is None:
            state = session.get(ClockState, 1) or ClockState()
            clock = {"offset_seconds": state.offset_seconds, "frozen_at": _json_value(state.frozen_at)}
        return {
            "format": FORMAT,
            "version": VERSION,
            "emulator": emulator.__version__,
            "tenant": tenant,
            "clock": clock,
            "tenants": _rows(session, TenantRecord, tenant),
            "tables": {table_of(model).name: _rows(session, model, tenant) for model in state_tables(runtime)},
        }


def restore_state(runtime: Runtime, snapshot: StateDocument) -> int:
    """Replace the snapshot's scope (everything, or its one tenant) with its rows, in one
    transaction. Returns how many rows were written."""
    tenant: str | None = snapshot.tenant
    tables = state_tables(runtime)
    rows_by_table = {
        model: [row.model_dump() for row in getattr(snapshot.tables, table_of(model).name)] for model in tables
    }
    records = [record.model_dump() for record in snapshot.tenants]
    if tenant is not None:
        strays = [row for rows in [records, *rows_by_table.values()] for row in rows if row["tenant"] != tenant]
        if strays:
            raise SnapshotConflict(
                f"the snapshot is of tenant {tenant!r} but holds rows of tenant {strays[0]['tenant']!r}"
            )
    written = 0
    with runtime.db.session() as session:
        models: list[type[SQLModel]] = [*tables, TenantRecord]
        for model in models:
            statement = delete(table_of(model))
            if tenant is not None:
                statement = statement.where(table_of(model).c.tenant == tenant)
            session.execute(statement)
        try:
            for model, rows in [(TenantRecord, records), *reversed(list(rows_by_table.items()))]:
                if rows:
                    session.execute(insert(table_of(model)), rows)
                    written += len(rows)
        except IntegrityError as error:
            session.rollback()
            raise SnapshotConflict(f"the snapshot breaks a uniqueness rule: {error.orig}") from None
        if snapshot.clock is not None:
            clock = session.get(ClockState, 1) or ClockState(id=1)
            clock.offset_seconds = snapshot.clock.offset_seconds
            clock.frozen_at = snapshot.clock.frozen_at
            session.add(clock)
        _catch_up_sequences(session, tables)
        session.commit()
    runtime.clock.load()
    runtime.tenants.forget()
    runtime.revision.publish()  # other processes on the same database drop their caches too
    return written


def _catch_up_sequences(session: Session, tables: list[type[SQLModel]]) -> None:
    """Rows came with their ids; PostgreSQL's id sequences must move past them (SQLite's need not)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in tables:
        keys = list(table_of(model).primary_key.columns)
        if len(keys) == 1 and isinstance(keys[0].type, Integer):
            name, key = table_of(model).name, keys[0].name
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', '{key}'), "
                    f"coalesce((SELECT max({key}) FROM {name}), 0) + 1, false)"
                )
            )


# The document's shape, derived from the tables.

# Canonical padded base64; the document states it and the check enforces it, so they agree.
_BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
_BASE64 = re.compile(_BASE64_PATTERN)


def _from_base64(value: Any) -> bytes:
    if not isinstance(value, str) or not _BASE64.match(value) or "\n" in value:
        raise ValueError("must be base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ValueError("must be base64 text") from None


# Binary columns (callback payloads) travel as base64 text and are dumped back as raw bytes.
_Base64 = Annotated[
    bytes,
    BeforeValidator(_from_base64),
    PlainSerializer(lambda value: base64.b64encode(value).decode("ascii"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "contentEncoding": "base64", "pattern": _BASE64_PATTERN}),
]


def _column_type(annotation: Any, column) -> Any:
    choices = column.info.get("choices")
    if choices:
        return Literal[tuple(choices)]
    if annotation is bool:
        return JSONBool
    if annotation is int:
        return BigInt
    if annotation is float:
        return Annotated[JSONFloat, Field(ge=column.info.get("ge"), le=column.info.get("le"))]
    if annotation is str:
        return Annotated[JSONStr, Field(max_length=getattr(column.type, "length", None))]
    if annotation is date:
        return JSONDate
    if annotation is datetime:
        return UTCDateTime
    if annotation is bytes:
        return _Base64
    return annotation


def row_model(model: type[SQLModel]) -> type[BaseModel]:
    """A pydantic model of one row as exported: every column, typed as strictly as the column."""
    fields: dict[str, Any] = {}
    for column in table_of(model).columns:
        annotation = model.model_fields[column.key].annotation
        if get_origin(annotation) in (Union, UnionType):
            annotation = next(arg for arg in get_args(annotation) if arg is not NoneType)
        typed = _column_type(annotation, column)
        fields[column.key] = (typed | None, None) if column.nullable else (typed, ...)
    # Named after the table, not the class: two providers may both have a ``Number`` class, and a
    # document's schema names must be unique (client generators make one class of each).
    name = "".join(part.capitalize() for part in table_of(model).name.split("_")) + "Row"
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)
