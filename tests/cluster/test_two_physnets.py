"""Every operation on the ``two_physnets`` topology through the cluster's Python
API, asserting after each step that every device a server holds (claimed or
allocated, on any host) is on its port's network's physnet, and the accounting
invariants.

Right after a live migration the invariants leave the trackers' usage out
(``usage=False``): the destination counts a non-NUMA live migration only from
its next audit, as Nova does; the audit that follows restores the full check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.objects import PF, VF
from PciRaceLibrary.cluster.topology import load_topology

TOPOLOGY = Path(__file__).resolve().parents[2] / "PciRaceLibrary" / "topologies"
OTHER = {"network_1": "network_2", "network_2": "network_1"}
FIRST_VF = {"network_1": "0000:81:00.4", "network_2": "0000:82:00.4"}
PF_OF = {"network_1": "0000:81:00.0", "network_2": "0000:82:00.0"}


def two_physnets() -> Cluster:
    return Cluster(load_topology(TOPOLOGY / "two_physnets.yaml"))


def run(cluster: Cluster, operation: str, server: str, **arguments: object) -> None:
    assert cluster.run_task(cluster.start(operation, server, **arguments), 60)


def build(cluster: Cluster, server: str, host: str | None, network: str, **kwargs: str) -> None:
    assert cluster.run_task(cluster.create_server(server, host, network=network, **kwargs), 60)
    assert cluster.server_status(server) == "ACTIVE", cluster.server_fault(server)


def held(cluster: Cluster, server: str) -> dict[str, list[str]]:
    """Host -> addresses of every device that names ``server``, claimed or allocated."""
    found: dict[str, list[str]] = {}
    for device in cluster.db.peek_pci_devices_of_instance(cluster.instance(server).uuid):
        if device.status in ("claimed", "allocated"):
            found.setdefault(device.host, []).append(device.address)
    return found


def check(cluster: Cluster, *, usage: bool = True) -> None:
    """Every live server's devices and binding are on its network's physnet,
    of the type its vnic asks; then the cluster's invariants."""
    db = cluster.db
    for server in cluster.servers:
        row = cluster.instance(server)
        if row.deleted:
            continue
        port = db.ports[row.ports[0]]
        physnet = db.networks[port.network].physnet
        wanted_type = PF if port.vnic_type == "direct-physical" else VF
        for device in db.peek_pci_devices_of_instance(row.uuid):
            if device.status in ("claimed", "allocated"):
                where = f"{server}'s {device.address} on {device.host}"
                assert (device.physnet, device.dev_type) == (physnet, wanted_type), where
        binding = cluster.port_binding(server)
        if binding.get("pci_slot"):
            assert binding["physical_network"] == physnet, server
            assert binding["pci_slot"] in held(cluster, server)[binding["host"]], server
    assert cluster.check_invariants(usage=usage) == []


def on(cluster: Cluster, server: str) -> tuple[str, str | None, dict[str, list[str]]]:
    return cluster.server_status(server), cluster.server_host(server), held(cluster, server)


