"""``/_emulator/faults``: rules that make provider requests slow, fail or lose their connection."""

# No ``from __future__ import annotations``: FastAPI must see the models built inside ``router``.
from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

from emulator.control import tenant_names
from emulator.control.deps import RuntimeDep
from emulator.core.faults import FaultRule
from emulator.core.jsontypes import JSONFloat, JSONStr, json_int
from emulator.core.problem import NOT_FOUND
from emulator.core.runtime import Runtime
from emulator.core.subapp import GuardedRoute

Text = Annotated[JSONStr, StringConstraints(max_length=255)]
if TYPE_CHECKING:  # the bounds are run-time metadata (they make the schema's minimum and maximum)
    HTTPStatus = int
    Seconds = int
    Milliseconds = int
    Count = int
    Seed = int
else:
    HTTPStatus, Seconds, Milliseconds = json_int(400, 599), json_int(0, 86400), json_int(0, 300_000)
    Count, Seed = json_int(1, 1_000_000), json_int(0, 2**53 - 1)
Method = Annotated[str, Strict(), StringConstraints(pattern=r"^[A-Z]{1,16}$")]
PathGlob = Annotated[JSONStr, StringConstraints(min_length=1, max_length=1000)]


class _RuleFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str | None = None  # narrowed to the mounted providers' names in ``router``
    tenant: Text | None = Field(default=None, description="Only requests whose credentials name this tenant")
    method: Method | None = Field(default=None, description="Only this HTTP method (upper case)")
    path: PathGlob | None = Field(
        default=None,
        description="Glob on the path below the provider prefix: `*` any run of characters (`/` included), `?` one",
        examples=["/voip/number-address/*"],
    )
    kind: Literal["latency", "error", "drop"] = Field(
        description="`latency`: answer normally, late; `error`: the provider's own error body for `status`; "
        "`drop`: close the connection without an answer. `latency_ms`/`jitter_ms` delay every kind."
    )
    status: HTTPStatus = Field(default=500, description="The error's HTTP status (kind `error`)")
    retry_after: Seconds | None = Field(
        default=None, description="`Retry-After` seconds; a 429 gets 1 unless the provider's body sets one"
    )
    latency_ms: Milliseconds = Field(default=0, description="Fixed delay before answering")
    jitter_ms: Milliseconds = Field(default=0, description="Plus a uniformly random delay up to this")
    probability: JSONFloat = Field(default=1.0, ge=0, le=1, description="Chance that a matching request is hit")
    count: Count | None = Field(
        default=None, description='Hit at most this many requests ("fail the next 2, then succeed")'
    )
    seed: Seed | None = Field(default=None, description="Seed of this rule's random choices (default: EMULATOR_SEED)")


def router(runtime: Runtime) -> APIRouter:
    """Built per app: the provider field names exactly the providers mounted."""
    if TYPE_CHECKING:  # the providers mounted, known at run time; statically a string
        ProviderName: TypeAlias = str
    else:
        ProviderName = Literal[tuple(runtime.providers)]

    class FaultRuleIn(_RuleFields):
        provider: ProviderName | None = Field(default=None, description="Only this provider (default: every provider)")

    class FaultRuleOut(FaultRuleIn):
        model_config = ConfigDict(extra="ignore")

        id: int
        fired: int = Field(description="How many requests the rule has hit")
        remaining: int | None = Field(description="How many more it may hit (null: no limit)")

    class Removed(BaseModel):
        removed: int

    def render(rule: FaultRule) -> FaultRuleOut:
        out = FaultRuleOut.model_validate({**rule.row.model_dump(), "fired": rule.fired, "remaining": rule.remaining})
        out.tenant = tenant_names.shown(runtime, rule.row.provider, rule.tenant)
        return out

    rules = APIRouter(prefix="/faults", tags=["Fault injection"], route_class=GuardedRoute)
    RuleId = Annotated[int, Path(ge=1, le=2**53 - 1)]

    @rules.post("", status_code=201, response_model=FaultRuleOut)
    def create_fault(body: FaultRuleIn, runtime: RuntimeDep) -> FaultRuleOut:
        """Add a rule. Rules are tried in creation order; the first that fires decides. Rules without
        a tenant act before the provider sees the request; tenant rules once its credentials are read."""
        return render(runtime.faults.add(**body.model_dump()))

    @rules.get("", response_model=list[FaultRuleOut])
    def list_faults(runtime: RuntimeDep) -> list[FaultRuleOut]:
        return [render(rule) for rule in runtime.faults.list()]

    @rules.get("/{rule_id}", response_model=FaultRuleOut, responses=NOT_FOUND)
    def get_fault(rule_id: RuleId, runtime: RuntimeDep) -> FaultRuleOut:
        rule = runtime.faults.get(rule_id)
        if rule is None:
            raise HTTPException(404, f"no fault rule {rule_id}")
        return render(rule)

    @rules.delete("/{rule_id}", response_model=FaultRuleOut, responses=NOT_FOUND)
    def delete_fault(rule_id: RuleId, runtime: RuntimeDep) -> FaultRuleOut:
        rule = runtime.faults.remove(rule_id)
        if rule is None:
            raise HTTPException(404, f"no fault rule {rule_id}")
        return render(rule)

    @rules.delete("", response_model=Removed)
    def clear_faults(runtime: RuntimeDep) -> Removed:
        return Removed(removed=runtime.faults.clear())

    return rules
