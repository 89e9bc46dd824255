"""Shelve, shelve offload and unshelve through the cluster's Python API: what
PCI, the resource tracker, placement and the ports show, what Nova's API
refuses, and what each failure leaves."""

from __future__ import annotations

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.errors import ApiRefused, UnknownName
from PciRaceLibrary.sim import Kind

FLAVOR = {"vcpus": 1, "memory_mb": 512, "disk_gb": 1}
NOTHING = {"vcpus": 0, "memory_mb": 0, "disk_gb": 0}


def built(**kwargs: object) -> Cluster:
    cluster = Cluster(**kwargs)  # type: ignore[arg-type]
    assert cluster.run_task(cluster.create_server("vm1", "host1"))
    return cluster


def offloaded(**kwargs: object) -> Cluster:
    cluster = built(**kwargs)
    assert cluster.run_task(cluster.start("shelve", "vm1"))
    return cluster


def state(cluster: Cluster, server: str = "vm1") -> tuple[object, ...]:
    row = cluster.instance(server)
    return (cluster.server_status(server), row.task_state, row.host, row.node, row.compute_id)


def holds_nothing(cluster: Cluster, server: str = "vm1") -> bool:
    return cluster.pci_allocations(server) == {} and cluster.placement_hosts(server) == []


def test_shelve_offloads_at_once_and_frees_everything() -> None:
    cluster = built()
    assert cluster.port_binding("vm1")["pci_slot"] == "0000:02:00.1"
    assert cluster.run_task(cluster.start("shelve", "vm1"))
    assert state(cluster) == ("SHELVED_OFFLOADED", None, None, None, None)
    assert cluster.instance("vm1").launched_on is None
    assert holds_nothing(cluster)
    assert cluster.resource_usage("host1") == NOTHING
    assert len(cluster.free_pci_devices("host1")) == 6
    assert cluster.port_binding("vm1") == {"host": None}
    assert cluster.instance("vm1").uuid not in cluster.services.computes["host1"].guests
    assert cluster.check_invariants() == []


def test_shelve_without_offload_keeps_everything_on_the_host() -> None:
    cluster = built()
    assert cluster.run_task(cluster.start("shelve", "vm1", offload=False))
    assert state(cluster)[:3] == ("SHELVED", None, "host1")
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"]}
    assert cluster.placement_hosts("vm1") == ["host1"]
    assert cluster.run_task(cluster.update_available_resource("host1"))
    assert cluster.resource_usage("host1") == FLAVOR  # a shelved server still counts
    assert cluster.check_invariants() == []
    assert cluster.run_task(cluster.start("shelve_offload", "vm1"))
    assert state(cluster) == ("SHELVED_OFFLOADED", None, None, None, None)
    assert holds_nothing(cluster)
    assert cluster.resource_usage("host1") == NOTHING


def test_unshelve_schedules_claims_and_binds_on_the_chosen_host() -> None:
    cluster = offloaded()
    assert cluster.run_task(cluster.start("unshelve", "vm1", host="host2"))
    assert state(cluster) == ("ACTIVE", None, "host2", "host2", 2)
    assert cluster.pci_allocations("vm1") == {"host2": ["0000:02:00.1"]}
    assert cluster.port_binding("vm1")["host"] == "host2"
    assert cluster.port_binding("vm1")["pci_slot"] == "0000:02:00.1"
    assert cluster.placement_hosts("vm1") == ["host2"]
    assert cluster.resource_usage("host2") == FLAVOR
    assert cluster.resource_usage("host1") == NOTHING
    # The port's request kept its id through shelve and unshelve.
    request = cluster.instance("vm1").pci_requests[0]
    device = cluster.db.peek_pci_devices_of_instance(cluster.instance("vm1").uuid)[0]
    assert device.request_id == request.request_id
    assert cluster.check_invariants() == []


def test_unshelve_back_to_the_same_host_takes_the_vf_at_the_front_of_the_pools() -> None:
    cluster = offloaded()
    assert cluster.run_task(cluster.start("unshelve", "vm1"))
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:03:00.1"]}
    assert cluster.port_binding("vm1")["pci_slot"] == "0000:03:00.1"


