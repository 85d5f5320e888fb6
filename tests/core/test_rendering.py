"""System.Text.Json's bytes: the one-scan rendering of plain values (``json.dumps`` mended) must
write exactly what the value-by-value rendering writes, for any text."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.core.rendering import _dotnet_json_walk, dotnet_json

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
