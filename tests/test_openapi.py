"""The committed OpenAPI documents are exactly what the code generates and serves."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from emulator.cli import openapi_documents, render_document
from tests.support import ROOT

DOCUMENTS = openapi_documents()


def test_every_document_is_committed():
    committed = sorted(path.stem for path in (ROOT / "openapi").glob("*.json"))
    assert committed == sorted(DOCUMENTS), "run: python -m emulator openapi --out openapi/"


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_committed_document_matches_the_code(name):
    committed = (ROOT / "openapi" / f"{name}.json").read_text(encoding="utf-8")
    assert committed == render_document(DOCUMENTS[name]), "run: python -m emulator openapi --out openapi/"


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_served_document_matches_the_committed_one(client, name):
    prefix = "/_emulator" if name == "control" else f"/{name}"
    served = client.get(f"{prefix}/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads((ROOT / "openapi" / f"{name}.json").read_text(encoding="utf-8"))
    assert client.get(f"{prefix}/docs").status_code == 200


def test_cli_writes_the_documents(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "openapi", "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    for name, document in DOCUMENTS.items():
        assert (tmp_path / f"{name}.json").read_text(encoding="utf-8") == render_document(document)
