"""Start Periodic Audits and Stop Periodic Audits, called as suites call them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import robot
from robot.api import ExecutionResult

from PciRaceLibrary import PciRaceLibrary
from PciRaceLibrary.errors import ApiRefused, InvalidArgument, UnknownName


def _normal(name: str) -> str:
    return name.lower().replace(" ", "").replace("_", "")


def call(library: PciRaceLibrary, name: str, *args: object, **kwargs: object) -> object:
    """Calls a keyword by its Robot name, the way Robot's dynamic API does."""
    method = next(kw for kw in library.get_keyword_names() if _normal(kw) == _normal(name))
    return library.run_keyword(method, args, kwargs)


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def audits(library: PciRaceLibrary) -> list[tuple[float, str]]:
    journal = library.running_cluster.kernel.journal
    return [(e.time, e.task) for e in journal if e.kind == "spawn" and e.task.startswith("audit(")]


@pytest.fixture
def library() -> Iterator[PciRaceLibrary]:
    library = PciRaceLibrary()
    call(library, "Start Cluster")
    call(library, "Create Server With Direct Port", "vm1", host="host1")
    yield library
    library.scopes.end_suite()  # as Robot's listener does: a timer that never ran is closed


def test_a_wait_of_130_seconds_sees_two_audits_per_host(library: PciRaceLibrary) -> None:
    call(library, "Start Periodic Audits")  # every 60 s, first at one interval
    call(library, "Rebuild Server", "vm1", **{"ComputeDriver.rebuild": seconds(130)})
    call(library, "Wait Until Server Has", "vm1", status="ACTIVE", timeout=seconds(180))
    assert library.running_cluster.now == 130
    assert audits(library) == [(60, "audit(host1)"), (60, "audit(host2)"),
                               (120, "audit(host1)"), (120, "audit(host2)")]  # fmt: skip
    call(library, "PCI Allocation On Host Should Be", "vm1", "host1", 1)


def test_offsets_place_each_hosts_first_audit(library: PciRaceLibrary) -> None:
    call(library, "Start Periodic Audits", interval=seconds(40), offsets="host1:0 s,host2: 30 s")
    with pytest.raises(AssertionError, match="should be 'done'"):
        call(library, "Wait Until Migration Status Is", "vm1", "done", timeout=seconds(100))
    assert audits(library) == [(0, "audit(host1)"), (30, "audit(host2)"), (40, "audit(host1)"),
                               (70, "audit(host2)"), (80, "audit(host1)")]  # fmt: skip


def test_one_offset_for_all_and_delays_for_every_audit(library: PciRaceLibrary) -> None:
    slow = {"get_in_progress_and_error": seconds(15)}
    call(library, "Start Periodic Audits", offset=seconds(45), **slow)
    call(library, "Run Until Idle")  # nothing runs yet: the first ticks are at t=45
    assert library.running_cluster.now == 0
    with pytest.raises(AssertionError):
        call(library, "Wait Until Server Has", "vm1", host="host2", timeout=seconds(50))
    assert audits(library) == [(45, "audit(host1)"), (45, "audit(host2)")]
    call(library, "Run Until Idle")  # the audits started at t=45 take 15 s
    assert library.running_cluster.now == 60


def test_run_until_idle_ends_while_the_timer_runs(library: PciRaceLibrary) -> None:
    call(library, "Start Periodic Audits", interval=seconds(10), offset=seconds(0))
    call(library, "Rebuild Server", "vm1", **{"ComputeDriver.rebuild": seconds(25)})
    call(library, "Run Until Idle")
    assert library.running_cluster.now == 25
    assert [time for time, task in audits(library) if task == "audit(host1)"] == [0, 10, 20]
    call(library, "Run Until Idle")
    assert library.running_cluster.now == 25


def test_stop_cancels_the_timer(library: PciRaceLibrary) -> None:
    call(library, "Start Periodic Audits", offset=seconds(0))
    call(library, "Run Until Idle")
    call(library, "Stop Periodic Audits")
    with pytest.raises(AssertionError):
        call(library, "Wait Until Server Has", "vm1", host="host2", timeout=seconds(300))
    assert audits(library) == [(0, "audit(host1)"), (0, "audit(host2)")]
    cluster = library.running_cluster
    assert cluster.periodic_audits is None
    assert [task.state for task in cluster.kernel.tasks if task.name == "periodic(audit)"] == [
        "cancelled"
    ]


def test_start_cluster_drops_the_timer_of_the_cluster_it_replaces(
    library: PciRaceLibrary,
) -> None:
    old = library.running_cluster
    call(library, "Start Periodic Audits", offset=seconds(0))
    call(library, "Start Cluster")
    assert old.periodic_audits.task.state == "cancelled"
    assert library.running_cluster.periodic_audits is None
    call(library, "Start Periodic Audits")  # the new cluster has none: this is no second start


def state(library: PciRaceLibrary) -> tuple[object, ...]:
    cluster = library.running_cluster
    kernel = cluster.kernel
    return (kernel.now, [(t.name, t.state) for t in kernel.tasks], cluster.periodic_audits,
            cluster.snapshot())  # fmt: skip


