"""The control plane's error body (FastAPI's own ``{"detail": …}``), the response sets its
routers declare with it, and the parameters they share."""

from __future__ import annotations

from typing import Any

from fastapi import Query
from pydantic import BaseModel, Field


class Problem(BaseModel):
    detail: str | list[dict] = Field(description="What was wrong with the request")


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "Not found"}}
BAD_BODY: dict[int | str, dict[str, Any]] = {400: {"model": Problem, "description": "Unreadable body"}}
# Every control route may refuse its input: an unreadable body, or values out of range.
INPUT_ERRORS: dict[int | str, dict[str, Any]] = BAD_BODY | {422: {"model": Problem, "description": "Invalid input"}}


def tenant_filter(description: str) -> Any:
    """The ``tenant`` query parameter of control routes, as ``Annotated[str | None, tenant_filter(…)]``:
    a tenant name can hold no NUL (no database column can), so such a filter is refused as invalid
    input instead of reaching storage; nor U+FFFD, which stands in for bytes of a query that were
    not UTF-8."""
    return Query(max_length=255, pattern=r"^[^\x00\ufffd]*$", description=description)
