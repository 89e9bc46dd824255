"""The explorer finds bug 1896463 without delays, and hands back usable schedules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import robot

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.errors import ReplayError
from PciRaceLibrary.explore import (
    PCTPolicy,
    RandomWalkPolicy,
    ReplayPolicy,
    Run,
    decode,
    encode,
    explore,
    preemptions,
    shrink,
    switch_delays,
)
from PciRaceLibrary.explore.explorer import Exploration

from .scenarios import evacuation_vs_audit

ACCEPTANCE = Path(__file__).resolve().parents[2] / "acceptance"


def exhaustive(bugs: str | None, bound: int, shard: tuple[int, int] = (0, 1)) -> Exploration:
    return explore(
        evacuation_vs_audit(bugs),
        "exhaustive",
        bound=bound,
        count=10_000,
        shard=shard,
        deepen_past_failure=True,
    )


def test_exhaustive_search_finds_the_loss_before_the_fix_without_delays() -> None:
    result = exhaustive("1896463", 2)
    assert result.exhausted
    assert result.failing
    assert all("'vm1' on 'host2' should hold 1" in f.failure for f in result.failing)
    assert exhaustive("1896463", 1).failing == []  # it takes two preemptions


def test_the_same_bound_finds_nothing_with_the_fix_and_says_it_exhausted_the_space() -> None:
    result = exhaustive(None, 2)
    assert result.failing == []
    assert result.exhausted
    assert (
        "complete to bound 2: every schedule with at most 2 preemption(s) was run"
        in result.summary()
    )
    assert result.schedules > 100


def test_shards_partition_the_space() -> None:
    whole = exhaustive("1896463", 2)
    parts = [exhaustive("1896463", 2, (index, 3)) for index in range(3)]
    assert sum(part.schedules for part in parts) == whole.schedules
    assert sorted(f.schedule for part in parts for f in part.failing) == sorted(
        f.schedule for f in whole.failing
    )


def test_a_token_replays_the_same_journal_byte_for_byte() -> None:
    run = evacuation_vs_audit("1896463")
    failing = exhaustive("1896463", 2).failing[0]
    first = run(ReplayPolicy(prefix=failing.schedule))
    again = run(ReplayPolicy(prefix=decode(failing.token)))
    assert first.failure is not None
    assert again.journal == first.journal
    assert again.text == first.text
    assert any(entry.kind == "switch" for entry in first.journal)


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("nonsense", "malformed"),
        ("PCR2:3=1:0000", "wrong checksum"),
        ("PCR2:3=x:1234", "malformed"),
        ("PCR1:3=1:0000", "version 1"),
    ],
)
def test_malformed_tokens_say_what_is_wrong(token: str, words: str) -> None:
    with pytest.raises(ReplayError, match=words):
        decode(token)


def test_a_token_from_another_scenario_is_refused() -> None:
    run = evacuation_vs_audit(None)
    with pytest.raises(ReplayError, match="only 2 task"):
        run(ReplayPolicy(prefix=(0, 5)))


def test_encode_decode_round_trip() -> None:
    schedule = (0, 0, 2, 0, 1)
    assert decode(encode(schedule)) == schedule
    assert decode(encode(())) == ()


def test_shrinking_keeps_it_failing_with_no_more_preemptions() -> None:
    run = evacuation_vs_audit("1896463")
    failing = max(exhaustive("1896463", 3).failing, key=lambda f: f.preemptions)
    assert failing.preemptions == 3
    policy = ReplayPolicy(prefix=failing.schedule)
    run(policy)

    def fails(candidate: object) -> bool:
        return run(candidate).failure is not None  # type: ignore[arg-type]

    shrunk = shrink(policy.choices, fails)
    replay = ReplayPolicy(prefix=shrunk)
    assert run(replay).failure is not None
    assert replay.preemptions == 2  # the race needs both switches, no more
    assert preemptions(shrunk, replay.free) == 2


def test_the_delays_only_reproducer_loses_the_device_without_a_policy() -> None:
    for failing in exhaustive("1896463", 2).failing:
        policy = ReplayPolicy(prefix=failing.schedule)
        evacuation_vs_audit("1896463")(policy)
        delays = switch_delays(policy.choices, policy.passes)
        plain = evacuation_vs_audit("1896463", delays)(None)
        assert plain.failure == failing.failure
        assert "switch" not in plain.journal


@pytest.mark.parametrize("strategy", ["pct", "random"])
def test_seeded_strategies_give_the_same_schedules_twice(strategy: str) -> None:
    seen = []
    for _ in range(2):
        schedules: list[tuple[int, ...]] = []

        def run_once(policy: object, into: list[tuple[int, ...]] = schedules) -> object:
            result = evacuation_vs_audit("1896463")(policy)  # type: ignore[arg-type]
            into.append(policy.schedule)  # type: ignore[attr-defined]
            return result

        explore(run_once, strategy, bound=3, seed=42, count=30)  # type: ignore[arg-type]
        seen.append(schedules)
    assert seen[0] == seen[1]
    assert len(set(seen[0])) > 1


def test_pct_reports_its_guarantee_in_plain_words() -> None:
    result = explore(evacuation_vs_audit(None), "pct", bound=2, seed=1, count=50)
    assert result.schedules == 50
    steps = result.pct_steps
    assert f"a bug of depth 2 whose ordering points all fall within the first {steps} " in (
        result.guarantee()
    )
    assert f">= {1 / (2 * steps):.4f} each" in result.guarantee()  # the points it drew from
    assert "would be found with probability >= " in result.guarantee()


def test_random_walk_with_enough_runs_finds_the_loss() -> None:
    result = explore(evacuation_vs_audit("1896463"), "random", seed=1, count=400)
    assert result.failing


def test_policies_only_choose_among_the_candidates() -> None:
    for policy in (PCTPolicy(seed=1, depth=3, steps=20), RandomWalkPolicy(seed=1)):
        evacuation_vs_audit("1896463")(policy)
        assert all(0 <= c.chosen < len(c.candidates) for c in policy.choices)


def test_bad_arguments_are_refused() -> None:
    run = evacuation_vs_audit(None)
    with pytest.raises(ValueError, match="No strategy 'dfs'"):
        explore(run, "dfs")
    with pytest.raises(ValueError, match="Shard 3/2 does not exist"):
        explore(run, shard=(2, 2))


def test_the_robot_reproducer_runs_on_its_own_and_fails_the_same_way(tmp_path: Path) -> None:
    suite = tmp_path / "explore.robot"
    suite.write_text(
        f"""*** Settings ***
