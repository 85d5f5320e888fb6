"""JSON renderings: each provider's server framework prints JSON its own way, and clients may
compare bodies as text, so each gets a response class that renders exactly like it."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.responses import Response


class PerlPrettyJSONResponse(Response):
    """Perl JSON::XS in canonical + pretty mode: sorted keys, three-space indent, ``" : "``, final newline."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, indent=3, sort_keys=True, separators=(",", " : "), ensure_ascii=False)
        return (text + "\n").encode("utf-8")


class CompactJSONResponse(Response):
    """Compact JSON in insertion order, UTF-8 as is (Ruby's ``to_json``)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


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
        return "{" + ",".join(f"{dotnet_json_string(str(k))}:{dotnet_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dotnet_json(item) for item in value) + "]"
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


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
