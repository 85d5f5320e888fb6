"""Yay.com's error body: the usual envelope with ``"result" : {}`` and no detail."""

from __future__ import annotations

from http import HTTPStatus

from emulator.core.rendering import PerlPrettyJSONResponse


class YayError(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(status_code)
        self.status_code = status_code


def envelope(result: object, status_code: int = 200) -> PerlPrettyJSONResponse:
    return PerlPrettyJSONResponse(
        {"result": result, "status_code": status_code, "status_message": HTTPStatus(status_code).phrase},
        status_code=status_code,
    )


def error_response(status_code: int) -> PerlPrettyJSONResponse:
    return envelope({}, status_code)
