"""The indexes of the database and placement, and the scheduler that reads them.

Each index is compared with a scan of its whole table after every step of
seeded random histories, and every scheduling decision with the sort of all
hosts the scheduler made before it kept a heap.
"""

from __future__ import annotations

import random

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.resource_request import resource_requests
from PciRaceLibrary.cluster.scheduler import MAX_ATTEMPTS
from PciRaceLibrary.cluster.topology import (
    HostSpec,
    Topology,
    default_topology,
    fake_driver_devices,
)
from PciRaceLibrary.errors import PciRaceError

CLAIM = "SchedulerReportClient.claim_resources"


def topology(memory_mb: list[int], vcpus: list[int] | None = None) -> Topology:
    """Hosts host1..hostN with the fake driver's devices and these sizes."""
    base = default_topology()
    hosts = tuple(
        HostSpec(
            f"host{n}",
            fake_driver_devices(f"host{n}"),
            vcpus=vcpus[n - 1] if vcpus else 2,
            memory_mb=memory,
        )
        for n, memory in enumerate(memory_mb, start=1)
    )
    return Topology("test", hosts, base.networks, sriov_network=base.sriov_network)


def reference_order(
    cluster: Cluster, ignore_hosts: tuple[str, ...] = (), requested_host: str | None = None
) -> list[str]:
    """The scheduler as it was: filter every host, sum usage from every
    consumer, sort by (most free RAM, host name)."""
    placement, db = cluster.context.placement, cluster.db
    (resources,) = resource_requests(cluster.topology.flavor)
    candidates = []
    for host, node in sorted(db.compute_nodes.items()):
        if host in ignore_hosts or (requested_host and host != requested_host):
            continue
        if not cluster.context.service_is_up(host):
            continue
        provider = placement.providers[node.uuid]
        used = dict.fromkeys(provider.inventory, 0)
        for parts in placement.allocations.values():
            for resource_class, amount in parts.get(node.uuid, {}).items():
                used[resource_class] += amount
        if all(used[rc] + n <= provider.capacity(rc) for rc, n in resources.items()):
            free = provider.capacity("MEMORY_MB") - used["MEMORY_MB"]
            candidates.append((-free, host))
    return [host for _, host in sorted(candidates)]


def claimed_since(cluster: Cluster, start: int, server: str) -> list[str]:
    """Hosts placement added to ``server``'s allocation after entry ``start``."""
    return [
        entry.change.new[1:]
        for entry in list(cluster.kernel.journal)[start:]
        if entry.change is not None
        and entry.change.object == "Placement"
        and entry.change.name == server
        and (entry.change.new or "").startswith("+")
    ]


def assert_indexes_match_tables(cluster: Cluster) -> None:
    db, placement = cluster.db, cluster.context.placement
    for host in cluster.hosts:
        node = db.compute_nodes[host]
        rows = [row for row in db.instances.values() if row.host == host]
        assert db.peek_instances_on(host) == rows
        assert db.instances.on_node(host, node.node) == [r for r in rows if r.node == node.node]
        touching = [m for m in db.migrations.values() if m.touches(host)]
        assert db.migrations.touching(host) == touching
        ports = [p for p in db.ports.values() if p.binding_host_id == host]
        assert sorted(p.id for p in db.peek_ports_bound_to(host)) == sorted(p.id for p in ports)
        used = dict.fromkeys(placement.providers[node.uuid].inventory, 0)
        for parts in placement.allocations.values():
            for resource_class, amount in parts.get(node.uuid, {}).items():
                used[resource_class] += amount
        assert placement.usage(node.uuid) == used
        consumers = sorted(c for c, parts in placement.allocations.items() if node.uuid in parts)
        assert placement.consumers_of(node.uuid) == consumers
    for uuid in db.instances:
        assert db.peek_migrations_of(uuid) == [
            m for m in db.migrations.values() if m.instance_uuid == uuid
        ]
        devices = sorted(
            (key, row) for key, row in db.pci_devices.items() if row.instance_uuid == uuid
        )
        assert db.peek_pci_devices_of_instance(uuid) == [row for _, row in devices]
        attached = sorted(p.id for p in db.ports.values() if p.device_id == uuid)
        assert [p.id for p in db.ports_of_device(uuid)] == attached


