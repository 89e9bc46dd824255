"""The built-in topology and the YAML topology file: loading and validation."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.objects import Flavor
from PciRaceLibrary.cluster.resource_request import resource_requests
from PciRaceLibrary.cluster.topology import (
    FlavorSpec,
    default_topology,
    load_topology,
    topology_from_mapping,
)
from PciRaceLibrary.errors import TopologyError, UnknownName

TOPOLOGIES = Path(__file__).resolve().parents[2] / "PciRaceLibrary" / "topologies"

PF = {"address": "0000:81:00.0", "dev_type": "type-PF", "physnet": "physnet2"}
VF = {"address": "0000:81:00.1", "dev_type": "type-VF", "parent": "0000:81:00.0",
      "physnet": "physnet2"}  # fmt: skip


MEDIUM = {"name": "m1.medium", "vcpus": 2, "memory_mb": 1024, "disk_gb": 2}


def host(name: str = "host3", **fields: object) -> dict[str, object]:
    return {"name": name, "devices": [dict(PF), dict(VF)], **fields}


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_default_is_the_regression_test_cluster() -> None:
    topology = default_topology()
    assert [h.name for h in topology.hosts] == ["host1", "host2"]
    for spec in topology.hosts:
        kinds = [(d.address, d.dev_type, d.parent, d.physnet) for d in spec.devices]
        assert kinds == [
            ("0000:01:00.0", "type-PF", None, "physnet1"),
            ("0000:01:00.1", "type-VF", "0000:01:00.0", "physnet1"),
            ("0000:02:00.0", "type-PF", None, "physnet2"),
            ("0000:02:00.1", "type-VF", "0000:02:00.0", "physnet2"),
            ("0000:03:00.0", "type-PF", None, "physnet2"),
            ("0000:03:00.1", "type-VF", "0000:03:00.0", "physnet2"),
        ]
    assert topology.sriov_network == "network_2"
    assert {n.name: n.physnet for n in topology.networks}["network_2"] == "physnet2"


SHIPPED = {  # file -> (hosts, devices per host, the VF a first server takes)
    "three_hosts": (["host1", "host2", "host3"], [6, 6, 6], "0000:02:00.1"),
    "small_host2": (["host1", "host2"], [6, 2], "0000:02:00.1"),
    "dense": (["host1", "host2"], [20, 20], "0000:81:00.4"),
    "two_physnets": (["host1", "host2", "host3"], [10, 10, 10], "0000:82:00.4"),
}
SMALL = FlavorSpec("m1.small", vcpus=1, memory_mb=512, disk_gb=1)
MEDIUM = {"name": "m1.medium", "vcpus": 2, "memory_mb": 1024, "disk_gb": 2}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_topologies_build_a_working_cluster(name: str) -> None:
    hosts, devices, first_vf = SHIPPED[name]
    topology = load_topology(TOPOLOGIES / f"{name}.yaml")
    assert [h.name for h in topology.hosts] == hosts
    assert [len(h.devices) for h in topology.hosts] == devices
    cluster = Cluster(topology)
    assert cluster.hosts == hosts
    for host_name in hosts:
        server = f"vm-{host_name}"
        assert cluster.run_task(cluster.create_server(server, host_name), 60)
        assert cluster.server_status(server) == "ACTIVE"
        assert cluster.pci_allocations(server) == {host_name: [first_vf]}
    assert cluster.check_invariants() == []
    assert topology.flavors == (SMALL, FlavorSpec(**MEDIUM))  # type: ignore[arg-type]


def test_default_flavors_are_m1_small_and_a_bigger_m1_medium() -> None:
    topology = default_topology()
    assert topology.flavor == SMALL  # the pinned journals were recorded with these numbers
    assert topology.flavors == (SMALL, FlavorSpec(**MEDIUM))  # type: ignore[arg-type]
    assert topology.flavor_named("m1.medium").vcpus == 2
    with pytest.raises(UnknownName) as error:
        topology.flavor_named("m1.huge\n")
    assert str(error.value) == "No flavor 'm1.huge\\x0a'. Known flavors: m1.small, m1.medium."


def test_default_hosts_hold_a_resize_to_m1_medium() -> None:
    """A resize holds both flavors: on the same host the old and the new one, else the new
    one on an empty host. Both fit on a default host, even at Nova's current allocation
    ratios (4.0 VCPU, 1.0 RAM and disk) rather than the model's older 16.0 and 1.5."""
    topology = default_topology()
    cluster = Cluster(topology)
    assert cluster.run_task(cluster.create_server("vm1", "host1"), 60)
    (medium,) = resource_requests(Flavor.from_spec(topology.flavor_named("m1.medium")))
    for host in ("host1", "host2"):
        node = cluster.db.compute_nodes[host]
        assert cluster.context.placement.fits(node.uuid, medium)
        spec = topology.host(host)
        used = cluster.placement_usage(host)
        assert used["VCPU"] + medium["VCPU"] <= spec.vcpus * 4.0
        assert used["MEMORY_MB"] + medium["MEMORY_MB"] <= spec.memory_mb
        assert used["DISK_GB"] + medium["DISK_GB"] <= spec.disk_gb


