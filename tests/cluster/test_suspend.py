"""Suspend and resume through the cluster's Python API, as Nova's
``API.suspend`` / ``API.resume`` and ``ComputeManager.suspend_instance`` /
``resume_instance`` do them: the server stays on its host and keeps its PCI
devices, usage, placement allocation and port binding; the audit keeps
counting it; Nova's API refusals change nothing."""

from __future__ import annotations

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.errors import ApiRefused
from PciRaceLibrary.sim import Kind

FLAVOR = {"vcpus": 1, "memory_mb": 512, "disk_gb": 1}
NOTHING = {"vcpus": 0, "memory_mb": 0, "disk_gb": 0}


def built() -> Cluster:
    cluster = Cluster()
    assert cluster.run_task(cluster.create_server("vm1", "host1"))
    return cluster


def suspended() -> Cluster:
    cluster = built()
    assert cluster.run_task(cluster.start("suspend", "vm1"))
    return cluster


def stopped() -> Cluster:
    cluster = built()
    assert cluster.run_task(cluster.start("stop_server", "vm1"))
    return cluster


def held(cluster: Cluster, server: str = "vm1") -> tuple[object, ...]:
    """What the server holds, as the accounting keeps it."""
    return (
        cluster.server_host(server),
        cluster.pci_allocations(server),
        cluster.placement_allocations(server),
        cluster.resource_usage("host1"),
        cluster.free_pci_devices("host1"),
        cluster.port_binding(server),
    )


def test_suspend_and_resume_keep_devices_allocations_usage_and_binding() -> None:
    cluster = built()
    before = held(cluster)
    assert before[1] == {"host1": ["0000:02:00.1"]}
    assert cluster.port_binding("vm1")["pci_slot"] == "0000:02:00.1"
    assert cluster.run_task(cluster.start("suspend", "vm1"))
    assert (cluster.server_status("vm1"), cluster.instance("vm1").task_state) == (
        "SUSPENDED",
        None,
    )
    assert held(cluster) == before
    assert cluster.check_invariants() == []
    assert cluster.run_task(cluster.start("resume", "vm1"))
    assert (cluster.server_status("vm1"), cluster.instance("vm1").task_state) == ("ACTIVE", None)
    assert held(cluster) == before
    assert cluster.check_invariants() == []


def test_the_api_sets_the_task_before_it_answers_and_refuses_a_second_request() -> None:
    cluster = built()
    cluster.start("suspend", "vm1", delays={"ComputeDriver.suspend": 1})
    row = cluster.instance("vm1")
    # Nova's status map has no entry for active/suspending: the status stays ACTIVE.
    assert (cluster.server_status("vm1"), row.task_state) == ("ACTIVE", "suspending")
    with pytest.raises(ApiRefused, match="while it is in task state suspending"):
        cluster.start("suspend", "vm1")
    assert cluster.kernel.run_all()
    cluster.start("resume", "vm1", delays={"ComputeDriver.resume": 1})
    assert (cluster.server_status("vm1"), cluster.instance("vm1").task_state) == (
        "SUSPENDED",
        "resuming",
    )
    with pytest.raises(ApiRefused, match="while it is in task state resuming"):
        cluster.start("resume", "vm1")
    assert cluster.kernel.run_all()
    assert cluster.server_status("vm1") == "ACTIVE"


def test_the_saves_are_the_drivers_then_the_instance_without_the_instance_lock() -> None:
    cluster = built()
    task = cluster.start("suspend", "vm1")
    assert cluster.run_task(task)
    mine = [e for e in cluster.kernel.journal if e.task == task.name]
    points = [e.detail for e in mine if e.kind == Kind.POINT]
    assert points == ["ComputeAPI.suspend_instance", "ComputeDriver.suspend", "Instance.save"]
    assert not [e for e in mine if e.kind in (Kind.ACQUIRE, Kind.WAIT)]


