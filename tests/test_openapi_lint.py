"""Every committed OpenAPI document passes Redocly's recommended rules without an error, and names
each of its schemas once."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter

import pytest

from tests.support import ROOT

LINT = ROOT / "tools" / "lint"
REDOCLY = LINT / "node_modules" / ".bin" / "redocly"
DOCUMENTS = sorted((ROOT / "openapi").glob("*.json"))


@pytest.fixture(scope="module")
def redocly() -> str:
    if not REDOCLY.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Redocly CLI (installed by .ci/run with npm ci in tools/lint)")
        pytest.skip("Redocly CLI is not installed: run `npm ci` in tools/lint (.ci/run does under CI)")
    return str(REDOCLY)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.stem)
def test_redocly_finds_no_error(redocly, path):
    result = subprocess.run(
        [redocly, "lint", "--config", str(LINT / "redocly.yaml"), "--format=json", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        # Nothing leaves the machine: no usage report, no update check.
        env={**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"},
        timeout=120,
    )
    report = json.loads(result.stdout)
    errors = [
        f"{problem['ruleId']} at {problem['location'][0]['pointer']}: {problem['message']}"
        for problem in report["problems"]
        if problem["severity"] == "error"
    ]
    assert errors == []
    assert report["totals"]["errors"] == 0


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.stem)
def test_schema_names_are_unique(path):
    """Each component schema is named after its own title, so no two share a name (a client
    generator makes one class of each) and none has pydantic's module-qualified stand-in name."""
    schemas = json.loads(path.read_text(encoding="utf-8"))["components"]["schemas"]
    titles = Counter(schema.get("title", name) for name, schema in schemas.items())
    assert [title for title, count in titles.items() if count > 1] == []
    assert [name for name, schema in schemas.items() if schema.get("title", name) != name] == []


def test_every_document_is_checked():
    assert sorted(path.stem for path in DOCUMENTS) == ["cloudlx", "cm", "control", "telcom", "yay"]
