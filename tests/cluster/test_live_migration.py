"""Live migration as Nova does it, through the cluster's Python API: the
record's statuses, placement's hand-over to the migration consumer, the VFs
claimed on the destination and freed on the source, the port bindings, the
refusals and the failures Nova handles.

The accounting checks leave the trackers' vCPU/RAM out (``usage=False``):
the destination counts a non-NUMA live migration only from its next audit
(see the last test).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.topology import load_topology
from PciRaceLibrary.errors import ApiRefused, UnknownName
from PciRaceLibrary.sim import Kind

TOPOLOGIES = Path(__file__).resolve().parents[2] / "PciRaceLibrary" / "topologies"
FLAVOR = {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
VF_02, VF_03 = "0000:02:00.1", "0000:03:00.1"


def two_servers(topology: str | None = None) -> Cluster:
    """vm2 holds 02:00.1 on host2, so vm1's VF there is another one than on host1."""
    cluster = Cluster(load_topology(TOPOLOGIES / f"{topology}.yaml") if topology else None)
    assert cluster.run_task(cluster.create_server("vm2", "host2"))
    assert cluster.run_task(cluster.create_server("vm1", "host1"))
    return cluster


def statuses(cluster: Cluster) -> list[str]:
    return [
        str(e.change.new)
        for e in cluster.kernel.journal
        if e.change is not None and e.change.object == "Migration" and e.change.name == "vm1"
    ]


def latest(cluster: Cluster) -> str:
    records = cluster.migrations_of("vm1")
    return records[-1]["status"] if records else "-"


@pytest.mark.parametrize("target", [None, "host2"])
def test_a_live_migration_moves_the_server_its_vf_its_binding_and_its_allocation(
    target: str | None,
) -> None:
    cluster = two_servers()
    cluster.live_migrate("vm1", target, delays={"ComputeDriver.live_migration": 1})
    assert cluster.server_status("vm1") == "MIGRATING"
    assert cluster.run_until(lambda: latest(cluster) == "running", 5)
    # Mid-way: the migration holds the source, the instance the destination;
    # the destination's VF is claimed (not yet allocated), the port still on host1.
    assert cluster.placement_allocations("vm1") == {"host2": FLAVOR}
    assert cluster.placement_allocations("vm1", migration=True) == {"host1": FLAVOR}
    assert cluster.pci_allocations("vm1") == {"host1": [VF_02]}
    assert VF_03 not in cluster.free_pci_devices("host2")
    assert cluster.port_binding("vm1")["host"] == "host1"
    assert cluster.port_binding("vm1")["pci_slot"] == VF_02
    assert cluster.check_invariants(usage=False) == []
    cluster.kernel.run_all()
    assert statuses(cluster) == ["accepted", "queued", "preparing", "running", "completed"]
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("ACTIVE", "host2")
    assert cluster.placement_allocations("vm1") == {"host2": FLAVOR}
    assert cluster.placement_allocations("vm1", migration=True) == {}
    assert cluster.pci_allocations("vm1") == {"host2": [VF_03]}
    assert cluster.port_binding("vm1")["host"] == "host2"
    assert cluster.port_binding("vm1")["pci_slot"] == VF_03
    port = cluster.db.ports[cluster.instance("vm1").ports[0]]
    assert port.inactive_bindings == {}  # the source's deleted by the destination
    # The source's own audit at the end dropped its usage; the destination
    # counts the server from its next audit on.
    assert cluster.resource_usage("host1")["vcpus"] == 0
    assert cluster.resource_usage("host2")["vcpus"] == 1
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.resource_usage("host2")["vcpus"] == 2
    assert cluster.check_invariants(usage=False) == []
    moved = [e.change.new for e in cluster.kernel.journal
             if e.change is not None and e.change.object == "Placement"]  # fmt: skip
    assert "moved to migration-1(vm1)" in moved


def test_the_inactive_binding_on_the_destination_names_the_claimed_vf() -> None:
    cluster = two_servers()
    cluster.live_migrate("vm1", delays={"ComputeDriver.pre_live_migration": 1})
    assert cluster.run_until(lambda: latest(cluster) == "preparing", 5)
    port = cluster.db.ports[cluster.instance("vm1").ports[0]]
    assert port.binding_host_id == "host1"
    assert port.inactive_bindings["host2"]["pci_slot"] == VF_03


def test_the_same_live_migration_gives_the_same_journal() -> None:
    def run() -> str:
        cluster = two_servers()
        cluster.live_migrate("vm1", "host2")
        cluster.run_task(cluster.update_available_resource("host2"))
        cluster.kernel.run_all()
        return cluster.kernel.journal.text()

    first = run()
    assert run() == first


# -- refusals -------------------------------------------------------------------------


def refused(cluster: Cluster, **arguments: object) -> str:
    before = cluster.snapshot(), len(cluster.kernel.tasks), cluster.now
    with pytest.raises((ApiRefused, UnknownName)) as error:
        cluster.live_migrate("vm1", **arguments)  # type: ignore[arg-type]
    assert (cluster.snapshot(), len(cluster.kernel.tasks), cluster.now) == before
    return str(error.value)


