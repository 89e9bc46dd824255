"""Partial-order reduction never loses an outcome the unreduced search finds
at the same bound, and never runs more schedules: on small random scenarios
(hypothesis) and on every exploration of the acceptance suites."""

from __future__ import annotations

from pathlib import Path

import robot
from hypothesis import given, settings
from hypothesis import strategies as st
from robot.libraries.BuiltIn import BuiltIn

from PciRaceLibrary.explore import Exploration, explore, pipeline
from PciRaceLibrary.explore.reduction import TraceState
from PciRaceLibrary.sim import Change, Kernel

from .checking import Checked
from .scenarios import evacuation_vs_audit_and
from .toys import OBJECTS, TASKS, toy

ACCEPTANCE = Path(__file__).resolve().parents[2] / "acceptance"
CHECKED = 4  # schedules of each acceptance exploration run under the checker


def compare(plain: Exploration, reduced: Exploration) -> None:
    """What the reduced search must keep of the unreduced one at one bound."""
    # each schedule said to be pruned is one of the unreduced search's, not run
    # (a shard's share of the root's switches differs: its totals are summed;
    # a count or budget stops the two searches at different places)
    if plain.shard[1] == 1 and plain.stopped_by in ("", "failure"):
        assert reduced.schedules + reduced.pruned <= plain.schedules
    assert set(reduced.groups) == set(plain.groups)  # every failing outcome and message
    assert reduced.complete_bound == plain.complete_bound
    if plain.stopped_by != "failure":  # both searched the whole bound
        assert set(reduced.outcomes) == set(plain.outcomes)
    for kind, group in plain.groups.items():  # found with no more preemptions
        assert reduced.groups[kind].smallest.preemptions == group.smallest.preemptions


@settings(max_examples=60, deadline=None)
@given(TASKS, st.integers(min_value=0, max_value=2))
def test_the_reduced_search_finds_every_outcome_of_the_unreduced_one(tasks, bound) -> None:
    run_once = toy(tasks)
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
    run_once = toy(tasks)
    plain = explore(run_once, bound=3, count=100_000, reduction=False)
    reduced = explore(run_once, bound=3, count=100_000)
    compare(plain, reduced)
    assert reduced.stopped_by == plain.stopped_by


def test_a_read_belongs_where_its_block_runs_not_where_its_point_was_passed() -> None:
    """Found by hypothesis: with a read put on the point before it, a task
    preempted there and reading later (after another's write) looked like
    one trace with the run where it read first, and 6 of 41 outcomes were
    lost at bound 3."""
    tasks = [[("write", "y"), ("read", "y")]] * 2 + [[("write", "y"), ("locked", "y")]]
    run_once = toy(tasks)
    plain = explore(run_once, bound=3, count=100_000, reduction=False)
    reduced = explore(run_once, bound=3, count=100_000)
    assert len(set(plain.outcomes)) == 41
    assert reduced.pruned
    compare(plain, reduced)


def test_independent_work_is_pruned_and_said_so() -> None:
    """Two tasks on different objects: many schedules, few states."""
    run_once = toy([[("write", "x")] * 3, [("write", "y")] * 3])
    plain = explore(run_once, bound=3, count=100_000, reduction=False)
    reduced = explore(run_once, bound=3, count=100_000)
    compare(plain, reduced)
    assert (plain.schedules, reduced.schedules, reduced.pruned) == (44, 26, 18)
    # switches after a sleep are free: reordering costs nothing there
    run_once = toy([[("write", "x"), ("sleep", "x")] * 2, [("write", "y"), ("sleep", "y")] * 2])
    plain = explore(run_once, bound=2, count=100_000, reduction=False)
    reduced = explore(run_once, bound=2, count=100_000)
    compare(plain, reduced)
    assert (plain.schedules, reduced.schedules) == (172, 30)
    assert f"{reduced.pruned} schedules pruned" in reduced.summary()
    assert "pruned, not run" in reduced.guarantee()
    assert "pruned" not in plain.summary()


def test_shards_together_prune_no_more_than_the_unreduced_search_runs() -> None:
    """The root run's prunings count in one shard only: summed over the
    shards, schedules run and pruned are schedules of the unreduced search."""
    run_once = toy([[("write", "x")] * 3, [("write", "y")] * 3])
    plain = explore(run_once, bound=3, count=100_000, reduction=False)
    for total in (2, 3):
        parts = [explore(run_once, bound=3, count=100_000, shard=(i, total)) for i in range(total)]
        assert sum(part.pruned for part in parts)
        assert sum(part.schedules + part.pruned for part in parts) <= plain.schedules


def test_undeclared_points_keep_every_order_of_unjournaled_writes() -> None:
    """A driver call writes behind no state change: it depends on all."""
    run_once = toy([[("driver", "x")] * 2, [("driver", "x")] * 2])
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


def paired_explorations(
    outputdir: Path, problems: list[str] | None = None
) -> list[tuple[str, Exploration, Exploration]]:
    """Runs the exploration suites (exploration*.robot, bug_*.robot) with each
    exhaustive exploration searched twice, unreduced and reduced: (test
    name, unreduced, reduced) for each. With ``problems``, the first
    schedules of each are also run under the footprint checker
    (``checking``), and what it finds is added there."""
    pairs: list[tuple[str, Exploration, Exploration]] = []
    compared: set[tuple] = set()
    real = pipeline.explore

    def both(run_once, strategy="exhaustive", **options):
        reduced = real(run_once, strategy, **options)
        if strategy == "exhaustive" and options.get("reduction", True):
            # A search that pruned nothing ran every schedule the unreduced one
            # runs, in the same order: only one that pruned needs the other run.
            # Explorations of one space (one scenario, bound and outcomes) are
            # compared once.
            space = (reduced.schedules, reduced.pruned, tuple(sorted(reduced.outcomes.items())))
            if reduced.pruned and space in compared:
                return reduced
            compared.add(space)
            plain = (
                real(run_once, strategy, **{**options, "reduction": False})
                if reduced.pruned
                else reduced
            )
            test = BuiltIn().get_variable_value("${TEST NAME}", "")
            pairs.append((test, plain, reduced))
            if problems is not None:
                checked = Checked(run_once)
                real(checked, bound=1, count=CHECKED, reduction=False)
                problems.extend(f"{test}: {found}" for found in [checked.problems()] if found)
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
    """Among them the evacuation against the audit at bound 2, both variants
    (``scenarios.evacuation_vs_audit``). And the footprints of each one's
    first schedules lie within what their blocks declared (``checking``)."""
    problems: list[str] = []
    pairs = paired_explorations(tmp_path, problems)
    assert len(pairs) >= 20  # every exploration of those suites
    for _, plain, reduced in pairs:
        compare(plain, reduced)
    assert not problems, "\n".join(problems)
