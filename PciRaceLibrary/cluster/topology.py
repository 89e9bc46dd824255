"""Cluster topologies: the built-in default and the YAML topology file.

The default equals Nova's regression test for bug 1896463: hosts ``host1`` and
``host2`` with the six devices of ``FakeDriverWithPciResources`` each (three
PFs, each with one VF; bus 01 on physnet1, buses 02 and 03 on physnet2) and the
SR-IOV network ``network_2`` on physnet2.

A topology is plain, validated, immutable data; the cluster builds its
database from it. Loading checks everything before returning, so a bad file
never leaves a half-built cluster behind.

= The topology file =

A YAML mapping; only ``hosts`` is required:

| name: three-hosts              # default: the file name without .yaml
| sriov_network: network_2       # direct ports; default network_2, else the last network
| flavor: {name: m1.small, vcpus: 1, memory_mb: 512, disk_gb: 1}
| networks:                      # default: network_1 on physnet1, network_2 on physnet2
|   - {name: network_1, physnet: physnet1}
|   - {name: network_2, physnet: physnet2}
| hosts:
|   - name: host1
|     vcpus: 2                   # defaults: 2 vCPU, 8192 MB, 1028 GB
|     memory_mb: 8192
|     disk_gb: 1028
|     devices: fake-driver       # the six devices of the default hosts
|   - name: host3
|     devices:
|       - {address: "0000:81:00.0", dev_type: type-PF, physnet: physnet2, numa_node: 0}
|       - {address: "0000:81:00.1", dev_type: type-VF, parent: "0000:81:00.0", physnet: physnet2}

| =Device key= | =Meaning= |
| ``address`` | Required; ``dddd:bb:ss.f`` in hex, unique on the host. |
| ``dev_type`` | Required; one of ``type-PCI``, ``type-PF``, ``type-VF``, ``vdpa``. |
| ``parent`` | Required for a ``type-VF``, only there: a ``type-PF`` address on that host. |
| ``physnet`` | The device_spec ``physical_network`` tag; must be the physnet of a network. |
| ``numa_node`` | A whole number >= 0; default 0. |
| ``vendor_id``, ``product_id`` | Default ``fake-vendor_id`` and ``fake-product_id``. |
| ``parent_ifname`` | The PF's interface name, kept in ``extra_info``; default none. |
| ``remote_managed`` | ``true`` or ``false``; default ``false``. |

Counts (``vcpus``, ``memory_mb``, ``disk_gb``, ``numa_node``) are whole
numbers: ``true`` and ``1.5`` are refused. Unquoted addresses such as
``0000:01:00.0`` read as text (YAML 1.1 would read a base-60 number), and a
key given twice in one mapping is an error rather than silently overridden.
Unknown keys, duplicate host names and duplicate addresses are errors too.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import TopologyError

DEV_TYPES = ("type-PCI", "type-PF", "type-VF", "vdpa")
VNIC_TYPES = (
    "direct",
    "macvtap",
    "direct-physical",
    "virtio-forwarder",
    "vdpa",
    "remote-managed",
    "normal",
)


@dataclass(frozen=True)
class DeviceSpec:
    """One PCI device a host's hypervisor reports, with its device_spec tags."""

    address: str
    dev_type: str
    parent: str | None = None
    vendor_id: str = "fake-vendor_id"
    product_id: str = "fake-product_id"
    physnet: str | None = None
    numa_node: int = 0
    parent_ifname: str | None = None
    remote_managed: bool = False


@dataclass(frozen=True)
class HostSpec:
    """A compute host (node name == host name) and its hypervisor resources."""

    name: str
    devices: tuple[DeviceSpec, ...] = ()
    vcpus: int = 2
    memory_mb: int = 8192
    disk_gb: int = 1028


@dataclass(frozen=True)
class NetworkSpec:
    """A neutron network; ``physnet`` is its provider physical network."""

    name: str
    physnet: str | None = None


@dataclass(frozen=True)
class FlavorSpec:
    """The flavor every server is built with."""

    name: str = "m1.small"
    vcpus: int = 1
    memory_mb: int = 512
    disk_gb: int = 1


