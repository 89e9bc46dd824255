"""Live migration of a server with a NUMA topology, as the libvirt driver has
done it since Train: the destination's check makes a move claim (the
topology fitted to its cells with the PCI requests, its CPUs pinned there),
claims the VFs on the fitted cells, applies the migration context when the
guest arrives, and drops the claim on a rollback. A destination whose cells
cannot take the server refuses the check (MigrationPreCheckError).

On ``numa_hosts`` a ``pinned.required`` server pins CPUs 6-7 of cell 1,
where its port's VF is, on host1 or host2; host3 has no NUMA topology.
"""

from __future__ import annotations

from pathlib import Path

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.topology import load_topology
from PciRaceLibrary.sim import Kind

NUMA_HOSTS = Path(__file__).resolve().parents[2] / "acceptance" / "topologies" / "numa_hosts.yaml"
PINNED = "pinned.required"


def pinned_server(host: str = "host1") -> Cluster:
    cluster = Cluster(load_topology(NUMA_HOSTS))
    assert cluster.run_task(cluster.create_server("vm1", host, flavor=PINNED), 60)
    assert cluster.numa_placement("vm1") == {"host": host, "cells": [1], "pinned": [6, 7]}
    return cluster


def latest(cluster: Cluster) -> str:
    records = cluster.migrations_of("vm1")
    return records[-1]["status"] if records else "-"


def points(cluster: Cluster) -> list[str]:
    return [e.detail for e in cluster.kernel.journal if e.kind == Kind.POINT]


def test_the_destination_claims_and_pins_the_server_before_the_guest_moves() -> None:
    cluster = pinned_server()
    cluster.live_migrate("vm1", "host2", delays={"ComputeDriver.live_migration": 1})
    assert cluster.run_until(lambda: latest(cluster) == "running", 5)
    # The move claim counts the server on host2 at once (no audit needed).
    assert cluster.pinned_cpus("host1") == [6, 7]
    assert cluster.pinned_cpus("host2") == [6, 7]
    assert cluster.resource_usage("host2")["vcpus"] == 2
    context = cluster.instance("vm1").migration_context
    assert context is not None
    assert context.new_numa_topology is not None
    assert context.new_numa_topology.host_cells == [1]
    assert context.new_numa_topology.pinned == [6, 7]
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:81:00.2"]}
    assert cluster.check_invariants() == []
    cluster.kernel.run_all()
    assert latest(cluster) == "completed"
    assert cluster.numa_placement("vm1") == {"host": "host2", "cells": [1], "pinned": [6, 7]}
    assert cluster.pci_allocations("vm1") == {"host2": ["0000:81:00.2"]}
    assert cluster.instance("vm1").migration_context is None
    assert cluster.pinned_cpus("host1") == []
    assert cluster.pinned_cpus("host2") == [6, 7]
    assert cluster.resource_usage("host1")["vcpus"] == 0
    assert "ResourceTracker.live_migration_claim" in points(cluster)
    assert cluster.check_invariants() == []


def test_audits_of_both_hosts_during_the_migration_keep_the_counts() -> None:
    cluster = pinned_server()
    cluster.live_migrate("vm1", "host2", delays={"ComputeDriver.live_migration": 1})
    assert cluster.run_until(lambda: latest(cluster) == "running", 5)
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.run_task(cluster.update_available_resource("host1"))
    assert (cluster.pinned_cpus("host1"), cluster.pinned_cpus("host2")) == ([6, 7], [6, 7])
    assert cluster.check_invariants() == []
    cluster.kernel.run_all()
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert (cluster.pinned_cpus("host1"), cluster.pinned_cpus("host2")) == ([], [6, 7])
    assert cluster.check_invariants() == []


def test_a_rollback_drops_the_destination_claim_and_the_context() -> None:
    cluster = pinned_server()
    cluster.inject_fault("ComputeDriver.live_migration")
    cluster.run_task(cluster.live_migrate("vm1", "host2"))
    assert latest(cluster) == "failed"
    assert cluster.numa_placement("vm1") == {"host": "host1", "cells": [1], "pinned": [6, 7]}
    assert cluster.instance("vm1").migration_context is None
    assert cluster.pinned_cpus("host2") == []
    assert cluster.resource_usage("host2")["vcpus"] == 0
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:81:00.2"]}
    assert "ComputeAPI.drop_move_claim_at_destination" in points(cluster)
    assert cluster.check_invariants() == []


def test_a_forced_destination_whose_cells_cannot_fit_refuses_the_check() -> None:
    """vm2 pins host2's cell 1: vm1's required VF policy fits nowhere else
    there. The forced host skips the scheduler's NUMATopologyFilter, so the
    move claim refuses it: MigrationPreCheckError, the server stays ACTIVE."""
    cluster = pinned_server()
    assert cluster.run_task(cluster.create_server("vm2", "host2", flavor=PINNED), 60)
    cluster.run_task(cluster.live_migrate("vm1", "host2", force=True, microversion="2.67"))
    assert latest(cluster) == "error"
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("ACTIVE", "host1")
    fault = cluster.server_fault("vm1") or ""
    assert "cannot fit the given host NUMA topology of 'host2'" in fault
    assert cluster.instance("vm1").migration_context is None
    assert cluster.pinned_cpus("host2") == [6, 7]  # vm2's alone
    assert cluster.placement_hosts("vm1") == ["host1"]
    assert cluster.check_invariants() == []


def test_a_host_filled_after_the_scheduler_chose_it_is_skipped_then_no_valid_host() -> None:
    """The scheduler picks host2 (its cell 1 free); vm2's build pins that
    cell before the destination checks; the move claim refuses, the
    conductor leaves host2 out and finds no other host (host3 has no NUMA)."""
    cluster = pinned_server()
    cluster.live_migrate("vm1", delays={"ComputeAPI.check_can_live_migrate_destination": 5})
    assert cluster.run_task(cluster.create_server("vm2", "host2", flavor=PINNED), 4)
    cluster.kernel.run_all()
    assert latest(cluster) == "error"
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("ACTIVE", "host1")
    notes = [e.detail for e in cluster.kernel.journal if e.kind == Kind.NOTE]
    assert any(note.startswith("Skipping host 'host2' for 'vm1'") for note in notes)
    assert (cluster.server_fault("vm1") or "").startswith("No valid host was found for 'vm1'")
    assert cluster.placement_hosts("vm1") == ["host1"]
    assert (cluster.pinned_cpus("host1"), cluster.pinned_cpus("host2")) == ([6, 7], [6, 7])
    assert cluster.check_invariants() == []
