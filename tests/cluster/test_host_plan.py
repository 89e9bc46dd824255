"""Host plans (``cluster/host_plan.py``): a build from a kept plan makes what a
build without one makes, and clusters that share a plan's rows stay apart."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from PciRaceLibrary.cluster import Cluster, default_topology
from PciRaceLibrary.cluster.host_plan import KEPT_HOSTS, HostPlan, host_plans
from PciRaceLibrary.cluster.pci_tracker import PciDevTracker
from PciRaceLibrary.cluster.topology import (
    DeviceSpec,
    HostSpec,
    Topology,
    load_topology,
)

ROOT = Path(__file__).parents[2]
TOPOLOGIES = sorted([*(ROOT / "acceptance" / "topologies").glob("*.yaml"),
                     *(ROOT / "PciRaceLibrary" / "topologies").glob("*.yaml")])  # fmt: skip


def seventy_two(host: str) -> tuple[DeviceSpec, ...]:
    """Eight PFs of eight VFs each (scripts/bench.py's big hosts); on the last
    bus the VFs' addresses sort before their PF's."""
    devices = []
    for bus in range(0x81, 0x89):
        last = bus == 0x88
        pf = f"0000:{bus:02x}:00.{7 if last else 0}"
        devices.append(DeviceSpec(address=pf, dev_type="type-PF", physnet="physnet2"))
        devices += [
            DeviceSpec(address=f"0000:{bus:02x}:0{0 if last else 1}.{vf}", dev_type="type-VF",
                       parent=pf, physnet="physnet2", parent_ifname=f"{host}-ens{bus}")
            for vf in range(7 if last else 8)
        ]  # fmt: skip
    return tuple(devices)


def topologies() -> list[Topology]:
    base = default_topology()
    big = dataclasses.replace(base, hosts=(HostSpec("big1", seventy_two("big1")),))
    return [base, big, *map(load_topology, TOPOLOGIES)]


def tracker_state(tracker: PciDevTracker) -> object:
    """Everything a tracker holds, its devices' links by address."""
    devices = [
        (dataclasses.astuple(d)[:16], d.parent_device and d.parent_device.address,
         [c.address for c in d.child_devices], d.on_change is not None)
        for d in tracker.devices
    ]  # fmt: skip
    pools = [(p.key, p.lowered, [d.address for d in p.devices]) for p in tracker.stats.pools]
    return (
        devices, pools, sorted(tracker._by_address), tracker.claims, tracker.allocations,
        tracker._dirty, tracker.stats.numa_topology, tracker.stats._matching,
    )  # fmt: skip


@pytest.mark.parametrize("topology", topologies(), ids=lambda t: t.name)
def test_a_tracker_from_a_layout_equals_one_that_derives_it(topology: Topology) -> None:
    for plan in host_plans(topology):
        assert plan.layout is not None
        rows = [plan.rows[address] for address in sorted(plan.rows)]
        derived = PciDevTracker(plan.spec.name, plan.node_id, rows, print,
                                numa_topology=plan.numa_topology)  # fmt: skip
        laid_out = PciDevTracker(plan.spec.name, plan.node_id, rows, print,
                                 numa_topology=plan.numa_topology, layout=plan.layout)  # fmt: skip
        assert tracker_state(laid_out) == tracker_state(derived)


def test_a_kept_plan_makes_what_an_unkept_one_makes() -> None:
    for topology in topologies():
        for kept in host_plans(topology):
            fresh = HostPlan.of(kept.spec, kept.node_id, layout=False)
            assert (kept.numa_topology, kept.inventory) == (fresh.numa_topology, fresh.inventory)
            assert list(kept.rows.items()) == list(fresh.rows.items())


def test_a_topology_loaded_again_is_built_from_the_same_plans() -> None:
    first, again = (load_topology(TOPOLOGIES[0]) for _ in range(2))
    assert first is not again
    assert all(a is b for a, b in zip(host_plans(first), host_plans(again), strict=True))


def test_clusters_sharing_a_plans_rows_stay_apart() -> None:
    """Two clusters of one topology hold the same row objects until a save
    replaces them: what one does is not seen by the other, nor by the plan."""
    one, other = Cluster(), Cluster(bugs="1896463")
    plan = next(iter(host_plans(one.topology)))
    assert one.db.pci_devices.by_node[1]["0000:02:00.1"] is plan.rows["0000:02:00.1"]
    assert other.db.pci_devices.by_node[1]["0000:02:00.1"] is plan.rows["0000:02:00.1"]
    one.create_server("vm1", "host1")
    other.create_server("vm1", "host1")
    assert one.kernel.run_all()
    assert one.pci_allocations("vm1") == {"host1": ["0000:02:00.1"]}
    assert other.pci_allocations("vm1") == {}
    assert all(row.status == "available" for row in plan.rows.values())
    assert other.kernel.run_all()
    assert other.pci_allocations("vm1") == {"host1": ["0000:02:00.1"]}
    assert Cluster().free_pci_devices("host1") == sorted(plan.rows)
    assert not one.check_invariants()
    assert not other.check_invariants()


def test_a_big_topology_is_planned_without_layouts_nor_kept() -> None:
    base = default_topology()
    hosts = tuple(HostSpec(f"host{n}", base.hosts[0].devices) for n in range(1, KEPT_HOSTS + 1))
    topology = dataclasses.replace(base, hosts=hosts)
    plans = list(host_plans(topology))
    assert [plan.node_id for plan in plans] == list(range(1, KEPT_HOSTS + 1))
    assert all(plan.layout is None for plan in plans)
    assert all(a is not b for a, b in zip(plans, host_plans(topology), strict=True))