def test_a_server_gets_the_flavor_it_names_with_its_extra_specs() -> None:
    extra_specs = {"quota:cpu_shares": "1024", "hw:numa_nodes": "1"}
    topology = topology_from_mapping({
        "flavors": [{**MEDIUM, "extra_specs": extra_specs}, {**MEDIUM, "name": "big"}],
        "hosts": [{"name": "host1", "devices": "fake-driver",
                   "numa_cells": [{"id": 0, "cpus": "0-3", "memory_mb": 8192}]}],
    })  # fmt: skip
    assert topology.flavor.name == "m1.medium"  # without 'flavor', the first listed
    cluster = Cluster(topology)
    assert cluster.run_task(cluster.create_server("vm1", "host1"), 60)
    flavor = cluster.instance("vm1").flavor
    specs = (("hw:numa_nodes", "1"), ("quota:cpu_shares", "1024"))  # sorted by key
    assert flavor == Flavor("m1.medium", 2, 1024, 2, specs)
    assert cluster.run_task(cluster.create_server("vm2", "host1", flavor="big"), 60)
    assert cluster.instance("vm2").flavor == Flavor("big", 2, 1024, 2)
    assert cluster.placement_usage("host1") == {"VCPU": 4, "MEMORY_MB": 2048, "DISK_GB": 4}
    assert cluster.resource_usage("host1") == {"vcpus": 4, "memory_mb": 2048, "disk_gb": 4}
    assert cluster.check_invariants() == []


def test_an_unknown_flavor_is_refused_and_changes_nothing() -> None:
    cluster = Cluster(default_topology())
    before = (dict(cluster.db.instances), dict(cluster.db.ports), cluster.clock)
    journal = len(cluster.kernel.journal)
    for name in ("m1.large", "", "M1.SMALL"):
        with pytest.raises(
            UnknownName, match=r"^No flavor '.*'\. Known flavors: m1\.small, m1\.medium\.$"
        ):
            cluster.create_server("vm1", "host1", flavor=name)
    assert (dict(cluster.db.instances), dict(cluster.db.ports), cluster.clock) == before
    assert cluster.kernel.unfinished == 0
    assert len(cluster.kernel.journal) == journal
    assert cluster.run_task(cluster.create_server("vm1", "host1", flavor="m1.medium"), 60)
    assert cluster.placement_usage("host1") == {"VCPU": 2, "MEMORY_MB": 1024, "DISK_GB": 2}


