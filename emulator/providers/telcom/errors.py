"""Telcom's bodies as its framework (moonrope) prints them: compact JSON, ``status`` first.

Every error the platform answers from inside an action is HTTP 200 with ``"time":null``; only a
path it cannot route or a body it cannot parse gets HTTP 400, and without the envelope.
"""

from __future__ import annotations

from http import HTTPStatus

from emulator.core.provider import ErrorRenderer
from emulator.core.rendering import CompactJSONResponse

NAME = "telcom"


class TelcomError(Exception):
    """An answer of the envelope kind other than success: ``status`` and ``data`` as moonrope sends them."""

    def __init__(self, status: str, data: dict) -> None:
        super().__init__(status)
        self.status = status
        self.data = data


class AccessDenied(TelcomError):
    def __init__(self, message: str) -> None:
        super().__init__("access-denied", {"message": message})


class NotFound(TelcomError):
    def __init__(self, message: str) -> None:
        super().__init__("not-found", {"message": message})


class ParameterError(TelcomError):
    def __init__(self, message: str) -> None:
        super().__init__("parameter-error", {"message": message})


class ValidationError(TelcomError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("validation-error", {"errors": errors})


class StructuredError(TelcomError):
    """A domain error: ``"status":"error"`` with a machine-readable ``code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__("error", {"code": code, "message": message})


class InvalidJSON(Exception):
    """The parameters could not be read as a JSON object (HTTP 400, outside the envelope)."""

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self.details = details


def failure(error: TelcomError) -> CompactJSONResponse:
    return CompactJSONResponse({"status": error.status, "time": None, "flags": {}, "data": error.data})


def invalid_controller_or_action() -> CompactJSONResponse:
    return CompactJSONResponse({"status": "invalid-controller-or-action"}, status_code=400)


def invalid_json(details: str) -> CompactJSONResponse:
    return CompactJSONResponse({"status": "invalid-json", "details": details}, status_code=400)


def error_response(status_code: int) -> CompactJSONResponse:
    """An HTTP-level error outside moonrope's actions: ``{"status": "<reason-slug>"}``, which for 400
    and 500 are moonrope's own ``invalid-controller-or-action`` and ``internal-server-error``."""
    if status_code == 400:
        return invalid_controller_or_action()
    slug = HTTPStatus(status_code).phrase.lower().replace(" ", "-")
    return CompactJSONResponse({"status": slug}, status_code=status_code)


ERRORS = ErrorRenderer(
    status=error_response,
    unreadable_body=lambda error: invalid_json(error.reason),
    # A parameter moonrope cannot route on (a malformed path segment, say) is a path it cannot route.
    invalid_input=lambda _error: invalid_controller_or_action(),
)
