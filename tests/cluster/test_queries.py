"""The Cluster's queries for Nova-style checks: placement usage and allocations,
port bindings and migration lists, as plain data read without moving time."""

from __future__ import annotations

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.errors import UnknownName

FLAVOR = {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
NOTHING = {"VCPU": 0, "MEMORY_MB": 0, "DISK_GB": 0}


def run(cluster: Cluster, task: object) -> None:
    assert cluster.run_task(task)  # type: ignore[arg-type]


@pytest.fixture
def cluster() -> Cluster:
    """vm1 with a direct port and web1 with a normal port, both on host1."""
    cluster = Cluster()
    run(cluster, cluster.create_server("vm1", "host1"))
    run(cluster, cluster.create_server("web1", "host1", vnic_type="normal"))
    return cluster


def evacuating(cluster: Cluster) -> object:
    """Starts evacuating vm1 and runs it to its claim on host2, where its
    rebuild takes 1 s; returns the evacuation's task."""
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    task = cluster.evacuate("vm1", delays={"ComputeDriver.rebuild": 1.0})
    assert cluster.run_until(lambda: cluster.migrations_of("vm1")[-1]["status"] == "pre-migrating")
    return task


def test_usage_counts_every_consumer_on_the_provider(cluster: Cluster) -> None:
    assert cluster.placement_usage("host1") == {"VCPU": 2, "MEMORY_MB": 1024, "DISK_GB": 2}
    assert cluster.placement_usage("host2") == NOTHING
    assert list(cluster.placement_usage("host1")) == ["VCPU", "MEMORY_MB", "DISK_GB"]


def test_usage_is_a_copy(cluster: Cluster) -> None:
    cluster.placement_usage("host2")["VCPU"] = 99
    assert cluster.placement_usage("host2") == NOTHING


def test_usage_of_an_unknown_host_lists_the_known_ones(cluster: Cluster) -> None:
    with pytest.raises(UnknownName, match=r"^No host 'host9'\. Known hosts: host1, host2\.$"):
        cluster.placement_usage("host9")


def test_allocations_are_per_provider_host(cluster: Cluster) -> None:
    assert cluster.placement_allocations("vm1") == {"host1": FLAVOR}
    assert cluster.placement_allocations("web1") == {"host1": FLAVOR}


def test_evacuation_doubles_the_allocation_until_the_source_restarts(cluster: Cluster) -> None:
    task = evacuating(cluster)
    assert cluster.placement_allocations("vm1") == {"host1": FLAVOR, "host2": FLAVOR}
    assert cluster.placement_usage("host2") == FLAVOR
    run(cluster, task)
    assert cluster.placement_allocations("vm1") == {"host1": FLAVOR, "host2": FLAVOR}
    run(cluster, cluster.start_compute_service("host1"))
    assert cluster.placement_allocations("vm1") == {"host2": FLAVOR}
    assert cluster.placement_usage("host1") == FLAVOR  # web1's


def test_an_evacuation_gives_no_migration_consumer(cluster: Cluster) -> None:
    with pytest.raises(UnknownName, match=r"^No migration of 'vm1', so no migration consumer\.$"):
        cluster.placement_allocations("vm1", migration=True)
    evacuating(cluster)
    assert cluster.placement_allocations("vm1", migration=True) == {}


def test_a_deleted_server_holds_no_allocation(cluster: Cluster) -> None:
    run(cluster, cluster.delete_server("vm1"))
    assert cluster.placement_allocations("vm1") == {}
    assert cluster.placement_usage("host1") == FLAVOR


def test_allocations_of_an_unknown_server_list_the_known_ones(cluster: Cluster) -> None:
    with pytest.raises(UnknownName, match=r"^No server 'vm9'\. Known servers: vm1, web1\.$"):
        cluster.placement_allocations("vm9")


def test_flavor_resources_are_what_the_server_asks_of_placement(cluster: Cluster) -> None:
    assert cluster.flavor_resources("vm1", "host1") == FLAVOR


def test_port_binding_of_a_direct_port_has_the_profile(cluster: Cluster) -> None:
    assert cluster.port_binding("vm1") == {
        "host": "host1",
        "pci_slot": "0000:02:00.1",
        "pci_vendor_info": "fake-vendor_id:fake-product_id",
        "physical_network": "physnet2",
    }


def test_port_binding_of_a_normal_port_is_the_host_only(cluster: Cluster) -> None:
    assert cluster.port_binding("web1") == {"host": "host1"}


def test_port_binding_moves_to_the_new_device_on_evacuation() -> None:
    cluster = Cluster()
    run(cluster, cluster.create_server("vm2", "host2"))  # takes host2's 0000:02:00.1
    run(cluster, cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    run(cluster, cluster.evacuate("vm1"))
    binding = cluster.port_binding("vm1")
    assert (binding["host"], binding["pci_slot"]) == ("host2", "0000:03:00.1")


def test_a_deleted_server_has_its_port_unbound(cluster: Cluster) -> None:
    run(cluster, cluster.delete_server("vm1"))
    assert cluster.port_binding("vm1") == {"host": None}


def test_migrations_list_the_evacuation_through_its_statuses(cluster: Cluster) -> None:
    assert cluster.migrations_of("vm1") == []
    task = evacuating(cluster)
    record = {"id": "1", "type": "evacuation", "status": "pre-migrating", "source": "host1",
              "dest": "host2"}  # fmt: skip
    assert cluster.migrations_of("vm1") == [record]
    run(cluster, task)
    assert cluster.migrations_of("vm1") == [{**record, "status": "done"}]
    run(cluster, cluster.start_compute_service("host1"))
    assert cluster.migrations_of("vm1") == [{**record, "status": "completed"}]


def test_queries_never_move_time(cluster: Cluster) -> None:
    evacuating(cluster)
    before, journal = cluster.now, len(cluster.kernel.journal)
    cluster.placement_usage("host2")
    cluster.placement_allocations("vm1")
    cluster.placement_allocations("vm1", migration=True)
    cluster.port_binding("vm1")
    cluster.migrations_of("vm1")
    assert (cluster.now, len(cluster.kernel.journal)) == (before, journal)
