"""NUMA: the guest topology a flavor asks for, fitting it to host cells, the
PCI NUMA affinity policies in the pools, and the tracker's NUMA usage."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from PciRaceLibrary.cluster import Cluster, default_topology
from PciRaceLibrary.cluster.hardware import (
    Limits,
    numa_fit_instance_to_host,
    numa_get_constraints,
    numa_usage_from_instance_numa,
    pci_numa_policy_constraint,
)
from PciRaceLibrary.cluster.numa import DEDICATED, NUMACell, NUMATopology
from PciRaceLibrary.cluster.objects import VF, Flavor, InstancePCIRequest, PciDevice
from PciRaceLibrary.cluster.pci_stats import PciDeviceStats
from PciRaceLibrary.cluster.topology import ImageSpec, load_topology, topology_from_mapping
from PciRaceLibrary.errors import ApiRefused, TaskCrashed

TOPOLOGIES = Path(__file__).resolve().parents[2] / "acceptance" / "topologies"
NUMA_HOSTS = TOPOLOGIES / "numa_hosts.yaml"


def flavor(vcpus: int = 2, memory_mb: int = 1024, **specs: str) -> Flavor:
    extra = tuple(sorted((key.replace("__", ":").replace("_", "."), v) for key, v in specs.items()))
    return Flavor("f", vcpus, memory_mb, 1, extra)


def specs(**pairs: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(pairs.items()))


def test_a_flavor_without_numa_specs_asks_for_no_topology() -> None:
    assert numa_get_constraints(Flavor("f", 2, 1024, 1)) is None
    assert numa_get_constraints(Flavor("f", 2, 1024, 1, (("hw:cpu_policy", "shared"),))) is None


def test_numa_nodes_split_vcpus_and_memory_evenly() -> None:
    topology = numa_get_constraints(Flavor("f", 4, 2048, 1, (("hw:numa_nodes", "2"),)))
    assert topology is not None
    assert [(sorted(c.cpuset), c.memory) for c in topology.cells] == [
        ([0, 1], 1024),
        ([2, 3], 1024),
    ]


def test_dedicated_makes_one_cell_of_pinned_vcpus() -> None:
    topology = numa_get_constraints(Flavor("f", 2, 1024, 1, (("hw:cpu_policy", DEDICATED),)))
    assert topology is not None
    (cell,) = topology.cells
    assert (cell.cpuset, sorted(cell.pcpuset), cell.cpu_policy) == (frozenset(), [0, 1], DEDICATED)


def test_manual_cells_take_the_cpus_and_memory_given() -> None:
    extra = specs(**{"hw:numa_nodes": "2", "hw:numa_cpus.0": "0,2", "hw:numa_cpus.1": "1",
                     "hw:numa_mem.0": "768", "hw:numa_mem.1": "256"})  # fmt: skip
    topology = numa_get_constraints(Flavor("f", 3, 1024, 1, extra))
    assert topology is not None
    assert [(sorted(c.cpuset), c.memory) for c in topology.cells] == [([0, 2], 768), ([1], 256)]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"hw:numa_nodes": "0"}, "'hw:numa_nodes' must be a whole number of at least 1, got '0'"),
        ({"hw:numa_nodes": "3"}, "3 NUMA nodes need at least as many vCPUs, not 2"),
        ({"hw:cpu_policy": "mixed"}, "CPU policy 'mixed' is not one the library models"),
        ({"hw:numa_nodes": "2", "hw:numa_cpus.0": "0"}, "needs exactly hw:numa_cpus.0, "),
        ({"hw:numa_nodes": "2", "hw:numa_cpus.0": "0", "hw:numa_cpus.1": "1"}, "given together"),
        ({"hw:numa_nodes": "2", "hw:numa_cpus.0": "0", "hw:numa_cpus.1": "0",
          "hw:numa_mem.0": "512", "hw:numa_mem.1": "512"}, "vCPU 0 is in two NUMA nodes"),
        ({"hw:numa_nodes": "2", "hw:numa_cpus.0": "0", "hw:numa_cpus.1": "1",
          "hw:numa_mem.0": "512", "hw:numa_mem.1": "256"}, "adds up to 768 MB, not 1024 MB"),
    ],
)  # fmt: skip
def test_a_bad_numa_request_is_refused_as_nova_answers_400(
    extra: dict[str, str], message: str
) -> None:
    with pytest.raises(ApiRefused, match=message.replace("(", r"\(")):
        numa_get_constraints(Flavor("f", 2, 1024, 1, specs(**extra)))


def image(**properties: str) -> ImageSpec:
    return ImageSpec("img", tuple(sorted(properties.items())))


def test_an_image_gives_what_the_flavor_does_not_set() -> None:
    """Nova's ``numa_get_constraints(flavor, image_meta)``: the image's node
    count, per-cell lists and CPU policy count where the flavor is silent; the
    flavor's ``dedicated`` wins over the image's ``shared``; an image list may
    complete the flavor's other one."""
    plain = Flavor("f", 2, 1024, 1)
    topology = numa_get_constraints(plain, image(hw_numa_nodes="2"))
    assert topology is not None
    assert [c.memory for c in topology.cells] == [512, 512]
    pinned = numa_get_constraints(plain, image(hw_cpu_policy="dedicated"))
    assert pinned is not None
    assert pinned.cells[0].pcpuset == {0, 1}
    wins = Flavor("f", 2, 1024, 1, specs(**{"hw:cpu_policy": "dedicated"}))
    assert numa_get_constraints(wins, image(hw_cpu_policy="shared")).cells[0].pcpuset == {0, 1}
    mixed = Flavor("f", 2, 1024, 1, specs(**{"hw:numa_nodes": "2", "hw:numa_mem.0": "768",
                                               "hw:numa_mem.1": "256"}))  # fmt: skip
    split = numa_get_constraints(mixed, image(**{"hw_numa_cpus.0": "0", "hw_numa_cpus.1": "1"}))
    assert split is not None
    assert [c.memory for c in split.cells] == [768, 256]
    assert numa_get_constraints(plain, image(hw_pci_numa_affinity_policy="required")) is None
    assert pci_numa_policy_constraint(plain, image(hw_pci_numa_affinity_policy="socket")) == (
        "socket"
    )


