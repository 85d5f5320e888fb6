"""Unpaged lists are read and rendered a chunk at a time, and the answer is the one-piece
rendering byte for byte: status, headers (the length included) and body, for a short list (one
chunk, on the event loop) and a long one (several chunks, sent as they were rendered), through the
hot route and the FastAPI route alike."""

from __future__ import annotations

import json
import random
import re
import time

import pytest
from fastapi.testclient import TestClient

from emulator.core.rendering import PerlPrettyJSONResponse, compact_items, perl_pretty_items
from emulator.core.streaming import CHUNK_ROWS, JOINED_BODY_LIMIT
from emulator.core.tenancy import TenantScope
from emulator.providers.telcom import render as telcom_render
from emulator.providers.telcom import service as telcom_service
from emulator.providers.yay import render as yay_render
from emulator.providers.yay import service as yay_service
from tests.support import YAY_ADDRESS

pytestmark = pytest.mark.each_backend

YAY = {"X-Auth-Reseller": "streamed", "X-Auth-User": "user", "X-Auth-Password": "secret"}
YAY_LIST = "/yay/voip/number-address"
TELCOM = {"X-Auth-Token": "streamed", "X-Auth-Secret": "secret"}
TELCOM_LIST = "/telcom/api/v2/numbers/list"
# Text the fast renderings must not get wrong: quotes, '": ', backslashes, non-ASCII, astral.
AWKWARD = 'O"Brien": \\ "x" : ü 😀 \u2028'
MANY = 2 * CHUNK_ROWS + 500


def _generate(client: TestClient, provider: str, tenant: str, count: int) -> None:
    runtime = client.app.state.runtime
    with runtime.db.session() as session:
        assert runtime.providers[provider].generate(session, tenant, count, 5, runtime) == count
        session.commit()


def _answer(response) -> tuple[int, list[tuple[str, str]], bytes]:
    assert int(response.headers["content-length"]) == len(response.content)
    headers = [(name, value) for name, value in response.headers.multi_items() if name not in ("date", "server")]
    return response.status_code, headers, response.content


def _yay_expected(client: TestClient) -> tuple[int, list[tuple[str, str]], bytes]:
    """The list as the one-piece rendering makes it: the ORM's rows, rendered, one JSON text."""
    with client.app.state.runtime.db.session() as session:
        addresses = yay_service.list_addresses(session, TenantScope(tenant="streamed", account=""))
        body = yay_render.envelope([yay_render.address(address) for address in addresses]).body
    headers = [("content-length", str(len(body))), ("content-type", PerlPrettyJSONResponse.media_type)]
    return 200, headers, bytes(body)


@pytest.mark.parametrize("generated", [0, MANY], ids=["short", "several-chunks"])
def test_the_yay_list_is_the_one_piece_rendering(clients, generated):
    hot, plain = clients
    fixtures = hot.get(YAY_LIST, headers=YAY).json()["result"]  # the tenant starts from the fixtures
    created = plain.post(YAY_LIST, headers=YAY, json={**YAY_ADDRESS, "street": AWKWARD, "nickname": '": '})
    assert created.status_code == 201, created.text
    _generate(plain, "yay", "streamed", generated)
    expected = _yay_expected(plain)
    assert (len(expected[2]) > JOINED_BODY_LIMIT) == bool(generated)
    for client in (hot, plain):
        for _ in range(2):  # the second answer may come from the render cache
            assert _answer(client.get(YAY_LIST, headers=YAY)) == expected
    assert len(hot.get(YAY_LIST, headers=YAY).json()["result"]) == len(fixtures) + 1 + generated


_TIME = re.compile(rb'^\{"status":"success","time":[0-9.]+,')


def _telcom_expected(client: TestClient, tenant: str = "streamed") -> bytes:
    with client.app.state.runtime.db.session() as session:
        numbers = telcom_service.list_numbers(session, tenant)
        data = [telcom_render.incoming_number(number, destination) for number, destination in numbers]
    return bytes(telcom_render.success(data, time.perf_counter()).body)