@dataclass(frozen=True)
class Topology:
    """Hosts, networks and the flavor a cluster starts from."""

    name: str
    hosts: tuple[HostSpec, ...]
    networks: tuple[NetworkSpec, ...]
    flavor: FlavorSpec = field(default_factory=FlavorSpec)
    sriov_network: str = "network_2"

    def host(self, name: str) -> HostSpec:
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(name)

    def describe(self) -> str:
        """One line for reports: name, hosts and devices."""
        hosts = ", ".join(f"{host.name} ({len(host.devices)} PCI)" for host in self.hosts)
        return f"{self.name}: {hosts}; SR-IOV network {self.sriov_network}"


def fake_driver_devices(host: str) -> tuple[DeviceSpec, ...]:
    """The six devices ``FakeDriverWithPciResources`` reports on ``host``."""
    devices: list[DeviceSpec] = []
    for bus, physnet in (("01", "physnet1"), ("02", "physnet2"), ("03", "physnet2")):
        pf = f"0000:{bus}:00.0"
        devices.append(DeviceSpec(address=pf, dev_type="type-PF", physnet=physnet))
        devices.append(
            DeviceSpec(
                address=f"0000:{bus}:00.1",
                dev_type="type-VF",
                parent=pf,
                physnet=physnet,
                parent_ifname=f"{host}-ens{int(bus)}",
            )
        )
    return tuple(devices)


def default_topology() -> Topology:
    """The two-host cluster of Nova's regression test for bug 1896463."""
    return Topology(
        name="default",
        hosts=tuple(
            HostSpec(name=host, devices=fake_driver_devices(host)) for host in ("host1", "host2")
        ),
        networks=(
            NetworkSpec("network_1", "physnet1"),
            NetworkSpec("network_2", "physnet2"),
        ),
        sriov_network="network_2",
    )


# -- the YAML topology file -------------------------------------------------------

_TOP_KEYS = ("name", "sriov_network", "flavor", "networks", "hosts")
_HOST_KEYS = ("name", "vcpus", "memory_mb", "disk_gb", "devices")
_DEVICE_KEYS = ("address", "dev_type", "parent", "vendor_id", "product_id", "physnet",
                "numa_node", "parent_ifname", "remote_managed")  # fmt: skip