@pytest.mark.parametrize(
    ("extra", "properties", "message"),
    [
        ({"hw:numa_nodes": "1"}, {"hw_numa_nodes": "1"},
         "image property 'hw_numa_nodes' may not override the NUMA configuration"),
        ({"hw:numa_nodes": "1", "hw:numa_cpus.0": "0-1", "hw:numa_mem.0": "1024"},
         {"hw_numa_cpus.0": "0-1"}, "'hw_numa_cpus' may not override"),
        ({"hw:cpu_policy": "shared"}, {"hw_cpu_policy": "dedicated"},
         "'hw_cpu_policy' may not override the CPU pinning policy"),
        ({}, {"hw_numa_nodes": "2", "hw_numa_cpus.0": "0", "hw_numa_mem.0": "1024"},
         "the image gives hw_numa_cpus.0 to hw_numa_cpus.0"),
        ({}, {"hw_numa_nodes": "2", "hw_numa_cpus.0": "0", "hw_numa_cpus.1": "0",
              "hw_numa_mem.0": "512", "hw_numa_mem.1": "512"}, "vCPU 0 is in two NUMA nodes"),
    ],
)  # fmt: skip
def test_a_flavor_and_image_that_disagree_are_refused_as_nova_does(
    extra: dict[str, str], properties: dict[str, str], message: str
) -> None:
    with pytest.raises(ApiRefused, match=f"Flavor 'f' with image 'img': .*{message}.*\\(400\\)"):
        numa_get_constraints(Flavor("f", 2, 1024, 1, specs(**extra)), image(**properties))


