"""Delays-only reproducers: a plain run (no policy) interleaves as the schedule did."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from PciRaceLibrary.explore import (
    ReplayPolicy,
    Run,
    explore,
    interleaving,
    reproduce_with_delays,
    switch_delays,
)
from PciRaceLibrary.sim import Entry, Kind, format_time

from .scenarios import (
    evacuation_vs_audit,
    evacuation_vs_audit_and,
)

BUG = "1896463"


def schedules_of(run_once, bound: int) -> list[tuple[ReplayPolicy, Run]]:  # type: ignore[no-untyped-def]
    """Every schedule of the space with the policy that ran it."""
    seen: list[tuple[ReplayPolicy, Run]] = []

    def recording(policy: ReplayPolicy) -> Run:
        run = run_once(policy)
        seen.append((policy, run))
        return run

    explore(recording, bound=bound, count=100_000, deepen_past_failure=True)  # type: ignore[arg-type]
    return seen


def keys(journal: Sequence[Entry]) -> list[tuple[str, str, str, int]]:
    return [step.key for step in interleaving(journal)]


def starts_out_of_order(run: Run) -> bool:
    """Whether a free switch let a task start before one spawned earlier:
    delays cannot hold back a task that has not reached a point yet."""
    spawned = list(dict.fromkeys(entry.task for entry in run.journal if entry.kind == "spawn"))
    first: list[str] = []
    for entry in run.journal:
        if entry.kind != "spawn" and entry.task in spawned and entry.task not in first:
            first.append(entry.task)
    return first != [task for task in spawned if task in first]


def test_every_failing_schedule_becomes_delays_that_lose_the_device_the_same_way() -> None:
    failing = [(p, r) for p, r in schedules_of(evacuation_vs_audit(BUG), 3) if r.failure]
    assert len(failing) == 63
    for policy, run in failing:
        found = reproduce_with_delays(
            policy.choices, run, lambda delays: evacuation_vs_audit(BUG, delays)(None)
        )
        assert found is not None
        assert found.exact
        assert found.run.failure == run.failure
        assert keys(found.run.journal) == keys(run.journal)
        assert all(entry.kind != "switch" for entry in found.run.journal)
        assert all(seconds > 0 for points in found.delays.values() for seconds in points.values())


def test_two_tasks_need_no_repair_runs() -> None:
    for policy, run in schedules_of(evacuation_vs_audit(None), 2):
        found = reproduce_with_delays(
            policy.choices, run, lambda delays: evacuation_vs_audit(None, delays)(None)
        )
        assert found is not None
        assert found.exact
        # a free switch that lets the audit start first takes one repair
        assert found.runs == 1 or starts_out_of_order(run)


def test_a_switch_to_the_second_other_task_needs_the_third_task_held_back() -> None:
    """With three tasks, one delay per preemption lets the never-preempted
    task start too early; the repair holds it at its first point."""
    run_once = evacuation_vs_audit_and("create", BUG)
    policy = ReplayPolicy(prefix=(0, 0, 0, 2))
    target = run_once(policy)
    naive = evacuation_vs_audit_and("create", BUG, switch_delays(policy.choices))(None)
    assert keys(naive.journal) != keys(target.journal)
    found = reproduce_with_delays(
        policy.choices, target, lambda d: evacuation_vs_audit_and("create", BUG, d)(None)
    )
    assert found is not None
    assert found.exact
    assert found.runs > 1
    assert len(found.delays) == 2  # the preempted task, and one more held back
    assert keys(found.run.journal) == keys(target.journal)


@pytest.mark.parametrize("third", ["create", "delete"])
def test_three_racing_tasks_reproduce_event_for_event(third: str) -> None:
    run_once = evacuation_vs_audit_and(third, BUG)
    # Bound 1 already holds hundreds of schedules with three tasks (the free
    # switches multiply them); bound 2 holds thousands and took a minute.
    everything = schedules_of(run_once, 1)
    assert len(everything) > 150
    exact = 0
    sample = everything[::8]
    for policy, run in sample:
        found = reproduce_with_delays(
            policy.choices, run, lambda d: evacuation_vs_audit_and(third, BUG, d)(None)
        )
        if starts_out_of_order(run):
            # the reproducer's steps start in the written order: at best the same outcome
            assert found is None or found.run.kind == run.kind, policy.schedule
            continue
        assert found is not None, policy.schedule
        assert found.exact, policy.schedule
        assert (found.run.outcome, found.run.failure) == (run.outcome, run.failure)
        exact += 1
    # Those where the tasks start in spawn order, each reproduced exactly above.
    assert exact >= 3


def test_a_point_where_a_task_was_stopped_counts_where_it_went_on() -> None:
    def entry(time: float, task: str, kind: str, detail: str, **fields: object) -> Entry:
        return Entry(time, task, Kind(kind), detail, **fields)  # type: ignore[arg-type]

    start = [
        entry(0, "a", "spawn", "a"),
        entry(0, "b", "spawn", "b"),
        entry(0, "a", "point", "X.read"),
    ]
    others = [entry(0, "b", "point", "Y.write"), entry(0, "b", "state", "row changed"),
              entry(0, "b", "end", "b")]  # fmt: skip
    journal = [*start, entry(0, "a", "switch", "X.read", target="b"), *others,
               entry(0, "a", "state", "read done"), entry(0, "a", "end", "a")]  # fmt: skip
    delayed = [*start, entry(0, "a", "delay", "X.read", duration=0.5), *others,
               entry(0.5, "a", "state", "read done"), entry(0.5, "a", "end", "a")]  # fmt: skip
    order = [(task, kind, detail) for task, kind, detail, _ in keys(journal)]
    assert order == [
        ("b", "point", "Y.write"),
        ("b", "state", "row changed"),
        ("b", "end", "b"),
        ("a", "point", "X.read"),
        ("a", "state", "read done"),
        ("a", "end", "a"),
    ]
    assert keys(delayed) == keys(journal)
    assert interleaving(delayed)[3].time == 0.5


def test_an_unreachable_outcome_gives_none() -> None:
    policy = ReplayPolicy()
    target = evacuation_vs_audit(BUG)(policy)
    impossible = Run(
        outcome="never",
        failure=target.failure,
        journal=(*target.journal, Entry(9.0, "bad", Kind.NOTE, "bad")),
    )
    assert reproduce_with_delays(policy.choices, impossible, lambda d: target, limit=3) is None


def test_a_failure_that_says_when_it_failed_still_counts_as_the_same() -> None:
    """A check names the virtual time; the plain run spends delays, so the
    time differs while the failure is the same."""

    def timed(delays: dict[str, dict[str, float]] | None):  # type: ignore[no-untyped-def]
        def run_once(policy: ReplayPolicy | None) -> Run:
            run = evacuation_vs_audit(BUG, delays)(policy)
            clock = format_time(run.journal[-1].time)
            failure = run.failure and f"{run.failure} at {clock}"
            return Run(outcome=run.outcome, failure=failure, journal=run.journal)

        return run_once

    policy = ReplayPolicy(prefix=(0,) * 13 + (1, 0, 0, 0, 1))
    target = timed(None)(policy)
    assert target.failure is not None
    assert target.failure.endswith("at t=0.000s")
    found = reproduce_with_delays(policy.choices, target, lambda d: timed(d)(None))
    assert found is not None
    assert found.exact
    assert found.run.failure is not None
    assert not found.run.failure.endswith("at t=0.000s")
