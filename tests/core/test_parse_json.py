"""``parse_json``: orjson reads most bodies, and what it reads must be what the standard library
reads; whatever either refuses is refused with the standard library's reason."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.core.http import BodyError, parse_json

VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=25,
)


@given(VALUE)
@settings(max_examples=400, deadline=None)
def test_a_body_reads_as_the_standard_library_reads_it(value):
    try:
        raw = json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return  # a lone surrogate cannot be sent as UTF-8
    parsed = parse_json(raw)
    assert parsed == json.loads(raw)
    assert type(parsed) is type(value)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b'{"big": 18446744073709551616}', {"big": 18446744073709551616}),  # orjson: a float
        (b'{"low": -9223372036854775809}', {"low": -9223372036854775809}),
        (b'{"a": 1, "a": 2}', {"a": 2}),
        (b'  [1, "\\u00e9"]  ', [1, "é"]),
    ],
)
def test_what_orjson_reads_its_own_way_reads_as_the_standard_library_reads_it(raw, value):
    parsed = parse_json(raw)
    assert parsed == value
    assert [type(item) for item in (parsed.values() if isinstance(parsed, dict) else parsed)] == [
        type(item) for item in (value.values() if isinstance(value, dict) else value)
    ]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"a": NaN}', "NaN is not JSON"),
        (b'{"a": 1e400}', "body holds a number out of range"),
        (b'{"a": "\\ud800"}', "body is not valid UTF-8 text"),
        (b'{"a": "\xff"}', "body is not valid UTF-8 text"),
        (b"\xef\xbb\xbf{}", "Unexpected UTF-8 BOM"),
        (b'{"a": ', "Expecting value at line 1 column 7"),
    ],
)
def test_a_body_either_refuses_is_refused_with_the_standard_library_reason(raw, reason):
    with pytest.raises(BodyError) as refused:
        parse_json(raw)
    assert refused.value.reason.startswith(reason)
