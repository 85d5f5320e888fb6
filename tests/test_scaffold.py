"""``python -m emulator new-provider``: a fifth provider, scaffolded into a copy of the checkout and
registered with one line, passes the conformance suite, its own tests and the layering rules on
each backend without any other edit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.scaffold import new_provider
from tests.support import ROOT

REGISTRY = 'PROVIDER_MODULES = ("yay", "telcom", "cloudlx", "cm")'


def _copy_checkout(target: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("emulator", "tests", "fixtures"):
        shutil.copytree(ROOT / folder, target / folder, symlinks=True, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def _run(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("EMULATOR_")}
    return subprocess.run([sys.executable, *args], cwd=checkout, env=env, capture_output=True, text=True, timeout=900)


def test_a_scaffolded_provider_passes_the_conformance_suite_with_one_registry_line(tmp_path):
    checkout = _copy_checkout(tmp_path / "checkout")
    scaffolded = _run(checkout, "-m", "emulator", "new-provider", "acme")
    assert scaffolded.returncode == 0, scaffolded.stderr
    written = {
        Path(line.removeprefix("wrote ")) for line in scaffolded.stdout.splitlines() if line.startswith("wrote ")
    }
    assert {path.parent for path in written} == {Path("emulator/providers/acme"), Path("tests/acme")}

    registry = checkout / "emulator" / "providers" / "__init__.py"
    assert REGISTRY in registry.read_text()
    registry.write_text(registry.read_text().replace(REGISTRY, REGISTRY.replace('"cm")', '"cm", "acme")')))

    tests = ["tests/conformance", "tests/acme", "tests/test_layering.py", "-k", "acme"]
    result = _run(checkout, "-m", "pytest", "-p", "no:cacheprovider", "-q", *tests)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and " failed" not in result.stdout
    if os.environ.get("CI"):
        assert "skipped" not in result.stdout, result.stdout


@pytest.mark.parametrize("name", ["yay", "Acme", "a", "class", "acme-2", "averylongname1"])
def test_a_name_that_cannot_be_a_new_provider_is_refused(tmp_path, name):
    (tmp_path / "emulator" / "providers" / "yay").mkdir(parents=True)
    with pytest.raises((ValueError, FileExistsError)):
        new_provider(name, tmp_path)
    assert sorted(p.name for p in (tmp_path / "emulator" / "providers").iterdir()) == ["yay"]
