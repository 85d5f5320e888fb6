"""System.Text.Json's bytes: the one-scan rendering of plain values (``json.dumps`` mended) must
write exactly what the value-by-value rendering writes, for any text."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.core.rendering import _dotnet_json_walk, dotnet_json, perl_pretty

# Any code point, lone surrogates among them (a Python str can hold one; .NET writes it as \uXXXX).
TEXT = st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF))
PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5),
    max_leaves=20,
)


@given(PLAIN)
@settings(max_examples=400, deadline=None)
def test_plain_values_render_as_value_by_value(value):
    assert dotnet_json(value) == _dotnet_json_walk(value)


def test_escapes_at_the_edges_of_strings():
    value = {'"': ["\\", '\\"', "\\\\", '"\\', "+<>&'`", "\x7f\x1f\b\f\n\r\t", "é😀\ud800"], "k": -12}
    assert dotnet_json(value) == (
        '{"\\u0022":["\\\\","\\\\\\u0022","\\\\\\\\","\\u0022\\\\","\\u002B\\u003C\\u003E\\u0026\\u0027\\u0060",'
        '"\\u007F\\u001F\\b\\f\\n\\r\\t","\\u00E9\\uD83D\\uDE00\\uD800"],"k":-12}'
    )
    assert json.loads(dotnet_json(["+44", 'a"b'])) == ["+44", 'a"b']


def test_values_json_dumps_would_write_otherwise_are_rendered_one_by_one():
    assert dotnet_json({"n": [1.0, 2.5, True], 3: None, "t": ("x",)}) == '{"n":[1,2.5,true],"3":null,"t":["x"]}'


# What SQLite can hold: text without lone surrogates, 64-bit integers.
STORED_TEXT = st.text(st.characters(codec="utf-8", min_codepoint=0, max_codepoint=0x10FFFF))
STORED = st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | STORED_TEXT
COLUMNS = ("a b", "city", "flag", 'q"uote', "z")


@given(st.lists(st.tuples(STORED, STORED, st.booleans(), STORED, STORED), max_size=6), st.sampled_from([1, 2]))
@settings(max_examples=300, deadline=None)
def test_sqlite_renders_members_as_perl_pretty_items(rows, depth):
    """SQLite's own rendering of a row as a Perl-pretty list member is ``perl_pretty_items``'s,
    byte for byte, for any text it can store (quotes, backslashes, control characters, NUL)."""
    import sqlite3

    from emulator.core.rendering import perl_pretty_items, perl_pretty_member_sql, sqlite_quotes_like_json_dumps

    assert sqlite_quotes_like_json_dumps()  # the build these tests run on renders like json.dumps
    connection = sqlite3.connect(":memory:")
    quoted = ", ".join('"' + column.replace('"', '""') + '"' for column in COLUMNS)
    connection.execute(f"CREATE TABLE t (n INTEGER PRIMARY KEY, {quoted})")
    connection.executemany(f"INSERT INTO t ({quoted}) VALUES (?, ?, ?, ?, ?)", rows)
    sql = f"SELECT {perl_pretty_member_sql(COLUMNS, depth, booleans=('flag',))} FROM t ORDER BY n"
    rendered = b",\n".join(row[0] for row in connection.execute(sql))
    items = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    assert rendered == perl_pretty_items(items, depth)
    connection.close()


def test_member_columns_must_come_in_the_wire_order():
    import pytest

    from emulator.core.rendering import perl_pretty_member_sql

    with pytest.raises(ValueError):
        perl_pretty_member_sql(("z", "a"), 2)


# Perl's canonical pretty mode as ``json.dumps`` writes it: the reference the fast rendering meets.
def perl_pretty_reference(value) -> bytes:
    return json.dumps(value, indent=3, sort_keys=True, separators=(",", " : "), ensure_ascii=False).encode("utf-8")


PERL_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=25,
)


@given(PERL_VALUE)
@settings(max_examples=500, deadline=None)
def test_perl_pretty_writes_what_json_dumps_writes(value):
    try:
        expected = perl_pretty_reference(value)
    except UnicodeEncodeError:
        return  # a lone surrogate: not text either way
    assert perl_pretty(value) == expected


def test_perl_pretty_at_the_edges_of_its_fast_way():
    values = [
        {"response": {"a": [], "b": {}, "c": [[], [{}], {"d": [1, [2, [3]]]}]}},
        {"key": 'a value with ": inside', 'k": ey': 'x": '},
        {"big": 2**64, "negative": -(2**63) - 1, "float": 1e16, "tiny": 5e-324},
        {"é": "😀", "z": '\x7f\x1f\b\f\n\r\t\\"'},
        [{"n": None, "t": True, "f": False}],
        "text",
        7,
    ]
    for value in values:
        assert perl_pretty(value) == perl_pretty_reference(value), value