@pytest.mark.parametrize("generated", [0, MANY], ids=["short", "several-chunks"])
def test_the_telcom_number_list_is_the_one_piece_rendering(clients, generated):
    hot, plain = clients
    assert hot.get(TELCOM_LIST, headers=TELCOM).status_code == 200  # the tenant starts from the fixtures
    numbers = hot.get(TELCOM_LIST, headers=TELCOM).json()["data"]
    changed = plain.post(
        "/telcom/api/v2/numbers/update_subscriber", headers=TELCOM, json={"id": numbers[0]["id"], "name": AWKWARD}
    )
    assert changed.json()["status"] == "success", changed.text
    _generate(plain, "telcom", "streamed", generated)
    expected = _telcom_expected(plain)
    assert (len(expected) > JOINED_BODY_LIMIT) == bool(generated)
    for client in (hot, plain):
        for method in ("GET", "POST"):
            for _ in range(2):  # the second answer may come from the render cache
                status, headers, body = _answer(client.request(method, TELCOM_LIST, headers=TELCOM))
                assert status == 200
                assert dict(headers)["content-type"] == "application/json"
                # "time" is each answer's own measured handling time.
                assert _TIME.sub(b"", body) == _TIME.sub(b"", expected)
    assert len(hot.get(TELCOM_LIST, headers=TELCOM).json()["data"]) == len(numbers) + generated


@pytest.mark.only_backend("sqlite")
def test_telcom_instants_stored_in_another_form_are_rendered_as_the_rows_are(clients):
    """SQLite renders the list itself; an instant stored other than as SQLAlchemy writes it (by
    another tool, say) and text holding a NUL still come out as the rows' own rendering."""
    hot, plain = clients
    headers = {"X-Auth-Token": "odd", "X-Auth-Secret": "secret"}
    assert hot.get(TELCOM_LIST, headers=headers).status_code == 200  # the tenant starts from the fixtures
    _generate(plain, "telcom", "odd", 2)
    numbers = hot.get(TELCOM_LIST, headers=headers).json()["data"]
    with plain.app.state.runtime.db.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE telcom_number SET created_at = '2015-05-05 14:43:36', acquired_at = '2016-01-02 03:04:05.6789',"
            " pushed_at = '2017-01-02 03:04:05', name = ? WHERE tenant = 'odd' AND number_id = ?",
            ("nul\x00here", numbers[0]["id"]),
        )
        connection.exec_driver_sql(
            "UPDATE telcom_number SET name = ? WHERE tenant = 'odd' AND number_id = ?", ("x\x00", numbers[1]["id"])
        )
    expected = _TIME.sub(b"", _telcom_expected(plain, "odd"))
    assert b'"created_at":"2015-05-05T14:43:36.000Z"' in expected
    assert b'"acquired_at":"2016-01-02T03:04:05.678Z"' in expected
    assert b'"pushed_at":"2017-01-02T03:04:05.000Z"' in expected
    for client in (hot, plain):
        assert _TIME.sub(b"", client.get(TELCOM_LIST, headers=headers).content) == expected


def _awkward_value(rng: random.Random):
    text = "".join(rng.choice(["a", '"', ":", " ", "\\", "\n", "\x00", "é", "😀", "{", ",", '": ']) for _ in range(6))
    return rng.choice([text, rng.randrange(-5, 10**6), True, False, None, 2**70, [], {}, [text, 1], {"k": text}])


def test_the_chunk_renderings_are_json_dumps_own():
    """What the fast renderings make of any list member is what ``json.dumps`` makes of it."""
    rng = random.Random(7)
    for _ in range(2000):
        items = [
            {rng.choice(["city", "a b", 'q": ', "z"]): _awkward_value(rng) for _ in range(rng.randrange(5))}
            if rng.random() < 0.8
            else _awkward_value(rng)
            for _ in range(rng.randrange(5))
        ]
        for depth in (1, 2):
            indent = "   " * (depth - 1)
            whole = json.dumps(items, indent=3, sort_keys=True, separators=(",", " : "), ensure_ascii=False)
            members = perl_pretty_items(items, depth).decode()
            assert (f"[\n{members}\n{indent}]" if items else "[]") == whole.replace("\n", "\n" + indent)
        compact = json.dumps(items, separators=(",", ":"), ensure_ascii=False).encode()
        assert b"[" + compact_items(items) + b"]" == compact


