"""A run holds each keyword's first paragraph of documentation; libdoc all of it."""

from __future__ import annotations

import sys
from pathlib import Path

import robot
from robot.api import ExecutionResult
from robot.libdocpkg import LibraryDocumentation
from robot.utils import getshortdoc

from PciRaceLibrary import PciRaceLibrary

LISTENER = """
DOCS = {}

def start_library_keyword(data, implementation, result):
    DOCS[implementation.name] = implementation.doc
"""


def test_libdoc_has_the_whole_documentation() -> None:
    library = LibraryDocumentation("PciRaceLibrary")
    start = next(kw for kw in library.keywords if kw.name == "Start Cluster")
    assert "| ``bugs`` |" in start.doc
    assert "= Virtual time =" in library.doc


def test_a_run_holds_the_first_paragraph_and_logs_what_it_always_did(tmp_path: Path) -> None:
    (tmp_path / "docs_listener.py").write_text(LISTENER, encoding="utf-8")
    suite = tmp_path / "docs.robot"
    suite.write_text(
        "*** Settings ***\nLibrary    PciRaceLibrary\n\n*** Test Cases ***\nDocs\n"
        "    Start Cluster\n    Get Virtual Time\n",
        encoding="utf-8",
    )
    listener = tmp_path / "docs_listener.py"
    rc = robot.run(str(suite), outputdir=str(tmp_path), listener=str(listener), console="none")
    assert rc == 0
    docs = sys.modules["docs_listener"].DOCS  # imported by Robot from tmp_path

    full = PciRaceLibrary().get_keyword_documentation("start_cluster")
    assert docs["Start Cluster"] == getshortdoc(full)
    assert "| ``bugs`` |" in full
    result = ExecutionResult(str(tmp_path / "output.xml"))
    start, _ = result.suite.tests[0].body
    assert start.doc == getshortdoc(full)
