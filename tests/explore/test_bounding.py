"""Preemption bounding as CHESS defines it, with iterative deepening, checked
against a brute-force enumeration of every schedule of small random scenarios."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from PciRaceLibrary.explore import ReplayPolicy, Run, explore, investigate, untimed
from PciRaceLibrary.explore.policies import RecordingPolicy
from PciRaceLibrary.explore.schedule import trimmed

from .scenarios import evacuation_vs_audit
from .toys import toy

# Small enough to enumerate every schedule; the toy's ops but its driver calls.
OPS = st.tuples(st.sampled_from(["read", "write", "locked", "sleep"]), st.sampled_from("xy"))
TASKS = st.one_of(
    st.lists(st.lists(OPS, min_size=1, max_size=2), min_size=2, max_size=2),
    st.lists(st.lists(OPS, min_size=1, max_size=1), min_size=3, max_size=3),
)


def every_schedule(run_once: Callable[[RecordingPolicy], Run]) -> dict[tuple[int, ...], int]:
    """Every complete schedule (trimmed) -> its preemptions, by brute force:
    each choice point, each candidate, whatever it costs."""
    found: dict[tuple[int, ...], int] = {}

    def walk(prefix: tuple[int, ...]) -> None:
        policy = ReplayPolicy(prefix=prefix)
        run_once(policy)
        if len(policy.choices) == len(prefix):
            found[trimmed(prefix)] = policy.preemptions
            return
        for pick in range(len(policy.choices[len(prefix)].candidates)):
            walk((*prefix, pick))

    walk(())
    return found


def explored(run_once: Callable[[RecordingPolicy], Run], bound: int, **options: object) -> tuple:
    seen: list[tuple[int, ...]] = []

    def recording(policy: RecordingPolicy) -> Run:
        run = run_once(policy)
        seen.append(trimmed(policy.schedule))
        return run

    options = {"reduction": False, **options}  # every schedule, pruned or not
    result = explore(recording, bound=bound, count=100_000, deepen_past_failure=True, **options)
    return result, seen


@settings(max_examples=25, deadline=None)
@given(TASKS, st.integers(min_value=0, max_value=2))
def test_bounded_search_runs_each_schedule_within_the_bound_once(tasks, bound) -> None:
    run_once = toy(tasks)
    everything = every_schedule(run_once)
    result, seen = explored(run_once, bound)
    assert len(seen) == len(set(seen))  # no schedule twice
    assert set(seen) == {s for s, cost in everything.items() if cost <= bound}
    for level, count in enumerate(result.levels):  # level k: exactly k preemptions
        assert count == sum(1 for s in seen if everything[s] == level)
    assert result.exhausted
    assert len(result.traces) <= len(seen)


@settings(max_examples=25, deadline=None)
@given(TASKS, st.integers(min_value=1, max_value=40))
def test_a_cap_stops_in_the_shallowest_level_not_yet_complete(tasks, count) -> None:
    run_once = toy(tasks)
    everything = every_schedule(run_once)
    result = explore(run_once, bound=2, count=count, deepen_past_failure=True, reduction=False)
    within = [cost for cost in everything.values() if cost <= 2]
    for level in range(result.complete_bound + 1):  # levels no schedule reaches are not run
        ran = result.levels[level] if level < len(result.levels) else 0
        assert ran == within.count(level)
    if not result.exhausted:
        assert result.stopped_by == "count"
        assert "NOT covered" in result.guarantee()
        assert sum(result.levels) == count


@settings(max_examples=25, deadline=None)
@given(TASKS)
def test_the_first_failing_level_is_the_fewest_preemptions_any_failure_needs(tasks) -> None:
    run_once = toy(tasks)
    everything = every_schedule(run_once)
    failing = [
        cost
        for schedule, cost in everything.items()
        if run_once(ReplayPolicy(prefix=schedule)).failure is not None
    ]
    result = explore(run_once, bound=3, count=100_000)
    if not failing:
        assert result.failures == 0
        return
    assert result.smallest_failing is not None
    assert result.smallest_failing.preemptions == min(failing)
    assert result.complete_bound == min(failing) or result.exhausted


def test_a_switch_after_a_task_ends_is_free() -> None:
    """Which of the evacuation and the audit starts first costs nothing."""
    result, seen = explored(evacuation_vs_audit(None), 0)
    assert result.schedules == 2
    assert (1,) in seen  # the audit first, with no preemption


def test_every_failure_belongs_to_one_group_with_its_smallest_schedule() -> None:
    result = explore(
        evacuation_vs_audit("1896463"),
        bound=3,
        count=10_000,
        keep_failing=10_000,
        deepen_past_failure=True,
    )
    assert sum(group.count for group in result.groups.values()) == result.failures
    assert len(result.failing) == result.failures
    for kind, group in result.groups.items():
        members = [f for f in result.failing if (untimed(f.outcome), untimed(f.failure)) == kind]
        assert len(members) == group.count
        assert group.smallest.size == min(member.size for member in members)


def test_a_random_walk_failure_is_shrunk_to_the_two_preemptions_the_race_needs() -> None:
    scenario = evacuation_vs_audit("1896463")
    finding = investigate(lambda policy, delays: scenario(policy), "random", seed=1, count=400)
    assert finding.exploration.failures
    assert finding.failure is not None
    walked = finding.exploration.smallest_failing
    assert walked is not None
    assert walked.preemptions > 2
    assert finding.failure.preemptions == 2


def test_pct_draws_change_points_among_points_where_a_task_could_go_on() -> None:
    result = explore(evacuation_vs_audit(None), "pct", bound=2, seed=3, count=5)
    probe = ReplayPolicy()
    evacuation_vs_audit(None)(probe)
    assert result.pct_steps == sum(not free for free in probe.free)
    assert result.pct_steps < len(probe.choices)  # free choice points are not change points