REFUSED = [
    ({"interval": seconds(0)}, InvalidArgument,
     "The interval of periodic audits must be at least 1 ms, got 0 seconds."),
    ({"offsets": "host1 0 s"}, InvalidArgument,
     "Argument 'offsets' must list host:time pairs such as 'host1:0 s, host2:30 s', "
     "got 'host1 0 s'."),
    ({"offsets": ":1 s"}, InvalidArgument,
     "Argument 'offsets' must list host:time pairs such as 'host1:0 s, host2:30 s', got ':1 s'."),
    ({"offsets": "host1:soon"}, InvalidArgument,
     "The audit offset of 'host1' must be a time such as '2 s', '500 ms' or '1 min 30 s', "
     "got 'soon'."),
    ({"offsets": "host1:1 s, host1:2 s"}, InvalidArgument,
     "The audit offset of 'host1' is given twice; give it once."),
    ({"offsets": "host9:1 s"}, UnknownName,
     "No host 'host9' to give an audit offset. Known hosts: host1, host2."),
    ({"offsets": "host2:2 min"}, InvalidArgument,
     "The audit offset of 'host2' must be from 0 to the interval of 60 seconds, got 120 seconds."),
    ({"teleport": seconds(1)}, UnknownName,
     "No point 'teleport' in operation 'update_available_resource'. Valid points: "),
]  # fmt: skip


@pytest.mark.parametrize(("arguments", "error", "message"), REFUSED)
def test_bad_arguments_are_refused_with_one_sentence_and_nothing_started(
    library: PciRaceLibrary, arguments: dict[str, object], error: type[Exception], message: str
) -> None:
    before = state(library)
    with pytest.raises(error) as raised:
        call(library, "Start Periodic Audits", **arguments)
    assert str(raised.value).startswith(message)
    assert state(library) == before


def test_a_second_start_and_a_stop_without_start_are_refused(library: PciRaceLibrary) -> None:
    with pytest.raises(ApiRefused) as raised:
        call(library, "Stop Periodic Audits")
    assert str(raised.value) == (
        "Periodic audits are not running; use 'Start Periodic Audits' first. (refused at t=0.000s)"
    )
    call(library, "Start Periodic Audits", offsets="host2:30 s")
    before = state(library)
    with pytest.raises(ApiRefused) as raised:
        call(library, "Start Periodic Audits", interval=seconds(5))
    assert str(raised.value) == (
        "Periodic audits already run (every 60 seconds; first audits at host1 t=60.000s, "
        "host2 t=30.000s); use 'Stop Periodic Audits' first. (refused at t=0.000s)"
    )
    assert state(library) == before


SUITE = """\
*** Settings ***
Library    PciRaceLibrary

*** Test Cases ***
Converted
    Start Cluster
    Run Keyword And Expect Error
    ...    Argument 'interval' must be a time such as '2 s', '500 ms' or '1 min 30 s', got 'soon'.
    ...    Start Periodic Audits    interval=soon
    Run Keyword And Expect Error
    ...    Argument 'offset' must be a time such as '2 s', '500 ms' or '1 min 30 s', got 'x'.
    ...    Start Periodic Audits    offset=x
    Run Keyword And Expect Error
    ...    Delay 'get_in_progress_and_error' must be a time such as '2 s', '500 ms' or '1 min 30 s', got 'y'.
    ...    Start Periodic Audits    get_in_progress_and_error=y
    Run Keyword And Expect Error
    ...    The interval of periodic audits must be at least 1 ms, got -1 seconds.
    ...    Start Periodic Audits    interval=-1 s
    Run Keyword And Expect Error
    ...    Periodic audits are not running; use 'Start Periodic Audits' first. (refused at t=0.000s)
    ...    Stop Periodic Audits
    Start Periodic Audits    interval=1 min    offsets=host1:0 s, host2:00:00:30
    Run Until Idle
    Stop Periodic Audits
"""  # noqa: E501 - one Robot cell per message


def test_robot_converts_the_arguments_and_refuses_what_does_not_convert(tmp_path: Path) -> None:
    suite = tmp_path / "periodic.robot"
    suite.write_text(SUITE, encoding="utf-8")
    robot.run(str(suite), outputdir=str(tmp_path), report="NONE", console="none")
    result = ExecutionResult(str(tmp_path / "output.xml"))
    (test,) = result.suite.all_tests
    assert test.status == "PASS", test.message
    logged = [msg.message for msg in test.body[-3].body if hasattr(msg, "message")]
    assert logged == [
        "Periodic audits started at t=0.000s: every 60 seconds; first audits at "
        "host1 t=0.000s, host2 t=30.000s."
    ]
    logged = [msg.message for msg in test.body[-1].body if hasattr(msg, "message")]
    assert logged == ["Periodic audits stopped at t=0.000s: 1 audit(s) started, 0 tick(s) skipped."]


def test_the_keywords_are_documented_and_tagged(library: PciRaceLibrary) -> None:
    for name in ("start_periodic_audits", "stop_periodic_audits"):
        doc = library.get_keyword_documentation(name)
        first = doc.splitlines()[0]
        assert first.endswith(".")
        assert first.count(". ") == 0
        assert library.get_keyword_tags(name) == ["Timing"]
    doc = library.get_keyword_documentation("start_periodic_audits")
    promises = (
        "one ``interval`` after",
        "host order",
        "compute service is stopped",
        "never overlap themselves",
        "`Run Until Idle`",
        "`Start Cluster` drops it",
    )
    for promise in promises:
        assert promise in " ".join(doc.split()), promise
