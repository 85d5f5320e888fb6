"""Yay.com's bytes: Perl's pretty JSON in its envelope, and an address as the API shows it."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus

from starlette.responses import Response

from emulator.core.rendering import PerlPrettyJSONResponse, perl_pretty_items
from emulator.core.streaming import Part, chunked_response, list_frame
from emulator.providers.yay.models import NumberAddress


def envelope(result: object, status_code: int = 200) -> PerlPrettyJSONResponse:
    return PerlPrettyJSONResponse(
        {"result": result, "status_code": status_code, "status_message": HTTPStatus(status_code).phrase},
        status_code=status_code,
    )


@cache
def _list_frame() -> tuple[bytes, bytes]:
    marker = "\x00"
    return list_frame(bytes(envelope([marker]).body), perl_pretty_items([marker], depth=2))


def address_list(members: list[Part]) -> Response:
    """The envelope of a list, its members rendered in chunks (``perl_pretty_items``, depth 2)."""
    if not members:
        return envelope([])
    head, tail = _list_frame()
    return chunked_response([head, *members, tail], media_type=PerlPrettyJSONResponse.media_type)


def address(address: NumberAddress, *, created: bool = False) -> dict:
    body = address.model_dump(exclude={"id", "tenant", "account"})
    body["created_on"] = address.created_on.isoformat()
    if created:
        del body["updated_on"]
    else:
        body["updated_on"] = address.updated_on.isoformat()
    return body