def test_the_api_refuses_with_one_sentence_and_changes_nothing() -> None:
    cluster = two_servers()
    assert refused(cluster, target_host="host9") == "No host 'host9'. Known hosts: host1, host2."
    assert refused(cluster, force=True) == (
        "Cannot force the live migration of 'vm1' at microversion 2.104: 'force' exists "
        "from 2.30 to 2.67 (400)."
    )
    assert refused(cluster, force=True, microversion="2.30") == (
        "Cannot force the live migration of 'vm1' to no host; give target_host (400)."
    )
    cluster.live_migrate("vm1", delays={"ComputeDriver.live_migration": 1})
    assert refused(cluster) == (
        "Cannot live migrate 'vm1' while it is in task state migrating; "
        "wait for that operation to finish (409)."
    )
    cluster.kernel.run_all()
    cluster.run_task(cluster.start("stop_server", "vm1"))
    assert refused(cluster) == (
        "Cannot live migrate 'vm1': it is stopped; only active, paused servers "
        "that have run can be (409)."
    )


def conductor_refusal(cluster: Cluster, *args: object, **kwargs: object) -> Cluster:
    cluster.run_task(cluster.live_migrate("vm1", *args, **kwargs))  # type: ignore[arg-type]
    assert latest(cluster) == "error"
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("ACTIVE", "host1")
    assert cluster.placement_allocations("vm1") == {"host1": FLAVOR}
    assert cluster.placement_allocations("vm1", migration=True) == {}
    assert cluster.pci_allocations("vm1") == {"host1": [VF_02]}
    assert len(cluster.free_pci_devices("host2")) == 4  # vm2's VF and its PF only
    assert cluster.port_binding("vm1")["host"] == "host1"
    assert cluster.check_invariants(usage=False) == []
    return cluster


@pytest.mark.parametrize(
    ("arguments", "fault"),
    [
        ({"target_host": "host1"}, "No valid host was found for 'vm1' on 'host1'."),
        (
            {"target_host": "host1", "force": True, "microversion": "2.30"},
            "Unable to migrate 'vm1' to its current host 'host1'.",
        ),
    ],
)
def test_the_conductor_refuses_the_own_host(arguments: dict[str, object], fault: str) -> None:
    cluster = conductor_refusal(two_servers(), **arguments)
    assert cluster.server_fault("vm1") == fault


def test_the_conductor_refuses_a_destination_or_a_source_that_is_down() -> None:
    cluster = two_servers()
    cluster.stop_compute_service("host2")
    cluster.force_down_compute_service("host2")
    conductor_refusal(cluster, "host2")
    assert cluster.server_fault("vm1") == "No valid host was found for 'vm1' on 'host2'."
    conductor_refusal(cluster, "host2", force=True, microversion="2.67")
    assert cluster.server_fault("vm1") == "Compute service of 'host2' is unavailable at this time."
    cluster.force_up_compute_service("host2")
    cluster.force_down_compute_service("host1")
    conductor_refusal(cluster)
    assert cluster.server_fault("vm1") == "Compute service of 'host1' is unavailable at this time."


def test_a_destination_that_does_not_answer_the_check_is_skipped_after_the_rpc_timeout() -> None:
    cluster = two_servers()
    cluster.stop_compute_service("host2")  # stopped, but up until service_down_time passes
    conductor_refusal(cluster)
    assert cluster.now == 60.0
    assert cluster.server_fault("vm1") == "No valid host was found for 'vm1'."


# -- failures -----------------------------------------------------------------------


def test_a_refused_check_sends_the_scheduler_to_the_next_host() -> None:
    cluster = two_servers("three_hosts")
    cluster.inject_fault("ComputeDriver.check_can_live_migrate_destination")
    cluster.run_task(cluster.live_migrate("vm1"))
    assert latest(cluster) == "completed"
    assert cluster.server_host("vm1") == "host2"  # host3, with most free RAM, was skipped
    assert cluster.placement_hosts("vm1") == ["host2"]
    assert cluster.check_invariants(usage=False) == []
    notes = [e.detail for e in cluster.kernel.journal if e.kind == Kind.NOTE]
    assert any(note.startswith("Skipping host 'host3' for 'vm1'") for note in notes)


def test_a_refused_check_with_no_other_host_leaves_the_server_active_on_its_source() -> None:
    cluster = two_servers()
    cluster.inject_fault("ComputeDriver.check_can_live_migrate_destination")
    conductor_refusal(cluster)
    assert cluster.server_fault("vm1") == "No valid host was found for 'vm1'."


