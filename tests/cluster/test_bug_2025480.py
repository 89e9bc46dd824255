"""Bug 2025480 through the cluster's Python API: an audit inside the unshelve's
spawn, as Nova's regression test (test_bug_2025480.py) runs the periodics
from the patched driver spawn, then reads the compute node's vcpus_used."""

from __future__ import annotations

import pytest

from PciRaceLibrary.cluster import Cluster


def raced_unshelve(bugs: str | None) -> Cluster:
    """Shelve (offloads at once), unshelve with a 1 s spawn, audit host1 meanwhile."""
    cluster = Cluster(bugs=bugs)
    assert cluster.run_task(cluster.create_server("vm1", "host1"))
    assert cluster.resource_usage("host1")["vcpus"] == 1
    assert cluster.run_task(cluster.start("shelve", "vm1"))
    assert cluster.resource_usage("host1")["vcpus"] == 0
    unshelve = cluster.start("unshelve", "vm1", delays={"ComputeDriver.spawn": 1})
    audit = cluster.update_available_resource("host1")
    assert cluster.run_task(audit)
    row = cluster.instance("vm1")
    # The audit ran inside the spawn: on host1, still offloaded, spawning.
    assert (cluster.now, row.vm_state, row.task_state, row.host) == (
        0.0, "shelved_offloaded", "spawning", "host1",
    )  # fmt: skip
    assert cluster.run_task(unshelve)
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("ACTIVE", "host1")
    return cluster


def assert_pre_fix_outcome(cluster: Cluster) -> None:
    """What the reproducer asserted before the fix: host1 counts nothing."""
    assert cluster.resource_usage("host1")["vcpus"] == 0


def test_before_the_fix_the_audit_drops_the_unshelve_claim() -> None:
    cluster = raced_unshelve("2025480")
    assert cluster.resource_usage("host1") == {"vcpus": 0, "memory_mb": 0, "disk_gb": 0}
    # Only the tracker's usage is lost: the device and placement are kept.
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:03:00.1"]}
    assert cluster.placement_usage("host1")["VCPU"] == 1
    assert "vm1" not in {
        cluster.context.label(uuid)
        for uuid in cluster.services.computes["host1"].rt.tracked_instances
    }
    # The next audit heals it: the server is active now.
    assert cluster.run_task(cluster.update_available_resource("host1"))
    assert cluster.resource_usage("host1")["vcpus"] == 1


def test_with_the_fix_the_audit_counts_the_spawning_server() -> None:
    cluster = raced_unshelve(None)
    assert cluster.resource_usage("host1") == {"vcpus": 1, "memory_mb": 512, "disk_gb": 1}
    assert cluster.check_invariants() == []


def test_the_pre_fix_assertion_fails_on_current_nova() -> None:
    """The suite detects the bug: its pre-fix check does not hold on the default."""
    assert_pre_fix_outcome(raced_unshelve("2025480"))
    with pytest.raises(AssertionError):
        assert_pre_fix_outcome(raced_unshelve(None))


@pytest.mark.parametrize("bugs", ["2025480", None])
def test_an_audit_before_the_claim_or_after_the_spawn_loses_nothing(bugs: str | None) -> None:
    """Outside the window the variant changes nothing."""
    for delays in ({"ResourceTracker.instance_claim": 1}, {}):
        cluster = Cluster(bugs=bugs)
        assert cluster.run_task(cluster.create_server("vm1", "host1"))
        assert cluster.run_task(cluster.start("shelve", "vm1"))
        cluster.start("unshelve", "vm1", delays=delays)
        cluster.update_available_resource("host1")
        assert cluster.kernel.run_all()
        assert cluster.resource_usage("host1")["vcpus"] == 1
