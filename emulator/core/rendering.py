"""JSON renderings: each provider's server framework prints JSON its own way, and clients may
compare bodies as text, so each gets a response class that renders exactly like it."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

import orjson
from starlette.responses import Response


class PerlPrettyJSONResponse(Response):
    """Perl JSON::XS in canonical + pretty mode: sorted keys, three-space indent, ``" : "``, final newline."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return perl_pretty(content) + b"\n"


def perl_pretty(content: Any) -> bytes:
    r"""``content`` as Perl's canonical pretty mode prints it (without the final newline).

    Where orjson renders every value as ``json.dumps`` does (no floats, whose text orjson writes
    its own way; plain strings, whole numbers, booleans, nulls, lists and dicts with string keys),
    its two-space rendering is re-indented: JSON text holds no raw newline inside a string, so
    each ``\n`` starts a line, and ``": `` follows each key; when it shows up anywhere else too
    (inside a string or a key), the text takes the slow way: ``json.dumps`` itself."""
    keys = _plain_keys(content)
    if keys is not None:
        try:
            text = orjson.dumps(content, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        except TypeError:  # orjson.JSONEncodeError: an integer past 64 bits, a lone surrogate
            keys = None
        else:
            if text.count(b'": ') == keys:
                return _TWO_SPACE_INDENT.sub(_three_space_indent, text).replace(b'": ', b'" : ')
    return _perl_pretty(content).encode("utf-8")


_TWO_SPACE_INDENT = re.compile(rb"\n((?:  )+)")


def _three_space_indent(match: re.Match[bytes]) -> bytes:
    return b"\n" + b"   " * (len(match.group(1)) // 2)


def _plain_keys(content: Any) -> int | None:
    """How many keys ``content`` holds at every depth; None if anything in it is not a plain
    JSON value orjson writes as ``json.dumps`` does."""
    kind = type(content)
    if kind is dict:
        total = len(content)
        for key, value in content.items():
            nested = _plain_keys(value)
            if type(key) is not str or nested is None:
                return None
            total += nested
        return total
    if kind is list:
        total = 0
        for value in content:
            nested = _plain_keys(value)
            if nested is None:
                return None
            total += nested
        return total
    return 0 if kind in _PLAIN_SCALARS or content is None else None


_PLAIN_SCALARS = (str, int, bool)


def _perl_pretty(content: Any) -> str:
    return json.dumps(content, indent=3, sort_keys=True, separators=(",", " : "), ensure_ascii=False)


def perl_pretty_items(items: Sequence[Any], depth: int) -> bytes:
    r"""``items`` as ``PerlPrettyJSONResponse`` renders them as members of a list nested ``depth``
    levels deep: each indented, joined by ``,\n``, without the brackets (a chunk of a list body).

    Flat items (dicts of strings, whole numbers, booleans and nulls; no floats, whose text orjson
    writes its own way) go through orjson's two-space rendering, re-indented by byte replacement:
    JSON text holds no raw newline or control character inside a string, so each ``\n`` starts a
    line and a control byte can mark one; ``": `` follows each key, and when it shows up anywhere
    else too (inside a string) the items take the slow way: ``json.dumps`` itself."""
    if not items:
        return b""
    try:
        text = orjson.dumps(items, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError: an integer past 64 bits, a lone surrogate
        text = b""
    keys = sum(len(item) for item in items if isinstance(item, dict))
    if text and b"\n      " not in text and text.count(b'": ') == keys:
        member, field = b"\n" + b" " * (3 * depth), b"\n" + b" " * (3 * depth + 3)
        body = text[4:-2].replace(b"\n    ", b"\n\x00").replace(b"\n  ", member).replace(b"\n\x00", field)
        return member[1:] + body.replace(b'": ', b'" : ')
    indent = " " * (3 * depth)
    return ",\n".join(indent + _perl_pretty(item).replace("\n", "\n" + indent) for item in items).encode("utf-8")


def perl_pretty_member_sql(columns: Sequence[str], depth: int, booleans: Collection[str] = ()) -> str:
    """A SQLite expression rendering a row as ``perl_pretty_items`` renders the dict of its
    ``columns`` as a list member nested ``depth`` deep, as a BLOB: the values are JSON text by
    SQLite's own ``json_quote`` (use it only where ``sqlite_quotes_like_json_dumps()``), the
    ``booleans`` columns as ``true``/``false``. The columns are given in the order the wire shows
    them (sorted). The database renders a long list without a Python object per value."""
    if list(columns) != sorted(columns):
        raise ValueError("columns must be sorted, as Perl's canonical mode prints them")
    member, field = " " * (3 * depth), " " * (3 * depth + 3)
    parts = []
    for i, column in enumerate(columns):
        lead = ("{\n" if i == 0 else ",\n") + field + json.dumps(column, ensure_ascii=False) + " : "
        quoted = '"' + column.replace('"', '""') + '"'
        value = f"CASE WHEN {quoted} THEN 'true' ELSE 'false' END" if column in booleans else f"json_quote({quoted})"
        parts += [_sql_text(member + lead if i == 0 else lead), value]
    parts.append(_sql_text("\n" + member + "}"))
    return f"CAST({' || '.join(parts)} AS BLOB)"


def compact_object_sql(fields: Sequence[tuple[str, str]]) -> str:
    """A SQLite expression rendering ``fields`` (key, SQL expression) as ``compact_json`` renders
    a dict of them, in this order: SQLite's ``json_object`` quotes text as ``json.dumps`` does
    (use it only where ``sqlite_quotes_like_json_dumps()``) and embeds a nested
    ``json_object_sql`` or ``json_bool_sql`` as JSON. Compact JSON text, as a BLOB."""
    return f"CAST({json_object_sql(fields)} AS BLOB)"


def json_object_sql(fields: Sequence[tuple[str, str]]) -> str:
    """``compact_object_sql`` as a JSON value, to nest in another one."""
    return "json_object(" + ", ".join(f"{_sql_text(key)}, {value}" for key, value in fields) + ")"


def json_bool_sql(expression: str) -> str:
    """``true``/``false`` by the truth of ``expression`` (Python's ``bool``: NULL and 0 are false)."""
    return f"json(CASE WHEN {expression} THEN 'true' ELSE 'false' END)"


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@functools.cache
def sqlite_quotes_like_json_dumps() -> bool:
    """Whether this SQLite's ``json_quote`` writes every ASCII character, non-ASCII text, whole
    numbers and NULL as ``json.dumps(..., ensure_ascii=False)`` does (it has in the versions seen;
    a build that differs is not used for rendering)."""
    text = "".join(map(chr, range(0x80))) + "é\u2028\U0001f600"
    probes = [text, 0, -(2**63), 2**63 - 1, None]
    try:
        with contextlib.closing(sqlite3.connect(":memory:")) as connection:
            quoted = [connection.execute("SELECT json_quote(?)", (probe,)).fetchone()[0] for probe in probes]
    except sqlite3.Error:  # built without JSON
        return False
    return quoted == [json.dumps(probe, ensure_ascii=False) for probe in probes]


def compact_items(items: Sequence[Any]) -> bytes:
    """``items`` as ``CompactJSONResponse`` renders them inside a list: joined by ``,``, without the
    brackets. orjson writes strings, whole numbers, booleans, nulls, lists and dicts exactly as
    ``json.dumps`` does here (no floats: orjson writes some of them its own way)."""
    try:
        return orjson.dumps(items)[1:-1]
    except TypeError:  # orjson.JSONEncodeError: an integer past 64 bits, a lone surrogate
        return ",".join(json.dumps(item, separators=(",", ":"), ensure_ascii=False) for item in items).encode("utf-8")


def compact_json(content: Any) -> bytes:
    """Compact JSON in insertion order, UTF-8 as is (Ruby's ``to_json``)."""
    return json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class CompactJSONResponse(Response):
    """Compact JSON in insertion order, UTF-8 as is (Ruby's ``to_json``)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return compact_json(content)


class PHPJSONResponse(Response):
    """PHP ``json_encode`` defaults: compact, ``\\/`` for slashes, ``\\uXXXX`` for non-ASCII."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode("ascii")


# System.Text.Json's default encoder (JavaScriptEncoder.Default) escapes HTML-sensitive characters
# and everything outside printable ASCII as \uXXXX with upper-case hex; a few get short escapes.
_DOTNET_SHORT_ESCAPES = {"\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_DOTNET_ESCAPED = frozenset("\"&'+<>`")


def _dotnet_escape_char(char: str) -> str:
    if char in _DOTNET_SHORT_ESCAPES:
        return _DOTNET_SHORT_ESCAPES[char]
    code = ord(char)
    if char in _DOTNET_ESCAPED or code < 0x20 or code >= 0x7F:
        if code > 0xFFFF:  # outside the BMP: a UTF-16 surrogate pair, as .NET strings hold it
            code -= 0x10000
            return "\\u%04X\\u%04X" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))
        return "\\u%04X" % code
    return char


# What the encoder escapes: found by one scan in C, so plain text costs no per-character work.
_DOTNET_NEEDS_ESCAPE = re.compile(r"""[^\x20-\x7e]|["&'+<>`\\]""")


def dotnet_json_string(text: str) -> str:
    return '"' + _DOTNET_NEEDS_ESCAPE.sub(lambda match: _dotnet_escape_char(match.group()), text) + '"'


def dotnet_json(value: Any) -> str:
    """Compact JSON exactly as ASP.NET Core's System.Text.Json writes it by default."""
    if _plain(value):
        # orjson writes a plain value as compact ``json.dumps`` does, at a tenth of its cost,
        # wherever its text is printable ASCII (it writes other text as UTF-8 and DEL as itself,
        # not as escapes; and refuses an integer past 64 bits and a lone surrogate): that text
        # is mended the same way.
        try:
            text = orjson.dumps(value)
        except TypeError:
            text = b""
        if text and text.isascii() and b"\x7f" not in text:
            return _mend_json_dumps(text.decode("ascii"))
        return _mend_json_dumps(_COMPACT.encode(value))
    return _dotnet_json_walk(value)


def _dotnet_json_walk(value: Any) -> str:
    """``dotnet_json`` one value at a time: for what ``json.dumps`` would write otherwise (floats,
    keys that are not strings)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return dotnet_json_string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, dict):
        return "{" + ",".join(f"{dotnet_json_string(str(k))}:{_dotnet_json_walk(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_dotnet_json_walk(item) for item in value) + "]"
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


_SCALARS = frozenset({str, int, bool, type(None)})
_COMPACT = json.JSONEncoder(separators=(",", ":"))
"""``json.dumps(value, separators=(",", ":"))`` without making an encoder per call."""


def _plain(value: Any) -> bool:
    """Whether ``json.dumps`` writes ``value`` as System.Text.Json does but for the escapes inside
    strings: strings, whole numbers, booleans, nulls, lists and dicts keyed by strings (a float's
    text differs, and so does a key that is not a string)."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is dict:
        return all(type(key) is str and (type(item) in _SCALARS or _plain(item)) for key, item in value.items())
    if kind is list or kind is tuple:
        return all(type(item) in _SCALARS or _plain(item) for item in value)
    return False


# ``json.dumps`` (in C, ASCII only) and System.Text.Json write plain values alike except inside
# strings: ``\uXXXX`` in lower-case hex, ``\"`` for a quote, and the HTML-sensitive characters left
# as they are. An escape is matched whole, so ``\\`` before a closing quote is not taken for an
# escaped quote; the HTML-sensitive characters stand for themselves wherever they are (no escape
# holds one, and outside strings plain values have none).
_JSON_ESCAPE = re.compile(r"\\(?:u([0-9a-f]{4})|(.))")
_HTML_SENSITIVE = tuple((char, "\\u%04X" % ord(char)) for char in "&'+<>`")


def _dotnet_escape(match: re.Match[str]) -> str:
    hex_digits, escaped = match.groups()
    if hex_digits is not None:
        return "\\u" + hex_digits.upper()
    return "\\u0022" if escaped == '"' else match.group()


def _mend_json_dumps(text: str) -> str:
    if "\\" in text:
        text = _JSON_ESCAPE.sub(_dotnet_escape, text)
    for char, escape in _HTML_SENSITIVE:
        if char in text:
            text = text.replace(char, escape)
    return text


class DotNetJSONResponse(Response):
    """ASP.NET Core (System.Text.Json defaults): compact, insertion order, ``+``, ``<``, ``>``,
    ``&``, ``'``, ``"`` and non-ASCII escaped as ``\\uXXXX`` (``"+44…"`` is sent as ``"\\u002B44…"``)."""

    # Kestrel names the charset; Starlette would add it only to text/* types.
    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return dotnet_json(content).encode("ascii")


class ProblemJSONResponse(DotNetJSONResponse):
    """An RFC 7807 problem document as ASP.NET Core sends it."""

    media_type = "application/problem+json; charset=utf-8"