@pytest.mark.parametrize("vnic_type", ["direct", "direct-physical"])
@pytest.mark.parametrize("network", ["network_1", "network_2"])
def test_every_operation_keeps_the_server_on_its_physnet(network: str, vnic_type: str) -> None:
    cluster = two_physnets()
    # A neighbour on the other physnet on every host: its PF's VFs stay free,
    # so a claim that ignored the physnet would find one.
    for host in cluster.hosts:
        build(cluster, f"other-{host}", host, OTHER[network])
    build(cluster, "vm1", "host1", network, vnic_type=vnic_type)
    device = PF_OF[network] if vnic_type == "direct-physical" else FIRST_VF[network]
    assert on(cluster, "vm1") == ("ACTIVE", "host1", {"host1": [device]})
    check(cluster)

    for operation, status in [("stop_server", "SHUTOFF"), ("start_server", "ACTIVE")]:
        run(cluster, operation, "vm1")
        assert on(cluster, "vm1") == (status, "host1", {"host1": [device]})
        check(cluster)
    assert cluster.run_task(cluster.rebuild_server("vm1"), 60)
    assert on(cluster, "vm1") == ("ACTIVE", "host1", {"host1": [device]})
    check(cluster)

    # Cold migration: the scheduler's choice is host2 (ties by name).
    run(cluster, "migrate", "vm1")
    assert on(cluster, "vm1") == ("VERIFY_RESIZE", "host2", {"host1": [device], "host2": [device]})
    check(cluster)
    run(cluster, "confirm_resize", "vm1")
    assert on(cluster, "vm1") == ("ACTIVE", "host2", {"host2": [device]})
    check(cluster)

    # Resize reverted, then confirmed: host1 and host3 tie, host1 by name.
    run(cluster, "resize", "vm1", flavor="m1.medium")
    assert on(cluster, "vm1") == ("VERIFY_RESIZE", "host1", {"host1": [device], "host2": [device]})
    check(cluster)
    run(cluster, "revert_resize", "vm1")
    assert on(cluster, "vm1") == ("ACTIVE", "host2", {"host2": [device]})
    assert cluster.instance("vm1").flavor.name == "m1.small"
    check(cluster)
    run(cluster, "resize", "vm1", flavor="m1.medium")
    run(cluster, "confirm_resize", "vm1")
    assert on(cluster, "vm1") == ("ACTIVE", "host1", {"host1": [device]})
    check(cluster)

    # Live migration: usage waits for the destination's audit.
    cluster.live_migrate("vm1", "host3")
    cluster.kernel.run_all()
    assert cluster.migrations_of("vm1")[-1]["status"] == "completed"
    assert on(cluster, "vm1") == ("ACTIVE", "host3", {"host3": [device]})
    check(cluster, usage=False)
    assert cluster.run_task(cluster.update_available_resource("host3"), 60)
    check(cluster)

    # Shelve without offload, offload, unshelve to another host.
    run(cluster, "shelve", "vm1", offload=False)
    assert on(cluster, "vm1") == ("SHELVED", "host3", {"host3": [device]})
    check(cluster)
    run(cluster, "shelve_offload", "vm1")
    assert on(cluster, "vm1") == ("SHELVED_OFFLOADED", None, {})
    check(cluster)
    run(cluster, "unshelve", "vm1", host="host2")
    assert on(cluster, "vm1") == ("ACTIVE", "host2", {"host2": [device]})
    check(cluster)

    # Evacuation from a down host2, then the source's start-up clean-up.
    cluster.stop_compute_service("host2")
    cluster.force_down_compute_service("host2")
    cluster.evacuate("vm1", None)
    cluster.kernel.run_all()
    assert on(cluster, "vm1") == ("SHUTOFF", "host1", {"host1": [device], "host2": [device]})
    check(cluster)
    assert cluster.run_task(cluster.start_compute_service("host2"), 60)
    cluster.kernel.run_all()
    assert on(cluster, "vm1") == ("SHUTOFF", "host1", {"host1": [device]})
    assert cluster.migrations_of("vm1")[-1]["status"] == "completed"
    check(cluster)

    for host in cluster.hosts:  # the periodic audit changes nothing
        assert cluster.run_task(cluster.update_available_resource(host), 60)
    assert on(cluster, "vm1") == ("SHUTOFF", "host1", {"host1": [device]})
    check(cluster)

    assert cluster.run_task(cluster.delete_server("vm1"), 60)
    assert held(cluster, "vm1") == {}
    assert all(len(cluster.free_pci_devices(host)) == 8 for host in cluster.hosts)
    check(cluster)


def host2_without_a_physnet1_vf() -> Cluster:
    """vm1 on host1's physnet1; four servers take host2's four physnet1 VFs;
    three m1.medium servers with normal ports make host3 fuller than host2, so
    the scheduler (no PCI filter, as Nova's default) tries host2 first."""
    cluster = two_physnets()
    build(cluster, "vm1", "host1", "network_1")
    for index in range(4):
        build(cluster, f"fill{index}", "host2", "network_1")
    for index in range(3):
        build(cluster, f"big{index}", "host3", "private", vnic_type="normal", flavor="m1.medium")
    assert not [a for a in cluster.free_pci_devices("host2") if a.startswith("0000:81:")]
    return cluster