def test_a_pci_numa_policy_of_the_image_against_the_flavors_is_forbidden() -> None:
    flavor_ = Flavor("f", 2, 1024, 1, specs(**{"hw:pci_numa_affinity_policy": "required"}))
    assert pci_numa_policy_constraint(flavor_, image(hw_pci_numa_affinity_policy="required"))
    with pytest.raises(ApiRefused, match=r"may not override the flavor's .*\(403\)"):
        pci_numa_policy_constraint(flavor_, image(hw_pci_numa_affinity_policy="legacy"))


def test_a_server_keeps_its_image_through_an_evacuation() -> None:
    cluster = Cluster(load_topology(NUMA_HOSTS))
    cluster.create_server("vm1", "host1", vnic_type="normal", flavor="big", image="pinned")
    cluster.run_until(lambda: cluster.server_status("vm1") == "ACTIVE", 60)
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    cluster.evacuate("vm1", "host2")
    cluster.run_until(lambda: cluster.server_host("vm1") == "host2", 60)
    instance = cluster.db.instances[cluster.db.names["vm1"]]
    assert instance.image_meta.name == "pinned"
    assert instance.numa_topology is not None
    assert instance.numa_topology.cells[0].cpu_pinning == ((0, 2), (1, 3))


def host_topology(*cells: tuple[int, set[int], int, int]) -> NUMATopology:
    """Cells as (id, dedicated pCPUs, memory, socket); two shared CPUs each."""
    return NUMATopology(
        tuple(
            NUMACell(i, frozenset({100 + 2 * i, 101 + 2 * i}), frozenset(p), m, s)
            for i, p, m, s in cells
        )
    )


def vf(address: str, numa_node: int) -> PciDevice:
    return PciDevice(1, "h", address, VF, None, "v", "p", numa_node, "physnet2", None, False)


def request(policy: str | None, count: int = 1) -> InstancePCIRequest:
    return InstancePCIRequest(
        count, [{"physical_network": "physnet2"}], "r1", "port-1", None, policy
    )


def fit(policy: str | None, memory: int, devices: list[PciDevice], host: NUMATopology) -> list[int]:
    guest = numa_get_constraints(Flavor("f", 2, memory, 1, (("hw:numa_nodes", "1"),)))
    stats = PciDeviceStats(devices, host)
    fitted = numa_fit_instance_to_host(
        host, guest, limits=Limits(), pci_requests=[request(policy)], pci_stats=stats
    )
    return fitted.host_cells if fitted else []


TWO_CELLS_ONE_SOCKET = host_topology((0, {0, 1}, 4096, 0), (1, {2, 3}, 1024, 0))
TWO_SOCKETS = host_topology((0, {0, 1}, 4096, 0), (1, {2, 3}, 1024, 1))


@pytest.mark.parametrize(
    ("policy", "memory", "host", "cells"),
    [
        (None, 1024, TWO_SOCKETS, [1]),  # the cell with the device is tried first
        (None, 2048, TWO_SOCKETS, []),  # legacy: the device reports another cell
        ("legacy", 2048, TWO_SOCKETS, []),
        ("required", 1024, TWO_SOCKETS, [1]),
        ("required", 2048, TWO_SOCKETS, []),
        ("preferred", 2048, TWO_SOCKETS, [0]),
        ("socket", 2048, TWO_CELLS_ONE_SOCKET, [0]),
        ("socket", 2048, TWO_SOCKETS, []),
    ],
)
def test_each_policy_places_or_refuses_as_nova(
    policy: str | None, memory: int, host: NUMATopology, cells: list[int]
) -> None:
    assert fit(policy, memory, [vf("0000:81:00.1", 1)], host) == cells