def test_unshelve_of_a_shelved_server_only_powers_it_on() -> None:
    cluster = built()
    assert cluster.run_task(cluster.start("shelve", "vm1", offload=False))
    task = cluster.start("unshelve", "vm1")
    assert cluster.run_task(task)
    assert state(cluster)[:3] == ("ACTIVE", None, "host1")
    points = {e.detail for e in cluster.kernel.journal if e.task == task.name and e.kind == "point"}
    assert "ComputeDriver.power_on" in points
    assert "SchedulerClient.select_destinations" not in points
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"]}


@pytest.mark.parametrize("operation", ["shelve", "unshelve"])
def test_the_compute_takes_the_instance_lock(operation: str) -> None:
    cluster = built() if operation == "shelve" else offloaded()
    task = cluster.start(operation, "vm1")
    assert cluster.run_task(task)
    locks = [
        (e.kind, e.detail)
        for e in cluster.kernel.journal
        if e.task == task.name and e.kind in (Kind.ACQUIRE, Kind.RELEASE)
    ]
    assert locks[0] == (Kind.ACQUIRE, "instance[vm1]")
    assert locks[-1] == (Kind.RELEASE, "instance[vm1]")


def test_a_delete_during_the_unshelve_spawn_waits_for_it() -> None:
    cluster = offloaded()
    cluster.start("unshelve", "vm1", delays={"ComputeDriver.spawn": 1})
    cluster.run_until(lambda: False, 0.5)
    assert state(cluster)[:3] == ("SHELVED_OFFLOADED", "spawning", "host1")
    cluster.delete_server("vm1")
    assert cluster.kernel.run_all()
    waits = [(e.time, e.task) for e in cluster.kernel.journal if e.kind == Kind.WAIT]
    assert waits == [(0.5, "delete(vm1)")]
    assert cluster.server_status("vm1") == "DELETED"
    assert holds_nothing(cluster)
    assert cluster.resource_usage("host1") == NOTHING
    assert cluster.check_invariants() == []


@pytest.mark.parametrize(
    ("prepare", "operation", "arguments", "message"),
    [
        ("built", "unshelve", {}, "Cannot unshelve 'vm1': it is active; only shelved, "
         "shelved_offloaded servers that have run can be (409)."),
        ("built", "shelve_offload", {}, "Cannot shelve offload 'vm1': it is active; "
         "only shelved servers that have run can be (409)."),
        ("offloaded", "shelve", {}, "Cannot shelve 'vm1': it is shelved_offloaded; only "
         "active, stopped, paused, suspended servers that have run can be (409)."),
        ("offloaded", "shelve_offload", {}, "Cannot shelve offload 'vm1': it is "
         "shelved_offloaded; only shelved servers that have run can be (409)."),
        ("offloaded", "unshelve", {"host": "host2", "microversion": "2.90"},
         "Cannot unshelve 'vm1' to a host at microversion 2.90: 'host' exists from 2.91 (400)."),
        ("offloaded", "unshelve", {"host": "host2", "microversion": "2.1"},
         "Cannot unshelve 'vm1' to a host at microversion 2.1: 'host' exists from 2.91 (400)."),
        ("shelved", "unshelve", {"host": "host2"}, "Cannot unshelve 'vm1' to 'host2': it is "
         "shelved, and only a shelved_offloaded server is scheduled again (409)."),
        ("offloaded", "evacuate", {}, "Cannot evacuate 'vm1': it is shelved_offloaded; "
         "only active, stopped, error servers that have run can be (409)."),
        ("offloaded", "start_server", {}, "Cannot start 'vm1': it is shelved_offloaded; "
         "only stopped servers that have run can be (409)."),
    ],
)  # fmt: skip
def test_nova_refuses_and_nothing_changes(
    prepare: str, operation: str, arguments: dict[str, str], message: str
) -> None:
    if prepare == "shelved":
        cluster = built()
        assert cluster.run_task(cluster.start("shelve", "vm1", offload=False))
    else:
        cluster = built() if prepare == "built" else offloaded()
    before = (cluster.snapshot(), cluster.now, len(cluster.kernel.tasks))
    with pytest.raises(ApiRefused) as refused:
        cluster.start(operation, "vm1", **arguments)
    assert str(refused.value) == message
    assert (cluster.snapshot(), cluster.now, len(cluster.kernel.tasks)) == before


