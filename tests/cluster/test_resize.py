"""Cold migration and resize: usage, devices, placement and ports at each step,
and bug 1879878 (an audit between a move's status and its dropped claim)."""

from __future__ import annotations

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.topology import load_topology
from PciRaceLibrary.errors import ApiRefused, UnknownName
from PciRaceLibrary.keywords.cluster import SHIPPED

from .moves import migrated, vcpus

SMALL = {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
MEDIUM = {"VCPU": 2, "MEMORY_MB": 1024, "DISK_GB": 2}


def test_a_cold_migration_waits_in_verify_resize_with_both_hosts_accounted() -> None:
    cluster = migrated()
    assert cluster.server_host("vm1") == "host2"
    assert cluster.migrations_of("vm1")[-1]["status"] == "finished"
    assert vcpus(cluster) == {"host1": 1, "host2": 1}
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"], "host2": ["0000:02:00.1"]}
    # The source part went to the migration; the instance holds the destination.
    assert cluster.placement_allocations("vm1") == {"host2": SMALL}
    assert cluster.placement_allocations("vm1", migration=True) == {"host1": SMALL}
    assert cluster.port_binding("vm1")["host"] == "host2"
    assert cluster.check_invariants() == []


def test_confirm_frees_the_source_and_later_audits_change_nothing() -> None:
    cluster = migrated()
    cluster.run_task(cluster.start("confirm_resize", "vm1"))
    assert cluster.server_status("vm1") == "ACTIVE"
    assert cluster.migrations_of("vm1")[-1]["status"] == "confirmed"
    assert vcpus(cluster) == {"host1": 0, "host2": 1}
    assert cluster.pci_allocations("vm1") == {"host2": ["0000:02:00.1"]}
    assert cluster.placement_allocations("vm1", migration=True) == {}
    for host in cluster.hosts:
        cluster.run_task(cluster.update_available_resource(host))
    assert vcpus(cluster) == {"host1": 0, "host2": 1}
    assert cluster.check_invariants() == []


def test_deleting_a_server_awaiting_its_confirmation_confirms_it_on_the_source_first() -> None:
    """Nova's ``_confirm_resize_on_deleting``: without it the source's guest,
    devices and the migration's allocation would stay after the delete."""
    cluster = migrated()
    cluster.run_task(cluster.start("delete", "vm1"))
    assert cluster.kernel.run_all()
    assert cluster.migrations_of("vm1")[-1]["status"] == "confirmed"
    assert cluster.placement_allocations("vm1", migration=True) == {}
    assert "host1" not in cluster.pci_allocations("vm1")
    for host in cluster.hosts:  # the destination tracked it through the migration only
        cluster.run_task(cluster.update_available_resource(host))
    assert cluster.pci_allocations("vm1") == {}
    assert vcpus(cluster) == {"host1": 0, "host2": 0}
    assert cluster.check_invariants() == []


def test_revert_takes_the_server_back_with_its_old_flavor_and_devices() -> None:
    cluster = migrated(flavor="m1.medium")
    assert cluster.placement_allocations("vm1") == {"host2": MEDIUM}
    assert vcpus(cluster) == {"host1": 1, "host2": 2}
    cluster.run_task(cluster.start("revert_resize", "vm1"))
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("ACTIVE", "host1")
    assert cluster.instance("vm1").flavor.name == "m1.small"
    assert cluster.migrations_of("vm1")[-1]["status"] == "reverted"
    assert vcpus(cluster) == {"host1": 1, "host2": 0}
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"]}
    assert cluster.placement_allocations("vm1") == {"host1": SMALL}
    assert cluster.port_binding("vm1")["host"] == "host1"
    assert cluster.check_invariants() == []


def test_a_resize_confirmed_keeps_the_new_flavor_everywhere() -> None:
    cluster = migrated(flavor="m1.medium")
    assert cluster.instance("vm1").flavor.name == "m1.medium"
    cluster.run_task(cluster.start("confirm_resize", "vm1"))
    assert cluster.resource_usage("host2") == {"vcpus": 2, "memory_mb": 1024, "disk_gb": 2}
    assert cluster.placement_allocations("vm1") == {"host2": MEDIUM}
    cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.resource_usage("host2") == {"vcpus": 2, "memory_mb": 1024, "disk_gb": 2}
    assert cluster.check_invariants() == []


def test_a_resize_on_the_same_host_when_the_cluster_allows_it() -> None:
    cluster = Cluster(allow_resize_to_same_host=True)
    cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.run_task(cluster.update_available_resource("host2"))
    # host2 has more free RAM, so make host1 the only choice.
    cluster.disable_compute_service("host2")
    cluster.run_task(cluster.start("resize", "vm1", flavor="m1.medium"))
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("VERIFY_RESIZE", "host1")
    # Both flavors and two devices on the one host until the confirm.
    assert cluster.resource_usage("host1")["vcpus"] == 3
    assert len(cluster.pci_allocations("vm1")["host1"]) == 2
    cluster.run_task(cluster.start("confirm_resize", "vm1"))
    assert cluster.resource_usage("host1")["vcpus"] == 2
    assert len(cluster.pci_allocations("vm1")["host1"]) == 1
    assert cluster.check_invariants() == []


def test_without_the_option_a_cold_migration_never_stays() -> None:
    cluster = Cluster()
    cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.disable_compute_service("host2")
    cluster.run_task(cluster.start("migrate", "vm1"))
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("ACTIVE", "host1")
    assert "No valid host" in (cluster.server_fault("vm1") or "")
    assert cluster.migrations_of("vm1")[-1]["status"] == "error"
    assert cluster.placement_allocations("vm1") == {"host1": SMALL}
    assert cluster.check_invariants() == []


def test_a_refused_claim_is_retried_on_an_alternate_host() -> None:
    cluster = Cluster(topology=load_topology(SHIPPED / "three_hosts.yaml"))
    cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.inject_fault("ResourceTracker.resize_claim")
    cluster.run_task(cluster.start("migrate", "vm1"))
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("VERIFY_RESIZE", "host3")
    assert cluster.placement_allocations("vm1") == {"host3": SMALL}
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"], "host3": ["0000:02:00.1"]}
    assert cluster.check_invariants() == []


def test_with_no_alternate_left_the_server_stays_active_where_it_was() -> None:
    cluster = Cluster()
    cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.inject_fault("ResourceTracker.resize_claim")
    cluster.run_task(cluster.start("migrate", "vm1"))
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("ACTIVE", "host1")
    assert "Exceeded maximum number of retries" in (cluster.server_fault("vm1") or "")
    assert cluster.migrations_of("vm1")[-1]["status"] == "error"
    assert cluster.placement_allocations("vm1") == {"host1": SMALL}
    assert cluster.placement_allocations("vm1", migration=True) == {}
    assert vcpus(cluster) == {"host1": 1, "host2": 0}
    assert cluster.check_invariants() == []


def test_a_refused_claim_on_a_requested_host_is_not_retried_and_errors_the_server() -> None:
    cluster = Cluster()
    cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.inject_fault("ResourceTracker.resize_claim")
    cluster.run_task(cluster.start("migrate", "vm1", host="host2"))
    assert cluster.server_status("vm1") == "ERROR"
    assert cluster.migrations_of("vm1")[-1]["status"] == "error"
    assert cluster.placement_allocations("vm1") == {"host1": SMALL}


def test_a_failed_finish_errors_the_server_on_the_destination_and_frees_the_source_allocation() -> (
    None
):
    cluster = Cluster()
    cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.inject_fault("ComputeDriver.finish_migration")
    cluster.run_task(cluster.start("migrate", "vm1"))
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("ERROR", "host2")
    assert cluster.migrations_of("vm1")[-1]["status"] == "error"
    assert cluster.placement_allocations("vm1", migration=True) == {}
    assert cluster.placement_allocations("vm1") == {"host2": SMALL}


@pytest.mark.parametrize(
    ("operation", "arguments", "message"),
    [
        (
            "migrate",
            {"host": "host1"},
            "Cannot migrate 'vm1' to 'host1': it is its own host (400).",
        ),
        ("migrate", {"host": "host2", "microversion": "2.55"}, "from 2.56 (400)"),
        ("resize", {"flavor": "m1.small"}, "it already has that flavor"),
        ("confirm_resize", {}, "Cannot confirm the resize of 'vm1': it is active"),
        ("revert_resize", {}, "Cannot revert the resize of 'vm1': it is active"),
    ],
)
def test_the_api_refuses_with_one_sentence_and_changes_nothing(
    operation: str, arguments: dict[str, str], message: str
) -> None:
    cluster = Cluster()
    cluster.run_task(cluster.create_server("vm1", "host1"))
    before = cluster.snapshot()
    with pytest.raises(ApiRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        cluster.start(operation, "vm1", **arguments)
    assert cluster.snapshot() == before


def test_an_unknown_flavor_or_host_is_named() -> None:
    cluster = Cluster()
    cluster.run_task(cluster.create_server("vm1", "host1"))
    flavors = r"No flavor 'm9'\. Known flavors: m1\.small, m1\.medium\."
    with pytest.raises(UnknownName, match=flavors):
        cluster.start("resize", "vm1", flavor="m9")
    with pytest.raises(UnknownName, match="No host 'host9'"):
        cluster.start("migrate", "vm1", host="host9")


def test_a_source_that_is_down_refuses_a_migration_and_a_confirm() -> None:
    cluster = Cluster()
    cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    with pytest.raises(ApiRefused, match="compute service on 'host1' is down"):
        cluster.start("migrate", "vm1")
    moved = migrated()
    moved.stop_compute_service("host1")
    moved.force_down_compute_service("host1")
    with pytest.raises(ApiRefused, match="its source 'host1' is down"):
        moved.start("confirm_resize", "vm1")


def test_a_revert_while_the_source_is_down_leaves_its_allocation_to_the_migration() -> None:
    # Nova's API checks no service for a revert: the destination reverts its
    # half and casts finish_revert_resize to the stopped source, which never
    # runs it, so the migration keeps the source's allocation for good.
    moved = migrated()
    moved.stop_compute_service("host1")
    moved.force_down_compute_service("host1")
    moved.start("revert_resize", "vm1")
    moved.kernel.run_all()
    assert moved.migrations_of("vm1")[-1]["status"] == "reverted"
    assert moved.server_status("vm1") == "REVERT_RESIZE"
    assert moved.placement_allocations("vm1", migration=True) == {"host1": SMALL}
    orphan = (
        "Placement holds an allocation on 'host1' for migration-1(vm1), which is reverted and over."
    )
    assert orphan in moved.check_invariants(usage=False)
    # Started again, the source's audit frees the device no move accounts for;
    # the allocation stays (what nova-manage placement audit reports).
    assert moved.run_task(moved.start_compute_service("host1"))
    assert moved.run_task(moved.update_available_resource("host1"))
    assert moved.pci_allocations("vm1") == {}
    assert moved.check_invariants(usage=False) == [orphan]


# -- bug 1879878 ---------------------------------------------------------------------


def confirm_racing_the_source_audit(bugs: str | None) -> Cluster:
    """The steps of Nova's regression test: the confirm's status change lands
    while the source's audit holds the lock between its two reads."""
    cluster = migrated(bugs)
    cluster.start("confirm_resize", "vm1", delays={"ComputeDriver.confirm_migration": 1})
    cluster.run_task(
        cluster.update_available_resource("host1", delays={"get_in_progress_and_error": 2})
    )
    cluster.kernel.run_all()
    return cluster


def revert_racing_the_destination_audit(bugs: str | None) -> Cluster:
    cluster = migrated(bugs)
    cluster.start("revert_resize", "vm1", delays={"ComputeDriver.destroy": 1})
    cluster.run_task(
        cluster.update_available_resource("host2", delays={"get_in_progress_and_error": 2})
    )
    cluster.kernel.run_all()
    return cluster


def test_before_the_fix_a_raced_confirm_drops_the_source_usage_twice() -> None:
    cluster = confirm_racing_the_source_audit("1879878")
    assert vcpus(cluster) == {"host1": -1, "host2": 1}  # Nova's reproducer saw -1
    cluster.run_task(cluster.update_available_resource("host1"))
    assert vcpus(cluster) == {"host1": 0, "host2": 1}  # the next audit repairs it


def test_with_the_fix_a_raced_confirm_counts_the_source_until_the_drop() -> None:
    cluster = confirm_racing_the_source_audit(None)
    assert vcpus(cluster) == {"host1": 0, "host2": 1}
    assert cluster.check_invariants() == []
    cluster.run_task(cluster.update_available_resource("host1"))
    assert vcpus(cluster) == {"host1": 0, "host2": 1}


def test_before_the_fix_a_raced_revert_leaves_the_destination_counted() -> None:
    cluster = revert_racing_the_destination_audit("1879878")
    assert cluster.server_host("vm1") == "host1"
    assert vcpus(cluster) == {"host1": 1, "host2": 1}
    assert cluster.check_invariants() != []


def test_with_the_fix_a_raced_revert_drops_the_destination() -> None:
    cluster = revert_racing_the_destination_audit(None)
    assert vcpus(cluster) == {"host1": 1, "host2": 0}
    assert cluster.check_invariants() == []


@pytest.mark.parametrize(
    "race", [confirm_racing_the_source_audit, revert_racing_the_destination_audit]
)
def test_the_pre_fix_steps_fail_the_accounting_check_only_before_the_fix(race) -> None:
    """The suite detects the bug: the same steps pass on current Nova and fail
    the accounting check with the bug switched back on."""
    assert race(None).check_invariants() == []
    problems = race("1879878").check_invariants()
    assert any("counts other usage than placement" in problem for problem in problems)


def test_a_failed_hand_over_errors_the_server_on_its_source_and_leaves_the_claim() -> None:
    """``migrate_disk_and_power_off`` fails: ERROR on host1, the migration
    ``error``, and Nova's ``resize_instance`` gives the source allocation the
    migration held back to the instance (``_revert_allocation``, in
    nova/compute/manager.py since caf167862d); nothing undoes host2's claim
    (the operator rebuilds or deletes the server)."""
    cluster = Cluster()
    cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.inject_fault("ComputeDriver.migrate_disk_and_power_off")
    cluster.run_task(cluster.start("migrate", "vm1"))
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("ERROR", "host1")
    assert cluster.migrations_of("vm1")[-1]["status"] == "error"
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"], "host2": ["0000:02:00.1"]}
    assert cluster.placement_allocations("vm1") == {"host1": SMALL}
    assert cluster.placement_allocations("vm1", migration=True) == {}
    cluster.run_task(cluster.delete_server("vm1"))
    for host in cluster.hosts:
        cluster.run_task(cluster.update_available_resource(host))
    assert cluster.pci_allocations("vm1") == {}
    assert cluster.check_invariants(usage=False) == []


def test_a_delete_right_after_a_migration_starts_preempts_the_hand_over() -> None:
    """The delete sets ``deleting`` at once; the source's ``resize_instance``
    then saves expecting ``resize_prep`` and gets
    UnexpectedDeletingTaskStateError: the migration ``error``, the source
    allocation back to the instance, the task state left to the delete, which
    ends the server. host2's claim stays until host2's audit: the destroy
    soft-deleted the migration with the instance (Nova's ``instance_destroy``),
    so the audit no longer keeps the device for it (found by the request-mix
    property test)."""
    cluster = Cluster()
    cluster.run_task(cluster.create_server("vm1", "host1"))
    migrate = cluster.start("migrate", "vm1")
    delete = cluster.delete_server("vm1")
    assert cluster.kernel.run_all()
    assert migrate.error is None
    assert delete.error is None
    notes = [
        e.detail for e in cluster.kernel.journal if e.task == migrate.name and e.kind == "note"
    ]
    assert notes == ["resize preempted: Instance vm1 is being deleted."]
    assert cluster.migrations_of("vm1")[-1]["status"] == "error"
    assert cluster.instance("vm1").deleted
    assert cluster.placement_allocations("vm1") == {}
    assert cluster.placement_allocations("vm1", migration=True) == {}
    assert cluster.pci_allocations("vm1") == {"host2": ["0000:02:00.1"]}
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.pci_allocations("vm1") == {}
    assert cluster.check_invariants() == []


def test_a_failed_confirm_errors_the_server_and_still_deletes_the_migration_allocation() -> None:
    """``confirm_migration`` fails on the source: ERROR, the migration stays
    ``confirming``, and Nova's ``finally`` deletes what the migration held."""
    cluster = migrated()
    cluster.inject_fault("ComputeDriver.confirm_migration")
    cluster.run_task(cluster.start("confirm_resize", "vm1"))
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("ERROR", "host2")
    assert cluster.migrations_of("vm1")[-1]["status"] == "confirming"
    assert cluster.placement_allocations("vm1", migration=True) == {}
    assert cluster.placement_allocations("vm1") == {"host2": SMALL}
