"""The control plane's error body (FastAPI's own ``{"detail": …}``), shared by its routers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Problem(BaseModel):
    detail: str | list[dict] = Field(description="What was wrong with the request")


# Every control route may refuse its input: an unreadable body, or values out of range.
INPUT_ERRORS: dict[int | str, dict] = {
    400: {"model": Problem, "description": "Unreadable body"},
    422: {"model": Problem, "description": "Invalid input"},
}
