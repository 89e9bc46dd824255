"""PCPU: the inventory the libvirt driver reports from ``cpu_shared_set`` and
``cpu_dedicated_set``, and what a server with dedicated CPUs asks of
placement since Train (nova/scheduler/utils.py, ``_translate_pinning_policies``):
PCPU where a host reports them, else VCPU through the scheduler's fallback
query (nova/scheduler/manager.py, ``select_destinations``).

On ``numa_hosts`` host1 and host2 share CPUs 0-1,4-5 and dedicate 2-3,6-7 (4
VCPU, 4 PCPU); host3 reports no NUMA topology and no PCPU. ``pinned_hosts``
dedicates every CPU (PCPU only, no VCPU inventory).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.host_plan import placement_inventory
from PciRaceLibrary.cluster.objects import Flavor
from PciRaceLibrary.cluster.resource_request import resource_requests
from PciRaceLibrary.cluster.topology import (
    HostSpec,
    ImageSpec,
    load_topology,
    topology_from_mapping,
)

TOPOLOGIES = Path(__file__).resolve().parents[2] / "acceptance" / "topologies"
NUMA_HOSTS = TOPOLOGIES / "numa_hosts.yaml"
PINNED_HOSTS = TOPOLOGIES / "pinned_hosts.yaml"
PINNED_TWO = {"PCPU": 2, "MEMORY_MB": 1024, "DISK_GB": 1}
SHARED_TWO = {"VCPU": 2, "MEMORY_MB": 1024, "DISK_GB": 1}


def cluster_of(path: Path) -> Cluster:
    return Cluster(load_topology(path))


def latest(cluster: Cluster) -> str:
    records = cluster.migrations_of("vm1")
    return records[-1]["status"] if records else "-"


def one_host(vcpus: int = 2, **host: object) -> Cluster:
    """A cluster of one host of Nova's functional tests (the fakelibvirt
    HostInfo cells given) and the flavor of their ``_create_flavor`` (2048
    MB, 20 GB) with ``vcpus`` pinned vCPUs. Its servers boot with a normal
    port: the host has no VFs."""
    flavor = {"name": "pinned", "vcpus": vcpus, "memory_mb": 2048, "disk_gb": 20,
              "extra_specs": {"hw:cpu_policy": "dedicated"}}  # fmt: skip
    mapping = {"flavor": "pinned", "flavors": [flavor], "hosts": [{"name": "h", **host}]}
    return Cluster(topology_from_mapping(mapping))


# -- inventory ---------------------------------------------------------------------


def test_a_host_with_both_sets_reports_vcpu_from_shared_and_pcpu_from_dedicated() -> None:
    cluster = cluster_of(NUMA_HOSTS)
    provider = cluster.context.placement.providers[cluster.db.compute_nodes["host1"].uuid]
    assert provider.inventory == {"VCPU": 4, "PCPU": 4, "MEMORY_MB": 5120, "DISK_GB": 1028}
    assert cluster.placement_usage("host1") == {"VCPU": 0, "PCPU": 0, "MEMORY_MB": 0,
                                                "DISK_GB": 0}  # fmt: skip
    # The compute node's vcpus are the driver's VCPU (len(_get_vcpu_available)).
    assert cluster.db.compute_nodes["host1"].vcpus == 4


def test_a_host_without_the_sets_reports_every_cpu_as_vcpu_and_no_pcpu() -> None:
    cluster = cluster_of(NUMA_HOSTS)
    assert cluster.placement_usage("host3") == {"VCPU": 0, "MEMORY_MB": 0, "DISK_GB": 0}
    assert placement_inventory(HostSpec("h", vcpus=8)) == {
        "VCPU": 8, "MEMORY_MB": 8192, "DISK_GB": 1028,
    }  # fmt: skip


def test_only_a_dedicated_set_reports_no_vcpu() -> None:
    """_get_vcpu_available returns nothing when only cpu_dedicated_set is
    set, and update_provider_tree leaves out a class of total 0."""
    cluster = cluster_of(PINNED_HOSTS)
    assert cluster.placement_usage("host1") == {"PCPU": 0, "MEMORY_MB": 0, "DISK_GB": 0}
    assert cluster.db.compute_nodes["host1"].vcpus == 0
    shared = HostSpec("h", vcpus=4, cpu_shared_set=frozenset({0, 1}))
    assert placement_inventory(shared) == {"VCPU": 2, "MEMORY_MB": 8192, "DISK_GB": 1028}


# -- what a server asks ------------------------------------------------------------


def test_a_dedicated_policy_asks_pcpu_then_vcpu_as_the_fallback() -> None:
    shared = Flavor("s", 2, 1024, 1)
    pinned = Flavor("p", 2, 1024, 1, (("hw:cpu_policy", "dedicated"),))
    image = ImageSpec("pinned", (("hw_cpu_policy", "dedicated"),))
    assert resource_requests(shared) == (SHARED_TWO,)
    assert resource_requests(Flavor("s", 2, 1024, 1, (("hw:cpu_policy", "shared"),))) == (
        SHARED_TWO,
    )
    assert resource_requests(pinned) == (PINNED_TWO, SHARED_TWO)
    assert resource_requests(shared, image) == (PINNED_TWO, SHARED_TWO)
    # [workarounds]disable_fallback_pcpu_query=True: the PCPU query alone.
    assert resource_requests(pinned, disable_fallback_pcpu_query=True) == (PINNED_TWO,)


def test_a_pinned_server_takes_pcpu_on_a_host_with_dedicated_cpus() -> None:
    cluster = cluster_of(NUMA_HOSTS)
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="pinned.two"), 60)
    assert cluster.placement_allocations("vm1") == {"host1": PINNED_TWO}
    assert cluster.placement_usage("host1") == {"VCPU": 0, **PINNED_TWO}
    assert cluster.flavor_resources("vm1", "host1") == PINNED_TWO
    assert cluster.flavor_resources("vm1", "host3") == SHARED_TWO
    # The tracker counts the pinned vCPUs as vcpus_used all the same.
    assert cluster.resource_usage("host1")["vcpus"] == 2
    assert cluster.check_invariants() == []


def test_an_image_with_a_dedicated_policy_takes_pcpu_too() -> None:
    cluster = cluster_of(NUMA_HOSTS)
    task = cluster.create_server("vm1", "host1", flavor="small", image="pinned")
    assert cluster.run_task(task, 60)
    assert cluster.placement_allocations("vm1") == {"host1": PINNED_TWO}
    assert cluster.check_invariants() == []


def test_a_pinned_server_on_a_host_configured_as_before_train_takes_vcpu() -> None:
    """Nova's test_create_server_with_dedicated_policy_old_configuration
    (test_numa_servers.py): no cpu_dedicated_set, so no PCPU; the fallback
    query's VCPU allocation lands, and the guest is pinned all the same."""
    cluster = one_host(numa_cells=[{"id": 0, "cpus": "0-3", "memory_mb": 8192},
                                   {"id": 1, "cpus": "4-7", "memory_mb": 8192}])  # fmt: skip
    assert cluster.run_task(cluster.create_server("vm1", vnic_type="normal"), 60)
    assert cluster.server_status("vm1") == "ACTIVE"
    assert cluster.placement_usage("h") == {"VCPU": 2, "MEMORY_MB": 2048, "DISK_GB": 20}
    assert cluster.numa_placement("vm1")["pinned"] == [0, 1]
    assert cluster.check_invariants() == []


