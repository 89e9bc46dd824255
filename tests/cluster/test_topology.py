"""The built-in topology and the YAML topology file: loading and validation."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.topology import (
    default_topology,
    load_topology,
    topology_from_mapping,
)
from PciRaceLibrary.errors import TopologyError

TOPOLOGIES = Path(__file__).resolve().parents[2] / "acceptance" / "topologies"

PF = {"address": "0000:81:00.0", "dev_type": "type-PF", "physnet": "physnet2"}
VF = {"address": "0000:81:00.1", "dev_type": "type-VF", "parent": "0000:81:00.0",
      "physnet": "physnet2"}  # fmt: skip


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


@pytest.mark.parametrize("name", ["three_hosts", "small_host2", "dense"])
def test_shipped_topologies_build_a_working_cluster(name: str) -> None:
    topology = load_topology(TOPOLOGIES / f"{name}.yaml")
    cluster = Cluster(topology)
    assert cluster.hosts == [h.name for h in topology.hosts]
    assert cluster.run_task(cluster.create_server("vm1", "host2"), 60)
    assert cluster.server_status("vm1") == "ACTIVE"
    assert len(cluster.pci_allocations("vm1")["host2"]) == 1
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
     ["device '0000:81:00.0'", "only a type-VF has a 'parent'"]),
    (lambda d: d["hosts"][0]["devices"][0].update(dev_type="type-GPU"),
     ["'dev_type' 'type-GPU' is unknown", "valid: type-PCI, type-PF, type-VF, vdpa"]),
    (lambda d: d["hosts"][0]["devices"][0].update(numa_node=-1), ["'numa_node'", "got -1"]),
    (lambda d: d["hosts"][0]["devices"][0].update(numa_node="zero"), ["'numa_node'", "'zero'"]),
    (lambda d: d["hosts"][0].update(vcpus=True), ["host 'host3'", "'vcpus'", "True"]),
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


def test_missing_file_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(TopologyError, match=r"No topology file '.*nowhere\.yaml'"):
        load_topology(tmp_path / "nowhere.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- host1\n", encoding="utf-8")
    with pytest.raises(TopologyError, match="must be a mapping of keys to values, got a list"):
        load_topology(path)


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
