"""In a run the library converts its keywords' arguments as Robot would with its converters."""

from __future__ import annotations

import math
import subprocess
import sys
import typing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import robot
from robot import utils as robot_utils
from robot.api import TypeInfo
from robot.libdocpkg import LibraryDocumentation
from robotlibcore import DynamicCore

from PciRaceLibrary import PciRaceLibrary
from PciRaceLibrary.keywords.arguments import (
    CONVERTERS,
    ArgumentShape,
    Invalid,
    NumaPolicy,
    Strategy,
    VnicType,
    own_converter,
)

LIBRARY = PciRaceLibrary()
HINTS = {
    (keyword, name): hint
    for keyword in LIBRARY.get_keyword_names()
    for name, hint in (DynamicCore.get_keyword_types(LIBRARY, keyword) or {}).items()
    if name != "return"
}
VALUES: list[Any] = [
    *("1", "0", "-3", " 7 ", "1e3", "0x10", "yes", "No", "None", "none", "", "2 s", "500 ms"),
    *("1 min 30 s", "-1 s", "1e400 s", "direct", "DIRECT", "required", "pct", "soon", "vm1"),
    *(1, 0, -2, 10**12, True, False, None, 2.5, float("nan"), timedelta(seconds=3)),
    *(b"bytes", bytearray(b"x"), VnicType.DIRECT, NumaPolicy.REQUIRED, Strategy.PCT),
    *([1], {"a": 1}, object),
]
if hasattr(robot_utils, "Secret"):  # Robot 7.4 on
    VALUES.append(robot_utils.Secret("hidden"))


def _robot(hint: Any, value: object) -> object:
    """What Robot makes of ``value`` for ``hint`` with the library's converters."""
    try:
        return TypeInfo.from_type_hint(hint).convert(value, custom_converters=dict(CONVERTERS))
    except ValueError:
        return "refused"


def _ours(hint: Any, value: object) -> object:
    converted = own_converter(hint)(value)  # type: ignore[misc]
    refused = isinstance(converted, Invalid) and _robot(hint, value) == "refused"
    return "refused" if refused else converted


def _same(first: object, second: object) -> bool:
    if isinstance(first, float) and isinstance(second, float) and math.isnan(first):
        return math.isnan(second)
    return type(first) is type(second) and (first is second or first == second)


@pytest.mark.parametrize("hint", sorted(set(HINTS.values()), key=repr), ids=repr)
def test_every_hint_of_ours_converts_as_robot_converts_it(hint: Any) -> None:
    if own_converter(hint) is None:
        pytest.skip(f"{hint!r} is left to Robot")
    for value in VALUES:
        ours, robots = _ours(hint, value), _robot(hint, value)
        assert _same(ours, robots), f"{hint!r} of {value!r}: ours {ours!r}, Robot's {robots!r}"


def _classes(hint: Any) -> set[type]:
    found, stack = set(), [hint]
    while stack:
        hint = stack.pop()
        if isinstance(hint, type):
            found.add(hint)
        stack.extend(typing.get_args(hint))
    return found


def test_what_is_left_to_robot_needs_no_converter_of_ours() -> None:
    # In a run Robot sees no converter of ours (KeywordConverters is empty there).
    ours = set(dict(CONVERTERS))
    assert ours == {bool, timedelta, int, VnicType, NumaPolicy, Strategy}
    left = 0
    for keyword in LIBRARY.get_keyword_names():
        shape = LIBRARY._shape_of(keyword)
        assert shape is not None
        if shape.robot_hints is None:
            continue
        left += 1
        for name, hint in shape.robot_hints.items():
            assert not _classes(hint) & ours, f"{keyword}: {name} would need a converter of ours"
    assert left == 0, "every keyword converts here (left to Robot is for a hint to come)"


def test_a_keyword_with_another_hint_is_left_to_robot_whole() -> None:
    hints = {"count": int, "ratio": float, "return": None}
    shape = ArgumentShape(["count", "ratio"], hints)
    assert shape.robot_hints == hints
    assert shape.convert(("2", "0.5"), {}) == (("2", "0.5"), {})