def test_a_pinned_server_fails_on_a_host_of_shared_cpus_only() -> None:
    """Nova's test_create_server_with_dedicated_policy_fails: cpu_shared_set
    alone, so no PCPU; the fallback's VCPU fits placement, but the
    NUMATopologyFilter finds no dedicated CPU in the cells."""
    cluster = one_host(
        cpu_shared_set="0-9", numa_cells=[{"id": 0, "cpus": "0-9", "memory_mb": 16384}]
    )
    cluster.run_task(cluster.create_server("vm1", vnic_type="normal"), 60)
    assert cluster.server_status("vm1") == "ERROR"
    assert "NUMATopologyFilter" in (cluster.instance("vm1").fault or "")
    assert cluster.placement_usage("h") == {"VCPU": 0, "MEMORY_MB": 0, "DISK_GB": 0}


def test_nova_dedicated_policy_usage_is_pcpu_only() -> None:
    """Nova's test_create_server_with_dedicated_policy: cpu_dedicated_set
    0-9, a pinned flavor of 5 vCPUs; usage {'DISK_GB': 20, 'MEMORY_MB':
    2048, 'PCPU': 5} (no VCPU inventory, so no VCPU usage)."""
    cluster = one_host(
        5, cpu_dedicated_set="0-9", numa_cells=[{"id": 0, "cpus": "0-9", "memory_mb": 16384}]
    )
    assert cluster.run_task(cluster.create_server("vm1", vnic_type="normal"), 60)
    assert cluster.placement_usage("h") == {"PCPU": 5, "MEMORY_MB": 2048, "DISK_GB": 20}


