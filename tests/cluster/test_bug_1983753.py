"""Bugs 1983753 and 1941005: a resize to another flavor scheduled with the old
flavor's PCI requests. Since a93092e0d5 Nova's resize API makes
``RequestSpec.pci_requests`` from the new flavor (keeping the ports'), and both
the PCI and the NUMA filter read them; the acceptance suite bug_1983753.robot
mirrors Nova's TestPciResize."""

from __future__ import annotations

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.objects import Flavor
from PciRaceLibrary.cluster.scheduler import request_spec_pci_requests
from PciRaceLibrary.cluster.topology import topology_from_mapping

VF = {"dev_type": "type-VF", "parent": "0000:81:00.0", "vendor_id": "8086",
      "product_id": "154c", "numa_node": 1}  # fmt: skip
CELLS = [{"id": 0, "cpus": "0-3", "memory_mb": 4096}, {"id": 1, "cpus": "4-7", "memory_mb": 4096}]
TOPOLOGY = {
    "networks": [{"name": "net1", "physnet": "physnet1"}],
    "pci": {"alias": [{"name": "vf", "vendor_id": "8086", "product_id": "154c",
                       "device_type": "type-VF", "numa_policy": "required"}]},
    "flavors": [
        {"name": "numa", "vcpus": 2, "memory_mb": 1024, "disk_gb": 1,
         "extra_specs": {"hw:numa_nodes": "1"}},
        {"name": "numa.vf", "vcpus": 2, "memory_mb": 1024, "disk_gb": 1,
         "extra_specs": {"hw:numa_nodes": "1", "pci_passthrough:alias": "vf:1"}},
    ],
    "hosts": [
        {"name": "host1", "vcpus": 8, "numa_cells": CELLS, "devices": [
            {"address": "0000:81:00.0", "dev_type": "type-PF", "physnet": "physnet1",
             "numa_node": 1},
            {**VF, "address": "0000:81:00.1", "physnet": "physnet1"}]},
        {"name": "host2", "vcpus": 8, "numa_cells": CELLS},
    ],
}  # fmt: skip


def resized(bugs: str | None) -> Cluster:
    cluster = Cluster(topology_from_mapping(TOPOLOGY), bugs=bugs)
    build = cluster.create_server("vm1", "host1", flavor="numa.vf", vnic_type="normal")
    assert cluster.run_task(build)
    assert cluster.run_task(cluster.start("resize", "vm1", flavor="numa"))
    return cluster


def test_the_request_spec_asks_for_the_new_flavors_devices_and_keeps_the_ports() -> None:
    cluster = Cluster(topology_from_mapping(TOPOLOGY))
    cluster.create_port("p1", "net1", "direct")
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="numa", ports=("p1",)))
    instance = cluster.instance("vm1")
    new = Flavor.from_spec(cluster.services.context.topology.flavor_named("numa.vf"))
    requests = request_spec_pci_requests(cluster.services.context, instance, new)
    assert [r.alias_name for r in requests] == ["vf", None]
    assert requests[1] is instance.pci_requests[0]  # the port's own request, kept
    assert request_spec_pci_requests(cluster.services.context, instance, None) == (
        instance.pci_requests
    )


def test_the_numa_filter_tests_the_new_flavors_requests() -> None:
    """host2 has NUMA cells and no device: the new flavor asks for none, so it
    passes the NUMATopologyFilter (the PCI filter is off here)."""
    cluster = resized(None)
    assert cluster.server_host("vm1") == "host2"
    assert cluster.server_status("vm1") == "VERIFY_RESIZE"


def test_before_the_fix_the_numa_filter_wants_the_old_flavors_vf() -> None:
    cluster = resized("1983753")
    assert cluster.migrations_of("vm1")[-1]["status"] == "error"
    assert cluster.server_host("vm1") == "host1"
    assert "NUMATopologyFilter: " in cluster.server_fault("vm1")
    assert cluster.check_invariants() == []