Documentation    An exploration whose reproducer robocop should find clean.
Resource    {ACCEPTANCE / "resources" / "evacuation.resource"}


*** Test Cases ***
Race
    [Documentation]    The evacuation and the audit race.
    Explore Interleavings    Setup    Check
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Run Periodic Update Available Resource    host2


*** Keywords ***
Setup
    [Documentation]    vm1 on a failed host1, before the fix.
    Server On Failed Host    bugs=1896463

Check
    [Documentation]    The destination holds the device.
    PCI Allocation On Host Should Be    vm1    host2    1
""",
        encoding="utf-8",
    )
    assert robot.run(str(suite), outputdir=str(tmp_path / "out"), console="none") == 1
    reproducer = tmp_path / "out" / "reproducer-Race.robot"
    text = reproducer.read_text(encoding="utf-8")
    assert "Explore Interleavings" not in text
    assert "=0.5 s" in text
    assert robot.run(str(reproducer), outputdir=str(tmp_path / "again"), console="none") == 1
    output = (tmp_path / "again" / "output.xml").read_text(encoding="utf-8")
    assert "Server 'vm1' should hold 1 PCI device(s) on 'host2' but holds 0" in output
    # It is a suite like any other: portable paths, and robocop finds nothing.
    assert str(tmp_path) not in text
    assert "Resource    ${CURDIR}/../" in text
    lint = subprocess.run(
        [sys.executable, "-m", "robocop", "check", "--ignore-git-dir", str(reproducer)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout


def test_deleting_during_an_evacuation_never_crashes_the_model() -> None:
    """Found by exploration: a delete that lands after the rebuild made the
    locked finish raise InstanceNotFound, which Nova's RPC handler logs."""

    def run_once(policy: object) -> Run:
        cluster = Cluster(microversion="2.94")
        cluster.run_task(cluster.create_server("vm1", "host1"))
        cluster.stop_compute_service("host1")
        cluster.force_down_compute_service("host1")
        cluster.kernel.policy = policy  # type: ignore[assignment]
        cluster.evacuate("vm1")
        cluster.delete_server("vm1")
        cluster.kernel.run_all()
        cluster.kernel.policy = None
        cluster.run_task(cluster.update_available_resource("host2"))
        problems = cluster.check_invariants()
        return Run(outcome=cluster.server_status("vm1"), failure="; ".join(problems) or None)

    result = explore(run_once, bound=2, count=10_000)  # type: ignore[arg-type]
    assert result.exhausted
    assert result.failures == 0
    assert set(result.outcomes) == {"DELETED"}