def test_flavor_names_the_default_among_the_flavors(tmp_path: Path) -> None:
    path = tmp_path / "flavors.yaml"
    path.write_text(
        "flavor: m1.tiny\n"
        "flavors:\n"
        "  - {name: m1.medium, vcpus: 2, memory_mb: 1024, disk_gb: 2}\n"
        "  - name: m1.tiny\n    vcpus: 1\n    memory_mb: 256\n    disk_gb: 0\n"
        "    extra_specs: {hw:numa_nodes: 1, hw:cpu_policy: dedicated}\n"
        "  - {name: m1.large, vcpus: 4, memory_mb: 4096, disk_gb: 8}\n"
        "hosts: [{name: host1}]\n",
        encoding="utf-8",
    )
    topology = load_topology(path)
    assert [f.name for f in topology.flavors] == ["m1.tiny", "m1.medium", "m1.large"]
    assert topology.flavor is topology.flavors[0]
    # read as typed, sorted by key
    assert topology.flavor.extra_specs == (("hw:cpu_policy", "dedicated"), ("hw:numa_nodes", "1"))
    assert topology.flavor_named("m1.large").memory_mb == 4096


def test_flavor_alone_still_defines_the_only_flavor() -> None:
    hosts = [{"name": "h"}]
    topology = topology_from_mapping({"flavor": {"name": "m1.big", "vcpus": 4}, "hosts": hosts})
    assert topology.flavors == (FlavorSpec("m1.big", vcpus=4),)
    topology = topology_from_mapping({"flavor": {"vcpus": 2}, "flavors": [MEDIUM], "hosts": hosts})
    assert [(f.name, f.vcpus) for f in topology.flavors] == [("m1.small", 2), ("m1.medium", 2)]
    topology = topology_from_mapping({"flavor": "m1.medium", "hosts": hosts})  # a built-in one
    assert [f.name for f in topology.flavors] == ["m1.medium", "m1.small"]
    assert topology_from_mapping({"hosts": hosts}).flavors == default_topology().flavors


def test_two_physnets_has_two_pfs_of_four_vfs_per_host_on_two_physnets() -> None:
    topology = load_topology(TOPOLOGIES / "two_physnets.yaml")
    assert {n.name: n.physnet for n in topology.networks} == {
        "network_1": "physnet1", "network_2": "physnet2", "private": None,
    }  # fmt: skip
    assert topology.sriov_network == "network_2"
    assert len(topology.hosts) >= 3
    for spec in topology.hosts:
        pfs = [d for d in spec.devices if d.dev_type == "type-PF"]
        assert sorted(pf.physnet for pf in pfs) == ["physnet1", "physnet2"]  # type: ignore[type-var]
        for pf in pfs:
            vfs = [d for d in spec.devices if d.parent == pf.address]
            assert len(vfs) == 4
            assert {(vf.dev_type, vf.physnet, vf.numa_node) for vf in vfs} == {
                ("type-VF", pf.physnet, pf.numa_node)
            }
        # room for a server on every VF, at m1.medium, without overcommit
        assert spec.vcpus >= 8 * 2
        assert spec.memory_mb >= 8 * 1024
        assert spec.disk_gb >= 8 * 2


def test_two_physnets_gives_each_network_a_vf_of_its_physnet() -> None:
    cluster = Cluster(load_topology(TOPOLOGIES / "two_physnets.yaml"))
    for index in range(4):  # four servers per physnet fill one host's VFs
        for network in ("network_1", "network_2"):
            server = f"{network}-{index}"
            assert cluster.run_task(
                cluster.create_server(server, "host1", network=network, flavor="m1.medium"), 60
            )
            assert cluster.server_status(server) == "ACTIVE"
    bus = {"network_1": "81", "network_2": "82"}
    for network, number in bus.items():
        held = sorted(
            a for i in range(4) for a in cluster.pci_allocations(f"{network}-{i}")["host1"]
        )
        assert held == [f"0000:{number}:00.{function}" for function in range(1, 5)]
    assert cluster.placement_usage("host1") == {"VCPU": 16, "MEMORY_MB": 8192, "DISK_GB": 16}
    assert cluster.run_task(cluster.create_server("web1", "host1", network="private",
                                                  vnic_type="normal"), 60)  # fmt: skip
    assert cluster.server_status("web1") == "ACTIVE"
    assert cluster.check_invariants() == []


