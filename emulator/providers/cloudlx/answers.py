"""What CloudLX's routes and its hot routes both answer with: content negotiation, the listing's
query, the list, a number's detail, a number reserved, a stored address. No FastAPI here."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.datastructures import QueryParams
from starlette.responses import Response

from emulator.core.context import ProviderContext
from emulator.core.rendering import PHPJSONResponse
from emulator.providers.cloudlx import render, service
from emulator.providers.cloudlx.errors import NAME, CloudlxError
from emulator.providers.cloudlx.models import RESERVED
from emulator.providers.cloudlx.schemas import AddressIn, ReserveIn
from emulator.providers.cloudlx.validation import QueryRules

# Dingo's Accept parser: application/vnd.<subtype>.<version>+<format>; anything else means the default.
ACCEPT = re.compile(r"application/vnd\.cloudlx\.([\w\d.\-]+)\+(\w+)")
VERSIONS = ("v1",)


def tenant_now(runtime: ProviderContext) -> Callable[[str], datetime]:
    """A token expires on its tenant's clock, known only once the token is found."""
    return lambda tenant: runtime.clock.now(NAME, tenant)


def json_response(body: object, status_code: int = 200) -> PHPJSONResponse:
    return PHPJSONResponse(body, status_code=status_code)


def listing_of_rules(rules: QueryRules) -> service.Listing:
    search = rules.digits("search", 15)
    max_per_page = rules.integer("max_per_page", 50, 1, 200)
    page = rules.integer("page", 1, 1)
    return service.Listing(search, max_per_page, page)


def listing_of(query: QueryParams) -> service.Listing:
    rules = QueryRules(query)
    listing = listing_of_rules(rules)
    rules.check()
    return listing


def number_list(tenant: str, listing: service.Listing, session: Session) -> PHPJSONResponse:
    page = service.list_numbers(session, tenant, RESERVED, listing)
    addresses = service.addresses_for(session, tenant, page.numbers)
    return json_response(
        {
            "numbers": [render.account_number(number, addresses) for number in page.numbers],
            "num_results": page.total,
            "paginates": page.paginates,
        }
    )


def number_detail(uuid: str, tenant: str, session: Session) -> PHPJSONResponse:
    number = service.account_number(session, tenant, uuid)
    if number is None:
        raise CloudlxError(404, "Number not found.")
    return json_response(render.number_detail(number, service.addresses_for(session, tenant, [number])))


async def reserved_number(runtime: ProviderContext, tenant: str, uuid: str, data: ReserveIn) -> Response:
    """The number reserved to the account, in the database's next group commit."""
    await runtime.db.write(service.reserve, tenant, uuid, data, runtime.clock.now(NAME, tenant))
    return json_response({"result": "Number allocated to account successfully"})


async def created_address(runtime: ProviderContext, tenant: str, data: AddressIn) -> Response:
    """The address stored, in the database's next group commit; an id another process took at
    the same moment makes us take the next one."""
    for _ in range(5):
        try:
            address_id = await runtime.db.write(service.create_address, tenant, data)
        except IntegrityError:
            continue
        return json_response({"id": address_id, "message": "Address added successfully."})
    raise CloudlxError(409, "Could not allocate an address id, try again.")