@pytest.mark.only_backend("sqlite")
@pytest.mark.parametrize("count", [1, CHUNK_ROWS - 1, CHUNK_ROWS, CHUNK_ROWS + 1, 3 * CHUNK_ROWS])
def test_chunks_join_to_the_whole_list_at_every_boundary(backend, tmp_path, count):
    """A list of one chunk less, one, or one more than a chunk (read on the event loop, or read
    again on a worker thread through the scanning connection) joins to the one-piece rendering."""
    import asyncio

    from emulator.core.db import Database
    from emulator.core.fastread import FastReader
    from emulator.core.streaming import read_rendered_rows

    db = Database(f"sqlite:///{tmp_path / 'rows.sqlite3'}")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (n INTEGER PRIMARY KEY, name TEXT)")
        connection.exec_driver_sql("INSERT INTO t (name) VALUES (?)", [(f"r{i}",) for i in range(count)])
    fast = FastReader(db)
    try:
        chunks = asyncio.run(read_rendered_rows(fast, "SELECT n, name FROM t ORDER BY n", {}, compact_items, b","))
    finally:
        fast.close()
        db.engine.dispose()
    assert len(chunks) == -(-count // CHUNK_ROWS)
    assert (
        b"[" + b"".join(chunks) + b"]"
        == json.dumps([[i + 1, f"r{i}"] for i in range(count)], separators=(",", ":")).encode()
    )


def test_a_kept_telcom_answer_is_framed_with_each_answers_own_time():
    """The hot routes keep an answer's whole envelope per ``time``: a quick answer is the kept
    one, a slow one still shows how long it took."""
    framed = telcom_render.Framed(telcom_render.RenderedData(b"[1]"))
    quick = framed.response(time.perf_counter())
    assert quick.body == b'{"status":"success","time":0.0,"flags":{},"data":[1]}'
    slow = framed.response(time.perf_counter() - 1.234)
    assert slow.body == b'{"status":"success","time":1.23,"flags":{},"data":[1]}'
    assert framed.response(time.perf_counter()) is quick


@pytest.fixture
def long_rows(tmp_path):
    """A reader of a SQLite file whose rows render to about 2.5 times ``JOINED_BODY_LIMIT``."""
    from emulator.core.db import Database
    from emulator.core.fastread import FastReader

    db = Database(f"sqlite:///{tmp_path / 'long.sqlite3'}")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (n INTEGER PRIMARY KEY, name TEXT)")
        connection.exec_driver_sql("INSERT INTO t (name) VALUES (?)", [(f"r{i}" + "x" * 1000,) for i in range(640)])
    fast = FastReader(db)
    yield fast
    fast.close()
    db.engine.dispose()


LONG = "SELECT n, name FROM t ORDER BY n"
LONG_BODY = json.dumps([[i + 1, f"r{i}" + "x" * 1000] for i in range(640)], separators=(",", ":")).encode()


def _sent(response) -> tuple[list[dict], list[bytes]]:
    import asyncio

    messages: list[dict] = []

    async def send(message):
        messages.append(message)

    asyncio.run(response.send_to(send))
    return messages, [message["body"] for message in messages[1:]]


@pytest.mark.only_backend("sqlite")
def test_a_list_past_the_joined_limit_is_spooled_and_sent_with_its_whole_length(long_rows):
    from emulator.core.streaming import Spooled, chunked_response, render_rows

    parts = render_rows(long_rows, LONG, {}, compact_items, b",")
    assert len(parts) == 1 and isinstance(parts[0], Spooled)
    spool = parts[0]
    response = chunked_response([b"[", *parts, b"]"])
    assert int(response.headers["content-length"]) == len(LONG_BODY)
    messages, bodies = _sent(response)
    assert b"".join(bodies) == LONG_BODY
    assert [message["more_body"] for message in messages[1:]] == [True] * (len(bodies) - 1) + [False]
    assert spool.file.closed  # the file goes with the response


@pytest.mark.only_backend("sqlite")
@pytest.mark.parametrize("gone_at", [1, 2], ids=["before-the-spool", "within-the-spool"])
def test_a_spool_is_closed_when_the_client_goes_away_mid_body(long_rows, gone_at):
    import asyncio

    from emulator.core.streaming import Spooled, chunked_response, render_rows

    parts = render_rows(long_rows, LONG, {}, compact_items, b",")
    assert isinstance(parts[0], Spooled)
    response = chunked_response([b"[", *parts, b"]"])
    bodies = 0

    async def send(message):
        nonlocal bodies
        if message["type"] == "http.response.body":
            bodies += 1
            if bodies == gone_at:
                raise OSError("the client went away")

    with pytest.raises(OSError):
        asyncio.run(response.send_to(send))
    assert parts[0].file.closed


@pytest.mark.only_backend("sqlite")
def test_without_a_writable_temporary_directory_a_long_list_is_held_in_memory(long_rows, monkeypatch, tmp_path):
    import tempfile

    from emulator.core.streaming import chunked_response, render_rows

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    parts = render_rows(long_rows, LONG, {}, compact_items, b",")
    assert all(isinstance(part, bytes) for part in parts) and len(parts) > 1
    _, bodies = _sent(chunked_response([b"[", *parts, b"]"]))
    assert b"".join(bodies) == LONG_BODY
