"""CM.com's errors: ASP.NET Core problem details (RFC 7807), as its framework writes them."""

from __future__ import annotations

import secrets
from http import HTTPStatus
from typing import TYPE_CHECKING

from emulator.core.provider import ErrorRenderer
from emulator.core.rendering import ProblemJSONResponse

if TYPE_CHECKING:
    from fastapi.exceptions import RequestValidationError

NAME = "cm"

# The ``type`` ASP.NET Core (.NET 8) gives each status: the RFC 9110 section defining it.
_TYPES = {
    400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
    401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
    403: "https://tools.ietf.org/html/rfc9110#section-15.5.4",
    404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
    405: "https://tools.ietf.org/html/rfc9110#section-15.5.6",
    406: "https://tools.ietf.org/html/rfc9110#section-15.5.7",
    409: "https://tools.ietf.org/html/rfc9110#section-15.5.10",
    413: "https://tools.ietf.org/html/rfc9110#section-15.5.14",
    415: "https://tools.ietf.org/html/rfc9110#section-15.5.16",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: "https://tools.ietf.org/html/rfc9110#section-15.6.1",
    503: "https://tools.ietf.org/html/rfc9110#section-15.6.4",
}
VALIDATION_TITLE = "One or more validation errors occurred."


class CMError(Exception):
    def __init__(
        self, status_code: int, *, detail: str | None = None, errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(status_code, detail, errors)
        self.status_code = status_code
        self.detail = detail
        self.errors = errors


def _trace_id() -> str:
    """A W3C trace context id, as ASP.NET Core puts in every problem."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00"


def problem(
    status_code: int, *, detail: str | None = None, errors: dict[str, list[str]] | None = None
) -> ProblemJSONResponse:
    body: dict = {
        "type": _TYPES.get(status_code, "about:blank"),
        "title": VALIDATION_TITLE if errors is not None else HTTPStatus(status_code).phrase,
        "status": status_code,
    }
    if detail is not None:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    body["traceId"] = _trace_id()
    return ProblemJSONResponse(body, status_code=status_code)


def error_response(status_code: int) -> ProblemJSONResponse:
    return problem(status_code)


def raised_problem(error: CMError) -> ProblemJSONResponse:
    return problem(error.status_code, detail=error.detail, errors=error.errors)


def validation_problem(errors: dict[str, list[str]]) -> ProblemJSONResponse:
    return problem(400, errors=errors)


def validation_errors(error: RequestValidationError) -> dict[str, list[str]]:
    """FastAPI's parameter errors in ASP.NET Core's words, keyed by parameter name."""
    errors: dict[str, list[str]] = {}
    for item in error.errors():
        name = str(item["loc"][-1]) if item["loc"] else ""
        if item["type"] == "missing":
            message = f"The {name} field is required."
        else:
            message = f"The value '{item.get('input')}' is not valid for {name}."
        errors.setdefault(name, []).append(message)
    return errors


ERRORS = ErrorRenderer(
    status=error_response,
    unreadable_body=lambda error: validation_problem({"$": [f"The JSON value is invalid: {error.reason}."]}),
    invalid_input=lambda error: validation_problem(validation_errors(error)),
    raised={CMError: raised_problem},
)
