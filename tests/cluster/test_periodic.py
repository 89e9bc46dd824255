"""Periodic audits: ticks, skips, stop, waits, run_all and determinism."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.periodic import TIMER
from PciRaceLibrary.cluster.topology import load_topology
from PciRaceLibrary.errors import ApiRefused, InvalidArgument, UnknownName
from PciRaceLibrary.explore import RecordingPolicy, ReplayPolicy, Run, explore
from PciRaceLibrary.sim import Kernel

THREE_HOSTS = load_topology(
    Path(__file__).resolve().parents[2] / "PciRaceLibrary" / "topologies" / "three_hosts.yaml"
)


def audits(cluster: Cluster) -> list[tuple[float, str]]:
    """(time, task) of every audit spawned, in journal order."""
    return [
        (entry.time, entry.task)
        for entry in cluster.kernel.journal
        if entry.kind == "spawn" and entry.task.startswith("audit(")
    ]


def notes(cluster: Cluster) -> list[tuple[float, str]]:
    return [(e.time, e.detail) for e in cluster.kernel.journal if e.kind == "note"]


def advance(cluster: Cluster, seconds: float) -> None:
    assert cluster.run_until(lambda: False, seconds) is False


def test_each_host_ticks_at_its_offset_then_every_interval() -> None:
    cluster = Cluster(THREE_HOSTS)
    advance(cluster, 10)  # the timer counts from when it starts
    cluster.start_periodic_audits(60, {"host1": 0, "host2": 30})  # host3: one interval
    advance(cluster, 150)
    assert audits(cluster) == [
        (10, "audit(host1)"),
        (40, "audit(host2)"),
        (70, "audit(host1)"),
        (70, "audit(host3)"),  # due together: host order
        (100, "audit(host2)"),
        (130, "audit(host1)"),
        (130, "audit(host3)"),
        (160, "audit(host2)"),
    ]


def test_without_offsets_every_host_first_ticks_one_interval_after_the_start() -> None:
    cluster = Cluster()
    cluster.start_periodic_audits(45)
    advance(cluster, 100)
    assert audits(cluster) == [(45, "audit(host1)"), (45, "audit(host2)"),
                               (90, "audit(host1)"), (90, "audit(host2)")]  # fmt: skip


def test_one_offset_for_every_host_and_offsets_for_some() -> None:
    cluster = Cluster(THREE_HOSTS)
    cluster.start_periodic_audits(20, {"host3": 5}, offset=0)
    advance(cluster, 25)
    assert audits(cluster) == [(0, "audit(host1)"), (0, "audit(host2)"), (5, "audit(host3)"),
                               (20, "audit(host1)"), (20, "audit(host2)"),
                               (25, "audit(host3)")]  # fmt: skip


def test_ticks_do_not_drift_over_many_intervals() -> None:
    cluster = Cluster()
    cluster.start_periodic_audits(0.1, {"host1": 0.03}, offset=0.1)
    advance(cluster, 200.05)
    times = [time for time, task in audits(cluster) if task == "audit(host1)"]
    assert len(times) == 2_001
    assert math.isclose(times[-1], 200.03, abs_tol=1e-9)  # k * interval, not a running sum


def test_a_stopped_compute_skips_its_ticks_and_ticks_again_once_started() -> None:
    cluster = Cluster()
    cluster.start_periodic_audits(60, offset=0)
    advance(cluster, 1)
    cluster.stop_compute_service("host1")
    advance(cluster, 120)  # to t=121
    cluster.run_task(cluster.start_compute_service("host1"))
    advance(cluster, 60)  # to t=181
    assert audits(cluster) == [(0, "audit(host1)"), (0, "audit(host2)"), (60, "audit(host2)"),
                               (120, "audit(host2)"), (180, "audit(host1)"),
                               (180, "audit(host2)")]  # fmt: skip
    assert notes(cluster) == [
        (60, "Periodic audit of 'host1' skipped: its compute service is stopped."),
        (120, "Periodic audit of 'host1' skipped: its compute service is stopped."),
    ]
    assert (cluster.periodic_audits.started, cluster.periodic_audits.skipped) == (6, 2)


def test_a_tick_is_skipped_while_the_audit_of_the_previous_tick_still_runs() -> None:
    cluster = Cluster()
    slow = {"MigrationList.get_in_progress_and_error": 70}
    cluster.start_periodic_audits(60, {"host1": 0}, offset=30, delays=slow)
    advance(cluster, 130)
    # host1's audits run 0-70 and 120-190: the tick at 60 is skipped;
    # host2's run 30-100, so its tick at 90 is.
    assert audits(cluster) == [(0, "audit(host1)"), (30, "audit(host2)"),
                               (120, "audit(host1)")]  # fmt: skip
    skipped = "skipped: its previous audit still runs (periodic tasks do not overlap themselves)."
    assert notes(cluster) == [
        (60, f"Periodic audit of 'host1' {skipped}"),
        (90, f"Periodic audit of 'host2' {skipped}"),
    ]


def test_an_audit_not_started_by_the_timer_does_not_skip_a_tick() -> None:
    cluster = Cluster()
    cluster.update_available_resource("host1", delays={"get_in_progress_and_error": 20})
    cluster.start_periodic_audits(10, offset=10)
    advance(cluster, 10)
    assert audits(cluster) == [(0, "audit(host1)"), (10, "audit(host1)"), (10, "audit(host2)")]


def test_stop_cancels_the_timer_and_lets_its_audits_finish() -> None:
    cluster = Cluster()
    cluster.start_periodic_audits(60, offset=0, delays={"get_in_progress_and_error": 5})
    advance(cluster, 1)
    timer = cluster.stop_periodic_audits()
    assert timer.task.state == "cancelled"
    assert cluster.periodic_audits is None
    assert cluster.kernel.run_all()
    assert cluster.now == 5  # the audits started at t=0 ran to their end
    advance(cluster, 300)
    assert audits(cluster) == [(0, "audit(host1)"), (0, "audit(host2)")]
    cluster.start_periodic_audits(60, offset=0)  # and it can start again
    advance(cluster, 1)
    assert len(audits(cluster)) == 4


def test_run_all_ends_although_the_timer_never_does() -> None:
    cluster = Cluster()
    cluster.start_periodic_audits(60, {"host2": 0})
    cluster.create_server("vm1", "host1", delays={"ComputeDriver.spawn": 130})
    assert cluster.kernel.run_all()  # no timeout: the timer alone is not work
    assert cluster.now == 130
    assert audits(cluster) == [(0, "audit(host2)"), (60, "audit(host1)"), (60, "audit(host2)"),
                               (120, "audit(host1)"), (120, "audit(host2)")]  # fmt: skip
    assert cluster.kernel.run_all()
    assert cluster.now == 130
    assert cluster.run_until(lambda: False) is False  # idle: returns, moves no time
    assert cluster.now == 130


def test_audits_fired_while_a_server_builds_keep_its_device() -> None:
    cluster = Cluster()
    cluster.start_periodic_audits(60, offset=0)
    cluster.run_task(cluster.create_server("vm1", "host1", delays={"ComputeDriver.spawn": 130}))
    assert cluster.server_status("vm1") == "ACTIVE"
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"]}
    assert cluster.check_invariants() == []


def scenario() -> str:
    cluster = Cluster(bugs="1896463")
    cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    cluster.start_periodic_audits(60, offset=45, delays={"get_in_progress_and_error": 15})
    cluster.evacuate("vm1", delays={"ComputeDriver.rebuild": 50, "drop_migration_context": 5})
    advance(cluster, 130)
    return "\n".join(str(entry) for entry in cluster.kernel.journal)


def test_the_same_scenario_gives_the_same_journal_twice() -> None:
    first = scenario()
    assert first == scenario()
    assert "t=45.000s periodic(audit) note Periodic audit of 'host1' skipped" in first
    assert "t=105.000s audit(host2) spawn audit(host2)" in first


@pytest.mark.parametrize(
    ("bugs", "expected"),
    [(None, {"host1": ["0000:02:00.1"], "host2": ["0000:02:00.1"]}),
     ("1896463", {"host1": ["0000:02:00.1"]})],
)  # fmt: skip
def test_a_timer_audit_in_the_window_of_a_long_evacuation(
    bugs: str | None, expected: dict[str, list[str]]
) -> None:
    cluster = Cluster(bugs=bugs)
    cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    cluster.start_periodic_audits(60, offset=45, delays={"get_in_progress_and_error": 15})
    task = cluster.evacuate(
        "vm1", delays={"ComputeDriver.rebuild": 50, "drop_migration_context": 5}
    )
    assert cluster.kernel.run_all()
    assert task.state == "done"
    advance(cluster, 120)  # two more audits of host2: none heals or breaks it further
    assert cluster.pci_allocations("vm1") == expected


def state(cluster: Cluster) -> tuple[object, ...]:
    kernel = cluster.kernel
    return (kernel.now, len(kernel.tasks), len(kernel.journal.entries()),
            cluster.periodic_audits, cluster.snapshot())  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"interval": 0}, InvalidArgument,
         "The interval of periodic audits must be at least 1 ms, got 0 seconds."),
        ({"interval": 0.0005}, InvalidArgument,
         "The interval of periodic audits must be at least 1 ms, got 0.0005 seconds."),
        ({"interval": -60}, InvalidArgument,
         "The interval of periodic audits must be at least 1 ms, got -60 seconds."),
        ({"interval": math.nan}, InvalidArgument,
         "The interval of periodic audits must be at least 1 ms, got nan seconds."),
        ({"offsets": {"host9": 1}}, UnknownName,
         "No host 'host9' to give an audit offset. Known hosts: host1, host2."),
        ({"offsets": {"host2": 61}}, InvalidArgument,
         "The audit offset of 'host2' must be from 0 to the interval of 60 seconds, "
         "got 61 seconds."),
        ({"offset": -1}, InvalidArgument,
         "The audit offset of 'host1' must be from 0 to the interval of 60 seconds, "
         "got -1 seconds."),
        ({"offset": 0.0001}, InvalidArgument,
         "The audit offset of 'host1' of 0.0001 seconds is below the clock's resolution; "
         "give 0 or at least 1 ms."),
        ({"delays": {"teleport": 1}}, UnknownName,
         "No point 'teleport' in operation 'update_available_resource'. Valid points: "),
        ({"delays": {"get_in_progress_and_error": -1}}, InvalidArgument,
         "Delay 'get_in_progress_and_error' cannot be negative: -1 seconds."),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused_with_nothing_started(
    arguments: dict[str, object], error: type[Exception], message: str
) -> None:
    cluster = Cluster()
    before = state(cluster)
    with pytest.raises(error) as raised:
        cluster.start_periodic_audits(**arguments)
    assert str(raised.value).startswith(message)
    assert state(cluster) == before


def test_starting_twice_or_stopping_when_stopped_is_refused_and_changes_nothing() -> None:
    cluster = Cluster()
    with pytest.raises(ApiRefused) as raised:
        cluster.stop_periodic_audits()
    assert str(raised.value) == (
        "Periodic audits are not running; use 'Start Periodic Audits' first."
    )
    timer = cluster.start_periodic_audits(60, {"host2": 30})
    before = state(cluster)
    with pytest.raises(ApiRefused) as raised:
        cluster.start_periodic_audits(30)
    assert str(raised.value) == (
        "Periodic audits already run (every 60 seconds; first audits at host1 t=60.000s, "
        "host2 t=30.000s); use 'Stop Periodic Audits' first."
    )
    assert state(cluster) == before
    assert cluster.periodic_audits is timer
    cluster.kernel.close()  # the timer never ran: close it, so Python does not warn


def test_a_replaced_cluster_takes_its_timer_with_it() -> None:
    old = Cluster()
    timer = old.start_periodic_audits(60, offset=0)
    old.kernel.close()  # what Start Cluster does to the cluster it replaces
    assert timer.task.state == "cancelled"
    new = Cluster()
    assert new.periodic_audits is None
    assert new.kernel.run_all()


def test_the_explorer_chooses_among_the_timer_and_the_audits_it_fires() -> None:
    """A fired audit is a task like any other: no special code in the explorer."""
    seen: set[str] = set()

    def scenario(timer_first: bool) -> Callable[[RecordingPolicy], Run]:
        def run_once(policy: RecordingPolicy) -> Run:
            cluster = Cluster(bugs="1896463", kernel=Kernel())
            cluster.run_task(cluster.create_server("vm1", "host1"))
            cluster.stop_compute_service("host1")
            cluster.force_down_compute_service("host1")
            cluster.kernel.policy = policy
            if timer_first:
                cluster.start_periodic_audits(60, {"host2": 0})
            cluster.evacuate("vm1")
            if not timer_first:  # the timer is runnable while the evacuation runs
                cluster.start_periodic_audits(60, {"host2": 0})
            assert cluster.kernel.run_all()
            held = len(cluster.pci_allocations("vm1").get("host2", []))
            seen.update(name for choice in policy.choices for name in choice.candidates)
            failure = None if held == 1 else f"vm1 holds {held} PCI device(s) on host2"
            return Run(outcome=f"host2={held}", failure=failure)

        return run_once

    assert scenario(timer_first=False)(ReplayPolicy()).failure is None  # audit after
    assert explore(scenario(timer_first=False), "exhaustive", bound=1).exhausted
    assert seen == {"evacuate(vm1)", TIMER, "audit(host2)"}
    # The timer fires first: two preemptions put its audit's reads around the
    # evacuation's unlocked finish.
    result = explore(scenario(timer_first=True), "exhaustive", bound=2, count=10_000)
    assert result.exhausted
    assert result.failing
    replay = ReplayPolicy(prefix=result.failing[0].schedule)
    assert scenario(timer_first=True)(replay).failure == "vm1 holds 0 PCI device(s) on host2"
