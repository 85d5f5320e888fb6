"""Every committed OpenAPI document passes openapi-spec-validator."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from tests.support import ROOT

DOCUMENTS = sorted((ROOT / "openapi").glob("*.json"))


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.stem)
def test_document_passes_openapi_spec_validator(path):
    validate(json.loads(path.read_text(encoding="utf-8")))


def test_every_document_is_checked():
    assert sorted(path.stem for path in DOCUMENTS) == ["cloudlx", "cm", "control", "telcom", "yay"]
