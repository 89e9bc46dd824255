"""The footprints the model records are complete: between two choice points,
every change of the cluster's state lies within what the blocks run there
declared; and choice points whose trace keys are equal have equal states
(what state caching assumes). The acceptance explorations are checked too,
in ``test_reduction.test_every_acceptance_exploration_loses_nothing``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.errors import ApiRefused
from PciRaceLibrary.explore import Run, explore
from PciRaceLibrary.explore.footprints import Recorder
from PciRaceLibrary.explore.policies import RecordingPolicy
from PciRaceLibrary.sim import Kernel

from .checking import Checked
from .scenarios import evacuation_vs_audit, evacuation_vs_audit_and

SCENARIOS = {
    "evacuation-audit": evacuation_vs_audit(None),
    "evacuation-audit-1896463": evacuation_vs_audit("1896463"),
    "with-create": evacuation_vs_audit_and("create"),
    "with-delete": evacuation_vs_audit_and("delete"),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_change_lies_within_the_footprints_and_equal_keys_have_equal_states(name) -> None:
    checked = Checked(SCENARIOS[name])
    # bound 1 (two tasks: all of it; three: its first 40 schedules)
    result = explore(checked, bound=1, count=40, reduction=False)
    assert result.schedules >= 29  # two tasks: all 29 or 30 of bound 1
    assert not checked.problems(), checked.problems()


def test_the_checker_sees_a_change_outside_the_footprints(monkeypatch) -> None:
    """Without the hosts' scopes, what the trackers change escapes."""
    monkeypatch.setattr(Recorder, "enter", lambda self, host: None)
    monkeypatch.setattr(Recorder, "leave", lambda self, host: None)
    checked = Checked(SCENARIOS["evacuation-audit"])
    explore(checked, bound=0, count=100_000, reduction=False)
    assert "host host2 changed" in checked.problems()


# Racing steps of a small cluster: vm1 on host1, which is down; vm3 on host2.
STEPS = {
    "evacuate vm1": lambda cluster: cluster.evacuate("vm1"),
    "audit host2": lambda cluster: cluster.update_available_resource("host2"),
    "create vm2": lambda cluster: cluster.create_server("vm2", "host2"),
    "delete vm1": lambda cluster: cluster.delete_server("vm1"),
    "delete vm3": lambda cluster: cluster.delete_server("vm3"),
    "start host1": lambda cluster: cluster.start_compute_service("host1"),
}


def small_race(steps: list[str], bugs: str | None) -> Callable[[RecordingPolicy], Run]:
    def run_once(policy: RecordingPolicy) -> Run:
        cluster = Cluster(bugs=bugs, kernel=Kernel(policy=None), microversion="2.94")
        cluster.run_task(cluster.create_server("vm1", "host1"))
        cluster.run_task(cluster.create_server("vm3", "host2"))
        cluster.stop_compute_service("host1")
        cluster.force_down_compute_service("host1")
        cluster.kernel.policy = policy
        for step in steps:
            with contextlib.suppress(ApiRefused):  # refused before anything ran
                STEPS[step](cluster)
        cluster.kernel.run_all()
        return Run(outcome=str(cluster.snapshot()), journal=cluster.kernel.journal.entries())

    return run_once


@settings(max_examples=6, deadline=None)
@given(
    st.lists(st.sampled_from(sorted(STEPS)), min_size=2, max_size=3, unique=True),
    st.sampled_from([None, "1896463"]),
)
def test_random_small_races_stay_within_their_footprints(steps, bugs) -> None:
    checked = Checked(small_race(steps, bugs))
    explore(checked, bound=1, count=10, reduction=False)
    assert not checked.problems(), checked.problems()
