"""An exploration's check called directly (keywords/direct.py): only where
Robot's run of it is fixed, and with the verdicts and messages Robot gives.
Checked by running Robot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import robot
from robot.api import ExecutionResult

from PciRaceLibrary.keywords import direct
from PciRaceLibrary.keywords.direct import DirectCheck

RESOURCE = Path(__file__).resolve().parents[2] / "acceptance" / "resources" / "evacuation.resource"

LEAVES = '''\
from robot.libraries.BuiltIn import BuiltIn

from PciRaceLibrary.keywords.direct import fixed_leaves


def leaves_of(name):
    """How many library checks Robot runs for ``name``; -1: not fixed."""
    library = BuiltIn().get_library_instance("PciRaceLibrary")
    found = fixed_leaves(name, library)
    return -1 if found is None else len(found)
'''

# Keyword -> how many of our checks a fixed run of it calls, -1 if not fixed.
CASES = {
    "PCI Allocation On Host Should Be": 1,
    "Two Checks": 2,
    "Nested Checks": 3,
    "Log Timeline": -1,  # ours, but not a check
    "No Operation": -1,
    "With A Variable": -1,
    "With An Escape": -1,
    "With IF": -1,
    "With TRY": -1,
    "With Run Keyword If": -1,
    "With Arguments": -1,
    "Server vm1 Is Checked": -1,  # embedded arguments
    "With A Setup": -1,
    "With An Action": -1,
    "With Another Library": -1,
    "With An Assignment": -1,
    "Private Check": -1,
    "Deprecated Check": -1,
    "No Such Keyword": -1,
}

KEYWORDS = """\
*** Keywords ***
Two Checks
    Server Should Be On Host    vm1    host1
    PCI Allocation On Host Should Be    vm1    host1    1

Nested Checks
    Two Checks
    PCI Allocation On Host Should Be    vm1    host2    0

With A Variable
    PCI Allocation On Host Should Be    vm1    ${HOST}    1

With An Escape
    Server Should Be On Host    vm1    host\\x31

With IF
    IF    True
        Server Should Be On Host    vm1    host1
    END

With TRY
    TRY
        Server Should Be On Host    vm1    host1
    EXCEPT
        No Operation
    END

With Run Keyword If
    Run Keyword If    True    Server Should Be On Host    vm1    host1

With Arguments
    [Arguments]    ${host}=host1
    Server Should Be On Host    vm1    host1

Server ${name} Is Checked
    Server Should Be On Host    vm1    host1

With A Setup
    [Setup]    No Operation
    Server Should Be On Host    vm1    host1

With An Action
    Server Should Be On Host    vm1    host1
    Stop Compute Service    host1

With Another Library
    Should Be Equal    1    1

With An Assignment
    ${found} =    Get PCI Allocations    vm1

Private Check
    [Tags]    robot:private
    Server Should Be On Host    vm1    host1

Deprecated Check
    [Documentation]    *DEPRECATED* Robot warns at each call.
    Server Should Be On Host    vm1    host1
"""


def run(tmp_path: Path, text: str) -> ExecutionResult:
    suite = tmp_path / "suite.robot"
    suite.write_text(text, encoding="utf-8")
    robot.run(str(suite), outputdir=str(tmp_path), log="NONE", report="NONE", console="none")
    return ExecutionResult(str(tmp_path / "output.xml"))


def test_only_a_fixed_run_of_our_checks_is_called_directly(tmp_path: Path) -> None:
    (tmp_path / "Leaves.py").write_text(LEAVES, encoding="utf-8")
    lines = [
        f"    ${{n}} =    Leaves Of    {name}\n    Should Be Equal As Integers    ${{n}}    {n}\n"
        for name, n in CASES.items()
    ]
    suite = (
        "*** Settings ***\nLibrary    PciRaceLibrary\nLibrary    ${CURDIR}/Leaves.py\n\n"
        "*** Variables ***\n${HOST}    host1\n\n"
        "*** Test Cases ***\nLeaves\n" + "".join(lines) + "\n" + KEYWORDS
    )
    test = run(tmp_path, suite).suite.tests[0]
    assert test.status == "PASS", test.message


EXPLORATIONS = f"""\
*** Settings ***
Resource    {RESOURCE}

*** Variables ***
${{HOST}}    host2

*** Test Cases ***
Direct
    Explore Interleavings    Pre Fix    Destination Holds The Device
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound=2

Through Robot
    Explore Interleavings    Pre Fix    Destination Holds The Device Of ${{HOST}}
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound=2

*** Keywords ***
Pre Fix
    Server On Failed Host    bugs=1896463

Destination Holds The Device
    Server Should Be On Host    vm1    host2
    PCI Allocation On Host Should Be    vm1    host2    1

Destination Holds The Device Of ${{host}}
    Server Should Be On Host    vm1    ${{host}}
    PCI Allocation On Host Should Be    vm1    ${{host}}    1
"""


def test_a_direct_check_fails_as_through_robot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same exploration with a fixed check and with one Robot must run
    (embedded arguments, a variable): the same failing schedules, the same
    message; the fixed one runs through Robot only to learn its arguments and
    to say how a schedule failed."""
    paths: list[tuple[str, str]] = []
    through_robot = DirectCheck._through_robot

    def counted(self: DirectCheck, library: object) -> tuple[str, str | None]:
        status, message = through_robot(self, library)  # type: ignore[arg-type]
        paths.append((self.name, status))
        return status, message

    monkeypatch.setattr(direct.DirectCheck, "_through_robot", counted)
    direct_test, robot_test = run(tmp_path, EXPLORATIONS).suite.tests
    assert direct_test.status == robot_test.status == "FAIL"
    assert "7 schedule(s) failed" in direct_test.message

    def plain(message: str, name: str) -> str:
        return re.sub(r"reproducer-\w+", "reproducer", message.replace(name, "CHECK"))

    assert plain(direct_test.message, "Destination Holds The Device") == plain(
        robot_test.message, "Destination Holds The Device Of host2"
    )
    mine = [status for name, status in paths if name == "Destination Holds The Device"]
    theirs = [status for name, status in paths if name != "Destination Holds The Device"]
    assert mine[0] == "PASS"  # learnt from the first schedule
    assert mine.count("FAIL") == len(mine) - 1  # then only to say how one failed
    assert len(theirs) > 3 * len(mine)  # every schedule, and the shrinking runs