def test_a_task_under_way_is_refused_and_an_unknown_host_named() -> None:
    cluster = built()
    cluster.start("shelve", "vm1", delays={"ComputeDriver.snapshot": 1})
    with pytest.raises(ApiRefused, match="while it is in task state shelving"):
        cluster.start("shelve", "vm1")
    assert cluster.kernel.run_all()
    with pytest.raises(UnknownName, match=r"No host 'host9'\. Known hosts: host1, host2\."):
        cluster.start("unshelve", "vm1", host="host9")
    assert cluster.run_task(cluster.delete_server("vm1"))
    with pytest.raises(ApiRefused, match=r"Cannot unshelve 'vm1': it is already deleted \(404\)"):
        cluster.start("unshelve", "vm1")


def test_a_refused_claim_leaves_the_server_offloaded_holding_nothing() -> None:
    cluster = offloaded()
    cluster.inject_fault("ResourceTracker.instance_claim")
    assert cluster.run_task(cluster.start("unshelve", "vm1"))
    assert state(cluster) == ("SHELVED_OFFLOADED", None, None, None, None)
    assert cluster.server_fault("vm1") == (
        "claim refused on 'host1': injected failure at ResourceTracker.instance_claim"
    )
    assert holds_nothing(cluster)
    assert cluster.port_binding("vm1") == {"host": None}  # never bound
    assert cluster.check_invariants() == []


def test_a_failed_spawn_aborts_the_claim_and_leaves_the_port_bound() -> None:
    cluster = offloaded()
    cluster.inject_fault("ComputeDriver.spawn")
    assert cluster.run_task(cluster.start("unshelve", "vm1", host="host2"))
    assert state(cluster) == ("SHELVED_OFFLOADED", None, None, None, None)
    assert cluster.server_fault("vm1").startswith("spawn failed on 'host2'")  # type: ignore[union-attr]
    assert holds_nothing(cluster)
    assert cluster.resource_usage("host2") == NOTHING
    assert len(cluster.free_pci_devices("host2")) == 6
    # Nova does not roll the binding back: the port names host2 and the freed VF.
    assert cluster.port_binding("vm1")["host"] == "host2"
    assert cluster.port_binding("vm1")["pci_slot"] == "0000:02:00.1"
    assert cluster.check_invariants() == []
    # The host was cleared inside the abort, under host2's lock.
    abort = [e for e in cluster.kernel.journal if e.detail == "Instance vm1 host host2 -> None"]
    assert len(abort) == 1


def test_a_failed_snapshot_clears_the_task_and_keeps_everything() -> None:
    cluster = built()
    cluster.inject_fault("ComputeDriver.snapshot")
    assert cluster.run_task(cluster.start("shelve", "vm1"))
    assert state(cluster)[:3] == ("ACTIVE", None, "host1")
    assert cluster.server_fault("vm1") == (
        "shelve failed on 'host1': injected failure at ComputeDriver.snapshot"
    )
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"]}
    assert cluster.check_invariants() == []


def test_no_valid_host_clears_the_task_and_allocates_nothing() -> None:
    cluster = offloaded()
    cluster.disable_compute_service("host2")
    assert cluster.run_task(cluster.start("unshelve", "vm1", host="host2"))
    assert state(cluster) == ("SHELVED_OFFLOADED", None, None, None, None)
    assert cluster.server_fault("vm1") is None  # Nova records no fault for it
    assert holds_nothing(cluster)
    assert cluster.check_invariants() == []


def test_an_audit_inside_the_offload_leaves_the_vf_to_the_next_audit() -> None:
    """The model's prediction: the audit reads the instances after the offload
    saved shelved_offloaded and before update_usage, stops tracking vm1
    without freeing its VF, and update_usage then finds nothing to free."""
    cluster = built()
    cluster.start("shelve", "vm1", delays={"ResourceTracker.update_usage": 1})
    cluster.update_available_resource("host1", delays={"get_available_resource": 0.5})
    assert cluster.kernel.run_all()
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"]}
    assert cluster.check_invariants() == [
        "PCI device 0000:02:00.1 on 'host1' is allocated to 'vm1', which is "
        "shelved_offloaded and should hold no device."
    ]
    assert cluster.run_task(cluster.update_available_resource("host1"))
    assert cluster.pci_allocations("vm1") == {}
    assert cluster.check_invariants() == []