def test_socket_refuses_when_a_host_cell_has_no_socket() -> None:
    host = NUMATopology(
        tuple(NUMACell(c.id, c.cpuset, c.pcpuset, c.memory) for c in TWO_SOCKETS.cells)
    )
    assert fit("socket", 2048, [vf("0000:81:00.1", 1)], host) == []


def test_pools_take_the_guests_cells_first_then_as_the_policy_allows() -> None:
    """``preferred`` with two devices wanted and one on the guest's cell: it
    takes that one and one of the other cell; ``required`` refuses."""
    devices = [vf("0000:81:00.1", 0), vf("0000:82:00.1", 1)]
    guest = numa_get_constraints(Flavor("f", 2, 1024, 1, (("hw:numa_nodes", "1"),)))
    assert guest is not None
    cell0 = [guest.cells[0]]  # guest cell id 0 reads as host cell 0
    for policy, taken in (("preferred", 2), ("required", None), ("legacy", None)):
        stats = PciDeviceStats(devices, TWO_SOCKETS)
        got = stats.consume_requests([request(policy, count=2)], cell0)
        assert (len(got) if got is not None else None) == taken, policy
    stats = PciDeviceStats(devices, TWO_SOCKETS)
    assert stats.consume_requests([request("required")], cell0) == [devices[0]]
    # Without a guest NUMA topology no policy applies.
    assert len(PciDeviceStats(devices).consume_requests([request("required", 2)]) or []) == 2


def test_pinning_takes_the_lowest_free_pcpus_and_usage_pins_them() -> None:
    guest = numa_get_constraints(Flavor("f", 2, 1024, 1, (("hw:cpu_policy", DEDICATED),)))
    host = host_topology((0, {4, 5, 6}, 4096, 0))
    fitted = numa_fit_instance_to_host(host, guest, limits=Limits())
    assert fitted is not None
    assert fitted.pinned == [4, 5]
    used = numa_usage_from_instance_numa(host, fitted)
    assert sorted(used.cells[0].pinned_cpus) == [4, 5]
    assert used.cells[0].memory_usage == 1024
    again = numa_fit_instance_to_host(used, guest, limits=Limits())
    assert again is None  # one free pCPU left
    assert numa_usage_from_instance_numa(used, fitted, free=True) == host


def test_a_refused_claim_names_the_policy_and_the_cells() -> None:
    cluster = Cluster(load_topology(NUMA_HOSTS))
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="numa.small"), 60)
    instance = cluster.instance("vm1").clone()
    instance.uuid, instance.name = "uuid-other", "other"
    instance.numa_topology = numa_get_constraints(
        Flavor.from_spec(cluster.topology.flavor_named("numa.big.required"))
    )
    instance.pci_requests = [request("required")]
    tracker = cluster.services.computes["host1"].rt
    with pytest.raises(TaskCrashed) as refused:
        cluster.run_task(cluster.kernel.spawn(tracker.instance_claim(instance), "claim"), 10)
    assert str(
        refused.value
    ) == "Task 'claim' crashed at t=0.000s: ComputeResourcesUnavailable: " + (
        "Requested instance NUMA topology of 'other' together with requested PCI devices "
        "cannot fit the given host NUMA topology of 'host1': PCI NUMA affinity policy required; "
        "the guest alone fits host cell(s) 0; free PCI devices the requests match: 1 on cell 1."
    )


def test_topologies_without_cells_load_and_run_as_before() -> None:
    topology = default_topology()
    assert all(host.numa_cells == () for host in topology.hosts)
    cluster = Cluster(topology)
    assert cluster.run_task(cluster.create_server("vm1", "host1"), 60)
    assert cluster.numa_placement("vm1") == {"host": "host1", "cells": [], "pinned": []}
    assert cluster.pinned_cpus("host1") is None