_NETWORK_KEYS = ("name", "physnet")
_FLAVOR_KEYS = ("name", "vcpus", "memory_mb", "disk_gb")
FAKE_DRIVER = "fake-driver"  # shorthand for the six devices of the default hosts
_ADDRESS = re.compile(r"[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]")
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class _TopologyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys and reads ``a:b:c`` as text.

    YAML 1.1 reads an unquoted ``0000:01:00.0`` as the base-60 number 60.0,
    which would turn a PCI address into a confusing type error.
    """

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[object, object]:
        seen: set[str] = set()
        for key_node, _ in node.value:  # before merge keys (<<) are flattened in
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            if key_node.value in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key_node.value}' is given twice", key_node.start_mark
                )
            seen.add(key_node.value)
        return super().construct_mapping(node, deep)


_TopologyLoader.yaml_implicit_resolvers = {
    first: [
        (tag, re.compile(r"(?!.*:)(?:" + regexp.pattern + ")", regexp.flags))
        if tag in _NUMBER_TAGS
        else (tag, regexp)
        for tag, regexp in resolvers
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_topology(path: str | os.PathLike[str]) -> Topology:
    """Reads and validates a YAML topology file.

    Raises TopologyError naming the file, and the host, device and field
    where something is wrong, with what would be valid. Nothing is built
    until the whole file is valid.
    """
    path = Path(path)
    source = f"Topology file '{path}'"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TopologyError(f"No topology file '{path}'.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise TopologyError(f"{source} cannot be read: {error}.") from None
    try:
        data = yaml.load(text, Loader=_TopologyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise TopologyError(f"{source} is not valid YAML{where}: {problem}.") from None
    return topology_from_mapping(data, source, default_name=path.stem)


def topology_from_mapping(
    data: object, source: str = "Topology mapping", *, default_name: str = "custom"
) -> Topology:
    """Validates a mapping shaped like the YAML file and returns its Topology.

    ``source`` starts every error message (``load_topology`` passes
    ``Topology file 'x.yaml'``); ``default_name`` is the name when the
    mapping gives none. Raises TopologyError as ``load_topology`` does.
    """
    top = _mapping(data, source)
    _known_keys(top, _TOP_KEYS, source)
    name = _text(top.get("name", default_name), f"{source}: 'name'")
    networks = _networks(top.get("networks"), source)
    physnets = {network.physnet for network in networks}
    names = [network.name for network in networks]
    default_sriov = "network_2" if "network_2" in names else names[-1]
    sriov = _text(top.get("sriov_network", default_sriov), f"{source}: 'sriov_network'")
    if sriov not in names:
        raise TopologyError(
            f"{source}: 'sriov_network' names network '{sriov}', which is not defined; "
            f"defined networks: {', '.join(names)}."
        )
    flavor = _flavor(top.get("flavor"), source)
    raw_hosts = top.get("hosts")
    if not isinstance(raw_hosts, list) or not raw_hosts:
        raise TopologyError(f"{source}: 'hosts' must be a non-empty list of hosts.")
    hosts: list[HostSpec] = []
    for index, raw in enumerate(raw_hosts, start=1):
        host = _host(raw, source, index, physnets)
        if any(seen.name == host.name for seen in hosts):
            raise TopologyError(f"{source}: host '{host.name}' is defined twice.")
        hosts.append(host)
    return Topology(name=name, hosts=tuple(hosts), networks=networks, flavor=flavor,
                    sriov_network=sriov)  # fmt: skip


def _networks(raw: object, source: str) -> tuple[NetworkSpec, ...]:
    if raw is None:
        return default_topology().networks
    if not isinstance(raw, list) or not raw:
        raise TopologyError(f"{source}: 'networks' must be a non-empty list of networks.")
    networks: list[NetworkSpec] = []
    for index, item in enumerate(raw, start=1):
        where = f"{source}, network #{index}"
        entry = _mapping(item, where)
        name = _text(_required(entry, "name", where), f"{where}: 'name'")
        where = f"{source}, network '{name}'"
        _known_keys(entry, _NETWORK_KEYS, where)
        physnet = entry.get("physnet")
        if physnet is not None:
            physnet = _text(physnet, f"{where}: 'physnet'")
        if any(seen.name == name for seen in networks):
            raise TopologyError(f"{source}: network '{name}' is defined twice.")
        networks.append(NetworkSpec(name, physnet))
    return tuple(networks)


def _flavor(raw: object, source: str) -> FlavorSpec:
    if raw is None:
        return FlavorSpec()
    where = f"{source}, flavor"
    entry = _mapping(raw, where)
    _known_keys(entry, _FLAVOR_KEYS, where)
    defaults = FlavorSpec()
    return FlavorSpec(
        name=_text(entry.get("name", defaults.name), f"{where}: 'name'"),
        vcpus=_count(entry.get("vcpus", defaults.vcpus), f"{where}: 'vcpus'", minimum=1),
        memory_mb=_count(entry.get("memory_mb", defaults.memory_mb), f"{where}: 'memory_mb'"),
        disk_gb=_count(entry.get("disk_gb", defaults.disk_gb), f"{where}: 'disk_gb'"),
    )


def _host(raw: object, source: str, index: int, physnets: set[str | None]) -> HostSpec:
    where = f"{source}, host #{index}"
    entry = _mapping(raw, where)
    name = _text(_required(entry, "name", where), f"{where}: 'name'")
    where = f"{source}, host '{name}'"
    _known_keys(entry, _HOST_KEYS, where)
    defaults = HostSpec(name)
    raw_devices = entry.get("devices", [])
    if raw_devices == FAKE_DRIVER:
        devices = fake_driver_devices(name)
    elif isinstance(raw_devices, list):
        devices = _devices(raw_devices, where)
    else:
        raise TopologyError(
            f"{where}: 'devices' must be a list of devices or '{FAKE_DRIVER}', got {raw_devices!r}."
        )
    for device in devices:
        if device.physnet is not None and device.physnet not in physnets:
            known = ", ".join(sorted(p for p in physnets if p)) or "none"
            raise TopologyError(
                f"{where}, device '{device.address}': physnet '{device.physnet}' belongs to "
                f"no network; physnets of the networks: {known}."
            )
    return HostSpec(
        name=name,
        devices=devices,
        vcpus=_count(entry.get("vcpus", defaults.vcpus), f"{where}: 'vcpus'", minimum=1),
        memory_mb=_count(entry.get("memory_mb", defaults.memory_mb), f"{where}: 'memory_mb'"),
        disk_gb=_count(entry.get("disk_gb", defaults.disk_gb), f"{where}: 'disk_gb'"),
    )


def _devices(raw: list[object], host_where: str) -> tuple[DeviceSpec, ...]:
    devices: list[DeviceSpec] = []
    for index, item in enumerate(raw, start=1):
        where = f"{host_where}, device #{index}"
        entry = _mapping(item, where)
        address = _text(_required(entry, "address", where), f"{where}: 'address'")
        where = f"{host_where}, device '{address}'"
        _known_keys(entry, _DEVICE_KEYS, where)
        if not _ADDRESS.fullmatch(address):
            raise TopologyError(
                f"{where}: 'address' must look like 0000:81:00.1 (domain:bus:slot.function), "
                f"got '{address}'."
            )
        if any(seen.address == address for seen in devices):
            raise TopologyError(f"{host_where}: device '{address}' is defined twice.")
        dev_type = _text(_required(entry, "dev_type", where), f"{where}: 'dev_type'")
        if dev_type not in DEV_TYPES:
            raise TopologyError(
                f"{where}: 'dev_type' '{dev_type}' is unknown; valid: {', '.join(DEV_TYPES)}."
            )
        optional = {
            key: _text(entry[key], f"{where}: '{key}'")
            for key in ("parent", "vendor_id", "product_id", "physnet", "parent_ifname")
            if entry.get(key) is not None
        }
        remote = entry.get("remote_managed", False)
        if not isinstance(remote, bool):
            raise TopologyError(f"{where}: 'remote_managed' must be true or false, got {remote!r}.")
        devices.append(
            DeviceSpec(
                address=address,
                dev_type=dev_type,
                numa_node=_count(entry.get("numa_node", 0), f"{where}: 'numa_node'"),
                remote_managed=remote,
                **optional,
            )
        )
    _check_parents(devices, host_where)
    return tuple(devices)


def _check_parents(devices: list[DeviceSpec], host_where: str) -> None:
    pfs = [device.address for device in devices if device.dev_type == "type-PF"]
    for device in devices:
        where = f"{host_where}, device '{device.address}'"
        if device.dev_type == "type-VF":
            if device.parent is None:
                raise TopologyError(f"{where}: a type-VF needs 'parent', the address of its PF.")
            if device.parent not in pfs:
                raise TopologyError(
                    f"{where}: 'parent' '{device.parent}' is not a type-PF on this host; "
                    f"PFs here: {', '.join(pfs) or 'none'}."
                )
        elif device.parent is not None:
            raise TopologyError(
                f"{where}: only a type-VF has a 'parent', but this is a {device.dev_type}."
            )


def _mapping(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise TopologyError(f"{where} must be a mapping of keys to values, got {_kind(value)}.")
    for key in value:
        if not isinstance(key, str):
            raise TopologyError(f"{where}: key {key!r} must be a string.")
    return value


def _known_keys(entry: dict[str, object], valid: tuple[str, ...], where: str) -> None:
    for key in entry:
        if key not in valid:
            raise TopologyError(f"{where}: unknown key '{key}'; valid keys: {', '.join(valid)}.")


def _required(entry: dict[str, object], key: str, where: str) -> object:
    if entry.get(key) is None:
        raise TopologyError(f"{where}: '{key}' is required.")
    return entry[key]


def _text(value: object, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value).strip() == "":
        raise TopologyError(f"{where} must be a non-empty string, got {_kind(value)}.")
    return str(value)


def _count(value: object, where: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise TopologyError(f"{where} must be a whole number >= {minimum}, got {value!r}.")
    return value


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)