def test_audits_while_suspended_change_nothing() -> None:
    cluster = suspended()
    before = (held(cluster), cluster.snapshot())
    for _ in range(2):
        assert cluster.run_task(cluster.update_available_resource("host1"))
    assert (held(cluster), cluster.snapshot()) == before
    assert cluster.resource_usage("host1") == FLAVOR  # a suspended server still counts
    assert cluster.check_invariants() == []


def test_an_audit_inside_the_suspend_and_the_resume_changes_nothing() -> None:
    cluster = built()
    before = held(cluster)
    for operation in ("suspend", "resume"):
        task = cluster.start(operation, "vm1", delays={f"ComputeDriver.{operation}": 2})
        cluster.run_task(
            cluster.update_available_resource(
                "host1", delays={"InstanceList.get_by_host_and_node": 1}
            )
        )
        assert cluster.run_task(task)
        assert held(cluster) == before
        assert cluster.check_invariants() == []
    assert cluster.server_status("vm1") == "ACTIVE"


@pytest.mark.parametrize(
    ("prepare", "operation", "arguments", "message"),
    [
        (stopped, "suspend", {}, "Cannot suspend 'vm1': it is stopped; only active servers "
         "that have run can be (409)."),
        (suspended, "suspend", {}, "Cannot suspend 'vm1': it is suspended; only active "
         "servers that have run can be (409)."),
        (built, "resume", {}, "Cannot resume 'vm1': it is active; only suspended servers "
         "that have run can be (409)."),
        (stopped, "resume", {}, "Cannot resume 'vm1': it is stopped; only suspended servers "
         "that have run can be (409)."),
        (suspended, "stop_server", {}, "Cannot stop 'vm1': it is suspended; only active, "
         "error servers that have run can be (409)."),
        (suspended, "start_server", {}, "Cannot start 'vm1': it is suspended; only stopped "
         "servers that have run can be (409)."),
        (suspended, "live_migrate", {}, "Cannot live migrate 'vm1': it is suspended; only "
         "active, paused servers that have run can be (409)."),
        (suspended, "migrate", {}, "Cannot migrate 'vm1': it is suspended; only active, "
         "stopped servers can be (409)."),
        (suspended, "resize", {"flavor": "m1.medium"}, "Cannot resize 'vm1': it is "
         "suspended; only active, stopped servers can be (409)."),
        (suspended, "rebuild", {}, "Cannot rebuild 'vm1': it is suspended; only active, "
         "stopped, error servers that have run can be (409)."),
    ],
)  # fmt: skip
def test_nova_refuses_and_nothing_changes(
    prepare: object, operation: str, arguments: dict[str, str], message: str
) -> None:
    cluster = prepare()  # type: ignore[operator]
    before = (cluster.snapshot(), cluster.now, len(cluster.kernel.tasks))
    with pytest.raises(ApiRefused) as refused:
        cluster.start(operation, "vm1", **arguments)
    assert str(refused.value) == message
    assert (cluster.snapshot(), cluster.now, len(cluster.kernel.tasks)) == before


def test_a_suspended_server_on_a_down_host_cannot_be_evacuated() -> None:
    # API.evacuate: @check_instance_state(vm_state=[ACTIVE, STOPPED, ERROR]).
    cluster = suspended()
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    before = (cluster.snapshot(), cluster.now, len(cluster.kernel.tasks))
    with pytest.raises(ApiRefused) as refused:
        cluster.evacuate("vm1")
    assert str(refused.value) == (
        "Cannot evacuate 'vm1': it is suspended; only active, stopped, error servers "
        "that have run can be (409)."
    )
    assert (cluster.snapshot(), cluster.now, len(cluster.kernel.tasks)) == before


