"""Yay.com's error body: the usual envelope with ``"result" : {}`` and no detail."""

from __future__ import annotations

from emulator.core.provider import ErrorRenderer
from emulator.core.rendering import PerlPrettyJSONResponse
from emulator.providers.yay.render import envelope

NAME = "yay"


class YayError(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(status_code)
        self.status_code = status_code


def error_response(status_code: int) -> PerlPrettyJSONResponse:
    return envelope({}, status_code)


ERRORS = ErrorRenderer(
    status=error_response,
    # Yay.com says no more than "Bad Request" to a body it cannot use.
    unreadable_body=lambda _error: error_response(400),
    invalid_input=lambda _error: error_response(400),
    raised={YayError: lambda error: error_response(error.status_code)},
)
