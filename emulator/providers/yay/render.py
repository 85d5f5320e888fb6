"""Yay.com's bytes: Perl's pretty JSON in its envelope, and an address as the API shows it."""

from __future__ import annotations

from http import HTTPStatus

from emulator.core.rendering import PerlPrettyJSONResponse
from emulator.providers.yay.models import NumberAddress


def envelope(result: object, status_code: int = 200) -> PerlPrettyJSONResponse:
    return PerlPrettyJSONResponse(
        {"result": result, "status_code": status_code, "status_message": HTTPStatus(status_code).phrase},
        status_code=status_code,
    )


def address(address: NumberAddress, *, created: bool = False) -> dict:
    body = address.model_dump(exclude={"id", "tenant", "account"})
    body["created_on"] = address.created_on.isoformat()
    if created:
        del body["updated_on"]
    else:
        body["updated_on"] = address.updated_on.isoformat()
    return body