def test_cells_split_cpus_by_the_dedicated_and_shared_sets() -> None:
    topology = topology_from_mapping({"hosts": [{
        "name": "h", "cpu_dedicated_set": "2-3", "cpu_shared_set": "0",
        "numa_cells": [{"id": 0, "cpus": "0-3", "memory_mb": 1024}],
    }]})  # fmt: skip
    (cell,) = topology.hosts[0].numa_cells
    assert (sorted(cell.cpuset), sorted(cell.pcpuset)) == ([0], [2, 3])
    assert topology.hosts[0].vcpus == 3  # the cells' usable CPUs, unless given
    legacy = topology_from_mapping({"hosts": [{
        "name": "h", "numa_cells": [{"id": 0, "cpus": "0-1", "memory_mb": 1024}],
    }]})  # fmt: skip
    (cell,) = legacy.hosts[0].numa_cells
    assert cell.cpuset == cell.pcpuset == frozenset({0, 1})


def test_a_resize_claims_the_new_flavors_topology_and_a_revert_restores_the_old() -> None:
    cluster = Cluster(load_topology(NUMA_HOSTS))
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="numa.small"), 60)
    assert cluster.numa_placement("vm1") == {"host": "host1", "cells": [1], "pinned": []}
    cluster.start("resize", "vm1", flavor="pinned.two")
    assert cluster.run_until(lambda: cluster.server_status("vm1") == "VERIFY_RESIZE", 60)
    context = cluster.instance("vm1").migration_context
    assert context is not None
    old, new = context.old_numa_topology, context.new_numa_topology
    assert old is not None
    assert new is not None
    assert (old.pinned, new.host_cells, new.pinned) == ([], [1], [6, 7])
    assert cluster.numa_placement("vm1") == {"host": "host2", "cells": [1], "pinned": [6, 7]}
    assert cluster.pinned_cpus("host2") == [6, 7]
    cluster.start("revert_resize", "vm1")
    assert cluster.run_until(lambda: cluster.server_status("vm1") == "ACTIVE", 60)
    cluster.kernel.run_all()
    assert cluster.numa_placement("vm1") == {"host": "host1", "cells": [1], "pinned": []}
    assert cluster.pinned_cpus("host2") == []
    assert cluster.check_invariants() == []


def test_a_resize_keeps_the_ports_request_and_so_its_policy() -> None:
    """Nova keeps a port's PCI request through a move (the flavor's alias
    requests are made anew): the policy the old flavor gave it stays, so a
    resize to a flavor asking ``preferred`` still fits as ``legacy``."""
    cluster = Cluster(load_topology(NUMA_HOSTS))
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="numa.small"), 60)
    cluster.start("resize", "vm1", flavor="numa.big.preferred")
    cluster.kernel.run_all()
    assert cluster.server_status("vm1") == "ACTIVE"
    fault = cluster.instance("vm1").fault or ""
    assert "PCI NUMA affinity policy legacy" in fault
    assert cluster.migrations_of("vm1")[-1]["status"] == "error"


def test_shelve_offload_unpins_and_unshelve_pins_again() -> None:
    cluster = Cluster(load_topology(NUMA_HOSTS))
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="pinned.two"), 60)
    assert cluster.pinned_cpus("host1") == [6, 7]
    cluster.start("shelve", "vm1")  # offloaded at once, as shelved_offload_time 0
    cluster.kernel.run_all()
    assert cluster.server_status("vm1") == "SHELVED_OFFLOADED"
    assert cluster.pinned_cpus("host1") == []
    cluster.start("unshelve", "vm1")
    cluster.kernel.run_all()
    assert cluster.server_status("vm1") == "ACTIVE"
    host = cluster.server_host("vm1")
    assert cluster.numa_placement("vm1")["pinned"] == [6, 7]
    assert cluster.pinned_cpus(host) == [6, 7]
    assert cluster.check_invariants() == []