def test_a_host_without_free_pcpu_passes_placement_only_by_the_fallback() -> None:
    """PCPU's allocation ratio is 1.0: two pinned.two fill host1's four
    dedicated CPUs. A third finds no PCPU, but the fallback's VCPU fits (as
    in Nova, which leaves the rest to the NUMATopologyFilter), and the
    filter refuses it: no free pCPU in either cell."""
    cluster = cluster_of(NUMA_HOSTS)
    for name in ("vm1", "vm2"):
        task = cluster.create_server(name, "host1", flavor="pinned.two", vnic_type="normal")
        assert cluster.run_task(task, 60)
    assert cluster.placement_usage("host1")["PCPU"] == 4
    placement = cluster.context.placement
    rp_uuid = cluster.db.compute_nodes["host1"].uuid
    requests = resource_requests(cluster.instance("vm1").flavor)
    assert placement.allocation_request(rp_uuid, requests) == SHARED_TWO
    task = cluster.create_server("vm3", "host1", flavor="pinned.two", vnic_type="normal")
    cluster.run_task(task, 60)
    assert cluster.server_status("vm3") == "ERROR"
    assert "NUMATopologyFilter" in (cluster.instance("vm3").fault or "")
    assert cluster.placement_usage("host1") == {"VCPU": 0, "PCPU": 4, "MEMORY_MB": 2048,
                                                "DISK_GB": 2}  # fmt: skip


# -- moves -----------------------------------------------------------------------


def test_a_resize_from_pinned_to_unpinned_moves_pcpu_to_vcpu() -> None:
    cluster = cluster_of(NUMA_HOSTS)
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="pinned.two"), 60)
    cluster.start("resize", "vm1", flavor="shared.two")
    assert cluster.run_until(lambda: cluster.server_status("vm1") == "VERIFY_RESIZE", 60)
    destination = cluster.server_host("vm1")
    assert destination != "host1"
    # The new flavor's request on the destination; the migration keeps the
    # source's PCPU.
    assert cluster.placement_allocations("vm1") == {destination: SHARED_TWO}
    assert cluster.placement_allocations("vm1", migration=True) == {"host1": PINNED_TWO}
    assert cluster.placement_usage("host1")["PCPU"] == 2
    assert cluster.check_invariants() == []
    cluster.start("confirm_resize", "vm1")
    cluster.kernel.run_all()
    assert cluster.placement_usage("host1") == {"VCPU": 0, "PCPU": 0, "MEMORY_MB": 0,
                                                "DISK_GB": 0}  # fmt: skip
    assert cluster.placement_allocations("vm1") == {destination: SHARED_TWO}
    assert cluster.check_invariants() == []


def test_a_resize_from_pinned_to_unpinned_reverts_to_pcpu() -> None:
    cluster = cluster_of(NUMA_HOSTS)
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="pinned.two"), 60)
    cluster.start("resize", "vm1", flavor="shared.two")
    assert cluster.run_until(lambda: cluster.server_status("vm1") == "VERIFY_RESIZE", 60)
    cluster.start("revert_resize", "vm1")
    cluster.kernel.run_all()
    assert cluster.server_status("vm1") == "ACTIVE"
    assert cluster.placement_allocations("vm1") == {"host1": PINNED_TWO}
    assert cluster.check_invariants() == []


def test_an_evacuation_doubles_the_pcpu_allocation() -> None:
    cluster = cluster_of(NUMA_HOSTS)
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="pinned.two"), 60)
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    cluster.evacuate("vm1", "host2")
    assert cluster.run_until(lambda: cluster.server_host("vm1") == "host2", 60)
    cluster.kernel.run_all()
    assert cluster.placement_allocations("vm1") == {"host1": PINNED_TWO, "host2": PINNED_TWO}


