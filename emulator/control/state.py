"""``/_emulator/state``: export every tenant's state (or one's) as versioned JSON; restore it exactly."""

# No ``from __future__ import annotations``: FastAPI must see the models built inside ``router``.
from types import GenericAlias
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

import emulator
from emulator.control import tenant_names
from emulator.control.deps import RuntimeDep
from emulator.core import snapshot
from emulator.core.clock import MAX_OFFSET
from emulator.core.db import table_of
from emulator.core.jsontypes import JSONFloat, JSONStr, UTCDateTime
from emulator.core.problem import Problem, tenant_filter
from emulator.core.runtime import Runtime
from emulator.core.subapp import GuardedRoute
from emulator.core.tenancy import TenantRecord


class ClockSnapshot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offset_seconds: JSONFloat = Field(ge=-MAX_OFFSET, le=MAX_OFFSET, description="Virtual minus real time")
    frozen_at: UTCDateTime | None = Field(description="The instant the clock is frozen at (null: running)")


class RestoreResult(BaseModel):
    rows_restored: int = Field(description="Rows written (tenant records included)")


def router(runtime: Runtime) -> APIRouter:
    """Built per app: the document names exactly the tables of the providers mounted."""
    ProviderName = Literal[tuple(runtime.providers)]  # type: ignore[valid-type]
    provider: dict[str, Any] = {"provider": (ProviderName, ...)}
    TenantRow = create_model("TenantRow", __base__=snapshot.row_model(TenantRecord), **provider)
    tables: dict[str, Any] = {
        table_of(model).name: (GenericAlias(list, (snapshot.row_model(model),)), Field(default_factory=list))
        for model in snapshot.state_tables(runtime)
    }
    Tables = create_model("StateTables", __config__=ConfigDict(extra="forbid"), **tables)

    class StateDocument(BaseModel):
        """Everything the emulator holds for its tenants (or one tenant)."""

        model_config = ConfigDict(extra="forbid")

        format: Literal["number-emulator-state"]
        version: Literal[1] = Field(description="The document format's version; other versions are refused")
        emulator: JSONStr | None = Field(
            default=None, max_length=64, description="The version that exported it (informative)"
        )
        tenant: Annotated[JSONStr, Field(max_length=255)] | None = Field(
            default=None, description="The one tenant it holds; null for the whole state"
        )
        clock: ClockSnapshot | None = Field(default=None, description="The virtual clock (whole-state documents only)")
        tenants: list[TenantRow] = Field(default_factory=list)
        tables: Tables = Field(default_factory=Tables)

        @field_validator("format", mode="before")
        @classmethod
        def _known_format(cls, value: Any) -> Any:
            if value != snapshot.FORMAT:
                raise ValueError(f"not a {snapshot.FORMAT} document")
            return value

        @field_validator("version", mode="before")
        @classmethod
        def _supported_version(cls, value: Any) -> Any:
            if value != snapshot.VERSION:
                raise ValueError(
                    f"state version {value!r} is not supported: number-emulator {emulator.__version__} "
                    f"reads version {snapshot.VERSION} only"
                )
            return value

    state = APIRouter(prefix="/state", tags=["State snapshots"], route_class=GuardedRoute)

    @state.get("", response_model=StateDocument)
    def export_state(
        runtime: RuntimeDep,
        tenant: Annotated[str | None, tenant_filter("Only this tenant (without the clock)")] = None,
    ) -> Any:
        """The state as versioned JSON: tenant records, every table's rows, the clock."""
        return snapshot.export_state(runtime, tenant_names.resolved(runtime, tenant))

    @state.put(
        "",
        response_model=RestoreResult,
        responses={409: {"model": Problem, "description": "Duplicate keys, or rows outside the document's tenant"}},
    )
    def restore_state(document: StateDocument, runtime: RuntimeDep) -> RestoreResult:
        """Replace the document's scope (everything, or its one tenant) with its contents, in one
        transaction: a following export is identical. Another version is refused with a 422."""
        try:
            return RestoreResult(rows_restored=snapshot.restore_state(runtime, document))
        except snapshot.SnapshotConflict as conflict:
            raise HTTPException(409, str(conflict)) from None

    return state