def test_an_interface_cannot_be_attached_to_a_suspended_server() -> None:
    # API.attach_interface: vm_state=[ACTIVE, PAUSED, STOPPED].
    cluster = suspended()
    cluster.create_port("p1", "network_2", "direct")
    before = (cluster.snapshot(), cluster.now, len(cluster.kernel.tasks))
    with pytest.raises(ApiRefused, match="it is suspended; only active, paused, stopped"):
        cluster.start("attach_interface", "vm1", port="p1")
    assert (cluster.snapshot(), cluster.now, len(cluster.kernel.tasks)) == before


def test_a_suspended_server_can_be_shelved_and_offloading_frees_everything() -> None:
    # API.shelve: vm_state=[ACTIVE, STOPPED, PAUSED, SUSPENDED].
    cluster = suspended()
    assert cluster.run_task(cluster.start("shelve", "vm1"))
    assert cluster.server_status("vm1") == "SHELVED_OFFLOADED"
    assert cluster.pci_allocations("vm1") == {}
    assert cluster.placement_hosts("vm1") == []
    assert cluster.resource_usage("host1") == NOTHING
    assert len(cluster.free_pci_devices("host1")) == 6
    assert cluster.port_binding("vm1") == {"host": None}
    assert cluster.check_invariants() == []


def test_a_delete_of_a_suspended_server_frees_everything() -> None:
    cluster = suspended()
    assert cluster.run_task(cluster.delete_server("vm1"))
    assert cluster.server_status("vm1") == "DELETED"
    assert cluster.pci_allocations("vm1") == {}
    assert cluster.placement_hosts("vm1") == []
    assert cluster.resource_usage("host1") == NOTHING
    assert len(cluster.free_pci_devices("host1")) == 6
    assert cluster.run_task(cluster.update_available_resource("host1"))
    assert len(cluster.free_pci_devices("host1")) == 6
    assert cluster.check_invariants() == []


def test_a_delete_while_the_driver_suspends_wins_and_frees_everything() -> None:
    cluster = built()
    task = cluster.start("suspend", "vm1", delays={"ComputeDriver.suspend": 1})
    assert cluster.run_task(cluster.delete_server("vm1"))  # not held up: no instance lock
    assert cluster.now < 1
    assert cluster.run_task(task)
    assert cluster.server_status("vm1") == "DELETED"
    assert "suspend stopped: Instance vm1" in cluster.kernel.journal.text()
    assert cluster.pci_allocations("vm1") == {}
    assert cluster.resource_usage("host1") == NOTHING
    assert cluster.check_invariants() == []


@pytest.mark.parametrize("operation", ["suspend", "resume"])
def test_a_failed_driver_call_sets_error_and_keeps_everything(operation: str) -> None:
    cluster = built() if operation == "suspend" else suspended()
    before = held(cluster)
    cluster.inject_fault(f"ComputeDriver.{operation}")
    assert cluster.run_task(cluster.start(operation, "vm1"))
    row = cluster.instance("vm1")
    assert (cluster.server_status("vm1"), row.task_state) == ("ERROR", None)
    assert cluster.server_fault("vm1") == (
        f"{operation} failed on 'host1': injected failure at ComputeDriver.{operation}"
    )
    assert held(cluster) == before
    assert cluster.check_invariants() == []


def test_a_cast_to_a_stopped_compute_leaves_the_task_under_way() -> None:
    cluster = built()
    cluster.stop_compute_service("host1")
    assert cluster.run_task(cluster.start("suspend", "vm1"))
    assert (cluster.server_status("vm1"), cluster.instance("vm1").task_state) == (
        "ACTIVE",
        "suspending",
    )
    assert "suspend_instance cast to stopped compute 'host1' is not consumed" in (
        cluster.kernel.journal.text()
    )


def test_the_same_history_gives_the_same_journal() -> None:
    def history() -> str:
        cluster = built()
        cluster.start("suspend", "vm1", delays={"ComputeDriver.suspend": 1})
        cluster.update_available_resource("host1")
        cluster.kernel.run_all()
        cluster.start("resume", "vm1")
        cluster.kernel.run_all()
        return cluster.kernel.journal.text()

    first = history()
    assert all(history() == first for _ in range(5))
