"""PCI requests as Nova makes them: device_spec, aliases, several ports, every move."""

from __future__ import annotations

from pathlib import Path

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.objects import Flavor
from PciRaceLibrary.cluster.pci_request import get_pci_requests_from_flavor
from PciRaceLibrary.cluster.topology import load_topology, topology_from_mapping
from PciRaceLibrary.errors import ApiRefused, TopologyError, UnknownName

EXAMPLE = Path(__file__).resolve().parents[2] / "acceptance" / "topologies" / "pci_requests.yaml"


def cluster() -> Cluster:
    return Cluster(load_topology(EXAMPLE))


def held(c: Cluster, server: str) -> list[tuple[str, str, str]]:
    return [(d["host"], d["address"], d["request"]) for d in c.pci_devices_of(server)]


def with_ports(c: Cluster, *vnics: str) -> tuple[str, ...]:
    names = []
    for number, vnic in enumerate(vnics, start=1):
        network = "tunnelled" if vnic == "normal" else "network_2"
        c.create_port(f"p{number}", network, vnic)
        names.append(f"p{number}")
    return tuple(names)


def test_device_spec_tracks_the_matching_devices_with_their_tags() -> None:
    topology = load_topology(EXAMPLE)
    host = topology.host("host1")
    assert host.untracked == 2  # the DPU's PF and the virtio NIC
    by_address = {device.address: device for device in host.devices}
    assert "0000:87:00.0" not in by_address
    assert by_address["0000:81:00.1"].physnet == "physnet1"  # by its PF's address
    assert by_address["0000:81:00.1"].live_migratable is True
    assert by_address["0000:82:00.2"].trusted is True
    assert by_address["0000:86:00.1"].remote_managed is True
    assert by_address["0000:85:00.2"].parent == "0000:85:00.0"  # vdpa: a VF of a PF


def test_aliases_of_one_name_are_ored_and_carry_their_numa_policy() -> None:
    topology = load_topology(EXAMPLE)
    flavor = Flavor.from_spec(topology.flavor_named("gpu.vf"))
    ids = iter(("r1", "r2"))
    gpu, vf = get_pci_requests_from_flavor(flavor, topology.pci_aliases, lambda: next(ids))
    assert (gpu.alias_name, gpu.count, gpu.request_id, gpu.numa_policy) == (
        "a-gpu",
        1,
        "r1",
        "preferred",
    )
    assert [spec["product_id"] for spec in gpu.spec] == ["1eb8", "1eb9"]
    assert (vf.alias_name, vf.numa_policy, vf.spec) == (
        "a-vf",
        "legacy",
        [{"vendor_id": "8086", "product_id": "154c", "dev_type": "type-VF"}],
    )


@pytest.mark.parametrize(
    ("flavor", "addresses"),
    [
        ("pf.two", ["0000:81:00.0", "0000:82:00.0"]),
        ("vf.two", ["0000:81:00.1", "0000:81:00.2"]),
        ("gpu.two", ["0000:83:00.0", "0000:84:00.0"]),
    ],
)
def test_an_alias_of_each_device_type_takes_its_count(flavor: str, addresses: list[str]) -> None:
    c = cluster()
    assert c.run_task(c.create_server("vm1", "host1", flavor=flavor, vnic_type="normal"))
    assert c.server_status("vm1") == "ACTIVE"
    assert [address for _, address, _ in held(c, "vm1")] == addresses
    assert c.check_invariants() == []


def test_an_unknown_alias_is_refused_before_anything_changes() -> None:
    c = cluster()
    with pytest.raises(ApiRefused, match=r"PCI alias a-none is not defined \(400\)\.$"):
        c.create_server("vm1", flavor="no.alias")
    assert c.servers == []
    assert c.run_task(c.create_server("vm1", "host1", flavor="vf.two", vnic_type="normal"))
    with pytest.raises(ApiRefused, match="PCI alias a-none is not defined"):
        c.start("resize", "vm1", flavor="no.alias")
    assert c.server_status("vm1") == "ACTIVE"


def test_alias_and_port_requests_are_claimed_together_and_pf_excludes_its_vfs() -> None:
    c = cluster()
    ports = with_ports(c, "direct", "vdpa", "remote-managed", "normal")
    assert c.run_task(c.create_server("vm1", "host1", flavor="gpu.vf", ports=ports))
    assert held(c, "vm1") == [
        ("host1", "0000:81:00.2", "alias:a-vf"),
        ("host1", "0000:82:00.2", "port:p1"),
        ("host1", "0000:83:00.0", "alias:a-gpu"),
        ("host1", "0000:85:00.3", "port:p2"),
        ("host1", "0000:86:00.2", "port:p3"),
    ]
    bindings = c.port_bindings("vm1")
    assert [bindings[port].get("pci_slot") for port in ports] == [
        "0000:82:00.2", "0000:85:00.3", "0000:86:00.2", None,
    ]  # fmt: skip
    # Both Intel PFs have a VF in use: a PF request fits nowhere on host1.
    assert c.run_task(c.create_server("vm2", "host1", flavor="pf.two", vnic_type="normal"))
    assert c.server_status("vm2") == "ERROR"
    assert c.server_fault("vm2") == "No valid host was found for 'vm2' on 'host1'."
    assert c.check_invariants() == []


