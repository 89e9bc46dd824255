"""The reproducer of a failing schedule as a ``.robot`` file next to the log.

The suite that ran the exploration is read with Robot Framework's own parser
(``robot.api.parsing``), so its resource and variable imports and its user
keywords come along whatever formatting the suite uses. Paths are written
relative to the output directory, so the file and its links work wherever
the results are copied.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from robot.api.parsing import (
    KeywordSection,
    ModelVisitor,
    ResourceImport,
    SettingSection,
    VariablesImport,
    get_model,
)

from ..explore.reproducer import robot_test


class _Text(ModelVisitor):
    """The source text of a section, token by token."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def visit_Statement(self, node: object) -> None:  # noqa: N802 - Robot's visitor API
        self.parts.extend(token.value for token in node.tokens)  # type: ignore[attr-defined]


def suite_parts(source: Path, output: Path) -> tuple[list[str], str]:
    """The settings a reproducer needs (the library, the suite's resource and
    variable imports) and the suite's keywords section, with ``${CURDIR}``
    and relative paths rewritten from ``output``."""
    settings = ["Library    PciRaceLibrary"]
    keywords = ""
    if not source.is_file():
        return settings, keywords
    folder = source.parent
    curdir = _portable(folder, output)
    for section in get_model(source).sections:
        if isinstance(section, SettingSection):
            for statement in section.body:
                if isinstance(statement, ResourceImport | VariablesImport):
                    kind = "Resource" if isinstance(statement, ResourceImport) else "Variables"
                    name = statement.name.replace("${CURDIR}", str(folder))
                    path = Path(name) if Path(name).is_absolute() else folder / name
                    settings.append(f"{kind}    ${{CURDIR}}/{_portable(path, output)}")
        elif isinstance(section, KeywordSection):
            text = _Text()
            text.visit(section)
            keywords = "".join(text.parts).replace("${CURDIR}", f"${{CURDIR}}/{curdir}")
    return settings, keywords


def write_reproducer(
    output: Path,
    source: Path,
    *,
    test: str,
    documentation: str,
    body: list[list[str]],
) -> tuple[Path, str]:
    """Writes ``reproducer-<test>.robot`` into ``output``; returns its path and text."""
    settings, keywords = suite_parts(source, output)
    text = robot_test(
        name=f"{test} Reproduced With Delays",
        documentation=documentation,
        settings=settings,
        body=body,
        keywords_section=keywords,
    )
    path = output / f"reproducer-{re.sub(r'[^A-Za-z0-9]+', '_', test).strip('_') or 'test'}.robot"
    path.write_text(text, encoding="utf-8")
    return path, text


def _portable(path: Path, start: Path) -> str:
    """``path`` relative to ``start``, with forward slashes."""
    return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()
