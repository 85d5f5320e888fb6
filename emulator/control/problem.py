"""The control plane's error body (FastAPI's own ``{"detail": …}``) and the response sets its
routers declare with it."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Problem(BaseModel):
    detail: str | list[dict] = Field(description="What was wrong with the request")


NOT_FOUND: dict[int | str, dict] = {404: {"model": Problem, "description": "Not found"}}
BAD_BODY: dict[int | str, dict] = {400: {"model": Problem, "description": "Unreadable body"}}
# Every control route may refuse its input: an unreadable body, or values out of range.
INPUT_ERRORS: dict[int | str, dict] = BAD_BODY | {422: {"model": Problem, "description": "Invalid input"}}