def random_history(cluster: Cluster, rng: random.Random, steps: int) -> None:
    """Boots, deletes, host failures, evacuations and audits, one at a time;
    every scheduling decision checked against ``reference_order``."""
    made = 0
    for _ in range(steps):
        live = [s for s in cluster.servers if cluster.server_status(s) != "DELETED"]
        roll = rng.random()
        start = len(list(cluster.kernel.journal))
        try:
            if roll < 0.45 or not live:
                made += 1
                server = f"vm{made}"
                requested = rng.choice(cluster.hosts) if rng.random() < 0.2 else None
                order = reference_order(cluster, requested_host=requested)
                vnic_type = rng.choice(["direct", "normal", "normal"])
                cluster.run_task(cluster.create_server(server, requested, vnic_type=vnic_type))
                # The first host, then the alternates a refused claim is
                # rescheduled to, in the same order and never more than Nova's
                # max_attempts.
                claimed = claimed_since(cluster, start, server)
                assert claimed[:1] == order[:1]
                assert claimed == [host for host in order[:MAX_ATTEMPTS] if host in claimed]
            elif roll < 0.65:
                cluster.run_task(cluster.delete_server(rng.choice(live)))
            elif roll < 0.75:
                host = rng.choice(cluster.hosts)
                cluster.stop_compute_service(host)
                cluster.force_down_compute_service(host)
            elif roll < 0.82:
                cluster.run_task(cluster.start_compute_service(rng.choice(cluster.hosts)))
            elif roll < 0.92:
                server = rng.choice(live)
                source = cluster.server_host(server)
                target = rng.choice(cluster.hosts) if rng.random() < 0.3 else None
                task = cluster.evacuate(server, target)
                expected = reference_order(cluster, (source or "",), target)[:1]
                cluster.run_task(task)
                assert claimed_since(cluster, start, server) == expected
            else:
                cluster.run_task(cluster.update_available_resource(rng.choice(cluster.hosts)))
        except PciRaceError:
            pass  # refused by the API, or no process to run it: nothing changed
        cluster.kernel.run_all()
        assert_indexes_match_tables(cluster)


@pytest.mark.parametrize(
    "memory_mb",
    [[1024], [1024, 1024, 1024], [2048, 1024, 3072, 1024], [1024, 2048] * 4],
    ids=["1 host", "3 equal hosts", "4 hosts", "8 hosts"],
)
@pytest.mark.parametrize("seed", range(6))
def test_scheduler_picks_what_a_sort_of_all_hosts_picks(memory_mb: list[int], seed: int) -> None:
    cluster = Cluster(topology(memory_mb), bugs="1896463" if seed % 2 else None)
    random_history(cluster, random.Random(seed), 80)


def test_a_claim_that_loses_a_race_falls_back_to_the_order_at_the_request() -> None:
    """vm-a is weighed at t=0 (host1, host2, host3 by free RAM) and waits at
    its claim; meanwhile vm-b fills host1's last vCPU and three servers on
    host2 leave host3 with the most free RAM. vm-a's claim on host1 fails and
    it takes host2, next in the order of t=0, not host3."""
    cluster = Cluster(topology([16384, 8192, 7500], vcpus=[1, 2, 2]))
    for n in range(15):
        cluster.run_task(cluster.create_server(f"fill{n}", "host1", vnic_type="normal"))
    assert reference_order(cluster) == ["host1", "host2", "host3"]
    start = len(list(cluster.kernel.journal))
    late = cluster.create_server("vm-a", vnic_type="normal", delays={CLAIM: 1.0})
    cluster.run_until(lambda: False, 0.5)
    cluster.run_task(cluster.create_server("vm-b", "host1", vnic_type="normal"))
    for n in range(3):
        cluster.run_task(cluster.create_server(f"vm-c{n}", "host2", vnic_type="normal"))
    assert reference_order(cluster) == ["host3", "host2"]
    assert cluster.run_task(late)
    assert claimed_since(cluster, start, "vm-a") == ["host2"]
    assert cluster.server_host("vm-a") == "host2"
    assert_indexes_match_tables(cluster)


def test_snapshot_and_invariants_read_only_what_they_report() -> None:
    """A host's invariants and the whole snapshot agree with a fresh scan."""
    cluster = Cluster(topology([2048] * 4))
    random_history(cluster, random.Random(7), 60)
    everything = cluster.check_invariants()
    per_host = [p for host in cluster.hosts for p in cluster.check_invariants(host)]
    assert sorted(per_host) == sorted(everything)
    servers = cluster.snapshot()["Servers"]
    assert [row["server"] for row in servers] == sorted(cluster.servers)
    for row in servers:
        held = cluster.pci_allocations(row["server"])
        expected = sorted(f"{host} {a}" for host, found in held.items() for a in found)
        assert row["allocated PCI"] == (", ".join(expected) or "none")
