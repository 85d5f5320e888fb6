"""JSON renderings: each provider's server framework prints JSON its own way, and clients may
compare bodies as text, so each gets a response class that renders exactly like it."""

from __future__ import annotations

import json
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
