"""moonrope's actions: what each ``/api/v2/{controller}/{action}`` does, and running one. No
FastAPI here: the hot routes (``hot.py``) and the FastAPI dispatcher (``router.py``) both run them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session
from starlette.responses import Response

from emulator.core.context import ProviderContext
from emulator.core.fastread import FastReader, reader
from emulator.core.streaming import RenderedList
from emulator.providers.telcom import render, schemas, service
from emulator.providers.telcom.errors import NAME, NotFound, TelcomError, failure
from emulator.providers.telcom.service import Inventory, NumberChanges
from emulator.providers.telcom.validation import Params

ACCESS_NUMBERS = [
    {
        "number": "*55",
        "description": "Access your main voicemail menu. If your extension you are dialling from matches a mailbox ID, you will be automatically logged into your mailbox using this option.",
    },
    {
        "number": "*56",
        "description": "Access your main voicemail menu, you will be required to login using your mailbox ID and password at all times.",
    },
    {"number": "*10", "description": "Plays back your current internal caller ID."},
    {"number": "*50", "description": "Plays the current music on hold."},
    {
        "number": "*30*{number}",
        "description": "Page an extension or call group. If enabled, the call will automatically be answered.",
    },
    {
        "number": "*31*{number}",
        "description": "Withhold your number. Your caller ID will not be displayed to callers when using this prefix.",
    },
    {
        "number": "*32*{number}",
        "description": "Send your number if your account is set to withhold caller ID by default.",
    },
    {
        "number": "*21*{number}",
        "description": "Sets up call forwarding for the extension you are dialling from - {number} should be replaced with the number you wish to forward to as if dialled from your extension.",
    },
    {"number": "*21", "description": "Cancels call forwarding"},
    {"number": "*22", "description": "Plays back your current call forwarding destination (if any)"},
    {"number": "*8", "description": "Picks up another ringing phone within a pickup group"},
    {"number": "*01", "description": "Run an echo test"},
]


@dataclass
class Call:
    """One action call: who, with what, when."""

    session: Session
    tenant: str
    params: Params
    now: datetime
    inventory: Inventory
    fast: FastReader


# --- actions ------------------------------------------------------------------------------------


def list_numbers(call: Call) -> object:
    return RenderedList(service.number_list(call.fast, call.tenant, render.listed_members, render.listed_numbers))


def number_info(call: Call) -> object:
    return render.incoming_number(
        *service.get_number(call.session, call.tenant, call.params.integer("id", required=True))
    )


def save_number(call: Call) -> object:
    return render.written(service.save_number(call.session, call.tenant, number_changes(call.params), call.now))


def number_changes(p: Params) -> NumberChanges:
    # Checked in the documented order: the first wrong parameter is the one reported.
    return NumberChanges(
        number_id=p.integer("id"),
        destination_type=p.string("destination_type"),
        destination_id=p.integer("destination_id"),
        caller_id_prefix=p.string("caller_id_prefix"),
        recording_enabled=p.boolean("recording_enabled"),
        callerid_passthrough=p.boolean("callerid_passthrough"),
        context=p.string("context"),
        number=p.string("number"),
    )


def available_prefixes(_call: Call) -> object:
    return [{"description": area.description, "prefix": area.national_prefix} for area in service.available_prefixes()]


def acquirable_numbers(call: Call) -> object:
    prefix = call.params.string("prefix", required=True)
    return service.acquirable_numbers(call.session, call.tenant, prefix, call.inventory)


def acquire_number(call: Call) -> object:
    number = call.params.string("number", required=True)
    written = service.acquire(call.session.connection(), call.tenant, number, call.inventory, call.now)
    call.session.commit()
    return render.written(written, with_destination=False)


def update_subscriber(call: Call) -> object:
    number_id = call.params.integer("id", required=True)
    details = {name: call.params.string(name) for name in service.SUBSCRIBER_FIELDS}
    return render.written(service.update_subscriber(call.session, call.tenant, number_id, details, call.now))


def delete_number(call: Call) -> object:
    service.delete_number(call.session, call.tenant, call.params.integer("id", required=True))
    return True


def available_access_numbers(_call: Call) -> object:
    return ACCESS_NUMBERS


def _destination_actions(kind: str, label: str) -> tuple[Callable[[Call], object], Callable[[Call], object]]:
    def list_all(call: Call) -> object:
        return [{"id": d.object_id, "name": d.name} for d in service.list_destinations(call.session, call.tenant, kind)]

    def info(call: Call) -> object:
        object_id = call.params.integer("id", required=True)
        destination = service.find_destination(call.session, call.tenant, kind, object_id)
        if destination is None:
            raise NotFound(f"No {label} found with ID {object_id}")
        return {"id": destination.object_id, "name": destination.name}

    return list_all, info


list_menus, menu_info = _destination_actions("Menu", "menu")
list_call_groups, call_group_info = _destination_actions("CallGroup", "call group")


@dataclass(frozen=True)
class Action:
    handler: Callable[[Call], object]
    summary: str
    description: str
    envelope: type[BaseModel]
    params: type[BaseModel] | None = None


ACTIONS: dict[tuple[str, str], Action] = {
    ("numbers", "list"): Action(
        list_numbers,
        "List all numbers",
        "Retrieve a list of all incoming numbers in your unit.",
        schemas.NumberListEnvelope,
    ),
    ("numbers", "info"): Action(
        number_info,
        "Number properties",
        "Retrieve information about a specific incoming number in your unit.",
        schemas.NumberEnvelope,
        schemas.IdParams,
    ),
    ("numbers", "save"): Action(
        save_number,
        "Add or update a number",
        "Add (without `id`: `number` and `context` required) or update (with `id`) an incoming number in your unit. `number` and `context` can only be given on creation.",
        schemas.NumberEnvelope,
        schemas.SaveParams,
    ),
    ("numbers", "available_prefixes"): Action(
        available_prefixes,
        "List all available prefixes",
        "Retrieve a list of all available number prefixes that numbers can be provided for.",
        schemas.PrefixListEnvelope,
    ),
    ("numbers", "acquirable_numbers"): Action(
        acquirable_numbers,
        "List available numbers within a prefix",
        "Retrieve a list of available numbers within a specific prefix.",
        schemas.NumberTextListEnvelope,
        schemas.PrefixParams,
    ),
    ("numbers", "acquire"): Action(
        acquire_number,
        "Purchase a new number",
        "Purchase an available number for your unit. The response has no `destination` key.",
        schemas.AcquiredNumberEnvelope,
        schemas.AcquireParams,
    ),
    ("numbers", "update_subscriber"): Action(
        update_subscriber,
        "Update subscriber information",
        "Update subscriber information for a specific number; the subscriber's status becomes `validation_pending`.",
        schemas.NumberEnvelope,
        schemas.SubscriberParams,
    ),
    ("numbers", "delete"): Action(
        delete_number,
        "Delete a number",
        "Remove an incoming number from your unit (`data: true`).",
        schemas.DeletedEnvelope,
        schemas.IdParams,
    ),
    ("numbers", "available_access_numbers"): Action(
        available_access_numbers,
        "List all access numbers",
        "Obtain a list of available access numbers within your unit.",
        schemas.AccessNumberListEnvelope,
    ),
    ("menus", "list"): Action(
        list_menus,
        "List all menus",
        "The unit's menus (number destinations of type `Menu`).",
        schemas.DestinationListEnvelope,
    ),
    ("menus", "info"): Action(
        menu_info, "Menu properties", "One menu of the unit.", schemas.DestinationEnvelope, schemas.IdParams
    ),
    ("call_groups", "list"): Action(
        list_call_groups,
        "List all call groups",
        "The unit's call groups (number destinations of type `CallGroup`).",
        schemas.DestinationListEnvelope,
    ),
    ("call_groups", "info"): Action(
        call_group_info,
        "Call group properties",
        "One call group of the unit.",
        schemas.DestinationEnvelope,
        schemas.IdParams,
    ),
}


READS = frozenset({list_numbers, number_info})
"""Read-only actions, answered on the event loop where the database allows it."""


def action_at(path: str) -> Action | None:
    """moonrope splits what follows ``/api/`` into version, controller and action."""
    parts = path.split("/api/", 1)[1].split("/") if "/api/" in path else []
    if len(parts) < 3:
        return None
    return ACTIONS.get((parts[1], parts[2]))


def inventory_of(runtime: ProviderContext) -> Inventory:
    stock = runtime.fixture(NAME)["inventory"]
    return Inventory(seed=stock["seed"], listed={prefix: tuple(numbers) for prefix, numbers in stock["listed"].items()})


def action_call(runtime: ProviderContext, session: Session, tenant: str, values: dict) -> Call:
    return Call(
        session, tenant, Params(values), runtime.clock.now(NAME, tenant), inventory_of(runtime), reader(runtime.db)
    )


def run_action(runtime: ProviderContext, action: Action, tenant: str, values: dict) -> Response:
    with runtime.db.session() as session:
        call = action_call(runtime, session, tenant, values)
        # moonrope times the action itself, not routing, authentication or body reading.
        started = time.perf_counter()
        try:
            return render.success(action.handler(call), started)
        except TelcomError as error:
            session.rollback()
            return failure(error)
