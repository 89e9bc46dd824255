"""What a failure writes into output.xml: nothing rendered for an error the
suite expects, the timeline and the state for a real failure, and a bounded
amount of it on a cluster of thousands of hosts. Checked by running Robot."""

from __future__ import annotations

from pathlib import Path

import robot
from robot.api import ExecutionResult

CONTEXT = ("Timeline up to", "Cluster state at")

HEADER = """\
*** Settings ***
Library    PciRaceLibrary

*** Test Cases ***
"""

# A server evacuated from a failed host, its rebuild held for a second.
EVACUATING = """\
    Start Cluster    microversion=2.94
    Create Server With Direct Port    vm1    host=host1
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Server With Direct Port    vm1    ComputeDriver.rebuild=1 s
"""

EXPECTED = {
    "Expect Error": "    Run Keyword And Expect Error    *holds 1*\n"
    "    ...    PCI Allocation On Host Should Be    vm1    host1    2\n",
    "Ignore Error": "    Run Keyword And Ignore Error    Stop Compute Service    host9\n",
    "Return Status": "    ${ok} =    Run Keyword And Return Status\n"
    "    ...    Server Should Be On Host    vm1    host2\n    Should Not Be True    ${ok}\n",
    "Try Except": "    TRY\n        Stop Compute Service    host9\n"
    "    EXCEPT    *    type=GLOB\n        No Operation\n    END\n",
    # Each try waits 0.4 s of virtual time: the first ones time out.
    "Wait Until Keyword Succeeds": "    Wait Until Keyword Succeeds    5x    0 s\n"
    "    ...    Wait Until Server Has    vm1    host=host2    status=ACTIVE    timeout=0.4 s\n",
}


def run(tmp_path: Path, body: str) -> ExecutionResult:
    suite = tmp_path / "suite.robot"
    suite.write_text(HEADER + body, encoding="utf-8")
    robot.run(str(suite), outputdir=str(tmp_path), log="NONE", report="NONE", console="none")
    return ExecutionResult(str(tmp_path / "output.xml"))


def walk(item: object, found: list[object]) -> list[object]:
    for child in getattr(item, "body", ()):
        found.append(child)
        walk(child, found)
    return found


def messages(test: object) -> list[str]:
    return [item.message for item in walk(test, []) if getattr(item, "type", "") == "MESSAGE"]


def context(test: object) -> list[str]:
    """The HTML the library rendered for failures in ``test``."""
    return [m for m in messages(test) if any(m.startswith("<div") and c in m for c in CONTEXT)]


def by_name(result: ExecutionResult) -> dict[str, object]:
    return {test.name: test for test in result.suite.all_tests}


def test_an_expected_error_renders_no_timeline_or_state(tmp_path: Path) -> None:
    body = "".join(f"{name}\n{EVACUATING}{steps}" for name, steps in EXPECTED.items())
    tests = by_name(run(tmp_path, body))
    for name in EXPECTED:
        test = tests[name]
        assert test.status == "PASS", (name, test.message)
        failed = [item for item in walk(test, []) if getattr(item, "status", "") == "FAIL"]
        assert failed, f"{name}: nothing failed inside, so nothing was expected"
        assert context(test) == [], name


def test_a_real_failure_renders_the_timeline_and_the_state(tmp_path: Path) -> None:
    tests = by_name(
        run(
            tmp_path,
            f"Real\n{EVACUATING}    PCI Allocation On Host Should Be    vm1    host1    2\n"
            f"In Except\n{EVACUATING}    TRY\n        Stop Compute Service    host9\n"
            "    EXCEPT    *    type=GLOB\n"
            "        PCI Allocation On Host Should Be    vm1    host1    2\n    END\n"
            f"Gives Up\n{EVACUATING}    Wait Until Keyword Succeeds    2x    0 s\n"
            "    ...    Wait Until Server Has    vm1    host=host2    status=ACTIVE"
            "    timeout=0.1 s\n",
        )
    )
    for name in ("Real", "In Except", "Gives Up"):
        assert tests[name].status == "FAIL", name
        rendered = context(tests[name])
        # Once: the timeline, then the state; a retry that failed before adds nothing.
        assert [next(c for c in CONTEXT if c in m) for m in rendered] == list(CONTEXT), name


def big_cluster(tmp_path: Path, hosts: int) -> Path:
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "big.yaml"
    path.write_text(
        "hosts:\n"
        + "".join(f"  - name: host{n}\n    devices: fake-driver\n" for n in range(1, hosts + 1)),
        encoding="utf-8",
    )
    return path


def failure_log(tmp_path: Path, hosts: int) -> tuple[int, int, int, list[str]]:
    """Bytes of the timeline, the state and all messages of a failure after
    an audit of every host: the scenario touched them all."""
    topology = big_cluster(tmp_path, hosts)
    result = run(
        tmp_path,
        f"Big\n    Start Cluster    {topology}\n"
        "    Create Server With Direct Port    vm1    host=host1\n"
        "    Run Periodics\n"
        "    Log Cluster State    title=Asked\n"
        "    PCI Allocation On Host Should Be    vm1    host1    2\n",
    )
    test = by_name(result)["Big"]
    assert test.status == "FAIL"
    rendered = context(test)
    assert len(rendered) == 2
    timeline, state = (len(m.encode()) for m in rendered)
    asked = [m for m in messages(test) if "Asked at" in m]
    assert len(asked) == 1
    rest = sum(len(m.encode()) for m in messages(test)) - len(asked[0].encode())
    return timeline, state, rest, [*rendered, asked[0]]


def test_a_failure_on_a_2000_host_cluster_logs_kilobytes(tmp_path: Path) -> None:
    timeline, state, everything, rendered = failure_log(tmp_path / "big", 2000)
    assert "of 2001 tasks" in rendered[0]  # the audits left out are counted
    assert "Hosts, 20 of 2000" in rendered[1]
    # The bound: about what the canonical race logs (under 50 KB in all, see
    # below), never what the cluster's size would make it.
    assert timeline < 45_000, timeline
    assert state < 10_000, state
    assert everything < 50_000, everything
    assert "Journal:" not in rendered[0]  # the folded table of entries is Log Timeline's
    # Asked for, the state of 12,000 devices keeps 500 rows a table.
    assert "PCI devices, 500 of 12000" in rendered[2]
    assert len(rendered[2].encode()) < 1_000_000
    small_timeline, small_state, _, _ = failure_log(tmp_path / "small", 20)
    assert timeline < 1.2 * small_timeline, (timeline, small_timeline)
    assert state < 1.2 * small_state, (state, small_state)


def test_the_canonical_race_failing_logs_under_50_kilobytes(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "Race\n    Start Cluster    bugs=1896463    microversion=2.94\n"
        "    Create Server With Direct Port    vm1    host=host1\n"
        "    Stop Compute Service    host1\n    Force Down Compute Service    host1\n"
        "    Evacuate Server With Direct Port    vm1    ComputeDriver.rebuild=0.5 s"
        "    drop_migration_context=1 s\n"
        "    Run Periodic Update Available Resource    host2    get_in_progress_and_error=2 s\n"
        "    Wait Until Server Has    vm1    host=host2    status=ACTIVE    timeout=30 s\n"
        "    PCI Allocation On Host Should Be    vm1    host2    1\n",
    )
    test = by_name(result)["Race"]
    assert test.status == "FAIL"
    assert len(context(test)) == 2  # the timeline and the state, nothing else rendered
    assert "frees" in context(test)[0]  # the story still tells the wrongful free
    logged = sum(len(m.encode()) for m in messages(test))
    assert logged < 50_000, logged