def test_a_request_that_fits_nowhere_is_no_valid_host() -> None:
    c = cluster()
    assert c.run_task(c.create_server("vm1", flavor="gpu.three", vnic_type="normal"))
    assert c.server_fault("vm1") == "No valid host was found for 'vm1'."
    assert held(c, "vm1") == []


def test_ports_are_refused_when_unknown_or_in_use() -> None:
    c = cluster()
    ports = with_ports(c, "direct")
    with pytest.raises(UnknownName, match=r"^No port 'p9'\. Known ports: p1\.$"):
        c.create_server("vm1", ports=("p9",))
    assert c.run_task(c.create_server("vm1", ports=ports))
    with pytest.raises(ApiRefused, match=r"port 'p1' is in use by server 'vm1' \(409\)\.$"):
        c.create_server("vm2", ports=ports)
    with pytest.raises(ApiRefused, match="a port with that name exists"):
        c.create_port("p1")


def test_every_move_carries_the_requests_and_frees_what_it_claimed() -> None:
    c = cluster()
    ports = with_ports(c, "direct", "vdpa", "remote-managed")
    assert c.run_task(c.create_server("vm1", "host1", flavor="gpu.vf", ports=ports))
    port_ids = {r.requester_id: r.request_id for r in c.instance("vm1").pci_requests}
    assert c.run_task(c.start("resize", "vm1", flavor="gpu.two"))
    assert c.server_status("vm1") == "VERIFY_RESIZE"
    assert c.run_task(c.start("revert_resize", "vm1"))
    assert [r.alias_name for r in c.instance("vm1").pci_requests] == [
        "a-gpu",
        "a-vf",
        None,
        None,
        None,
    ]
    assert c.run_task(c.start("resize", "vm1", flavor="gpu.two"))
    assert c.run_task(c.start("confirm_resize", "vm1"))
    requests = c.instance("vm1").pci_requests
    assert [(r.alias_name, r.count) for r in requests] == [("a-gpu", 2), (None, 1), (None, 1),
                                                           (None, 1)]  # fmt: skip
    # The ports keep their request ids; the flavor's requests are made anew.
    assert {r.requester_id: r.request_id for r in requests if r.requester_id} == {
        port: request for port, request in port_ids.items() if port
    }
    host = c.server_host("vm1")
    assert c.run_task(c.start("shelve", "vm1"))
    for name in c.hosts:
        c.run_task(c.update_available_resource(name))
    assert held(c, "vm1") == []
    assert c.run_task(c.start("unshelve", "vm1"))
    assert c.run_task(c.rebuild_server("vm1"))
    host = c.server_host("vm1")
    c.stop_compute_service(host)
    c.force_down_compute_service(host)
    assert c.run_task(c.evacuate("vm1"))
    assert c.server_status("vm1") == "SHUTOFF"  # microversion 2.95 on: evacuated stopped
    assert c.run_task(c.start_compute_service(host))
    assert c.check_invariants() == []
    assert c.run_task(c.delete_server("vm1"))
    for name in c.hosts:
        c.run_task(c.update_available_resource(name))
    assert c.check_invariants() == []
    assert all(len(c.free_pci_devices(name)) == 13 for name in c.hosts)


def test_live_migration_moves_only_live_migratable_alias_devices() -> None:
    c = cluster()
    assert c.run_task(c.create_server("vm1", "host1", flavor="gpu.two", vnic_type="normal"))
    assert c.run_task(c.live_migrate("vm1", "host2"))
    assert c.server_host("vm1") == "host1"
    assert c.migrations_of("vm1")[-1]["status"] == "error"
    assert c.run_task(c.create_server("vm2", "host1", flavor="vf.lm", vnic_type="direct"))
    assert c.run_task(c.live_migrate("vm2", "host2"))
    assert c.server_host("vm2") == "host2"
    own_port = c.instance("vm2").ports[0]  # a server's own port is named by its id
    assert [(h, r) for h, _, r in held(c, "vm2")] == [
        ("host2", "alias:a-vf-lm"), ("host2", f"port:{own_port}"),
    ]  # fmt: skip
    for name in c.hosts:  # a live migration's usage follows from the audits
        c.run_task(c.update_available_resource(name))
    assert c.check_invariants() == []


def test_without_device_spec_every_device_is_tracked_as_before() -> None:
    topology = topology_from_mapping({"hosts": [{"name": "host1", "devices": "fake-driver"}]})
    assert len(topology.host("host1").devices) == 6
    assert topology.host("host1").untracked == 0