def test_the_invariants_report_an_offloaded_server_with_a_host_or_an_allocation() -> None:
    """The checks can fail: rows written by hand, as no Nova path leaves them."""
    cluster = offloaded()
    row = cluster.instance("vm1")
    row.host, row.node = "host1", "host1"
    cluster.db.instances.moved(row, None, None)
    assert cluster.check_invariants() == [
        "Server 'vm1' is shelved_offloaded but still has host 'host1'."
    ]
    row.host = row.node = None
    cluster.db.instances.moved(row, "host1", "host1")
    node = cluster.db.compute_nodes["host2"]
    cluster.run_task(cluster.kernel.spawn(
        cluster.context.placement.claim_resources(row.uuid, node.uuid, {"VCPU": 1}), "claim"
    ))  # fmt: skip
    assert cluster.check_invariants(usage=False) == [
        "Placement holds an allocation on 'host2' for server 'vm1', which is shelved_offloaded."
    ]


def test_the_same_history_gives_the_same_journal() -> None:
    def history() -> str:
        cluster = offloaded()
        cluster.start("unshelve", "vm1", delays={"ComputeDriver.spawn": 1})
        cluster.update_available_resource("host1")
        cluster.kernel.run_all()
        return cluster.kernel.journal.text()

    first = history()
    assert all(history() == first for _ in range(20))


# Nova's ResourceTracker.update_usage (nova/compute/resource_tracker.py)
# frees only what it tracks, and a move's claim on the destination tracks the
# migration, not the instance, until the next audit. An offload that soon
# after a move leaves the destination's VF allocated; the audit frees it only
# if the server has not come back to that host meanwhile, since clean_usage
# keeps every device of an instance that is on the host (nova/pci/manager.py).
# Plans of the request-mix property test (seeds 26 and 20) found these.


def evacuated_to_host2() -> Cluster:
    cluster = built()
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    assert cluster.run_task(cluster.evacuate("vm1"))
    assert cluster.run_task(cluster.start_compute_service("host1"))  # cleans up its half
    assert cluster.pci_allocations("vm1") == {"host2": ["0000:02:00.1"]}
    return cluster


def test_an_offload_right_after_an_evacuation_frees_the_vf_only_at_the_next_audit() -> None:
    cluster = evacuated_to_host2()
    task = cluster.start("shelve", "vm1")
    assert cluster.run_task(task)
    assert state(cluster) == ("SHELVED_OFFLOADED", None, None, None, None)
    assert cluster.placement_hosts("vm1") == []
    assert cluster.pci_allocations("vm1") == {"host2": ["0000:02:00.1"]}
    notes = [
        e.detail for e in cluster.kernel.journal if e.task == task.name and e.kind == Kind.NOTE
    ]
    assert notes == [
        "update_usage frees nothing of 'vm1': the tracker of 'host2' does not track it"
    ]
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.pci_allocations("vm1") == {}


def test_an_unshelve_back_before_that_audit_leaves_the_server_two_vfs_for_good() -> None:
    cluster = evacuated_to_host2()
    assert cluster.run_task(cluster.start("shelve", "vm1"))
    assert cluster.run_task(cluster.start("unshelve", "vm1", host="host2"))
    leaked = {"host2": ["0000:02:00.1", "0000:03:00.1"]}
    assert cluster.pci_allocations("vm1") == leaked
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.pci_allocations("vm1") == leaked
    assert cluster.run_task(cluster.start("delete", "vm1"))
    assert cluster.pci_allocations("vm1") == {}  # free_instance frees every device it has


def test_an_offload_right_after_a_live_migration_frees_the_vf_only_at_the_next_audit() -> None:
    cluster = built()
    assert cluster.run_task(cluster.live_migrate("vm1", "host2"))
    assert cluster.server_host("vm1") == "host2"
    assert cluster.run_task(cluster.start("shelve", "vm1"))
    assert list(cluster.pci_allocations("vm1")) == ["host2"]
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.pci_allocations("vm1") == {}
