"""Clusters belong to the test (or suite set-up) that started them; an expected
error logs no timeline, a real failure does. Checked by running Robot."""

from __future__ import annotations

from pathlib import Path

import robot
from robot.api import ExecutionResult

HEADER = """\
*** Settings ***
Library    PciRaceLibrary
{settings}

*** Test Cases ***
"""


def run(tmp_path: Path, body: str, settings: str = "") -> dict[str, tuple[str, str]]:
    """Runs a suite; returns test name -> (status, message)."""
    suite = tmp_path / "suite.robot"
    suite.write_text(HEADER.format(settings=settings) + body, encoding="utf-8")
    robot.run(str(suite), outputdir=str(tmp_path), log="NONE", report="NONE", console="none")
    result = ExecutionResult(str(tmp_path / "output.xml"))
    return {test.name: (test.status, test.message) for test in result.suite.all_tests}


def messages(tmp_path: Path, test: str) -> list[str]:
    result = ExecutionResult(str(tmp_path / "output.xml"))
    found: list[str] = []

    def walk(item: object) -> None:
        for child in getattr(item, "body", ()):
            if getattr(child, "type", "") == "MESSAGE":
                found.append(child.message)
            walk(child)

    for case in result.suite.all_tests:
        if case.name == test:
            walk(case)
    return found


def test_a_test_without_its_own_cluster_does_not_see_the_previous_tests(tmp_path: Path) -> None:
    verdicts = run(
        tmp_path,
        "First Starts One\n    Start Cluster\n    Create Server With Direct Port    vm1\n"
        "Second Starts None\n    Server Should Be On Host    vm1    host1\n",
    )
    assert verdicts["First Starts One"][0] == "PASS"
    assert verdicts["Second Starts None"] == (
        "FAIL",
        "No cluster is running. Use 'Start Cluster' first.",
    )


def test_a_suite_set_up_cluster_is_seen_by_tests_that_start_none(tmp_path: Path) -> None:
    verdicts = run(
        tmp_path,
        "Uses The Suite Cluster\n    Server Should Be On Host    vm1    host1\n"
        "Starts Its Own\n    Start Cluster\n    Run Keyword And Expect Error    No server 'vm1'*"
        "\n    ...    Server Should Be On Host    vm1    host1\n"
        "Sees The Suite Cluster Again\n    Server Should Be On Host    vm1    host1\n",
        "Suite Setup    Run Keywords    Start Cluster    AND    "
        "Create Server With Direct Port    vm1    host=host1",
    )
    assert {name: status for name, (status, _) in verdicts.items()} == {
        "Uses The Suite Cluster": "PASS",
        "Starts Its Own": "PASS",
        "Sees The Suite Cluster Again": "PASS",
    }


def test_an_expected_error_logs_no_timeline_and_a_real_failure_does(tmp_path: Path) -> None:
    verdicts = run(
        tmp_path,
        "Expected\n    Start Cluster\n    Run Keyword And Expect Error    *\n"
        "    ...    PCI Allocation On Host Should Be    vm1    host1    1\n"
        "    TRY\n        Stop Compute Service    host9\n    EXCEPT    *    type=GLOB\n"
        "        No Operation\n    END\n"
        "Real\n    Start Cluster\n    Create Server With Direct Port    vm1    host=host1\n"
        "    PCI Allocation On Host Should Be    vm1    host1    2\n",
    )
    assert verdicts["Expected"][0] == "PASS"
    assert verdicts["Real"][0] == "FAIL"
    assert not [m for m in messages(tmp_path, "Expected") if "Timeline up to" in m]
    real = messages(tmp_path, "Real")
    assert [m for m in real if "Timeline up to" in m]
    assert [m for m in real if "Cluster state at" in m]


def test_replay_memory_is_per_test(tmp_path: Path) -> None:
    verdicts = run(
        tmp_path,
        "Explores\n    Explore Interleavings    Start Cluster    No Operation    Run Periodics"
        "    bound=0\n"
        "Replays Nothing Of The Other Test\n    Start Cluster\n    Replay Schedule    PCR2::0000\n",
    )
    assert verdicts["Explores"][0] == "PASS"
    status, message = verdicts["Replays Nothing Of The Other Test"]
    assert status == "FAIL"
    assert message.startswith("No scenario to replay: give 'setup', 'check' and the steps")


def test_a_run_keyword_waits_for_the_delays_it_was_given(tmp_path: Path) -> None:
    verdicts = run(
        tmp_path,
        "Long Audit\n    Start Cluster\n"
        "    Run Periodic Update Available Resource    host2    get_in_progress_and_error=300 s\n"
        "Negative Timeout Changes Nothing\n    Start Cluster\n"
        "    Run Keyword And Expect Error    Argument 'timeout' cannot be negative*\n"
        "    ...    Run Periodic Update Available Resource    host2    timeout=-1 s\n"
        "    Run Periodic Update Available Resource    host2\n"
        "    ${now} =    Get Virtual Time\n    Should Be Equal As Numbers    ${now}    0\n",
    )
    assert verdicts["Long Audit"][0] == "PASS"
    assert verdicts["Negative Timeout Changes Nothing"][0] == "PASS", verdicts
