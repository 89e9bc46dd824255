"""Bug 1860555: a build claim aborted for a reschedule frees PCI on a copy."""

from __future__ import annotations

import pytest

from PciRaceLibrary.cluster import Cluster

VF = "0000:02:00.1"


def reproduce(bugs: str | None) -> Cluster:
    """Nova's PCIResourceRequestReschedulingTest: the first build fails and
    is rescheduled to the alternate."""
    cluster = Cluster(bugs=bugs)
    cluster.inject_fault("ComputeDriver.spawn")
    assert cluster.run_task(cluster.create_server("vm1"))
    assert cluster.server_host("vm1") == "host2"
    return cluster


def historical_outcome(cluster: Cluster) -> None:
    """Before the fix the instance reached host2 naming two devices."""
    assert sum(map(len, cluster.spawned_pci_devices("vm1").values())) == 2


def test_before_the_fix_the_instance_keeps_the_freed_device() -> None:
    cluster = reproduce("1860555")
    historical_outcome(cluster)
    assert cluster.spawned_pci_devices("vm1") == {"host1": [VF], "host2": [VF]}
    assert cluster.pci_allocations("vm1") == {"host2": [VF]}  # the database is right
    assert VF in cluster.free_pci_devices("host1")


def test_with_the_fix_the_instance_names_its_own_device_only() -> None:
    cluster = reproduce(None)
    assert cluster.spawned_pci_devices("vm1") == {"host2": [VF]}
    assert cluster.pci_allocations("vm1") == {"host2": [VF]}
    assert cluster.check_invariants() == []


def test_the_pre_fix_assertions_fail_on_current_nova() -> None:
    with pytest.raises(AssertionError):
        historical_outcome(reproduce(None))


@pytest.mark.parametrize("bugs", ["1860555", None])
def test_a_move_claim_aborts_on_its_copy_in_both(bugs: str | None) -> None:
    """The variant restores the build abort only: an evacuation whose rebuild
    fails leaves the destination's VF to the next audit either way."""
    cluster = Cluster(bugs=bugs, microversion="2.94")
    assert cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    cluster.inject_fault("ComputeDriver.rebuild")
    assert cluster.run_task(cluster.evacuate("vm1"))
    assert cluster.pci_allocations("vm1") == {"host1": [VF], "host2": [VF]}


def test_the_reschedule_goes_back_through_the_conductor() -> None:
    """Nova's order: claim and spawn on host1, the abort, ports unbound, host
    cleared and task 'scheduling', host1's allocation given back, then the
    conductor claims host2 and casts the build there."""
    cluster = reproduce(None)
    build = [e.detail for e in cluster.kernel.journal if e.task == "create(vm1)"]
    points = [d for d in build if d.startswith(("ComputeTaskAPI.", "ComputeAPI.", "Scheduler"))]
    assert points == [
        "ComputeTaskAPI.build_instances",
        "SchedulerClient.select_destinations",
        "SchedulerReportClient.claim_resources",
        "ComputeAPI.build_and_run_instance",
        "SchedulerReportClient.delete_allocation_for_instance",
        "ComputeTaskAPI.build_instances",
        "SchedulerReportClient.claim_resources",
        "ComputeAPI.build_and_run_instance",
    ]
    assert "task_state None -> scheduling" in "\n".join(build)
