"""Shards split one exploration exactly; tokens and shrinking keep a schedule usable."""

from __future__ import annotations

import pytest

from PciRaceLibrary.errors import ReplayError
from PciRaceLibrary.explore import ReplayPolicy, Run, decode, encode, explore, preemptions, shrink
from PciRaceLibrary.explore.schedule import _checksum

from .scenarios import evacuation_vs_audit

BUG = "1896463"


def schedules_run(strategy: str, shard: tuple[int, int], **options: int) -> list[tuple[int, ...]]:
    run_once = evacuation_vs_audit(BUG)
    seen: list[tuple[int, ...]] = []

    def recording(policy: ReplayPolicy) -> Run:
        run = run_once(policy)
        seen.append(policy.schedule)
        return run

    result = explore(recording, strategy, shard=shard, **options)  # type: ignore[arg-type]
    if strategy == "pct" or (strategy == "exhaustive" and shard[0] > 0):
        seen.pop(0)  # a probe (PCT counts choice points, shards find their roots)
    assert len(seen) == result.schedules
    return seen


@pytest.mark.parametrize("total", [2, 3, 5])
def test_exhaustive_shards_partition_the_space_exactly(total: int) -> None:
    whole = schedules_run("exhaustive", (0, 1), bound=2, count=10_000)
    parts = [schedules_run("exhaustive", (i, total), bound=2, count=10_000) for i in range(total)]
    together = [schedule for part in parts for schedule in part]
    assert len(set(whole)) == len(whole)  # no schedule runs twice
    assert sorted(together) == sorted(whole)


@pytest.mark.parametrize("strategy", ["pct", "random"])
def test_seeded_shards_share_out_the_runs_of_one_seed(strategy: str) -> None:
    whole = schedules_run(strategy, (0, 1), bound=2, seed=7, count=40)
    halves = [schedules_run(strategy, (i, 2), bound=2, seed=7, count=20) for i in range(2)]
    assert halves[0] == whole[0::2]
    assert halves[1] == whole[1::2]


def test_each_shard_says_whether_its_part_is_exhausted() -> None:
    run_once = evacuation_vs_audit(None)
    parts = [explore(run_once, bound=2, count=10_000, shard=(i, 2)) for i in range(2)]
    assert all(part.exhausted for part in parts)
    assert "(shard 2/2)" in parts[1].summary()
    cut = explore(run_once, bound=2, count=10, shard=(0, 2))
    assert not cut.exhausted
    assert "NOT covered: the rest of bound" in cut.summary()
    assert "before the count stopped it" in cut.summary()


def test_the_budget_stops_an_exploration_and_says_so() -> None:
    ticks = iter(range(1000))
    result = explore(
        evacuation_vs_audit(None), bound=3, count=10_000, budget=5, clock=lambda: next(ticks)
    )
    assert not result.exhausted
    assert result.stopped_by == "budget"
    assert result.schedules < 10


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("", "malformed"),
        ("PCR2:12=1,16=1", "malformed"),
        ("PCR1:12=1:abcd", "version 1"),
        ("PCR3:12=1:abcd", "version 3"),
        (f"PCR2:3=0:{_checksum('3=0')}", "choice 0 at position 3"),
        (f"PCR2:3=1,3=2:{_checksum('3=1,3=2')}", "position 3 twice"),
        ("PCR2:12=1,16=1:0000", "wrong checksum"),
    ],
)
def test_bad_tokens_name_what_is_wrong(token: str, words: str) -> None:
    with pytest.raises(ReplayError, match=words):
        decode(token)


def test_tokens_are_compact_and_survive_spaces() -> None:
    token = encode((0,) * 12 + (1, 0, 0, 0, 1))
    assert token.startswith("PCR2:12=1,16=1:")
    assert len(token) < 25
    assert decode(f"  {token} ") == (0,) * 12 + (1, 0, 0, 0, 1)


def test_shrinking_finds_the_shortest_two_preemption_schedule() -> None:
    run_once = evacuation_vs_audit(BUG)
    result = explore(run_once, bound=3, count=10_000, keep_failing=1000, deepen_past_failure=True)
    best = result.smallest_failing
    assert best is not None
    longest = max(result.failing, key=lambda f: (f.preemptions, len(f.schedule)))
    policy = ReplayPolicy(prefix=longest.schedule)
    run_once(policy)
    shrunk = shrink(policy.choices, lambda p: run_once(p).failure is not None)
    assert run_once(ReplayPolicy(prefix=shrunk)).failure is not None
    assert preemptions(shrunk) == best.preemptions == 2
    assert len(shrunk) == len(best.schedule)


def test_shrinking_drops_every_preemption_when_none_is_needed() -> None:
    run_once = evacuation_vs_audit(BUG)
    policy = ReplayPolicy(prefix=(0,) * 13 + (1, 0, 0, 0, 1))
    run_once(policy)
    assert policy.preemptions == 2

    def fails(candidate: ReplayPolicy) -> bool:  # a check that fails on every schedule
        return "vm1: ACTIVE" in run_once(candidate).outcome

    assert shrink(policy.choices, fails) == ()  # type: ignore[arg-type]