def _host_with(devices: list[dict], **top: object) -> Cluster:
    return Cluster(topology_from_mapping({**top, "hosts": [{"name": "host1", "devices": devices}]}))


PF = {"address": "0000:81:00.0", "dev_type": "type-PF", "vendor_id": "8086",
      "product_id": "1572"}  # fmt: skip
VFS = [{"address": f"0000:81:00.{n}", "dev_type": "type-VF", "parent": "0000:81:00.0",
        "vendor_id": "8086", "product_id": "154c"} for n in (1, 2)]  # fmt: skip


def test_address_globs_match_as_nova_reads_them() -> None:
    gpu = {"address": "0000:83:00.0", "dev_type": "type-PCI", "vendor_id": "10de",
           "product_id": "1eb9"}  # fmt: skip
    for address, tracked in (("*:81:*.*", 3), ("81:00.", None), ("81:00.2", 1),
                             ("0000:8*:00.0", None), ("*:*:*.*", 4), ("0:83:0.0", 1)):  # fmt: skip
        mapping = {"pci": {"device_spec": [{"address": address}]},
                   "hosts": [{"name": "host1", "devices": [PF, *VFS, gpu]}]}  # fmt: skip
        if tracked is None:
            with pytest.raises(TopologyError, match="must be a PCI address or a glob"):
                topology_from_mapping(mapping)
        else:
            assert len(topology_from_mapping(mapping).hosts[0].devices) == tracked, address


def test_an_ored_alias_takes_either_model_and_a_trusted_port_a_trusted_vf() -> None:
    gpu = {"address": "0000:83:00.0", "dev_type": "type-PCI", "vendor_id": "10de",
           "product_id": "1eb9"}  # fmt: skip
    c = _host_with(
        [PF, *VFS, gpu],
        networks=[{"name": "net1", "physnet": "physnet1"}],
        pci={
            "device_spec": [{"address": "0000:81:00.1", "physical_network": "physnet1"},
                            {"address": "0000:81:00.2", "physical_network": "physnet1",
                             "trusted": True},
                            {"vendor_id": "10de"}],
            "alias": [{"name": "g", "vendor_id": "10de", "product_id": "1eb8"},
                      {"name": "g", "vendor_id": "10de", "product_id": "1eb9"}],
        },
        flavors=[{"name": "plain", "vcpus": 1, "memory_mb": 512, "disk_gb": 1},
                 {"name": "g1", "vcpus": 1, "memory_mb": 512, "disk_gb": 1,
                  "extra_specs": {"pci_passthrough:alias": "g:1"}}],
    )  # fmt: skip
    c.create_port("p1", "net1", "direct", trusted=True)
    assert c.run_task(c.create_server("vm1", "host1", ports=("p1",)))
    assert held(c, "vm1") == [("host1", "0000:81:00.2", "port:p1")]  # the trusted one
    c.create_port("p2", "net1", "direct", trusted=True)
    assert c.run_task(c.create_server("vm2", "host1", ports=("p2",)))
    assert c.server_status("vm2") == "ERROR"  # 81:00.1 is not tagged trusted
    assert c.run_task(c.create_server("vm3", "host1", vnic_type="normal"))
    assert c.run_task(c.start("delete", "vm3"))
    assert c.run_task(c.create_server("vm4", "host1", flavor="g1", vnic_type="normal"))
    assert held(c, "vm4") == [("host1", "0000:83:00.0", "alias:g")]
    assert c.check_invariants() == []


def test_a_port_on_a_network_without_physnet_takes_only_an_untagged_vf() -> None:
    """Nova's port request carries ``physical_network`` even when it is None
    (a tunnelled network), and a pool matches only if it has that value: a
    physnet VF never serves such a port (found mirroring Nova's
    RemoteManagedServersTest)."""
    c = _host_with(
        [PF, *VFS],
        networks=[{"name": "net1", "physnet": "physnet1"}, {"name": "overlay"}],
        pci={"device_spec": [{"address": "0000:81:00.1", "physical_network": "physnet1"},
                             {"address": "0000:81:00.2"}]},
    )  # fmt: skip
    c.create_port("p1", "overlay", "direct")
    assert c.run_task(c.create_server("vm1", "host1", ports=("p1",)))
    assert held(c, "vm1") == [("host1", "0000:81:00.2", "port:p1")]
    c.create_port("p2", "overlay", "direct")
    assert c.run_task(c.create_server("vm2", "host1", ports=("p2",)))
    assert c.server_status("vm2") == "ERROR"  # only the physnet1 VF is left
    assert held(c, "vm2") == []
    c.create_port("p3", "net1", "direct")
    assert c.run_task(c.create_server("vm3", "host1", ports=("p3",)))
    assert held(c, "vm3") == [("host1", "0000:81:00.1", "port:p3")]