def test_small_host2_fits_one_server_with_a_direct_port() -> None:
    cluster = Cluster(load_topology(TOPOLOGIES / "small_host2.yaml"))
    assert cluster.run_task(cluster.create_server("vm1", "host2"), 60)
    assert cluster.run_task(cluster.create_server("vm2", "host2"), 60)
    assert (cluster.server_status("vm1"), cluster.server_status("vm2")) == ("ACTIVE", "ERROR")
    assert cluster.pci_allocations("vm2") == {}
    assert cluster.check_invariants() == []


def test_fake_driver_shorthand_and_defaults(tmp_path: Path) -> None:
    topology = load_topology(write(tmp_path, {"hosts": [{"name": "a", "devices": "fake-driver"}]}))
    assert topology.name == "cluster"
    assert len(topology.hosts[0].devices) == 6
    assert topology.hosts[0].devices[1].parent_ifname == "a-ens1"
    assert topology.sriov_network == "network_2"


# (mutation of a valid file, words the message must contain)
BAD = [
    (lambda d: d.update(colour="red"), ["unknown key 'colour'", "valid keys: name"]),
    (lambda d: d["hosts"][0].update(cpus=4), ["host 'host3'", "unknown key 'cpus'"]),
    (lambda d: d["hosts"].append(host()), ["host 'host3' is defined twice"]),
    (lambda d: d["hosts"][0]["devices"].append(dict(VF)),
     ["host 'host3'", "device '0000:81:00.1' is defined twice"]),
    (lambda d: d["hosts"][0]["devices"][1].update(parent="0000:09:00.0"),
     ["device '0000:81:00.1'", "'parent' '0000:09:00.0' is not a type-PF",
      "PFs here: 0000:81:00.0"]),
    (lambda d: d["hosts"][0]["devices"][1].pop("parent"),
     ["device '0000:81:00.1'", "needs 'parent'"]),
    (lambda d: d["hosts"][0]["devices"][0].update(parent="0000:81:00.1"),
     ["device '0000:81:00.0'", "only a type-VF or vdpa device has a 'parent'"]),
    (lambda d: d["hosts"][0]["devices"][0].update(dev_type="type-GPU"),
     ["'dev_type' 'type-GPU' is unknown", "valid: type-PCI, type-PF, type-VF, vdpa"]),
    (lambda d: d["hosts"][0]["devices"][0].update(numa_node=-2), ["'numa_node'", "got -2"]),
    (lambda d: d["hosts"][0]["devices"][0].update(numa_node=-1), ["'numa_node' -1", "write null"]),
    (lambda d: d["hosts"][0]["devices"][0].update(numa_node="zero"),
     ["'numa_node'", "got the text 'zero'"]),
    (lambda d: d["hosts"][0].update(vcpus=True), ["host 'host3'", "'vcpus'", "got true"]),
    (lambda d: d["hosts"][0].update(memory_mb=-512), ["'memory_mb'", "got -512"]),
    (lambda d: d["hosts"][0]["devices"][0].update(address="81:00.0"),
     ["'address' must look like 0000:81:00.1", "'81:00.0'"]),
    (lambda d: d["hosts"][0]["devices"][0].update(physnet="physnet9"),
     ["device '0000:81:00.0'", "physnet 'physnet9' belongs to no network"]),
    (lambda d: d.update(sriov_network="network_9"), ["'sriov_network'", "network_9", "network_1"]),
    (lambda d: d.update(hosts=[]), ["'hosts' must be a non-empty list"]),
    (lambda d: d["hosts"][0].update(name=""), ["host #1", "'name' must be a non-empty string"]),
    (lambda d: d["hosts"][0].pop("name"), ["host #1", "'name' is required"]),
    (lambda d: d["hosts"][0]["devices"][0].pop("dev_type"), ["'dev_type' is required"]),
    (lambda d: d["hosts"][0].update(devices="lots"), ["'devices' must be a list"]),
    (lambda d: d["networks"].append({"name": "network_1"}),
     ["network 'network_1' is defined twice"]),
    (lambda d: d["hosts"].__setitem__(0, ["host3"]), ["host #1 must be a mapping", "a list"]),
    (lambda d: d["hosts"][0]["devices"][1].update(numa=1),
     ["host 'host3', device '0000:81:00.1'", "unknown key 'numa'", "numa_node"]),
    (lambda d: d["networks"][0].update(vlan=7),
     ["network 'network_1'", "unknown key 'vlan'", "valid keys: name, physnet"]),
    (lambda d: d.update(flavor={"name": "m1.big", "ram": 4}),
     ["flavor", "unknown key 'ram'", "valid keys: name, vcpus, memory_mb, disk_gb, extra_specs"]),
    (lambda d: d.update(flavor={"vcpus": 0}), ["flavor: 'vcpus'", "from 1 to 2147483647", "got 0"]),
    (lambda d: d.update(flavor={"disk_gb": False}), ["flavor: 'disk_gb'", "got false"]),
    (lambda d: d.update(flavor="m1.large"),
     ["'flavor' names flavor 'm1.large'", "defined flavors: m1.small, m1.medium"]),
    (lambda d: d.update(flavor=["m1.small"]), ["'flavor' must be the name of a flavor", "a list"]),
    (lambda d: d.update(flavors=[dict(MEDIUM), dict(MEDIUM)]),
     ["flavor 'm1.medium' is defined twice, as flavors #1 and #2"]),
    (lambda d: d.update(flavors=[dict(MEDIUM), {**MEDIUM, "name": "M1.Medium"}]),
     ["flavor 'M1.Medium' is defined twice", "#1 ('m1.medium')", "ignore case"]),
    (lambda d: d.update(flavor={"name": "m1.medium"}, flavors=[dict(MEDIUM)]),
     ["flavor 'm1.medium' is defined twice, by 'flavor' and as flavors #1",
      "give 'flavor: m1.medium'"]),
    (lambda d: d.update(flavors=[{**MEDIUM, "vcpus": 0}]),
     ["flavor 'm1.medium': 'vcpus'", "from 1 to", "got 0"]),
    (lambda d: d.update(flavors=[{**MEDIUM, "memory_mb": "1 GB"}]),
     ["flavor 'm1.medium': 'memory_mb'", "got the text '1 GB'"]),
    (lambda d: d.update(flavors=[{"name": "m1.medium", "vcpus": 2, "memory_mb": 1024}]),
     ["flavor 'm1.medium': 'disk_gb' is required"]),
    (lambda d: d.update(flavors=[{"vcpus": 2}]), ["flavor #1: 'name' is required"]),
    (lambda d: d.update(flavors=[{**MEDIUM, "ram": 4}]),
     ["flavor 'm1.medium': unknown key 'ram'", "extra_specs"]),
    (lambda d: d.update(flavors=[]), ["'flavors' must be a non-empty list of flavors"]),
    (lambda d: d.update(flavors=[{**MEDIUM, "extra_specs": ["hw:numa_nodes"]}]),
     ["flavor 'm1.medium': 'extra_specs' must be a mapping", "got a list"]),
    (lambda d: d.update(flavors=[{**MEDIUM, "extra_specs": {"hw:numa_nodes": [1]}}]),
     ["flavor 'm1.medium', extra spec 'hw:numa_nodes': the value must be text, got a list"]),
    (lambda d: d.update(flavors=[{**MEDIUM, "extra_specs": {"hw/numa": "1"}}]),
     ["extra spec 'hw/numa': the key contains the character '/' at character 3"]),
    (lambda d: d.update(flavor={"extra_specs": {"hw:numa_nodes": None}}),
     ["flavor, extra spec 'hw:numa_nodes': the value must be text, got nothing"]),
    (lambda d: d["hosts"][0].update(disk_gb="1 TB"), ["host 'host3'", "'disk_gb'", "'1 TB'"]),
    (lambda d: d["hosts"][0].update(vcpus=0), ["host 'host3'", "'vcpus'", "from 1 to"]),
    (lambda d: d["hosts"][0]["devices"][1].update(numa_node=1.5),
     ["device '0000:81:00.1'", "'numa_node'", "whole number", "1.5"]),
    (lambda d: d["hosts"][0]["devices"][1].update(numa_node=True),
     ["device '0000:81:00.1'", "'numa_node'", "got true"]),
    (lambda d: d["hosts"][0]["devices"][1].update(remote_managed="yes"),
     ["device '0000:81:00.1'", "'remote_managed' must be true or false", "'yes'"]),
    (lambda d: d["hosts"][0]["devices"][0].update(address="0000:8g:00.0"),
     ["host 'host3'", "'address' must look like", "'0000:8g:00.0'"]),
    (lambda d: d["hosts"][0]["devices"][1].pop("address"),
     ["host 'host3', device #2", "'address' is required"]),
    (lambda d: d["networks"][1].pop("name"), ["network #2", "'name' is required"]),
    (lambda d: d["networks"][1].update(physnet=["physnet2"]),
     ["network 'network_2'", "'physnet' must be a non-empty string", "a list"]),
    (lambda d: d["networks"][1].update(physnet="physnet7"),
     ["device '0000:81:00.0'", "physnet 'physnet2' belongs to no network",
      "physnets of the networks: physnet1, physnet7"]),
    (lambda d: d.update(networks=[]), ["'networks' must be a non-empty list"]),
    (lambda d: d.update(hosts={"host3": {}}), ["'hosts' must be a non-empty list"]),
    (lambda d: d.pop("hosts"), ["'hosts' must be a non-empty list"]),
    (lambda d: d.update(name=" "), ["'name' must be a non-empty string"]),
    (lambda d: d["hosts"][0].update(name=None), ["host #1", "'name' is required"]),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "words"), BAD)
