"""A run holds each keyword's first paragraph of documentation and its reserved tags;
libdoc all of them."""

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


def test_a_run_holds_only_the_reserved_tags_libdoc_all(tmp_path: Path) -> None:
    library = LibraryDocumentation("PciRaceLibrary")
    tags = {kw.name: list(kw.tags) for kw in library.keywords}
    assert tags["Start Cluster"] == ["Setup"]
    assert sorted(tags["Explore Interleavings"]) == ["Explore", "robot:flatten"]

    suite = tmp_path / "tags.robot"
    suite.write_text(
        "*** Settings ***\nLibrary    PciRaceLibrary\n\n*** Test Cases ***\nTags\n"
        "    Start Cluster\n    PCI Allocation On Host Should Be    vm1    host1    0\n"
        "    Explore Interleavings    No Operation    No Operation\n",
        encoding="utf-8",
    )
    robot.run(str(suite), outputdir=str(tmp_path), console="none")
    start, check, explore = ExecutionResult(str(tmp_path / "output.xml")).suite.tests[0].body
    assert list(start.tags) == list(check.tags) == []
    assert list(explore.tags) == ["robot:flatten"]  # it still flattens the schedules' runs
    assert not explore.body.filter(messages=False), "flattened: no keyword inside"

    # The step marks on the timeline and the direct checks still read every tag.
    run = PciRaceLibrary()
    assert run.is_check("PCI Allocation On Host Should Be")
    assert not run.is_check("Start Cluster")
