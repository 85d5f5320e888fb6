"""What the control plane's route modules share."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Problem(BaseModel):
    detail: str | list[dict] = Field(description="What was wrong with the request")


NOT_FOUND = {404: {"model": Problem, "description": "Not found"}}
BAD_BODY = {400: {"model": Problem, "description": "Unreadable body"}}