def test_a_shape_converts_positional_named_and_free_arguments() -> None:
    shape = ArgumentShape(
        ["count", ("wait", None), "*names", ("flag", False), "**delays"],
        {
            "count": int,
            "wait": timedelta | None,
            "names": str,
            "flag": bool,
            "delays": timedelta,
            "return": None,
        },
    )
    assert shape.robot_hints is None
    args, kwargs = shape.convert(("2", "3 s", 7, "x"), {"flag": "yes", "rebuild": "500 ms"})
    assert args == (2, timedelta(seconds=3), "7", "x")
    assert kwargs == {"flag": True, "rebuild": timedelta(milliseconds=500)}
    args, kwargs = shape.convert((), {"wait": None, "count": "many"})
    assert kwargs == {"wait": None, "count": Invalid("many", "a whole number such as 2")}
    same = timedelta(seconds=1)
    assert shape.convert(("1", same), {})[0][1] is same  # of the hinted type: as it is


def test_outside_a_run_every_hint_and_converter_shows() -> None:
    assert len(CONVERTERS) == 6
    evacuate = LIBRARY.get_keyword_types("evacuate_server_with_direct_port")
    assert evacuate is not None
    assert evacuate["delays"] is timedelta
    doc = LibraryDocumentation("PciRaceLibrary")
    wait = next(kw for kw in doc.keywords if kw.name == "Wait Until Server Has")
    assert "timedelta" in str(wait.args)
    assert any(info.name == "timedelta" for info in doc.type_docs), "libdoc documents it"


LISTENER = """
SEEN = {}

def start_library_keyword(data, implementation, result):
    SEEN[implementation.name] = dict(implementation.args.types or {})
"""


def test_a_run_converts_with_robot_seeing_no_hint_of_ours(tmp_path: Path) -> None:
    (tmp_path / "types_listener.py").write_text(LISTENER, encoding="utf-8")
    suite = tmp_path / "types.robot"
    suite.write_text(
        "*** Settings ***\nLibrary    PciRaceLibrary\n\n*** Test Cases ***\nTypes\n"
        "    Start Cluster    bugs=1896463\n"
        "    Create Server With Direct Port    vm1    host=host1\n"
        "    Wait Until Server Has    vm1    status=ACTIVE    timeout=${30}\n"
        "    PCI Allocation On Host Should Be    vm1    host1    ${1}\n"
        "    Run Keyword And Expect Error    Argument 'expected' must be a whole number*\n"
        "    ...    PCI Allocation On Host Should Be    vm1    host1    one\n",
        encoding="utf-8",
    )
    listener = str(tmp_path / "types_listener.py")
    rc = robot.run(str(suite), outputdir=str(tmp_path), listener=listener, console="none")
    assert rc == 0
    seen = sys.modules["types_listener"].SEEN
    assert seen["Wait Until Server Has"] == {}  # Robot converts nothing of ours
    assert seen["PCI Allocation On Host Should Be"] == {}


def test_a_library_first_imported_inside_a_run_converts_too(tmp_path: Path) -> None:
    # A fresh process: Robot imports the library while the run executes, where
    # ROBOT_LIBRARY_CONVERTERS reads as empty.
    suite = tmp_path / "fresh.robot"
    suite.write_text(
        "*** Settings ***\nLibrary    PciRaceLibrary\n\n*** Test Cases ***\nFresh\n"
        "    Start Cluster\n    VAR    ${kind} =    baremetal\n"
        "    Run Keyword And Expect Error    Argument 'vnic_type' must be one of 'normal'*\n"
        "    ...    Create Server    web1    vnic_type=${kind}\n"
        "    Run Keyword And Expect Error    Delay 'rebuild' must be a time such as*\n"
        "    ...    Evacuate Server    web1    rebuild=${kind}\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--output",
            "NONE",
            "--log",
            "NONE",
            "--report",
            "NONE",
            "--console",
            "none",
            str(suite),
        ],
        check=False,
    )
    assert run.returncode == 0
