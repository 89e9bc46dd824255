"""No import cycle inside cluster/, type-only imports (TYPE_CHECKING) included."""

from __future__ import annotations

import ast
from pathlib import Path

CLUSTER = Path(__file__).resolve().parents[2] / "PciRaceLibrary" / "cluster"


def graph() -> dict[str, set[str]]:
    """Module of cluster/ -> the modules of cluster/ it imports ('' is the package)."""
    modules = {path.stem for path in CLUSTER.glob("*.py")}
    edges: dict[str, set[str]] = {}
    for path in CLUSTER.glob("*.py"):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:  # from .db import Database
                    found.add(node.module.split(".")[0])
                else:  # from . import api, service
                    found.update(alias.name for alias in node.names if alias.name in modules)
        edges[path.stem] = found & modules
    return edges


def test_cluster_modules_import_each_other_without_cycles() -> None:
    edges = graph()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
        if module in done:
            return
        for imported in sorted(edges.get(module, ())):
            visit(imported, [*path, module])
        done.add(module)

    for module in sorted(edges):
        visit(module, [])


def test_the_check_sees_a_cycle() -> None:
    assert "__init__" in graph()
    assert "operations" in graph()["__init__"]