def test_the_accounting_check_compares_saved_pinning_with_the_servers() -> None:
    cluster = Cluster(load_topology(NUMA_HOSTS))
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="pinned.two"), 60)
    assert cluster.check_invariants() == []
    node = cluster.db.compute_nodes["host1"]
    assert node.numa_topology is not None
    node.numa_topology = node.numa_topology.unused()  # as if an audit lost the pinning
    assert cluster.check_invariants() == [
        "The resource tracker of 'host1' saved pCPUs none as pinned, but its servers and "
        "moves pin [6, 7]."
    ]


@pytest.mark.parametrize("end", ["confirm_resize", "revert_resize"])
def test_a_resize_on_one_host_counts_both_sides_until_it_ends(end: str) -> None:
    """The same-node resize: the host pins the old flavor's pCPUs while the
    server has the new shared topology, through an audit; a confirm unpins
    them, a revert takes the old topology back with them."""
    topology = load_topology(NUMA_HOSTS)
    cluster = Cluster(replace(topology, hosts=topology.hosts[:1]), allow_resize_to_same_host=True)
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="pinned.two"), 60)
    cluster.start("resize", "vm1", flavor="numa.split")
    assert cluster.run_until(lambda: cluster.server_status("vm1") == "VERIFY_RESIZE", 60)
    assert cluster.numa_placement("vm1") == {"host": "host1", "cells": [0, 1], "pinned": []}
    assert cluster.run_task(cluster.update_available_resource("host1"), 60)
    assert cluster.pinned_cpus("host1") == [6, 7]
    assert cluster.check_invariants() == []
    cluster.start(end, "vm1")
    cluster.kernel.run_all()
    assert cluster.run_task(cluster.update_available_resource("host1"), 60)
    pinned = [] if end == "confirm_resize" else [6, 7]
    assert cluster.numa_placement("vm1")["pinned"] == cluster.pinned_cpus("host1") == pinned
    assert cluster.audit_failures("host1") == []
    assert cluster.check_invariants() == []


def _no_affinity_host(policy: str) -> Cluster:
    """One pinned host whose only GPU reports no NUMA node (Nova's -1)."""
    return Cluster(topology_from_mapping({
        "pci": {"alias": [{"name": "g", "vendor_id": "10de", "product_id": "1eb8",
                           "device_type": "type-PCI", "numa_policy": policy}]},
        "flavors": [{"name": "pinned.g", "vcpus": 2, "memory_mb": 1024, "disk_gb": 1,
                     "extra_specs": {"hw:cpu_policy": "dedicated",
                                     "pci_passthrough:alias": "g:1"}}],
        "hosts": [{"name": "host1", "cpu_dedicated_set": "0-7",
                   "numa_cells": [{"id": 0, "cpus": "0-3", "memory_mb": 4096},
                                  {"id": 1, "cpus": "4-7", "memory_mb": 4096}],
                   "devices": [{"address": "0000:83:00.0", "dev_type": "type-PCI",
                                "vendor_id": "10de", "product_id": "1eb8",
                                "numa_node": None}]}],
    }))  # fmt: skip


@pytest.mark.parametrize(("policy", "status"), [
    ("legacy", "ACTIVE"), ("preferred", "ACTIVE"), ("required", "ERROR"), ("socket", "ERROR"),
])  # fmt: skip
def test_a_device_of_no_numa_node_serves_only_legacy_and_preferred(
    policy: str, status: str
) -> None:
    """Nova's _filter_pools_for_numa_cells adds None to the cells only past
    ``required`` and ``socket`` (PCIServersWithSRIOVAffinityPoliciesTest, -1)."""
    cluster = _no_affinity_host(policy)
    assert cluster.run_task(cluster.create_server("vm1", flavor="pinned.g", vnic_type="normal"))
    assert cluster.server_status("vm1") == status
    if status == "ACTIVE":
        assert [d["numa_node"] for d in cluster.pci_devices_of("vm1")] == ["-"]
    else:
        assert "1 with no NUMA affinity" in (cluster.server_fault("vm1") or "")
