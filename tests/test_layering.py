"""The import graph of ``emulator/``: every import statement (``TYPE_CHECKING`` ones and imports
inside functions included) forms no cycle, and the layers hold: settings is the ground floor, core
imports no provider and no control module, providers import neither ``emulator.control`` nor each
other, and providers see the narrow ``ProviderContext`` rather than the ``Runtime``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "emulator"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _nearest(name: str, modules: dict[str, Path]) -> str | None:
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph() -> dict[str, set[str]]:
    """Module → the ``emulator`` modules it imports (a ``from package import module`` names the
    module; anything else names the nearest module that exists)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, path, node)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.append(full if full in modules else base)
            for target in targets:
                if target != "emulator" and not target.startswith("emulator."):
                    continue
                found = _nearest(target, modules)
                # ``import emulator`` for the version reaches the package's own __init__ only.
                if found is not None and found != module:
                    graph[module].add(found)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _provider_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "providers" else None


GRAPH = import_graph()


def test_the_graph_sees_type_checking_and_function_level_imports():
    # Guards the parser itself: these edges exist only under TYPE_CHECKING or inside functions.
    assert "emulator.core.runtime" in GRAPH["emulator.cli"]
    assert GRAPH["emulator.core.provider"], "core.provider imports its context types"


def test_no_import_cycle():
    assert find_cycle(GRAPH) is None, " → ".join(find_cycle(GRAPH) or [])


def test_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_settings_is_the_ground_floor():
    assert GRAPH["emulator.settings"] <= {"emulator"}


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m.startswith("emulator.core")))
def test_core_imports_no_provider_and_no_control(module):
    bad = {t for t in GRAPH[module] if t.startswith(("emulator.providers", "emulator.control"))}
    bad |= {t for t in GRAPH[module] if t in {"emulator.app", "emulator.cli", "emulator.testing"}}
    assert not bad, f"{module} imports {sorted(bad)}"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if _provider_of(m)))
def test_providers_import_neither_control_nor_each_other_nor_the_runtime(module):
    own = _provider_of(module)
    bad = {
        target
        for target in GRAPH[module]
        if target.startswith("emulator.control")
        or target in {"emulator.app", "emulator.cli", "emulator.core.runtime", "emulator.core.snapshot"}
        or (_provider_of(target) not in (None, own))
        or target == "emulator.providers"
    }
    assert not bad, f"{module} imports {sorted(bad)}"
