"""Partial-order reduction never loses an outcome the unreduced search finds
at the same bound, and never runs more schedules: on small random scenarios
(hypothesis) and on every exploration of the acceptance suites."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import robot
from hypothesis import given, settings
from hypothesis import strategies as st
from robot.libraries.BuiltIn import BuiltIn

from PciRaceLibrary.explore import Exploration, Run, explore, pipeline
from PciRaceLibrary.explore.policies import RecordingPolicy
from PciRaceLibrary.explore.reduction import TraceState
from PciRaceLibrary.sim import Change, Kernel, Lock, point, sleep

from .scenarios import evacuation_vs_audit, evacuation_vs_audit_and

ACCEPTANCE = Path(__file__).resolve().parents[2] / "acceptance"

# Each variable is a kind of object the trace dependency knows (traces.py).
OBJECTS = {"x": "Instance", "y": "Migration"}
Op = tuple[str, str]  # ("read" | "write" | "locked" | "sleep" | "driver", variable)
OPS = st.tuples(
    st.sampled_from(["read", "write", "locked", "sleep", "driver"]), st.sampled_from("xy")
)
TASKS = st.one_of(
    st.lists(st.lists(OPS, min_size=1, max_size=3), min_size=2, max_size=2),
    st.lists(st.lists(OPS, min_size=1, max_size=2), min_size=3, max_size=3),
)


def declared(tasks: list[list[Op]]) -> Callable[[RecordingPolicy | None], Run]:
    """Tasks that read and write two objects through declared points (the
    writes journaled as state changes), some under a lock, some after a
    sleep; a ``driver`` op writes behind an undeclared point without
    journaling, as a hypervisor call may. Fails when x was last written by
    a task other than 0."""

    def run_once(policy: RecordingPolicy | None) -> Run:
        kernel = Kernel(policy=policy)
        memory: dict[str, str] = {}
        lock = Lock("lock[toy]")

        def write(variable: str, value: str, journaled: bool = True) -> None:
            old = memory.get(variable)
            memory[variable] = value
            if journaled:
                kernel.record_change(Change(OBJECTS[variable], variable, "value", old, value))

        async def body(number: int, ops: list[Op]) -> None:
            for kind, variable in ops:
                thing = OBJECTS[variable]
                if kind == "read":
                    await point(f"{thing}.get_by_uuid")
                    memory[f"seen{number}"] = memory.get(variable, "-")
                elif kind == "write":
                    await point(f"{thing}.save")
                    write(variable, str(number))
                elif kind == "locked":
                    await lock.acquire()
                    try:
                        await point(f"{thing}.save")
                        write(variable, memory.get(variable, "") + str(number))
                    finally:
                        lock.release()
                elif kind == "driver":
                    await point("ComputeDriver.spawn")
                    write(variable, f"d{number}", journaled=False)
                else:
                    await sleep(0.0)

        for number, ops in enumerate(tasks):
            kernel.spawn(body(number, ops), f"t{number}")
        kernel.run_all()
        outcome = ",".join(f"{key}={value}" for key, value in sorted(memory.items()))
        failure = None if memory.get("x", "0").endswith("0") else f"x is {memory['x']}"
        return Run(outcome, failure, kernel.journal.entries())

    return run_once


def compare(plain: Exploration, reduced: Exploration) -> None:
    """What the reduced search must keep of the unreduced one at one bound."""
    assert reduced.schedules <= plain.schedules
    assert set(reduced.groups) == set(plain.groups)  # every failing outcome and message
    assert reduced.complete_bound == plain.complete_bound
    if plain.stopped_by != "failure":  # both searched the whole bound
        assert set(reduced.outcomes) == set(plain.outcomes)
    for kind, group in plain.groups.items():  # found with no more preemptions
        assert reduced.groups[kind].smallest.preemptions == group.smallest.preemptions


@settings(max_examples=60, deadline=None)
@given(TASKS, st.integers(min_value=0, max_value=2))
def test_the_reduced_search_finds_every_outcome_of_the_unreduced_one(tasks, bound) -> None:
    run_once = declared(tasks)
    options = {"bound": bound, "count": 100_000, "deepen_past_failure": True}
    plain = explore(run_once, reduction=False, **options)
    reduced = explore(run_once, **options)
    assert not plain.reduction
    assert reduced.reduction
    assert reduced.pruned or reduced.schedules == plain.schedules
    compare(plain, reduced)


@settings(max_examples=30, deadline=None)
@given(TASKS)
def test_the_reduced_search_stops_at_the_same_failing_level(tasks) -> None:
    run_once = declared(tasks)
    plain = explore(run_once, bound=3, count=100_000, reduction=False)
    reduced = explore(run_once, bound=3, count=100_000)
    compare(plain, reduced)
    assert reduced.stopped_by == plain.stopped_by


def test_independent_work_is_pruned_and_said_so() -> None:
    """Two tasks on different objects: many schedules, few states."""
    run_once = declared([[("write", "x")] * 3, [("write", "y")] * 3])
    plain = explore(run_once, bound=3, count=100_000, reduction=False)
    reduced = explore(run_once, bound=3, count=100_000)
    compare(plain, reduced)
    assert (plain.schedules, reduced.schedules, reduced.pruned) == (44, 26, 18)
    # switches after a sleep are free: reordering costs nothing there
    run_once = declared(
        [[("write", "x"), ("sleep", "x")] * 2, [("write", "y"), ("sleep", "y")] * 2]
    )
    plain = explore(run_once, bound=2, count=100_000, reduction=False)
    reduced = explore(run_once, bound=2, count=100_000)
    compare(plain, reduced)
    assert (plain.schedules, reduced.schedules) == (172, 30)
    assert f"{reduced.pruned} schedules pruned" in reduced.summary()
    assert "pruned, not run" in reduced.guarantee()
    assert "pruned" not in plain.summary()


def test_undeclared_points_keep_every_order_of_unjournaled_writes() -> None:
    """A driver call writes behind no state change: it depends on all."""
    run_once = declared([[("driver", "x")] * 2, [("driver", "x")] * 2])
    plain = explore(run_once, bound=2, count=100_000, reduction=False)
    reduced = explore(run_once, bound=2, count=100_000)
    compare(plain, reduced)
    assert reduced.pruned == 0


def test_a_trace_fingerprint_ignores_the_order_of_independent_events() -> None:
    def journal_of(first: str, second: str) -> list:
        kernel = Kernel()
        kernel.record_change(Change(OBJECTS[first], first, "value", None, "1"))
        kernel.record_change(Change(OBJECTS[second], second, "value", None, "1"))
        return list(kernel.journal)

    def fingerprint(entries: list) -> int:
        return TraceState().feed(entries)

    xy, yx = journal_of("x", "y"), journal_of("y", "x")
    # one task: program order makes them differ; two tasks: they commute
    assert fingerprint(xy) != fingerprint(yx)
    two = [xy[0]._replace(task="a"), xy[1]._replace(task="b")]
    swapped = [two[1], two[0]]
    assert fingerprint(two) == fingerprint(swapped)
    same = [two[0], two[1]._replace(change=two[0].change)]
    assert fingerprint(same) != fingerprint([same[1], same[0]])


def test_the_evacuation_against_the_audit_loses_nothing() -> None:
    for bugs in (None, "1896463"):
        run_once = evacuation_vs_audit(bugs)
        plain = explore(run_once, bound=2, count=100_000, reduction=False)
        reduced = explore(run_once, bound=2, count=100_000)
        compare(plain, reduced)


def paired_explorations(outputdir: Path) -> list[tuple[str, Exploration, Exploration]]:
    """Runs the exploration suites (exploration*.robot, bug_*.robot) with each
    exhaustive exploration searched twice, unreduced and reduced: (test
    name, unreduced, reduced) for each."""
    pairs: list[tuple[str, Exploration, Exploration]] = []
    real = pipeline.explore

    def both(run_once, strategy="exhaustive", **options):
        reduced = real(run_once, strategy, **options)
        if strategy == "exhaustive" and options.get("reduction", True):
            # A search that pruned nothing ran every schedule the unreduced one
            # runs, in the same order: only one that pruned needs the other run.
            plain = (
                real(run_once, strategy, **{**options, "reduction": False})
                if reduced.pruned
                else reduced
            )
            test = BuiltIn().get_variable_value("${TEST NAME}", "")
            pairs.append((test, plain, reduced))
        return reduced

    pipeline.explore = both
    try:
        robot.run(
            str(ACCEPTANCE),
            # The six-order suite explores one space six times: its three tasks
            # are compared once, through the library, below.
            suite=["Exploration", "Bug *"],
            outputdir=str(outputdir),
            console="none",
            log="NONE",
            report="NONE",
            output="NONE",
        )
    finally:
        pipeline.explore = real
    return pairs


def test_three_racing_tasks_lose_nothing() -> None:
    """The evacuation, the audit and a third task, as the six-order suite races them."""
    for third in ("create", "delete"):
        run_once = evacuation_vs_audit_and(third, None)
        plain = explore(run_once, bound=1, count=100_000, reduction=False)
        reduced = explore(run_once, bound=1, count=100_000)
        compare(plain, reduced)


def test_every_acceptance_exploration_loses_nothing(tmp_path) -> None:
    pairs = paired_explorations(tmp_path)
    assert len(pairs) >= 20  # every exploration of those suites
    for _, plain, reduced in pairs:
        compare(plain, reduced)
