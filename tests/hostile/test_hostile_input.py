"""Hostile input on every documented route of every provider and of the control plane, against a
real ``serve`` process: each answer is a 4xx in the owner's own error format (Telcom: also its
HTTP 200 error envelope), never a 5xx or a dropped connection; the state is byte-identical after;
the server's memory stays bounded however large the input."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable

import pytest

from tests.hostile.conftest import HostileEmulator, Route, answer_problems
from tests.hostile.wire import Answer, chunked, exchange, fixed_body, repeated, request_head

pytestmark = pytest.mark.hostile

MB = 1_048_576
JSON = "application/json"


def _send(
    hostile: HostileEmulator,
    route: Route,
    *,
    body: bytes | Iterable[bytes] = b"",
    content_type: str | None = JSON,
    length: int | None = None,
    method: str | None = None,
    target: str | bytes | None = None,
    headers: dict[str, str | bytes] | None = None,
) -> Answer:
    """One request on ``route`` with the tenant's credentials; a bytes body is sent with its
    length, an iterable one with ``length`` (or chunked when that is None)."""
    fields: dict[str, str | bytes] = dict(hostile.credentials[route.owner])
    if content_type is not None:
        fields["Content-Type"] = content_type
    if isinstance(body, bytes):
        parts: Iterable[bytes] = fixed_body(body)
        if body:
            fields["Content-Length"] = str(len(body))
    elif length is not None:
        parts = body
        fields["Content-Length"] = str(length)
    else:
        parts = chunked(body)
        fields["Transfer-Encoding"] = "chunked"
    fields.update(headers or {})
    head = request_head(method or route.method, target if target is not None else route.path, fields)
    return exchange(hostile.port, head, parts)


def _check_every_route(
    hostile: HostileEmulator,
    routes: Iterable[Route],
    send: Callable[[Route], Answer | None],
    *,
    status: int | None = None,
    target_of: Callable[[Route], str] = lambda route: route.path,
    ignored_by: Callable[[Route], bool] = lambda route: False,
) -> None:
    """``ignored_by``: routes for which the hostile part is no input at all, so they may answer
    as usual (the state check still holds)."""
    problems = []
    for route in routes:
        answer = send(route)
        if answer is None:
            continue
        found = answer_problems(target_of(route), answer, allow_success=ignored_by(route))
        if status is not None and answer.status != status:
            found.append(f"status {answer.status}, {status} expected")
        problems.extend(f"{route}: {problem}" for problem in found)
    assert not problems, "\n".join(problems)


BODIES = {
    "malformed-json": (b'{"name": [1, 2', JSON),
    "not-declared-json": (b'{"name": "x"}', "text/plain"),
    "xml": (b"<?xml version='1.0'?><name>x</name>", "application/xml"),
    "invalid-utf8": (b'{"name": "\xff\xfe\xfd"}', JSON),
    "raw-nul": (b'{"name": "a\x00b"}', JSON),
    "deep-nesting": (b"[" * 100_000 + b"]" * 100_000, JSON),
    "object-nesting": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, JSON),
    "5000-digit-integer": (b'{"id": ' + b"9" * 5000 + b"}", JSON),
    "1e400": (b'{"id": 1e400}', JSON),
    "-1e400": (b"[-1e400]", JSON),
    "nan": (b'{"id": NaN}', JSON),
}


@pytest.mark.parametrize("case", list(BODIES))
def test_unreadable_bodies_on_every_route(hostile, case):
    body, content_type = BODIES[case]
    _check_every_route(
        hostile,
        hostile.routes,
        lambda route: _send(hostile, route, body=body, content_type=content_type),
        ignored_by=_body_is_no_input,
    )


def _body_is_no_input(route: Route) -> bool:
    """A provider route that documents no body ignores one, as the real API does (CM.com's
    ASP.NET actions, Telcom's actions without parameters); every control route refuses one."""
    return route.owner != "control" and not route.takes_body


def _every_field(route: Route, value: str) -> bytes:
    """A JSON object giving ``value`` to every field the route's body schemas name: well formed,
    and wrong in every field."""
    return ("{" + ", ".join(f'"{name}": {value}' for name in route.body_fields) + "}").encode()


WELL_FORMED_BUT_WRONG = {
    "escaped-nul-strings": '"\\u0000"',
    "lone-surrogates": '"\\ud800"',
    "integers-past-int64": str(10**30),
    "negative-integers-past-int64": str(-(10**30)),
    "integers-past-int32": str(2**31),
    "floats-past-double": "1e308",
}


@pytest.mark.parametrize("case", list(WELL_FORMED_BUT_WRONG))
def test_well_formed_bodies_with_wrong_values_on_every_route_that_takes_one(hostile, case):
    value = WELL_FORMED_BUT_WRONG[case]
    routes = [route for route in hostile.routes if route.takes_body]
    _check_every_route(hostile, routes, lambda route: _send(hostile, route, body=_every_field(route, value)))


QUERY_VALUES = {"integer-past-int64": str(10**30), "5000-digits": "9" * 5000, "nul": "%00", "invalid-utf8": "%ff%fe"}


@pytest.mark.parametrize("case", list(QUERY_VALUES))
def test_wrong_query_values_on_every_route_with_a_query(hostile, case):
    value = QUERY_VALUES[case]

    def target(route: Route) -> str:
        names = (
            route.integer_queries
            if case.startswith(("integer", "5000"))
            else route.integer_queries + route.string_queries
        )
        return route.path + "?" + "&".join(f"{name}={value}" for name in names)

    routes = [
        route
        for route in hostile.routes
        if route.integer_queries or (route.string_queries and not case.startswith(("integer", "5000")))
    ]
    _check_every_route(hostile, routes, lambda route: _send(hostile, route, target=target(route)), target_of=target)


@pytest.mark.parametrize("framing", ["declared", "chunked"])
def test_10_mb_bodies_on_every_route_are_413(hostile, framing):
    # Whether the answer came before the last byte left is asserted with 100 MB below: 10 MB could
    # all sit in the two sockets' buffers before a busy server has read its first megabyte.
    size = 10 * MB
    _check_every_route(
        hostile,
        hostile.routes,
        lambda route: _send(hostile, route, body=repeated(size), length=size if framing == "declared" else None),
        status=413,
    )


def _one_route_per_owner_and_method(routes: list[Route]) -> list[Route]:
    chosen: dict[tuple[str, str], Route] = {}
    for route in routes:
        chosen.setdefault((route.owner, route.method), route)
    return list(chosen.values())


@pytest.mark.parametrize("framing", ["declared", "chunked"])
def test_100_mb_bodies_are_413_and_never_held(hostile, baseline, framing):
    size = 100 * MB

    def send(route: Route) -> Answer:
        answer = _send(hostile, route, body=repeated(size), length=size if framing == "declared" else None)
        assert answer.sent < size, f"{route}: answered only after the whole body"
        return answer

    _check_every_route(hostile, _one_route_per_owner_and_method(hostile.routes), send, status=413)
    _assert_memory_bounded(hostile, baseline)


@pytest.mark.parametrize("size", [64 * 1024, MB], ids=["64KB", "1MB"])
def test_huge_headers_on_every_route_are_431(hostile, baseline, size):
    _check_every_route(
        hostile, hostile.routes, lambda route: _send(hostile, route, headers={"X-Padding": "a" * size}), status=431
    )
    _assert_memory_bounded(hostile, baseline)


def test_a_100_mb_header_is_431_before_it_is_sent_and_never_held(hostile, baseline):
    """httptools would gather such a header whole (copying it again with every read); the server
    refuses it once the request head passes its bound."""
    size = 100 * MB
    problems = []
    for route in _one_route_per_owner_and_method(hostile.routes):
        start = request_head(route.method, route.path, hostile.credentials[route.owner])[:-2]
        head = itertools.chain([start + b"X-Padding: "], repeated(size, b"a" * 65_536), [b"\r\n\r\n"])
        answer = exchange(hostile.port, head)
        assert answer.sent < size, f"{route}: answered only after the whole header"
        found = answer_problems(route.path, answer) + ([] if answer.status == 431 else [f"status {answer.status}"])
        problems.extend(f"{route}: {problem}" for problem in found)
    assert not problems, "\n".join(problems)
    _assert_memory_bounded(hostile, baseline)


def test_too_many_headers_on_every_route_are_431(hostile):
    many = {f"X-Header-{number}": "v" for number in range(500)}
    _check_every_route(hostile, hostile.routes, lambda route: _send(hostile, route, headers=many), status=431)


def test_header_values_no_http_allows_are_refused_in_the_owners_format(hostile):
    for value in (b"a\x00b", b"a\rb"):
        odd = {"X-Odd": value}
        _check_every_route(
            hostile, hostile.routes, lambda route, odd=odd: _send(hostile, route, headers=odd), status=400
        )


ODD_PATHS: dict[str, Callable[[str], str | bytes]] = {
    "trailing-slash": lambda path: path + "/",
    "double-slash-inside": lambda path: path.replace("/", "//", 2).replace("//", "/", 1),
    "nul-escape": lambda path: path + "%00",
    "invalid-utf8-escape": lambda path: path + "/%ff%fe",
    "raw-high-byte": lambda path: path.encode() + b"\xff",
    "dot-segments": lambda path: path + "/../../../_emulator/reset",
    "encoded-dot-segments": lambda path: path + "/%2e%2e/%2e%2e/reset",
    "long-segment": lambda path: path + "/" + "a" * 10_000,
}


@pytest.mark.parametrize("case", list(ODD_PATHS))
def test_odd_paths_on_every_route(hostile, case):
    odd = ODD_PATHS[case]

    def target(route: Route) -> str:
        value = odd(route.path)
        return value.decode("latin-1") if isinstance(value, bytes) else value

    _check_every_route(
        hostile,
        hostile.routes,
        lambda route: _send(hostile, route, target=odd(route.path), content_type=None),
        target_of=target,
        ignored_by=_names_the_same_telcom_action,
    )


def _names_the_same_telcom_action(route: Route) -> bool:
    """Telcom routes on the first three segments after ``/api/`` (version, controller, action):
    an odd path that keeps them calls the same action, which needs no input when it takes no body."""
    return route.owner == "telcom" and not route.takes_body


STANDARD_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def test_odd_methods_on_every_route(hostile):
    served: dict[str, set[str]] = {}
    for route in hostile.routes:
        served.setdefault(route.path, set()).add(route.method)
    problems = []
    for path, methods in served.items():
        owner = next(route for route in hostile.routes if route.path == path).owner
        # Telcom's actions answer every standard method alike (as moonrope does).
        unserved = [] if owner == "telcom" else [m for m in STANDARD_METHODS if m not in methods]
        for method in (*unserved, "PROPFIND", "TRACE", "FOO", "G\x01T"):
            route = Route(owner, method, path, path, (), (), ())
            answer = _send(hostile, route, content_type=None)
            problems.extend(f"{method} {path}: {problem}" for problem in answer_problems(path, answer))
    assert not problems, "\n".join(problems)


def _assert_memory_bounded(hostile: HostileEmulator, baseline: dict) -> None:
    """The peak resident memory of the server, over everything sent so far, stays far below what
    holding one of the large inputs would take (generous: allocator noise and caches)."""
    memory = hostile.memory_kib()
    grown_mib = (memory["VmHWM"] - baseline["VmRSS"]) / 1024
    assert grown_mib < 60, f"the server's peak memory grew by {grown_mib:.0f} MiB"


WEBSOCKET_UPGRADE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
}


def test_a_websocket_upgrade_is_answered_as_the_http_request_it_also_is(hostile):
    """Every API emulated is plain HTTP: a GET asking to become a WebSocket gets the answer the
    same GET gets without asking (never a 101, nor a refusal that is nobody's format)."""
    problems = []
    for route in hostile.routes:
        if route.method != "GET":
            continue
        plain = _send(hostile, route, content_type=None)
        upgraded = _send(hostile, route, content_type=None, headers=WEBSOCKET_UPGRADE)
        # The same answer, but for what differs between any two answers (a trace id, the time).
        if (upgraded.status, _shape(upgraded.body)) != (plain.status, _shape(plain.body)):
            problems.append(f"{route}: {upgraded.status} {upgraded.body[:120]!r}, not {plain.status}")
    assert not problems, "\n".join(problems)


def _shape(body: bytes) -> object:
    """A JSON body's keys, in order, or the body itself."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    return list(parsed) if isinstance(parsed, dict) else type(parsed).__name__
