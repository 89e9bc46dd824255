"""Bug 1794996: evacuate, delete, then restart the source compute."""

from __future__ import annotations

import pytest

from PciRaceLibrary.cluster import Cluster

FLAVOR = {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
NOTHING = {"VCPU": 0, "MEMORY_MB": 0, "DISK_GB": 0}


def reproduce(bugs: str | None) -> Cluster:
    """Nova's regression test, up to and including the restart."""
    cluster = Cluster(bugs=bugs, microversion="2.94")
    assert cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    assert cluster.run_task(cluster.evacuate("vm1"))
    assert cluster.placement_allocations("vm1") == {"host1": FLAVOR, "host2": FLAVOR}
    assert cluster.run_task(cluster.delete_server("vm1"))
    assert cluster.placement_allocations("vm1") == {}
    assert cluster.placement_usage("host1") == cluster.placement_usage("host2") == NOTHING
    assert cluster.run_task(cluster.start_compute_service("host1"))
    return cluster


def historical_outcome(cluster: Cluster) -> None:
    """Before the fix the restart raised and the compute did not come up."""
    assert cluster.start_failure("host1") is not None
    assert not cluster.service_running("host1")
    assert cluster.service_state("host1") == "down"


def test_before_the_fix_the_restarted_source_exits() -> None:
    cluster = reproduce("1794996")
    historical_outcome(cluster)
    failure = cluster.start_failure("host1") or ""
    assert "lazy-loaded the flavor of its deleted instance" in failure
    assert [m["status"] for m in cluster.migrations_of("vm1")] == ["done"]
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"], "host2": ["0000:02:00.1"]}
    # Every restart fails the same way while the hypervisor keeps the guest.
    assert cluster.run_task(cluster.start_compute_service("host1"))
    historical_outcome(cluster)
    assert cluster.run_task(cluster.start_compute_service("host1", clean_hypervisor=True))
    assert cluster.service_running("host1")


def test_with_the_fix_the_source_starts_and_frees_its_device() -> None:
    cluster = reproduce(None)
    assert cluster.start_failure("host1") is None
    assert cluster.service_state("host1") == "up"
    assert [m["status"] for m in cluster.migrations_of("vm1")] == ["completed"]
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.pci_allocations("vm1") == {}
    assert cluster.check_invariants() == []


def test_the_pre_fix_assertions_fail_on_current_nova() -> None:
    with pytest.raises(AssertionError):
        historical_outcome(reproduce(None))


def test_a_restart_before_the_delete_starts_in_both_variants() -> None:
    """Only a deleted instance's guest trips the pre-fix start-up."""
    cluster = Cluster(bugs="1794996", microversion="2.94")
    assert cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    assert cluster.run_task(cluster.evacuate("vm1"))
    assert cluster.run_task(cluster.start_compute_service("host1"))
    assert cluster.start_failure("host1") is None