def refusals(cluster: Cluster) -> list[str]:
    return [str(e.detail) for e in cluster.kernel.journal if "do not fit on" in str(e.detail)]


@pytest.mark.parametrize(
    ("operation", "arguments"), [("migrate", {}), ("resize", {"flavor": "m1.medium"})]
)
def test_a_cold_move_refused_on_a_full_physnet_goes_on_to_an_alternate(
    operation: str, arguments: dict[str, str]
) -> None:
    cluster = host2_without_a_physnet1_vf()
    run(cluster, operation, "vm1", **arguments)
    assert refusals(cluster)[0].startswith("resize claim refused: PCI requests of 'vm1'")
    assert "on 'host2'" in refusals(cluster)[0]
    vf = FIRST_VF["network_1"]
    assert on(cluster, "vm1") == ("VERIFY_RESIZE", "host3", {"host1": [vf], "host3": [vf]})
    assert [m["dest"] for m in cluster.migrations_of("vm1")] == ["host3"]  # one record
    check(cluster)
    run(cluster, "confirm_resize", "vm1")
    assert on(cluster, "vm1") == ("ACTIVE", "host3", {"host3": [vf]})
    check(cluster)


def test_a_cold_migration_to_a_named_full_host_ends_in_error() -> None:
    # A requested host has no alternates and no retry: Nova's prep_resize
    # re-raises and errors the instance; the source keeps everything.
    cluster = host2_without_a_physnet1_vf()
    run(cluster, "migrate", "vm1", host="host2")
    assert on(cluster, "vm1") == ("ERROR", "host1", {"host1": [FIRST_VF["network_1"]]})
    assert "do not fit on 'host2'" in (cluster.server_fault("vm1") or "")
    assert cluster.migrations_of("vm1")[-1]["status"] == "error"
    check(cluster)


def test_an_evacuation_has_no_alternate_so_it_fails_and_can_be_retried() -> None:
    cluster = host2_without_a_physnet1_vf()
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    cluster.evacuate("vm1", None)
    cluster.kernel.run_all()
    vf = FIRST_VF["network_1"]
    assert on(cluster, "vm1") == ("ACTIVE", "host1", {"host1": [vf]})
    assert cluster.migrations_of("vm1")[-1] == {
        "id": "1", "type": "evacuation", "status": "failed", "source": "host1", "dest": "host2"
    }  # fmt: skip
    assert cluster.placement_hosts("vm1") == ["host1"]
    check(cluster)
    cluster.evacuate("vm1", "host3")
    cluster.kernel.run_all()
    assert on(cluster, "vm1") == ("SHUTOFF", "host3", {"host1": [vf], "host3": [vf]})
    check(cluster)


def test_a_live_migration_whose_destination_check_fails_ends_in_error() -> None:
    cluster = host2_without_a_physnet1_vf()
    cluster.live_migrate("vm1", None)
    cluster.kernel.run_all()
    assert on(cluster, "vm1") == ("ERROR", "host1", {"host1": [FIRST_VF["network_1"]]})
    assert (cluster.server_fault("vm1") or "").startswith(
        "Migration error: PCI requests of 'vm1' do not fit on 'host2'"
    )
    assert cluster.migrations_of("vm1")[-1]["status"] == "error"
    assert cluster.placement_allocations("vm1", migration=True) == {}
    check(cluster)


def test_an_unshelve_refused_on_a_full_physnet_is_not_rescheduled() -> None:
    cluster = host2_without_a_physnet1_vf()
    run(cluster, "shelve", "vm1")
    cluster.disable_compute_service("host1")  # else host1, emptied, is the first choice
    run(cluster, "unshelve", "vm1")
    assert on(cluster, "vm1") == ("SHELVED_OFFLOADED", None, {})
    assert "claim refused on 'host2'" in (cluster.server_fault("vm1") or "")
    assert cluster.port_binding("vm1") == {"host": None}  # refused before the bind
    check(cluster)
    run(cluster, "unshelve", "vm1", host="host3")
    assert on(cluster, "vm1") == ("ACTIVE", "host3", {"host3": [FIRST_VF["network_1"]]})
    check(cluster)