def test_bad_files_name_file_host_device_and_field(
    tmp_path: Path, mutate: object, words: list[str]
) -> None:
    data = {
        "networks": [{"name": "network_1", "physnet": "physnet1"},
                     {"name": "network_2", "physnet": "physnet2"}],
        "hosts": [host()],
    }  # fmt: skip
    load_topology(write(tmp_path, data))  # valid before the mutation
    mutate(data)  # type: ignore[operator]
    with pytest.raises(TopologyError) as error:
        load_topology(write(tmp_path, data))
    message = str(error.value)
    assert "Topology file '" in message
    assert "cluster.yaml" in message
    for word in words:
        assert word in message


def test_malformed_yaml_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("hosts:\n  - name: host1\n    devices: [\n", encoding="utf-8")
    with pytest.raises(TopologyError, match=r"broken\.yaml' is not valid YAML at line \d+"):
        load_topology(path)


def test_a_key_given_twice_is_an_error_not_an_override(tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text("hosts:\n  - name: host1\n    vcpus: 2\n    vcpus: 4\n", encoding="utf-8")
    with pytest.raises(TopologyError) as error:
        load_topology(path)
    assert str(error.value) == (
        f"Topology file '{path}' is not valid YAML at line 4, column 5: key 'vcpus' is given twice."
    )


def test_unquoted_addresses_read_as_text(tmp_path: Path) -> None:
    # YAML 1.1 reads 0000:01:00.0 as the base-60 number 60.0.
    path = tmp_path / "unquoted.yaml"
    path.write_text(
        "hosts:\n  - name: host1\n    devices:\n"
        "      - {address: 0000:01:00.0, dev_type: type-PF, physnet: physnet1}\n"
        "      - {address: 0000:01:00.1, dev_type: type-VF, parent: 0000:01:00.0}\n",
        encoding="utf-8",
    )
    devices = load_topology(path).hosts[0].devices
    assert [(d.address, d.parent) for d in devices] == [
        ("0000:01:00.0", None),
        ("0000:01:00.1", "0000:01:00.0"),
    ]


def test_merge_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "merge.yaml"
    path.write_text(
        "hosts:\n  - &big {name: host1, vcpus: 8, devices: fake-driver}\n"
        "  - {<<: *big, name: host2}\n",
        encoding="utf-8",
    )
    assert [(h.name, h.vcpus) for h in load_topology(path).hosts] == [("host1", 8), ("host2", 8)]


def test_sriov_network_defaults_to_the_last_network_without_network_2() -> None:
    topology = topology_from_mapping(
        {"networks": [{"name": "a"}, {"name": "b", "physnet": "p"}],
         "hosts": [{"name": "h"}]}
    )  # fmt: skip
    assert (topology.name, topology.sriov_network) == ("custom", "b")
    assert topology.hosts[0].devices == ()


def test_a_mapping_error_names_its_source() -> None:
    with pytest.raises(TopologyError, match=r"^Topology mapping, host 'h': unknown key 'cpu'"):
        topology_from_mapping({"hosts": [{"name": "h", "cpu": 1}]})
    with pytest.raises(TopologyError, match=r"^Test bed: 'hosts' must be a non-empty list"):
        topology_from_mapping({}, "Test bed")


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(TopologyError, match=r"Topology file '.*' is a directory; give the path"):
        load_topology(tmp_path)
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(TopologyError) as error:
        load_topology(path)
    assert str(error.value) == (
        f"Topology file '{path}' is not UTF-8 text: the byte 0xE9 at byte offset 9 (line 1) "
        "starts a character the bytes after it do not continue; save the file as UTF-8."
    )


def test_missing_file_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(TopologyError, match=r"No topology file '.*nowhere\.yaml'"):
        load_topology(tmp_path / "nowhere.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- host1\n", encoding="utf-8")
    with pytest.raises(TopologyError, match="must be a mapping of keys to values, got a list"):
        load_topology(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(TopologyError, match=r"list\.yaml' is empty; a topology is a YAML mapping"):
        load_topology(path)
    path.write_text("# only a comment\n", encoding="utf-8")
    with pytest.raises(TopologyError, match=r"list\.yaml' must be a mapping .*, got nothing"):
        load_topology(path)
    path.write_text("{1: host1}\n", encoding="utf-8")  # keys read as text, as typed
    with pytest.raises(TopologyError, match="unknown key '1'; valid keys: name"):
        load_topology(path)
    with pytest.raises(TopologyError, match="keys must be strings, got 1 as a key"):
        topology_from_mapping({1: "host1"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["name", "hosts", "devices", "address", "dev_type",
                                       "parent", "networks", "physnet", "x"]), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_garbage_raises_only_topology_error(data: object) -> None:
    with contextlib.suppress(TopologyError):  # anything else fails the test
        topology_from_mapping(data, "Topology")


def valid_mapping() -> dict[str, object]:
    return {
        "name": "t",
        "flavor": {"name": "m1.small", "vcpus": 1},
        "networks": [{"name": "network_2", "physnet": "physnet2"}],
        "hosts": [host("host1"), {"name": "host2", "devices": "fake-driver"}],
    }


def paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every place in ``value`` where another value could go."""
    found = [prefix]
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        items = []
    for key, child in items:
        found += paths(child, (*prefix, key))
    return found


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_garbage_anywhere_in_a_valid_topology_raises_only_topology_error(
    data: st.DataObject,
) -> None:
    topology = valid_mapping()
    place = data.draw(st.sampled_from(paths(topology)[1:]))
    parent = topology
    for key in place[:-1]:
        parent = parent[key]  # type: ignore[index]
    parent[place[-1]] = data.draw(json_values)  # type: ignore[index]
    with contextlib.suppress(TopologyError):
        topology_from_mapping(topology)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="hostdevic:-_{}[], \n0123456789.'\"&*<>!#?|", max_size=60))
def test_any_text_file_raises_only_topology_error(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("garbage") / "garbage.yaml"
    path.write_text(text, encoding="utf-8")
    with contextlib.suppress(TopologyError):
        load_topology(path)