def test_a_forced_evacuation_copies_the_source_allocation() -> None:
    """claim_resources_on_destination copies the source's PCPU to the
    forced host: host3 reports no PCPU, so the claim fails there."""
    cluster = cluster_of(NUMA_HOSTS)
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="pinned.two"), 60)
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    cluster.evacuate("vm1", "host3", force=True, microversion="2.29")
    cluster.kernel.run_all()
    assert cluster.server_status("vm1") == "ERROR"
    assert "could not claim 'host3'" in (cluster.instance("vm1").fault or "")
    assert cluster.placement_allocations("vm1") == {"host1": PINNED_TWO}


def test_a_live_migration_claims_pcpu_on_the_destination() -> None:
    cluster = cluster_of(NUMA_HOSTS)
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="pinned.two"), 60)
    cluster.live_migrate("vm1", "host2", delays={"ComputeDriver.live_migration": 1})
    assert cluster.run_until(lambda: latest(cluster) == "running", 5)
    assert cluster.placement_allocations("vm1") == {"host2": PINNED_TWO}
    assert cluster.placement_allocations("vm1", migration=True) == {"host1": PINNED_TWO}
    assert cluster.check_invariants() == []
    cluster.kernel.run_all()
    assert cluster.placement_allocations("vm1") == {"host2": PINNED_TWO}
    assert cluster.placement_usage("host1")["PCPU"] == 0


@pytest.mark.parametrize("force", [False, True])
def test_a_live_migration_to_a_named_host_claims_pcpu(force: bool) -> None:
    cluster = cluster_of(NUMA_HOSTS)
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="pinned.two"), 60)
    cluster.live_migrate("vm1", "host2", force=force, microversion="2.30" if force else None)
    cluster.kernel.run_all()
    assert cluster.server_host("vm1") == "host2"
    assert cluster.placement_allocations("vm1") == {"host2": PINNED_TWO}


def test_a_forced_live_migration_copies_the_migrations_pcpu() -> None:
    """The conductor hands claim_resources_on_destination the allocation the
    migration holds: PCPU, which host3 does not report."""
    cluster = cluster_of(NUMA_HOSTS)
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="pinned.two"), 60)
    cluster.live_migrate("vm1", "host3", force=True, microversion="2.30")
    cluster.kernel.run_all()
    assert cluster.server_host("vm1") == "host1"
    assert latest(cluster) == "error"
    fault = cluster.instance("vm1").fault
    assert fault == "Unable to claim the resources of 'vm1' on forced host 'host3'."
    assert cluster.placement_allocations("vm1") == {"host1": PINNED_TWO}
    assert cluster.check_invariants() == []


def test_unshelve_claims_pcpu_again() -> None:
    cluster = cluster_of(NUMA_HOSTS)
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="pinned.two"), 60)
    cluster.start("shelve", "vm1")
    cluster.kernel.run_all()
    assert cluster.placement_allocations("vm1") == {}
    cluster.start("unshelve", "vm1")
    cluster.kernel.run_all()
    host = cluster.server_host("vm1")
    assert host in {"host1", "host2"}
    assert cluster.placement_allocations("vm1") == {host: PINNED_TWO}
    assert cluster.check_invariants() == []


# -- the accounting check -----------------------------------------------------------


def test_the_check_compares_tracked_vcpus_with_vcpu_and_pcpu_together() -> None:
    """Nova's ResourceTracker._update_usage adds every instance's vCPUs to
    vcpus_used, pinned or not: placement's VCPU and PCPU together."""
    cluster = cluster_of(NUMA_HOSTS)
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="pinned.two"), 60)
    assert cluster.run_task(cluster.create_server("vm2", "host1", flavor="shared.two"), 60)
    assert cluster.placement_usage("host1")["VCPU"] == 2
    assert cluster.placement_usage("host1")["PCPU"] == 2
    assert cluster.resource_usage("host1")["vcpus"] == 4
    assert cluster.check_invariants() == []
    cluster.db.compute_nodes["host1"].vcpus_used = 2  # as if the pinned one were lost
    assert cluster.check_invariants() == [
        "The resource tracker of 'host1' counts other usage than placement holds on it "
        "(VCPU+PCPU 2 != 4)."
    ]
