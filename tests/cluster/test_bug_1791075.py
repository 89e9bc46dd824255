"""Bug 1791075: the audit counted only ``rebuilding`` among the rebuild states."""

from __future__ import annotations

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.variants import behaviour_for

FLAVOR = {"vcpus": 1, "memory_mb": 512, "disk_gb": 1}
NOTHING = {"vcpus": 0, "memory_mb": 0, "disk_gb": 0}


def reproduce(bugs: str | None, point: str = "ComputeDriver.rebuild") -> Cluster:
    """host2's audit runs while the evacuation waits at ``point`` for 1 s."""
    cluster = Cluster(bugs=bugs, microversion="2.94")
    assert cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    evacuation = cluster.evacuate("vm1", delays={point: 1.0})
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.run_task(evacuation)
    return cluster


def historical_outcome(cluster: Cluster) -> None:
    """vm1 runs on host2, whose tracker does not count it."""
    assert cluster.server_host("vm1") == "host2"
    assert cluster.resource_usage("host2") == NOTHING


@pytest.mark.parametrize("point", ["Instance.save#4", "ComputeDriver.rebuild"])
def test_before_the_fix_an_audit_in_a_late_rebuild_state_drops_the_usage(point: str) -> None:
    cluster = reproduce("1791075", point)
    historical_outcome(cluster)
    assert cluster.placement_usage("host2") == {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.resource_usage("host2") == FLAVOR  # the next audit heals it


@pytest.mark.parametrize("point", ["Instance.save#4", "ComputeDriver.rebuild"])
def test_with_the_fix_the_audit_counts_the_evacuation(point: str) -> None:
    cluster = reproduce(None, point)
    assert cluster.resource_usage("host2") == FLAVOR
    assert cluster.check_invariants() == []


def test_the_pre_fix_assertions_fail_on_current_nova() -> None:
    with pytest.raises(AssertionError):
        historical_outcome(reproduce(None))


@pytest.mark.parametrize("bugs", ["1791075", None])
def test_rebuilding_counts_in_both(bugs: str | None) -> None:
    """The audit while vm1 is still ``rebuilding`` (its port being bound)."""
    assert reproduce(bugs, "NeutronAPI.update_port").resource_usage("host2") == FLAVOR


def test_several_variants_at_once_restore_each_path() -> None:
    behaviour = behaviour_for(["1896463", "1791075"])
    assert not behaviour.finish_evacuation_locked
    assert not behaviour.audit_counts_all_rebuild_states
    assert behaviour.start_up_skips_evacuating
    assert Cluster(bugs="1896463,1791075").bugs == ("1791075", "1896463")
