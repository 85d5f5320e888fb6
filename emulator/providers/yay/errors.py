"""Yay.com's error body: the usual envelope with ``"result" : {}`` and no detail."""

from __future__ import annotations

from emulator.core.rendering import PerlPrettyJSONResponse
from emulator.providers.yay.render import envelope

NAME = "yay"


class YayError(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(status_code)
        self.status_code = status_code


def error_response(status_code: int) -> PerlPrettyJSONResponse:
    return envelope({}, status_code)
