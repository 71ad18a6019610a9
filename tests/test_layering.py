"""Imports run one way (docs/architecture.md, "Layers"): read from the source of tracker/, every
import included (those inside functions and under TYPE_CHECKING too), so a new engineer who
reaches back up the tree, or from one feature into another, finds out here rather than in a
circular-import error at start-up."""

from __future__ import annotations

import ast
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"
# Peers over the core packages and shared modules: what two of them need moves down.
FEATURES = (
    "tracker.admin",
    "tracker.api",
    "tracker.exchange",
    "tracker.maps",
    "tracker.reports",
    "tracker.protection",
)


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _imported(module: str, path: Path) -> set[str]:
    """The modules of tracker that `module` imports (`from x import y` counts as y when y is a
    module, else as x)."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            submodules = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
            found.update(submodules)
            if len(submodules) < len(node.names):
                found.add(base)
    return {name for name in found if name in MODULES and name != module}


IMPORTS = {module: _imported(module, path) for module, path in MODULES.items()}


def _unit(module: str) -> str:
    """The package a module belongs to (its own name for a package's __init__); a module directly
    in tracker/ is a unit of its own, and tracker/__init__.py is the app factory."""
    if module == "tracker" or MODULES[module].name == "__init__.py":
        return module
    parent = module.rpartition(".")[0]
    return module if parent == "tracker" else parent


def _unit_edges() -> dict[tuple[str, str], list[str]]:
    edges = defaultdict(list)
    for module, targets in IMPORTS.items():
        for target in targets:
            pair = (_unit(module), _unit(target))
            if pair[0] != pair[1]:
                edges[pair].append(f"{module} imports {target}")
    return edges


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle in `graph`, as the list of its nodes, or [] when there is none."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return []


def test_the_reader_finds_the_modules():
    # a broken reader would pass every test below: check it sees what we know is there
    assert IMPORTS["tracker.incidents.service"] >= {"tracker.audit", "tracker.regions.service", "tracker.facts"}
    assert "tracker.exchange.blueprint" in IMPORTS["tracker"]  # an import inside create_app
    assert _unit("tracker.exchange.formats.csv_format") == "tracker.exchange.formats"
    assert _unit("tracker.security") == "tracker.security"


def test_no_package_imports_one_that_imports_it_back():
    edges = _unit_edges()
    graph = defaultdict(set)
    for source, target in edges:
        graph[source].add(target)
    cycle = _cycle(graph)
    detail = [line for pair in pairwise(cycle) for line in edges[pair]]
    assert not cycle, "imports run in a circle: " + " → ".join(cycle) + "\n" + "\n".join(detail)


def test_no_module_cycles():
    assert not (cycle := _cycle(IMPORTS)), " → ".join(cycle)


@pytest.mark.parametrize("feature", FEATURES)
def test_features_do_not_import_each_other(feature):
    reached = {
        f"{module} imports {target}"
        for module, targets in IMPORTS.items()
        if module == feature or module.startswith(feature + ".")
        for target in targets
        for other in FEATURES
        if other != feature and (target == other or target.startswith(other + "."))
    }
    assert not reached, "move what they share down into a shared module:\n" + "\n".join(sorted(reached))


def test_nothing_but_the_console_script_imports_the_factory():
    assert {module for module, targets in IMPORTS.items() if "tracker" in targets} == {"tracker.__main__"}