def test_vfs_that_do_not_fit_the_destination_error_the_server() -> None:
    """The destination's claim for ports raises PciDeviceRequestFailed, which
    the conductor does not expect: ERROR, as Nova's catch-all sets it."""
    cluster = two_servers("small_host2")  # vm2 took host2's only VF
    cluster.run_task(cluster.live_migrate("vm1", "host2"))
    assert latest(cluster) == "error"
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("ERROR", "host1")
    assert (cluster.server_fault("vm1") or "").startswith(
        "Migration error: PCI requests of 'vm1' do not fit on 'host2'"
    )
    assert cluster.placement_allocations("vm1") == {"host1": FLAVOR}
    assert cluster.pci_allocations("vm1") == {"host1": [VF_02]}
    assert cluster.check_invariants(usage=False) == []


@pytest.mark.parametrize(
    ("point", "rolled_back_at_source"),
    [("ComputeDriver.pre_live_migration", False), ("ComputeDriver.live_migration", True)],
)
def test_a_failure_after_the_conductor_rolls_back(point: str, rolled_back_at_source: bool) -> None:
    cluster = two_servers()
    cluster.inject_fault(point)
    cluster.run_task(cluster.live_migrate("vm1"))
    expected = ["accepted", "queued", "preparing"]
    expected += ["running", "failed"] if rolled_back_at_source else ["error", "failed"]
    assert statuses(cluster) == expected
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("ACTIVE", "host1")
    assert cluster.placement_allocations("vm1") == {"host1": FLAVOR}
    assert cluster.placement_allocations("vm1", migration=True) == {}
    assert cluster.pci_allocations("vm1") == {"host1": [VF_02]}
    assert len(cluster.free_pci_devices("host2")) == 4  # the claimed VF freed again
    assert cluster.port_binding("vm1") == {
        "host": "host1",
        "pci_slot": VF_02,
        "pci_vendor_info": "fake-vendor_id:fake-product_id",
        "physical_network": "physnet2",
    }
    assert cluster.db.ports[cluster.instance("vm1").ports[0]].inactive_bindings == {}
    passed = {e.detail for e in cluster.kernel.journal if e.kind == Kind.POINT}
    assert ("ComputeDriver.rollback_live_migration_at_source" in passed) is rolled_back_at_source
    assert cluster.check_invariants(usage=False) == []


def test_an_audit_during_the_migration_counts_it_and_a_rollback_then_leaves_the_vf() -> None:
    """The destination's audit counts the incoming migration and turns the
    claimed VF into an allocated one; the rollback frees claims only, so the
    VF waits for the next audit, as in Nova."""
    cluster = two_servers()
    cluster.inject_fault("ComputeDriver.live_migration")
    cluster.live_migrate("vm1", delays={"ComputeDriver.pre_live_migration": 1})
    assert cluster.run_until(lambda: latest(cluster) == "preparing", 5)
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.resource_usage("host2")["vcpus"] == 2
    assert cluster.pci_allocations("vm1") == {"host1": [VF_02], "host2": [VF_03]}
    cluster.kernel.run_all()
    assert latest(cluster) == "failed"
    assert cluster.pci_allocations("vm1") == {"host1": [VF_02], "host2": [VF_03]}
    assert cluster.check_invariants(usage=False) == [
        f"PCI device {VF_03} on 'host2' is allocated to 'vm1', which is on 'host1' "
        "and not moving through 'host2'."
    ]
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.pci_allocations("vm1") == {"host1": [VF_02]}
    assert cluster.resource_usage("host2")["vcpus"] == 1
    assert cluster.check_invariants(usage=False) == []


def test_an_audit_between_the_claim_and_the_recorded_destination_frees_the_vf() -> None:
    """The model's prediction for current Nova: the destination claims the
    VFs while the conductor checks it, but the migration names the
    destination only after the ports are bound; an audit of the destination
    in between sees neither the server nor the migration and frees the
    claim, so the server runs on host2 with a VF Nova counts as free."""
    cluster = two_servers()
    cluster.live_migrate("vm1", delays={"NeutronAPI.bind_ports_to_host": 1})
    assert cluster.run_task(cluster.update_available_resource("host2"))
    cluster.kernel.run_all()
    assert latest(cluster) == "completed"
    assert cluster.server_host("vm1") == "host2"
    assert cluster.port_binding("vm1")["pci_slot"] == VF_03
    assert VF_03 in cluster.free_pci_devices("host2")
    assert cluster.check_invariants(usage=False) == [
        "Server 'vm1' on 'host2' should hold 1 allocated PCI device(s) for its port "
        "but holds 0: none."
    ]


def test_the_destination_counts_the_server_s_usage_only_from_its_next_audit() -> None:
    """Why the checks above leave the trackers' usage out: without a NUMA
    topology Nova makes no move claim for a live migration, so the
    destination's tracker counts the server's vCPU and RAM only at its next
    audit, while placement holds them from the scheduler's claim on."""
    cluster = two_servers()
    cluster.run_task(cluster.live_migrate("vm1", "host2"))
    assert latest(cluster) == "completed"
    assert cluster.check_invariants() == [
        "The resource tracker of 'host2' counts other usage than placement holds on it "
        "(VCPU 1 != 2, MEMORY_MB 512 != 1024, DISK_GB 1 != 2)."
    ]
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.check_invariants() == []
