"""The layers import downwards only: sim knows nothing of cluster or robot."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "PciRaceLibrary"


def imports(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = parts[:-1]  # the package a relative import starts from
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("sim", ("robot", "robotlibcore", "PciRaceLibrary.cluster", "PciRaceLibrary.keywords",
                 "PciRaceLibrary.report", "PciRaceLibrary.explore")),
        ("cluster", ("robot", "robotlibcore", "PciRaceLibrary.keywords", "PciRaceLibrary.report")),
        ("report", ("robot", "robotlibcore", "PciRaceLibrary.keywords")),
        ("explore", ("robot", "robotlibcore", "PciRaceLibrary.keywords")),
    ],
)  # fmt: skip
def test_layer_imports_nothing_above_it(layer: str, forbidden: tuple[str, ...]) -> None:
    files = sorted((PACKAGE / layer).glob("*.py"))
    if layer != "explore":
        assert files, f"no modules in {layer}"
    for path in files:
        bad = {
            name for name in imports(path)
            if any(name == f or name.startswith(f + ".") for f in forbidden)
        }  # fmt: skip
        assert not bad, f"{path.relative_to(PACKAGE.parent)} imports {sorted(bad)}"


def test_the_check_sees_relative_imports() -> None:
    names = imports(PACKAGE / "cluster" / "__init__.py")
    assert "PciRaceLibrary.sim" in names
