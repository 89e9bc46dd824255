"""Cluster topologies: the built-in default and the YAML topology file.

The default equals Nova's regression test for bug 1896463: hosts ``host1`` and
``host2`` with the six devices of ``FakeDriverWithPciResources`` each (three
PFs, each with one VF; bus 01 on physnet1, buses 02 and 03 on physnet2) and the
SR-IOV network ``network_2`` on physnet2; its flavors are ``m1.small`` (the
default, 1 vCPU, 512 MB, 1 GB) and ``m1.medium`` (2 vCPU, 1024 MB, 2 GB).

A topology is plain, validated, immutable data; the cluster builds its
database from it. Loading checks everything before returning, so a bad file
never leaves a half-built cluster behind.

= The topology file =

A YAML mapping; only ``hosts`` is required (``pci``, ``enabled_filters`` and
``images`` are described below):

| name: three-hosts              # default: the file name without .yaml
| sriov_network: network_2       # direct ports; default network_2, else the last network
| flavor: m1.small               # the default flavor: a name from flavors, or a mapping
| flavors:                       # default: m1.small and m1.medium
|   - {name: m1.small, vcpus: 1, memory_mb: 512, disk_gb: 1}
|   - name: m1.numa
|     vcpus: 2
|     memory_mb: 1024
|     disk_gb: 2
|     extra_specs: {"hw:numa_nodes": "1"}
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
| ``parent`` | Required for a ``type-VF``, optional for a ``vdpa`` (a VF of a PF): \
a ``type-PF`` address on that host. |
| ``physnet`` | The device_spec ``physical_network`` tag; must be the physnet of a network. |
| ``numa_node`` | 0-1023, default 0; a cell's ``id`` where the host has ``numa_cells``; \
``null``: no NUMA affinity (only ``legacy`` and ``preferred`` requests of a NUMA guest take it). |
| ``vendor_id``, ``product_id`` | Default ``fake-vendor_id`` and ``fake-product_id``. |
| ``parent_ifname`` | The PF's interface name, kept in ``extra_info``; default none. |
| ``remote_managed`` | ``true`` or ``false``; default ``false``. |
| ``trusted``, ``live_migratable`` | ``true`` or ``false``; default: no such tag. |

The tags (``physnet``, ``remote_managed``, ``trusted``, ``live_migratable``)
on a device are a shorthand for a device_spec entry of that device alone;
where a ``device_spec`` applies they come from it, and the device may not
give them.

= PCI: device_spec, alias and the PCI filter =

| enabled_filters: [PciPassthroughFilter]   # the scheduler filters PCI, as Nova's PCI tests do
| pci:
|   device_spec:                  # which reported devices Nova tracks, and their tags
|     - {address: "0000:81:00.0", physical_network: physnet1, live_migratable: true}
|     - {vendor_id: "8086", address: "*:82:*.*", physical_network: physnet2, trusted: true}
|   alias:
|     - {name: a-vf, vendor_id: "8086", product_id: "154c", device_type: type-VF}
| flavors:
|   - {name: vf.two, vcpus: 1, memory_mb: 512, disk_gb: 1,
|      extra_specs: {"pci_passthrough:alias": "a-vf:2"}}
| hosts:
|   - {name: host1, device_spec: [{vendor_id: "8086"}], devices: [...]}   # its own

| =device_spec key= | =Meaning= |
| ``vendor_id``, ``product_id`` | Four hex digits or ``*``; compared ignoring case. |
| ``address`` | An address or a glob (``0000:81:00.*``, ``*:82:*.*``); a PF's matches its VFs. |
| ``physical_network`` | Tag: the physnet of a network. |
| ``remote_managed`` | Tag ``true``/``false``; never ``true`` on a PF. |
| ``trusted``, ``live_migratable`` | Tags ``true``/``false``. |

The first entry that matches a device tracks it and gives its tags; a
device none matches is not tracked, as in Nova. A host's own
``device_spec`` replaces ``pci.device_spec`` for it. Without either, every
reported device is tracked.

| =alias key= | =Meaning= |
| ``name`` | Required; entries of one name are ORed (same ``numa_policy`` and ``device_type``). |
| ``vendor_id``, ``product_id`` | Required; four hex digits. |
| ``device_type`` | ``type-PCI``, ``type-PF`` or ``type-VF``. |
| ``numa_policy`` | ``required``, ``legacy`` (default), ``preferred`` or ``socket``. |
| ``live_migratable`` | ``true``/``false``: only devices tagged so; live migration needs ``true``. |

A flavor's ``pci_passthrough:alias`` (``a1:2,a2:1``) makes one request per
alias, before the ports' requests, with a fresh request id at boot and in
every move claim; an undefined alias is refused by the API (400).
``enabled_filters: [PciPassthroughFilter]`` makes the scheduler skip hosts
whose free devices do not support the requests (NoValidHost when none do).

= NUMA cells =

A host may list its NUMA cells, as Nova's libvirt driver reports them; a
host without ``numa_cells`` reports no NUMA topology, as Nova's fake driver
(every topology written before NUMA loads and runs unchanged). Example
(``acceptance/topologies/numa_hosts.yaml``):

|   - name: host1
|     cpu_shared_set: "0-1,4-5"        # Nova's [compute] options, CPU lists
|     cpu_dedicated_set: "2-3,6-7"
|     numa_cells:
|       - {id: 0, cpus: "0-3", memory_mb: 4096, socket: 0}
|       - {id: 1, cpus: "4-7", memory_mb: 1024, socket: 0}
|     devices:
|       - {address: "0000:81:00.0", dev_type: type-PF, physnet: physnet2, numa_node: 1}

| =Key= | =Meaning= |
| ``numa_cells`` | A non-empty list of cells; each CPU in one cell. |
| ``id`` | Required; the cell's NUMA node, 0-1023, unique on the host. |
| ``cpus`` | Required; the cell's CPUs as a CPU list (``0-3,^2``), CPUs 0-8191. |
| ``memory_mb`` | Required; the cell's memory, at least 1. |
| ``socket`` | The cell's socket, for the ``socket`` PCI NUMA affinity policy. |
| ``cpu_dedicated_set`` | The host's CPUs for pinned (``hw:cpu_policy=dedicated``) guests. |
| ``cpu_shared_set`` | The host's CPUs for the other guests of a NUMA topology. |

With neither set, every CPU of a cell serves both (Nova's configuration
before the two options); with either, a cell's CPUs outside both serve
nothing. The sets need cells, name only their CPUs and do not overlap. A
host with a cell without ``socket`` refuses the ``socket`` policy, as Nova. Where
cells are given a device's ``numa_node`` must name one. Without ``vcpus``
and ``memory_mb`` such a host reports the cells' usable CPUs and memory.
Placement gets VCPU from ``cpu_shared_set`` and PCPU from
``cpu_dedicated_set`` (every CPU as VCPU with neither, as Nova's libvirt
driver); a pinned server asks for PCPU, or VCPU where a host has none.

A flavor asks for a guest NUMA topology with ``hw:numa_nodes`` (vCPUs and
memory split evenly, or as ``hw:numa_cpus.N`` and ``hw:numa_mem.N`` say) or
``hw:cpu_policy: dedicated`` (one cell unless ``hw:numa_nodes`` says more,
each vCPU pinned to a pCPU); ``hw:pci_numa_affinity_policy`` (``required``,
``legacy``, ``preferred``, ``socket``) is the policy of its SR-IOV port's
request. A server of such a flavor goes only to a host with cells it fits.

= Images =

A server boots from the default image (the first of ``images``; without
``images``, ``cirros`` with no properties) or the one ``Create Server``
names with ``image=``; it keeps it through every move (Nova's
``instance.image_meta``). Properties are the NUMA ones Nova reads:

| images:
|   - {name: cirros}
|   - {name: pci-preferred, properties: {hw_pci_numa_affinity_policy: preferred}}
|   - {name: pinned, properties: {hw_cpu_policy: dedicated}}

| =Property= | =Meaning= |
| ``hw_numa_nodes`` | 1-128 guest cells; refused (400) beside the flavor's ``hw:numa_nodes``. |
| ``hw_numa_cpus.N``, ``hw_numa_mem.N`` | Cells' vCPUs and MB, N from 0 without a gap; \
each refused (400) where the flavor gives its own. |
| ``hw_cpu_policy`` | ``shared`` or ``dedicated``; the flavor's ``dedicated`` wins, its \
``shared`` refuses the image's ``dedicated`` (400). |
| ``hw_pci_numa_affinity_policy`` | The PCI NUMA policy where the flavor sets none; another \
than the flavor's is refused (403). |

A ``flavors`` entry needs ``name``, ``vcpus``, ``memory_mb`` and ``disk_gb``;
``extra_specs`` maps keys (Nova's: ASCII letters, digits, spaces, ``-_:.``)
to text, and is carried on the servers' flavors. ``flavor`` names the default
flavor, or defines it as a mapping whose fields default to ``m1.small``'s;
defined so with no ``flavors``, it is the only flavor.

Counts (``vcpus``, ``memory_mb``, ``disk_gb``, ``numa_node``) are whole
numbers: ``true`` and ``1.5`` are refused. Names and addresses read as the
text typed (``name: 0x1f`` is the host '0x1f', and ``0000:01:00.0`` is not a
YAML 1.1 base-60 number), and a key given twice in one mapping is an error
rather than silently overridden. Unknown keys, duplicate host names and
duplicate addresses are errors too. Hostile input (tags, alias bombs, deep
nesting, huge files, control characters) is refused by bounded work; every
refusal is catalogued, with its message, in docs/bad-input.md.
"""

from __future__ import annotations

import datetime
import functools
import math
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NoReturn

import yaml

from ..errors import TopologyError, UnknownName

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


DESCRIBED_HOSTS = 10  # suite metadata and messages stay one line on a big cluster


@dataclass(frozen=True)
class DeviceSpec:
    """One PCI device a host's hypervisor reports, with its device_spec tags."""

    address: str
    dev_type: str
    parent: str | None = None
    vendor_id: str = "fake-vendor_id"
    product_id: str = "fake-product_id"
    physnet: str | None = None
    numa_node: int | None = 0  # None: the hypervisor reports no NUMA affinity
    parent_ifname: str | None = None
    remote_managed: bool = False
    trusted: bool | None = None  # device_spec tags Nova pools by, when given
    live_migratable: bool | None = None


@dataclass(frozen=True)
class PciDeviceSpec:
    """One ``[pci]device_spec`` entry: which reported devices Nova tracks,
    and the tags it gives them. Fields left None match anything (the
    matchers) or add no tag (the tags)."""

    vendor_id: str | None = None
    product_id: str | None = None
    address: str | None = None  # a glob ('0000:81:00.*', '*:82:*.*') or one address
    physical_network: str | None = None
    remote_managed: bool | None = None
    trusted: bool | None = None
    live_migratable: bool | None = None

    def matches(self, device: DeviceSpec, pfs: frozenset[str]) -> bool:
        """Whether the spec takes ``device``; an address naming a PF
        (``pfs``) takes the PF and its VFs, as Nova's WhitelistPciAddress."""
        if self.vendor_id is not None and self.vendor_id.lower() != device.vendor_id.lower():
            return False
        if self.product_id is not None and self.product_id.lower() != device.product_id.lower():
            return False
        if self.address is None:
            return True
        if self.address.lower() in pfs and device.parent == self.address.lower():
            return True
        return _address_matches(self.address, device.address)


@dataclass(frozen=True)
class PciAlias:
    """One ``[pci]alias`` entry; entries of one name are ORed (Nova's
    ``get_alias_from_config``)."""

    name: str
    vendor_id: str
    product_id: str
    device_type: str | None = None
    numa_policy: str = "legacy"
    live_migratable: bool | None = None


@dataclass(frozen=True)
class NUMACellSpec:
    """One host NUMA cell as the hypervisor reports it: its CPUs split into
    shared ones (``cpuset``, Nova's ``cpu_shared_set`` in this cell) and
    dedicated ones (``pcpuset``, ``cpu_dedicated_set``), memory, socket."""

    id: int
    cpuset: frozenset[int]
    pcpuset: frozenset[int]
    memory_mb: int
    socket: int | None = None


@dataclass(frozen=True)
class HostSpec:
    """A compute host (node name == host name) and its hypervisor resources;
    ``numa_cells`` empty means the host reports no NUMA topology."""

    name: str
    devices: tuple[DeviceSpec, ...] = ()
    vcpus: int = 2
    memory_mb: int = 8192
    disk_gb: int = 1028
    untracked: int = 0  # reported devices no device_spec matched
    numa_cells: tuple[NUMACellSpec, ...] = ()
    # Nova's [compute] options as given (None: not set); the cells split
    # their CPUs by them, and the libvirt driver reports VCPU and PCPU
    # inventory from them (placement_inventory in host_plan.py).
    cpu_shared_set: frozenset[int] | None = None
    cpu_dedicated_set: frozenset[int] | None = None


@dataclass(frozen=True)
class NetworkSpec:
    """A neutron network; ``physnet`` is its provider physical network."""

    name: str
    physnet: str | None = None


@dataclass(frozen=True)
class FlavorSpec:
    """A flavor servers can be built with; ``extra_specs`` are (key, value)
    pairs sorted by key, as Nova's flavor extra specs."""

    name: str = "m1.small"
    vcpus: int = 1
    memory_mb: int = 512
    disk_gb: int = 1
    extra_specs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ImageSpec:
    """A Glance image servers boot from. ``properties`` are the image
    properties Nova's ``ImageMetaProps`` reads for NUMA and PCI placement,
    (key, text) pairs sorted by key; each server keeps its image's (Nova's
    ``instance.image_meta``, kept in the instance's system metadata)."""

    name: str = "cirros"
    properties: tuple[tuple[str, str], ...] = ()

    def property(self, key: str) -> str | None:
        return dict(self.properties).get(key)

    def per_node(self, prefix: str) -> list[str] | None:
        """The values of ``prefix.0``, ``prefix.1`` ... (the loader refused
        gaps), as ``ImageMetaProps`` reads ``hw_numa_cpus``; None if none."""
        values = dict(self.properties)
        found = []
        while f"{prefix}.{len(found)}" in values:
            found.append(values[f"{prefix}.{len(found)}"])
        return found or None


DEFAULT_IMAGE = ImageSpec()


# The built-in flavors. m1.small's numbers are what the pinned journals were
# recorded with; m1.medium fits beside it on a default host, as a resize on
# the same host needs.
SMALL = FlavorSpec()
MEDIUM = FlavorSpec("m1.medium", vcpus=2, memory_mb=1024, disk_gb=2)
DEFAULT_FLAVORS = (SMALL, MEDIUM)


@dataclass(frozen=True)
class Topology:
    """Hosts, networks and the flavors a cluster starts from.

    ``flavor`` is the default flavor; ``flavors`` holds every flavor, the
    default first (left empty, just ``flavor``).
    """

    name: str
    hosts: tuple[HostSpec, ...]
    networks: tuple[NetworkSpec, ...]
    flavor: FlavorSpec = field(default_factory=FlavorSpec)
    sriov_network: str = "network_2"
    flavors: tuple[FlavorSpec, ...] = ()
    pci_aliases: tuple[PciAlias, ...] = ()  # [pci]alias, as every API node reads it
    device_spec: tuple[PciDeviceSpec, ...] = ()  # [pci]device_spec of hosts without their own
    enabled_filters: tuple[str, ...] = ()  # scheduler filters beyond ComputeFilter
    images: tuple[ImageSpec, ...] = ()  # the default image first; left empty, cirros

    def __post_init__(self) -> None:
        if not self.flavors:
            object.__setattr__(self, "flavors", (self.flavor,))
        if not self.images:
            object.__setattr__(self, "images", (DEFAULT_IMAGE,))
        if self.flavors[0] != self.flavor:
            raise ValueError(f"the default flavor {self.flavor.name} must come first in flavors")

    # Worked out once (cached_property writes the frozen instance's __dict__
    # itself): every cluster built from the topology orders its hosts by it.
    @functools.cached_property
    def host_order(self) -> dict[str, int]:
        """Host name -> its position in ``hosts``. Shared: do not mutate."""
        return {host.name: n for n, host in enumerate(self.hosts)}

    def host(self, name: str) -> HostSpec:
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(name)

    def flavor_named(self, name: str) -> FlavorSpec:
        """The flavor called ``name``; raises UnknownName listing the known ones."""
        for flavor in self.flavors:
            if flavor.name == name:
                return flavor
        known = ", ".join(flavor.name for flavor in self.flavors)
        raise UnknownName(f"No flavor '{_shown(name)}'. Known flavors: {known}.")

    @property
    def image(self) -> ImageSpec:
        """The default image: the first of ``images``."""
        return self.images[0]

    def image_named(self, name: str) -> ImageSpec:
        """The image called ``name``; raises UnknownName listing the known ones."""
        for image in self.images:
            if image.name == name:
                return image
        known = ", ".join(image.name for image in self.images)
        raise UnknownName(f"No image '{_shown(name)}'. Known images: {known}.")

    def describe(self) -> str:
        """One line for reports: name, hosts and devices (the first ten
        hosts of a bigger cluster, then how many more and their devices)."""
        return self._description

    # Worked out once: each Start Cluster of a suite describes the same
    # topology (its log line and the suite metadata).
    @functools.cached_property
    def _description(self) -> str:
        shown = DESCRIBED_HOSTS if len(self.hosts) > DESCRIBED_HOSTS + 1 else len(self.hosts)
        hosts = ", ".join(f"{host.name} ({len(host.devices)} PCI)" for host in self.hosts[:shown])
        rest = self.hosts[shown:]
        if rest:
            devices = sum(len(host.devices) for host in rest)
            hosts += f" and {len(rest)} more hosts ({devices} PCI)"
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


# Made once: a topology is frozen all the way down, and every test's Start
# Cluster asks for this one.
@functools.cache
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
        flavors=DEFAULT_FLAVORS,
    )


def _shown(name: str) -> str:
    """A name as a sentence can show it: unprintable characters escaped, as the API shows them."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in name)


# -- the YAML topology file -------------------------------------------------------

_TOP_KEYS = ("name", "sriov_network", "flavor", "flavors", "images", "networks", "pci",
             "enabled_filters", "hosts")  # fmt: skip
FILTERS = ("PciPassthroughFilter",)  # what enabled_filters may add
_HOST_KEYS = ("name", "vcpus", "memory_mb", "disk_gb", "device_spec", "devices", "numa_cells",
              "cpu_dedicated_set", "cpu_shared_set")  # fmt: skip
_CELL_KEYS = ("id", "cpus", "memory_mb", "socket")
_DEVICE_KEYS = ("address", "dev_type", "parent", "vendor_id", "product_id", "physnet",
                "numa_node", "parent_ifname", "remote_managed", "trusted",
                "live_migratable")  # fmt: skip
_TAG_KEYS = ("physnet", "remote_managed", "trusted", "live_migratable")  # device_spec's job
_PCI_KEYS = ("device_spec", "alias")
_DEVICE_SPEC_KEYS = ("vendor_id", "product_id", "address", "physical_network",
                     "remote_managed", "trusted", "live_migratable")  # fmt: skip
_ALIAS_KEYS = ("name", "vendor_id", "product_id", "device_type", "numa_policy",
               "live_migratable")  # fmt: skip
ALIAS_DEVICE_TYPES = ("type-PCI", "type-PF", "type-VF")  # Nova's alias schema: no vdpa
PCI_NUMA_POLICIES = ("required", "legacy", "preferred", "socket")  # fields.PCINUMAAffinityPolicy
ALIAS_SPEC = "pci_passthrough:alias"
# Nova's flavor extra spec validator: one or more 'alias:count', comma-separated.
_ALIAS_SPEC_VALUE = re.compile(r"[^:]+:\d+(?:\s*,\s*[^:]+:\d+)*")
_PCI_ID = re.compile(r"[0-9a-fA-F]{4}")  # Nova's PCI_VENDOR_PATTERN
_MAX_SPECS = 1_000  # device_spec or alias entries in one list
_NETWORK_KEYS = ("name", "physnet")
_FLAVOR_KEYS = ("name", "vcpus", "memory_mb", "disk_gb", "extra_specs")
_EXTRA_SPECS = "extra_specs"  # a mapping whose values read as the text typed
_PROPERTIES = "properties"  # an image's: read as text too
_IMAGE_KEYS = ("name", "properties")
_MAX_IMAGES = 1_000
# The image properties the model reads (Nova's ImageMetaProps fields for them);
# hw_numa_cpus.N and hw_numa_mem.N besides, N from 0 up to ImageMetaProps.NUMA_NODES_MAX.
IMAGE_CPU_POLICIES = ("shared", "dedicated")  # fields.CPUAllocationPolicy without mixed
_IMAGE_NUMA_LISTS = ("hw_numa_cpus", "hw_numa_mem")
_NUMA_NODES_MAX = 128
_IMAGE_PROPERTIES = ("hw_cpu_policy", "hw_numa_nodes", "hw_numa_cpus.N", "hw_numa_mem.N",
                     "hw_pci_numa_affinity_policy")  # fmt: skip
FAKE_DRIVER = "fake-driver"  # shorthand for the six devices of the default hosts
_ADDRESS = re.compile(r"[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]")

# Limits: what a race test could need, many times over, and small enough that
# a hostile file is refused in well under a second and a few hundred MB.
_MAX_FILE_BYTES = 10 * 1024 * 1024
_MAX_DEPTH = 20  # a valid file nests 6 deep (file, hosts, host, devices, device, value)
_MAX_VALUES = 2_000_000  # YAML values after alias expansion; 100,000 devices need ~1,000,000
_MAX_HOSTS = 10_000
_MAX_NETWORKS = 1_000
_MAX_FLAVORS = 1_000
_MAX_DEVICES = 100_000  # in the whole file
_MAX_NAME = 255  # Nova's services.host and Neutron's network name columns
_MAX_EXTRA_SPEC = 255  # Nova's API: extra spec keys and values are at most 255 characters
_MAX_COUNT = 2_147_483_647  # Nova's Integer columns and flavor API bound (db.MAX_INT)
_MAX_NUMA_NODE = 1023  # Linux has at most 1024 NUMA nodes (NODES_SHIFT 10)
_MAX_CPU = 8191  # Linux's largest NR_CPUS is 8192
_MAX_DIGITS = 100  # longer numbers stay unconverted: Python refuses ints over 4,300 digits

# Values of these keys are read as the text the user typed: a host named 0x1f
# stays '0x1f' rather than becoming the number 31, and 'yes' stays 'yes'.
# So do the values of an ``extra_specs`` mapping: ``hw:numa_nodes: 1`` is '1'.
_TEXT_KEYS = frozenset(("name", "sriov_network", "physnet", "parent", "vendor_id",
                        "product_id", "parent_ifname", "address", "dev_type",
                        "flavor", "physical_network", "device_type",
                        "numa_policy", "enabled_filters", "cpus",
                        "cpu_dedicated_set", "cpu_shared_set"))  # fmt: skip
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_NAME_CHARACTER = re.compile(r"[^A-Za-z0-9._-]")
_EXTRA_SPEC_CHARACTER = re.compile(r"[^A-Za-z0-9_:. -]")  # Nova's API: [a-zA-Z0-9-_:. ]
# What YAML 1.1 allows in a stream at all (its c-printable production).
_UNPRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_YAML = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT, _TIMESTAMP = (
    _YAML + name for name in ("str", "null", "bool", "int", "float", "timestamp")
)
# SafeLoader's implicit resolvers, except that numbers never contain ':': YAML
# 1.1 would read an unquoted 0000:01:00.0 as the base-60 number 60.0.
_RESOLVERS = {
    first: tuple(
        (tag, re.compile(r"(?!.*:)(?:" + regexp.pattern + ")", regexp.flags))
        if tag in (_INT, _FLOAT)
        else (tag, regexp)
        for tag, regexp in resolvers
    )
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# libyaml parses ~20 times faster than PyYAML's pure-Python scanner; both give
# the same events.
_Parser = getattr(getattr(yaml, "_yaml", None), "CParser", yaml.SafeLoader)


class _LongNumber:
    """A number with more digits than any field allows, kept unconverted."""

    def __init__(self, text: str) -> None:
        self.digits = sum(character.isdigit() for character in text)


_NO_KEY = object()  # a mapping waits for its next key
_MERGE = object()  # the plain key '<<'


class _Collection:
    """A sequence or mapping being read, with what it needs to finish."""

    __slots__ = ("anchor", "is_list", "items", "key", "key_mark", "mark", "merges", "size",
                 "texts")  # fmt: skip

    def __init__(
        self, is_list: bool, anchor: str | None, mark: yaml.Mark, texts: bool = False
    ) -> None:
        self.is_list = is_list
        self.texts = texts  # its values read as the text typed
        self.mark = mark  # where it starts, for a message about it as a key
        self.items: list[object] | dict[str, object] = [] if is_list else {}
        self.anchor = anchor
        self.key: object = _NO_KEY
        self.key_mark: yaml.Mark | None = None
        self.merges: list[object] = []
        self.size = 1  # values inside, after alias expansion, itself included

    def finish(self) -> object:
        if not self.merges:
            return self.items
        merged: dict[str, object] = {}
        for mapping in reversed(self.merges):  # the first merged mapping wins
            merged.update(mapping)
        merged.update(self.items)  # and the mapping's own keys win over all
        return merged


class _YamlReader:
    """Builds plain values from YAML parser events, one event at a time.

    PyYAML's composer keeps a ~1 KB node per value and recurses once per
    nesting level; reading events keeps only the result, and lets depth,
    alias expansion, tags and keys be refused before anything large is built.
    Aliases share the value they name, as PyYAML's do.
    """

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.constructor = yaml.constructor.SafeConstructor()
        self.anchors: dict[str, tuple[object, int]] = {}
        self.open_anchors: set[str] = set()
        self.values = 0

    def read(self) -> object:
        parser = _Parser(self.text)
        try:
            parser.get_event()  # stream start
            if isinstance(parser.get_event(), yaml.StreamEndEvent):
                return None
            value = self.document(parser.get_event)
            parser.get_event()  # document end
            event = parser.get_event()
            if not isinstance(event, yaml.StreamEndEvent):
                self.refuse(
                    event.start_mark,
                    "a second YAML document starts here; a topology file holds one document",
                )
            return value
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            if mark and "nesting depth" in (error.problem or ""):  # libyaml's own bound, 1000
                self.refuse(mark, _DEPTH_PROBLEM)
            problem = (error.problem or error.context or "unreadable YAML").rstrip(".")
            problem = _TOKEN.sub(lambda token: _TOKENS.get(token.group(), token.group()), problem)
            if mark and _character_at(self.text, mark) == "\t":  # libyaml: "cannot start any token"
                problem = "a tab cannot indent YAML; indent with spaces"
            raise TopologyError(
                f"{self.source} is not valid YAML{_at(mark)}: {_escaped(problem)}."
            ) from None
        except yaml.YAMLError:  # a reader error: _UNPRINTABLE should have caught it first
            raise TopologyError(
                f"{self.source} is not valid YAML: it holds a character YAML does not allow."
            ) from None
        finally:
            parser.dispose()

    def refuse(self, mark: yaml.Mark, problem: str) -> NoReturn:
        raise TopologyError(
            f"{self.source}, line {mark.line + 1}, column {mark.column + 1}: {problem}."
        )

    def document(self, next_event: Callable[[], yaml.Event]) -> object:
        """Reads one value, iteratively: depth costs a list entry, not recursion.

        One loop with the common cases inline: it runs once per YAML event,
        about a million times for 100,000 devices.
        """
        stack: list[_Collection] = []
        top: _Collection | None = None  # stack[-1]
        while True:
            event = next_event()
            kind = type(event)
            mark = event.start_mark  # where the value starts
            if kind is yaml.ScalarEvent:
                value, size = self.scalar(event, top), 1
                self.values += 1
                if event.anchor is not None:
                    self.open_anchor(event)
                    self.close_anchor(event.anchor, value, size)
            elif kind is yaml.AliasEvent:
                value, size = self.alias(event)
                self.values += size
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                self.start(event, len(stack))
                texts = top is not None and top.key in (_EXTRA_SPECS, _PROPERTIES)
                top = _Collection(
                    kind is yaml.SequenceStartEvent, event.anchor, event.start_mark, texts
                )
                stack.append(top)
                self.values += 1
                continue
            else:  # the end of a mapping or sequence
                done = stack.pop()
                value, size, mark = done.finish(), done.size, done.mark
                if done.anchor is not None:
                    self.close_anchor(done.anchor, value, size)
                top = stack[-1] if stack else None
            if self.values > _MAX_VALUES:
                # Each alias counts as everything it names, so "billion laughs"
                # stops here, long before its expansion could be walked.
                self.refuse(
                    mark,
                    f"the file holds more than {_MAX_VALUES} values, "
                    "counting each alias as all it names",
                )
            if top is None:
                return value
            top.size += size
            if top.is_list:
                top.items.append(value)  # type: ignore[union-attr]
            elif top.key is _NO_KEY:
                self.key(top, value, mark)
            elif top.key is _MERGE:
                self.merge(top, value)
            else:
                top.items[top.key] = value  # type: ignore[index]
                top.key = _NO_KEY

    def start(self, event: yaml.CollectionStartEvent, depth: int) -> None:
        if event.tag is not None and event.tag != "!":
            self.refuse(event.start_mark, _tag_problem(event.tag))
        if depth == _MAX_DEPTH:
            self.refuse(event.start_mark, _DEPTH_PROBLEM)
        if event.anchor is not None:
            self.open_anchor(event)

    def key(self, parent: _Collection, key: object, mark: yaml.Mark) -> None:
        if key is not _MERGE and not isinstance(key, str):
            self.refuse(mark, f"a key must be plain text, not {_kind(key)}")
        if key in parent.items:
            raise TopologyError(
                f"{self.source} is not valid YAML{_at(mark)}: key {_quoted(key)} is given twice."
            )
        parent.key, parent.key_mark = key, mark

    def merge(self, parent: _Collection, value: object) -> None:
        merged = value if isinstance(value, list) else [value]
        if not all(isinstance(mapping, dict) for mapping in merged):
            self.refuse(
                parent.key_mark,
                f"the merge key '<<' takes a mapping or a list of mappings, not {_kind(value)}",
            )
        parent.merges.extend(merged)
        parent.key = _NO_KEY

    def scalar(self, event: yaml.ScalarEvent, parent: _Collection | None) -> object:
        text = event.value
        if event.tag is not None or not event.implicit[0]:
            if event.tag not in (None, "!", _STR):
                self.refuse(event.start_mark, _tag_problem(event.tag))
            return text  # quoted, block, or tagged !!str: text
        if parent is None or parent.is_list:
            return self.resolve(text)
        if parent.key is _NO_KEY:  # keys are names of fields: always text
            return _MERGE if text == "<<" else text
        if parent.key in _TEXT_KEYS or parent.texts:
            return None if text in _NULLS else text
        return self.resolve(text)

    def resolve(self, text: str) -> object:
        resolvers = _RESOLVERS.get(text[:1], ())
        tag = next((tag for tag, regexp in resolvers if regexp.match(text)), None)
        if tag is None:
            return text
        node = yaml.ScalarNode(tag, text)
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return self.constructor.construct_yaml_bool(node)
        if tag == _INT:
            if len(text) > _MAX_DIGITS:
                return _LongNumber(text)
            return self.constructor.construct_yaml_int(node)
        if tag == _FLOAT:
            return self.constructor.construct_yaml_float(node)
        if tag == _TIMESTAMP:
            try:
                return self.constructor.construct_yaml_timestamp(node)
            except ValueError:  # shaped like a date but not one (2001-13-45): the text
                return text
        return text  # '<<' or '=' where a value goes: the text

    def alias(self, event: yaml.AliasEvent) -> tuple[object, int]:
        name = event.anchor
        if name in self.open_anchors:
            self.refuse(
                event.start_mark,
                f"the alias '*{_escaped(name)}' is inside the value it "
                "names; a value cannot contain itself",
            )
        if name not in self.anchors:
            self.refuse(
                event.start_mark,
                f"the alias '*{_escaped(name)}' names no anchor "
                f"'&{_escaped(name)}' given before it",
            )
        return self.anchors[name]

    def open_anchor(self, event: yaml.NodeEvent) -> None:
        name = event.anchor
        if name in self.anchors or name in self.open_anchors:
            self.refuse(
                event.start_mark,
                f"the anchor '&{_escaped(name)}' is given twice; give each anchor a new name",
            )
        self.open_anchors.add(name)

    def close_anchor(self, name: str, value: object, size: int) -> None:
        self.open_anchors.discard(name)
        self.anchors[name] = (value, size)


# libyaml names tokens as <block end>; a person reads what they look like.
_TOKENS = {
    "<document start>": "'---' (the start of a document)",
    "<document end>": "'...' (the end of a document)",
    "<stream end>": "the end of the file",
    "<block end>": "the end of an indented block",
    "<block mapping start>": "an indented mapping",
    "<block sequence start>": "an indented list",
    "<scalar>": "a value",
}
_TOKEN = re.compile(r"<[a-z ]+>")
_DEPTH_PROBLEM = f"values nest more than {_MAX_DEPTH} levels deep; a topology needs 6"


def _character_at(text: str, mark: yaml.Mark) -> str:
    lines = text.split("\n", mark.line + 1)
    line = lines[mark.line] if mark.line < len(lines) else ""
    return line[mark.column : mark.column + 1]


def _at(mark: yaml.Mark | None) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def _tag_problem(tag: str) -> str:
    shown = "!!" + tag[len(_YAML) :] if tag.startswith(_YAML) else tag
    return (
        f"the YAML tag {_quoted(shown)} is not allowed; a topology needs only plain values, "
        "quoted where they must be text"
    )


def load_topology(path: str | os.PathLike[str]) -> Topology:
    """Reads and validates a YAML topology file.

    Raises TopologyError naming the file, and the host, device and field
    where something is wrong, with what would be valid. Nothing is built
    until the whole file is valid. The catalogue of refused input is
    docs/bad-input.md.
    """
    path = Path(path)
    source = f"Topology file {_quoted(str(path), limit=1000)}"
    text = _read_text(path, source)
    if not text.strip():
        raise TopologyError(
            f"{source} is empty; a topology is a YAML mapping with at least 'hosts'."
        )
    bad = _UNPRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - text.rfind("\n", 0, bad.start())
        raise TopologyError(
            f"{source}, line {line}, column {column}: {_character(bad.group())} "
            "is not allowed in a YAML file, even quoted; write it as an escape "
            "in double quotes if it is meant."
        )
    data = _YamlReader(text, source).read()
    return topology_from_mapping(data, source, default_name=path.stem)


def _read_text(path: Path, source: str) -> str:
    """The file's text, refusing what is not a small regular UTF-8 file before reading it."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise TopologyError(f"{source} is a directory; give the path of a YAML file.")
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device could block or never end
            raise TopologyError(f"{source} is not a regular file; give the path of a YAML file.")
        if info.st_size > _MAX_FILE_BYTES:
            raise TopologyError(
                f"{source} is {info.st_size} bytes; a topology file may be at "
                f"most {_MAX_FILE_BYTES} bytes (10 MiB)."
            )
        with path.open("rb") as stream:
            data = _read_at_most(stream, _MAX_FILE_BYTES + 1)  # it may grow after stat()
    except FileNotFoundError:
        raise TopologyError(f"No topology file {_quoted(str(path), limit=1000)}.") from None
    except OSError as error:  # permissions, a path through a file, an I/O error
        reason = (error.strerror or "the operating system refused").lower()
        raise TopologyError(f"{source} cannot be read: {reason}.") from None
    if len(data) > _MAX_FILE_BYTES:
        raise TopologyError(
            f"{source} is more than {_MAX_FILE_BYTES} bytes; a topology file "
            f"may be at most {_MAX_FILE_BYTES} bytes (10 MiB)."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise TopologyError(
            f"{source} is not UTF-8 text: the byte 0x{data[error.start]:02X} at byte offset "
            f"{error.start} (line {line}) {_DECODE_PROBLEMS.get(error.reason, 'is misplaced')}; "
            "save the file as UTF-8."
        ) from None


def _read_at_most(stream: BinaryIO, limit: int) -> bytes:
    # In 1 MiB chunks: read(limit) would allocate all 10 MiB even for a small file.
    chunks: list[bytes] = []
    size = 0
    while size < limit and (chunk := stream.read(min(1 << 20, limit - size))):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


_DECODE_PROBLEMS = {
    "invalid start byte": "cannot start a character",
    "invalid continuation byte": "starts a character the bytes after it do not continue",
    "unexpected end of data": "starts a character the file cuts short",
}


def topology_from_mapping(
    data: object, source: str = "Topology mapping", *, default_name: str = "custom"
) -> Topology:
    """Validates a mapping shaped like the YAML file and returns its Topology.

    ``source`` starts every error message (``load_topology`` passes
    ``Topology file 'x.yaml'``); ``default_name`` is the name when the
    mapping gives none. Raises TopologyError as ``load_topology`` does.
    Work is linear in the size of the mapping, and bounded by the limits in
    docs/bad-input.md however the mapping shares its values.
    """
    top = _mapping(data, source)
    _known_keys(top, _TOP_KEYS, source)
    name = _label(top["name"], f"{source}: 'name'") if "name" in top else default_name
    networks = _networks(top.get("networks"), source)
    physnets = {network.physnet for network in networks}
    names = [network.name for network in networks]
    default_sriov = "network_2" if "network_2" in names else names[-1]
    sriov = _name(top.get("sriov_network", default_sriov), f"{source}: 'sriov_network'")
    if sriov not in names:
        raise TopologyError(
            f"{source}: 'sriov_network' names network '{sriov}', which is not defined; "
            f"defined networks: {_listing(names)}."
        )
    flavors = _flavors(top, source)
    images = _images(top.get("images"), source)
    device_spec, aliases = _pci(top.get("pci"), source, physnets)
    filters = _filters(top.get("enabled_filters"), source)
    _check_alias_specs(flavors, source)
    raw_hosts = top.get("hosts")
    raw_hosts = _section(raw_hosts, source, "hosts", _MAX_HOSTS)
    hosts: list[HostSpec] = []
    seen: dict[str, int] = {}  # lower-cased name -> index: one dict lookup per host
    devices = 0
    for index, raw in enumerate(raw_hosts, start=1):
        host = _host(raw, source, index, physnets, devices, device_spec)
        devices += len(host.devices)
        _refuse_twice(
            seen, source, "host", host.name, index=index, earlier=hosts, rule=_HOSTS_IGNORE_CASE
        )
        hosts.append(host)
    return Topology(name=name, hosts=tuple(hosts), networks=networks, flavor=flavors[0],
                    sriov_network=sriov, flavors=flavors, pci_aliases=aliases,
                    device_spec=device_spec, enabled_filters=filters,
                    images=images)  # fmt: skip


_HOSTS_IGNORE_CASE = "host names ignore case, as DNS and Nova's database compare them"
_NETWORKS_IGNORE_CASE = "network names ignore case, so that no two look alike in messages"
_FLAVORS_IGNORE_CASE = "flavor names ignore case, as Nova's database compares them"
_IMAGES_IGNORE_CASE = "image names ignore case, so that no two look alike in messages"
_ADDRESSES_IGNORE_CASE = "addresses are hexadecimal, so case does not matter"


def _refuse_twice(
    seen: dict[str, int],
    where: str,
    what: str,
    name: str,
    *,
    index: int,
    earlier: Sequence[object],
    rule: str,
) -> None:
    """Notes ``name`` as the ``index``-th (from 1) in ``seen`` (lower-cased
    name -> index) and refuses it when an earlier one, among ``earlier``
    (names, or specs with one), has the same name ignoring case."""
    first = seen.setdefault(name.lower(), index)
    if first == index:
        return
    other = earlier[first - 1]
    first_name = other if isinstance(other, str) else other.name  # type: ignore[attr-defined]
    if first_name == name:
        raise TopologyError(
            f"{where}: {what} '{name}' is defined twice, as {what}s #{first} and #{index}."
        )
    raise TopologyError(
        f"{where}: {what} '{name}' is defined twice, as {what}s #{first} ('{first_name}') "
        f"and #{index}; {rule}."
    )


def _networks(raw: object, source: str) -> tuple[NetworkSpec, ...]:
    if raw is None:
        return default_topology().networks
    raw = _section(raw, source, "networks", _MAX_NETWORKS)
    networks: list[NetworkSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw, start=1):
        where = f"{source}, network #{index}"
        entry = _mapping(item, where)
        name = _name(_required(entry, "name", where), f"{where}: 'name'")
        where = f"{source}, network '{name}'"
        _known_keys(entry, _NETWORK_KEYS, where)
        physnet = entry.get("physnet")
        if physnet is not None:
            physnet = _name(physnet, f"{where}: 'physnet'")
        _refuse_twice(
            seen, source, "network", name, index=index, earlier=networks, rule=_NETWORKS_IGNORE_CASE
        )
        networks.append(NetworkSpec(name, physnet))
    return tuple(networks)


def _flavors(top: dict[str, object], source: str) -> tuple[FlavorSpec, ...]:
    """Every flavor, the default first: ``flavor`` names the default among
    ``flavors`` (the built-in ones without it) or defines it as a mapping."""
    raw_list = top.get("flavors")
    listed = None if raw_list is None else _flavor_list(raw_list, source)
    raw = top.get("flavor")
    if raw is None:
        return listed or DEFAULT_FLAVORS
    if isinstance(raw, dict):
        default = _flavor(raw, f"{source}, flavor", SMALL)
        for index, other in enumerate(listed or (), start=1):
            if other.name.lower() == default.name.lower():
                _flavor_twice(source, default.name, other.name, index)
        return (default, *(listed or ()))
    if isinstance(raw, str):
        pool = listed or DEFAULT_FLAVORS
        name = _label(raw, f"{source}: 'flavor'")
        for default in pool:
            if default.name == name:
                return (default, *(other for other in pool if other is not default))
        raise TopologyError(
            f"{source}: 'flavor' names flavor {_quoted(name)}, which is not defined; "
            f"defined flavors: {_listing([flavor.name for flavor in pool])}."
        )
    raise TopologyError(
        f"{source}: 'flavor' must be the name of a flavor or a mapping defining one, "
        f"got {_kind(raw)}."
    )


def _images(raw: object, source: str) -> tuple[ImageSpec, ...]:
    """Every image, the default first; without ``images``, the built-in ``cirros``."""
    if raw is None:
        return (DEFAULT_IMAGE,)
    raw = _section(raw, source, "images", _MAX_IMAGES)
    images: list[ImageSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw, start=1):
        where = f"{source}, image #{index}"
        entry = _mapping(item, where)
        name = _label(_required(entry, "name", where), f"{where}: 'name'")
        where = f"{source}, image {_quoted(name, limit=_MAX_NAME)}"
        _known_keys(entry, _IMAGE_KEYS, where)
        _refuse_twice(
            seen, source, "image", name, index=index, earlier=images, rule=_IMAGES_IGNORE_CASE
        )
        images.append(ImageSpec(name, _image_properties(entry.get("properties"), where)))
    return tuple(images)


def _image_properties(raw: object, where: str) -> tuple[tuple[str, str], ...]:
    """The properties as ``ImageMetaProps`` types them: policies of its
    enums, whole numbers, CPU lists; ``.N`` lists without a gap."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise TopologyError(
            f"{where}: 'properties' must be a mapping of image properties to text values, "
            f"got {_kind(raw)}."
        )
    properties: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            raise TopologyError(
                f"{where}: 'properties' keys must be strings, got {_kind(key)} as a key."
            )
        prop = f"{where}, property {_quoted(key)}"
        if not isinstance(value, str):
            raise TopologyError(f"{prop}: the value must be text, got {_kind(value)}.")
        problem = _image_property_problem(key, value)
        if problem:
            raise TopologyError(f"{prop}: {problem}.")
        properties[key] = value
    for prefix in _IMAGE_NUMA_LISTS:
        nodes = sorted(int(key.rpartition(".")[2]) for key in properties if key.startswith(prefix))
        for expected, node in enumerate(nodes):
            if node != expected:
                raise TopologyError(
                    f"{where}, property '{prefix}.{node}': it needs '{prefix}.{expected}'; "
                    f"Nova reads {prefix}.0, .1 and on, and stops at the first missing one."
                )
    return tuple(sorted(properties.items()))


def _image_property_problem(key: str, value: str) -> str | None:
    prefix, dot, node = key.partition(".")
    if dot and prefix in _IMAGE_NUMA_LISTS:
        if not node.isdigit() or int(node) >= _NUMA_NODES_MAX or node != str(int(node)):
            return f"the node must be a whole number 0 to {_NUMA_NODES_MAX - 1}, as in {prefix}.0"
        if prefix == "hw_numa_mem":
            return None if _whole_text(value) else (
                f"must be a whole number of MB of at least 1, got {_quoted(value)}"
            )  # fmt: skip
        try:
            parse_cpu_spec(value)
        except ValueError:
            return f"must be a CPU list such as '0-1,3', got {_quoted(value)}"
        return None
    choices = {
        "hw_cpu_policy": IMAGE_CPU_POLICIES,
        "hw_pci_numa_affinity_policy": PCI_NUMA_POLICIES,
    }.get(key)
    if choices is not None:
        return None if value in choices else (
            f"must be one of {', '.join(choices)}, got {_quoted(value)}"
        )  # fmt: skip
    if key == "hw_numa_nodes":
        return None if _whole_text(value) and int(value) <= _NUMA_NODES_MAX else (
            f"must be a whole number 1 to {_NUMA_NODES_MAX}, got {_quoted(value)}"
        )  # fmt: skip
    return f"is not an image property the library models; it models {', '.join(_IMAGE_PROPERTIES)}"


def _whole_text(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS and int(value) >= 1


def _flavor_twice(source: str, name: str, listed_name: str, index: int) -> NoReturn:
    twice = f"{source}: flavor '{name}' is defined twice, by 'flavor' and as flavors #{index}"
    if listed_name != name:
        raise TopologyError(f"{twice} ('{listed_name}'); {_FLAVORS_IGNORE_CASE}.")
    raise TopologyError(f"{twice}; give 'flavor: {name}' to make the listed one the default.")


def _flavor_list(raw: object, source: str) -> tuple[FlavorSpec, ...]:
    raw = _section(raw, source, "flavors", _MAX_FLAVORS)
    flavors: list[FlavorSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw, start=1):
        where = f"{source}, flavor #{index}"
        entry = _mapping(item, where)
        name = _label(_required(entry, "name", where), f"{where}: 'name'")
        where = f"{source}, flavor {_quoted(name, limit=_MAX_NAME)}"
        _known_keys(entry, _FLAVOR_KEYS, where)
        for key in ("vcpus", "memory_mb", "disk_gb"):  # a listed flavor gives its size
            _required(entry, key, where)
        flavor = _flavor(entry, where)
        _refuse_twice(
            seen, source, "flavor", name, index=index, earlier=flavors, rule=_FLAVORS_IGNORE_CASE
        )
        flavors.append(flavor)
    return tuple(flavors)


def _flavor(raw: object, where: str, defaults: FlavorSpec = SMALL) -> FlavorSpec:
    entry = _mapping(raw, where)
    _known_keys(entry, _FLAVOR_KEYS, where)
    return FlavorSpec(
        name=_label(entry.get("name", defaults.name), f"{where}: 'name'"),
        vcpus=_count(entry.get("vcpus", defaults.vcpus), f"{where}: 'vcpus'", minimum=1),
        memory_mb=_count(entry.get("memory_mb", defaults.memory_mb), f"{where}: 'memory_mb'"),
        disk_gb=_count(entry.get("disk_gb", defaults.disk_gb), f"{where}: 'disk_gb'"),
        extra_specs=_extra_specs(entry.get("extra_specs"), where),
    )


def _extra_specs(raw: object, where: str) -> tuple[tuple[str, str], ...]:
    """Nova's flavor extra specs: keys as its API takes them, text values."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise TopologyError(
            f"{where}: 'extra_specs' must be a mapping of extra spec keys to text values, "
            f"got {_kind(raw)}."
        )
    specs: list[tuple[str, str]] = []
    for key, value in raw.items():
        if not isinstance(key, str):
            raise TopologyError(
                f"{where}: 'extra_specs' keys must be strings, got {_kind(key)} as a key."
            )
        spec = f"{where}, extra spec {_quoted(key)}"
        problem = _extra_spec_key_problem(key)
        if problem:
            raise TopologyError(
                f"{spec}: the key {problem}; extra spec keys are 1 to {_MAX_EXTRA_SPEC} ASCII "
                "letters, digits, spaces, '-', '_', ':' and '.', as Nova's API takes them."
            )
        if not isinstance(value, str):
            raise TopologyError(f"{spec}: the value must be text, got {_kind(value)}.")
        if len(value) > _MAX_EXTRA_SPEC:
            raise TopologyError(
                f"{spec}: the value is {len(value)} characters long; at most "
                f"{_MAX_EXTRA_SPEC} are allowed."
            )
        if not value.isprintable():
            bad = next(i for i, character in enumerate(value) if not character.isprintable())
            raise TopologyError(
                f"{spec}: the value contains {_character(value[bad])} at character "
                f"{bad + 1}; use printable characters only."
            )
        specs.append((key, value))
    return tuple(sorted(specs))


def _extra_spec_key_problem(key: str) -> str | None:
    if not key:
        return "is empty"
    if len(key) > _MAX_EXTRA_SPEC:
        return f"is {len(key)} characters long"
    bad = _EXTRA_SPEC_CHARACTER.search(key)
    if bad:
        return f"contains {_character(bad.group())} at character {bad.start() + 1}"
    return None


def _host(  # noqa: PLR0917 - the loader's context, passed through
    raw: object,
    source: str,
    index: int,
    physnets: set[str | None],
    devices_before: int,
    device_spec: tuple[PciDeviceSpec, ...] = (),
) -> HostSpec:
    where = f"{source}, host #{index}"
    entry = _mapping(raw, where)
    name = _name(_required(entry, "name", where), f"{where}: 'name'")
    where = f"{source}, host '{name}'"
    _known_keys(entry, _HOST_KEYS, where)
    defaults = HostSpec(name)
    vcpus = _count(entry.get("vcpus", defaults.vcpus), f"{where}: 'vcpus'", minimum=1)
    memory_mb = _count(entry.get("memory_mb", defaults.memory_mb), f"{where}: 'memory_mb'")
    disk_gb = _count(entry.get("disk_gb", defaults.disk_gb), f"{where}: 'disk_gb'")
    if "device_spec" in entry:
        device_spec = _device_spec(entry["device_spec"], where, physnets)
    raw_devices = entry.get("devices", [])
    if raw_devices == FAKE_DRIVER:
        devices = fake_driver_devices(name)
    elif isinstance(raw_devices, (list, tuple)):
        # Checked before the devices are read, so that a list shared by
        # aliases across many hosts costs nothing to refuse.
        if devices_before + len(raw_devices) > _MAX_DEVICES:
            raise TopologyError(
                f"{where}: 'devices' brings the topology to "
                f"{devices_before + len(raw_devices)} devices; at most "
                f"{_MAX_DEVICES} are allowed in one topology."
            )
        devices = _devices(raw_devices, where, tags_allowed=not device_spec)
    else:
        raise TopologyError(
            f"{where}: 'devices' must be a list of devices or "
            f"'{FAKE_DRIVER}', got {_kind(raw_devices)}."
        )
    for device in devices:
        if device.physnet is not None and device.physnet not in physnets:
            known = _listing(sorted(p for p in physnets if p))
            raise TopologyError(
                f"{where}, device '{device.address}': physnet '{device.physnet}' belongs to "
                f"no network; physnets of the networks: {known}."
            )
    reported = len(devices)
    if device_spec:
        devices = _tracked(devices, device_spec, where)
    cells = _numa_cells(entry, where)
    cpu_sets = {
        key: _cpus(entry[key], f"{where}: '{key}'")
        for key in ("cpu_shared_set", "cpu_dedicated_set")
        if entry.get(key) is not None
    }  # _numa_cells checked them
    if cells:
        ids = {cell.id for cell in cells}
        for device in devices:
            if device.numa_node is not None and device.numa_node not in ids:
                raise TopologyError(
                    f"{where}, device '{device.address}': 'numa_node' {device.numa_node} is "
                    f"not a NUMA cell of the host; cells: "
                    f"{', '.join(str(cell.id) for cell in cells)}."
                )
        # A host with cells reports what they hold, unless told otherwise.
        if "vcpus" not in entry:
            vcpus = max(1, len(set().union(*(c.cpuset | c.pcpuset for c in cells))))
        if "memory_mb" not in entry:
            memory_mb = sum(cell.memory_mb for cell in cells)
    return HostSpec(
        name=name, devices=devices, vcpus=vcpus, memory_mb=memory_mb, disk_gb=disk_gb,
        untracked=reported - len(devices), numa_cells=cells,
        cpu_shared_set=cpu_sets.get("cpu_shared_set"),
        cpu_dedicated_set=cpu_sets.get("cpu_dedicated_set"),
    )  # fmt: skip


def parse_cpu_spec(spec: str) -> set[int]:
    """CPUs of a spec such as ``0-3,^2,5`` (Nova's ``parse_cpu_spec``).
    Raises ValueError for a malformed one or a CPU above the largest Linux has."""
    included: set[int] = set()
    excluded: set[int] = set()
    for part in (piece.strip() for piece in spec.split(",")):
        if not part:
            continue
        target = excluded if part.startswith("^") else included
        low, _, high = part.removeprefix("^").partition("-")
        if not low.strip().isdigit() or not (high or low).strip().isdigit():
            raise ValueError(part)
        first, last = int(low), int(high or low)
        if last < first or last > _MAX_CPU:
            raise ValueError(part)
        target.update(range(first, last + 1))
    return included - excluded


def _cpus(value: object, where: str) -> frozenset[int]:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or len(text) > _MAX_NAME:
        raise TopologyError(f"{where} must be a CPU list such as '0-3,^2', got {_kind(value)}.")
    try:
        cpus = parse_cpu_spec(text)
    except ValueError:
        raise TopologyError(
            f"{where} must be a CPU list such as '0-3,^2' of CPUs 0 to {_MAX_CPU}, "
            f"got {_kind(value)}."
        ) from None
    if not cpus:
        raise TopologyError(f"{where} names no CPU, got {_kind(value)}.")
    return frozenset(cpus)


def _numa_cells(entry: dict[str, object], where: str) -> tuple[NUMACellSpec, ...]:
    """The host's NUMA cells, their CPUs split by ``cpu_dedicated_set`` and
    ``cpu_shared_set`` as Nova's libvirt driver splits them: with neither,
    every CPU is both shared and dedicated (Nova's legacy configuration)."""
    raw = entry.get("numa_cells")
    sets = {
        key: _cpus(entry[key], f"{where}: '{key}'")
        for key in ("cpu_dedicated_set", "cpu_shared_set")
        if entry.get(key) is not None
    }
    if raw is None:
        if sets:
            raise TopologyError(
                f"{where}: '{next(iter(sets))}' needs 'numa_cells', the cells whose CPUs it names."
            )
        return ()
    if not isinstance(raw, (list, tuple)):
        raise TopologyError(f"{where}: 'numa_cells' must be a list of cells, got {_kind(raw)}.")
    if not raw:
        raise TopologyError(f"{where}: 'numa_cells' must list at least one cell.")
    if len(raw) > _MAX_NUMA_NODE + 1:
        raise TopologyError(
            f"{where}: 'numa_cells' lists {len(raw)} cells; at most {_MAX_NUMA_NODE + 1}."
        )
    dedicated, shared = sets.get("cpu_dedicated_set"), sets.get("cpu_shared_set")
    if dedicated is not None and shared is not None and dedicated & shared:
        raise TopologyError(
            f"{where}: CPU(s) {_cpu_list(dedicated & shared)} are in both 'cpu_dedicated_set' "
            "and 'cpu_shared_set'; a CPU is one or the other."
        )
    cells: list[NUMACellSpec] = []
    owner: dict[int, int] = {}  # CPU -> cell id
    for index, item in enumerate(raw, start=1):
        cell_where = f"{where}, NUMA cell #{index}"
        cell = _mapping(item, cell_where)
        _known_keys(cell, _CELL_KEYS, cell_where)
        cell_id = _count(
            _required(cell, "id", cell_where), f"{cell_where}: 'id'", maximum=_MAX_NUMA_NODE
        )
        if any(other.id == cell_id for other in cells):
            raise TopologyError(f"{cell_where}: 'id' {cell_id} is given to an earlier cell too.")
        cpus = _cpus(_required(cell, "cpus", cell_where), f"{cell_where}: 'cpus'")
        for cpu in sorted(cpus):
            if cpu in owner:
                raise TopologyError(
                    f"{cell_where}: 'cpus' names CPU {cpu}, which is in cell {owner[cpu]} already."
                )
            owner[cpu] = cell_id
        memory = _count(
            _required(cell, "memory_mb", cell_where), f"{cell_where}: 'memory_mb'", minimum=1
        )
        socket = cell.get("socket")
        if socket is not None:
            socket = _count(socket, f"{cell_where}: 'socket'", maximum=_MAX_NUMA_NODE)
        if dedicated is None and shared is None:
            cpuset = pcpuset = cpus
        else:
            cpuset = cpus & (shared or frozenset())
            pcpuset = cpus & (dedicated or frozenset())
        cells.append(NUMACellSpec(cell_id, cpuset, pcpuset, memory, socket))
    for key, cpus in sets.items():
        unknown = cpus - owner.keys()
        if unknown:
            raise TopologyError(
                f"{where}: '{key}' names CPU(s) {_cpu_list(unknown)} that no NUMA cell has; "
                f"the cells have CPUs {_cpu_list(set(owner))}."
            )
    return tuple(cells)


def _cpu_list(cpus: set[int] | frozenset[int]) -> str:
    """CPUs for a message: ``0-3, 6`` (runs joined, so a big set stays short)."""
    runs: list[str] = []
    for cpu in sorted(cpus):
        if runs and runs[-1].split("-")[-1] == str(cpu - 1):
            runs[-1] = f"{runs[-1].split('-')[0]}-{cpu}"
        else:
            runs.append(str(cpu))
    return ", ".join(runs[:20]) + (", ..." if len(runs) > 20 else "")


def _devices(
    raw: list[object] | tuple[object, ...], host_where: str, *, tags_allowed: bool = True
) -> tuple[DeviceSpec, ...]:
    devices: list[DeviceSpec] = []
    written: list[str] = []  # addresses as the file writes them, for messages
    seen: dict[str, int] = {}  # lower-cased address -> index: linear, not quadratic
    for index, item in enumerate(raw, start=1):
        where = f"{host_where}, device #{index}"
        entry = _mapping(item, where)
        address = _address(_required(entry, "address", where), f"{where}: 'address'")
        where = f"{host_where}, device '{address}'"
        _known_keys(entry, _DEVICE_KEYS, where)
        if not tags_allowed:
            for key in _TAG_KEYS:
                if key in entry:
                    raise TopologyError(
                        f"{where}: '{key}' cannot be given here when a device_spec applies "
                        "to the host; its tags come from the device_spec entry that matches it."
                    )
        _refuse_twice(
            seen,
            host_where,
            "device",
            address,
            index=index,
            earlier=written,
            rule=_ADDRESSES_IGNORE_CASE,
        )
        dev_type = _required(entry, "dev_type", where)
        if not isinstance(dev_type, str) or dev_type not in DEV_TYPES:
            got = _quoted(dev_type) if isinstance(dev_type, str) else _kind(dev_type)
            raise TopologyError(
                f"{where}: 'dev_type' {got} is unknown; valid: {', '.join(DEV_TYPES)}."
            )
        parent = entry.get("parent")
        optional = {
            key: _label(entry[key], f"{where}: '{key}'")
            for key in ("vendor_id", "product_id", "parent_ifname")
            if entry.get(key) is not None
        }
        physnet = entry.get("physnet")
        remote = _flag(entry.get("remote_managed", False), f"{where}: 'remote_managed'")
        trusted = _flag(entry.get("trusted"), f"{where}: 'trusted'")
        migratable = _flag(entry.get("live_migratable"), f"{where}: 'live_migratable'")
        written.append(address)
        devices.append(
            DeviceSpec(
                address=address.lower(),  # as Nova stores what libvirt reports
                dev_type=dev_type,
                parent=None if parent is None else _address(parent, f"{where}: 'parent'").lower(),
                physnet=None if physnet is None else _name(physnet, f"{where}: 'physnet'"),
                numa_node=_numa_node(entry, where),
                remote_managed=bool(remote),
                trusted=trusted,
                live_migratable=migratable,
                **optional,
            )
        )
    _check_parents(devices, written, host_where)
    return tuple(devices)


def _check_parents(devices: list[DeviceSpec], written: list[str], host_where: str) -> None:
    pfs = {device.address for device in devices if device.dev_type == "type-PF"}
    for device, address in zip(devices, written, strict=True):
        where = f"{host_where}, device '{address}'"
        if device.dev_type == "type-VF":
            if device.parent is None:
                raise TopologyError(f"{where}: a type-VF needs 'parent', the address of its PF.")
            if device.parent not in pfs:
                shown = [d.address for d in devices if d.dev_type == "type-PF"]
                raise TopologyError(
                    f"{where}: 'parent' '{device.parent}' is not a type-PF on this host; "
                    f"PFs here: {_listing(shown)}."
                )
        elif device.dev_type == "vdpa" and device.parent is not None:
            if device.parent not in pfs:  # a vDPA device is a VF of a PF
                shown = [d.address for d in devices if d.dev_type == "type-PF"]
                raise TopologyError(
                    f"{where}: 'parent' '{device.parent}' is not a type-PF on this host; "
                    f"PFs here: {_listing(shown)}."
                )
        elif device.parent is not None:
            raise TopologyError(
                f"{where}: only a type-VF or vdpa device has a 'parent', but this is a "
                f"{device.dev_type}."
            )


# -- [pci]: device_spec and alias ---------------------------------------------------


def _pci(
    raw: object, source: str, physnets: set[str | None]
) -> tuple[tuple[PciDeviceSpec, ...], tuple[PciAlias, ...]]:
    if raw is None:
        return (), ()
    where = f"{source}, pci"
    entry = _mapping(raw, where)
    _known_keys(entry, _PCI_KEYS, where)
    device_spec = (
        _device_spec(entry["device_spec"], where, physnets) if "device_spec" in entry else ()
    )
    return device_spec, _aliases(entry.get("alias"), where)


def _filters(raw: object, source: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    where = f"{source}: 'enabled_filters'"
    if not isinstance(raw, (list, tuple)):
        raise TopologyError(f"{where} must be a list of filter names, got {_kind(raw)}.")
    for name in raw:
        if name not in FILTERS:
            got = _quoted(name) if isinstance(name, str) else _kind(name)
            raise TopologyError(
                f"{where}: {got} is not a filter the model has; valid: {', '.join(FILTERS)}."
            )
    return tuple(dict.fromkeys(raw))


def _section(raw: object, source: str, what: str, limit: int) -> list[object] | tuple[object, ...]:
    """A top-level list (``hosts``, ``networks``, ``flavors``, ``images``):
    not empty, and at most ``limit`` entries."""
    if not isinstance(raw, (list, tuple)) or not raw:
        raise TopologyError(
            f"{source}: '{what}' must be a non-empty list of {what}, got {_kind(raw)}."
        )
    if len(raw) > limit:
        raise TopologyError(
            f"{source}: '{what}' lists {len(raw)} {what}; at most {limit} are allowed "
            "in one topology."
        )
    return raw


def _entries(raw: object, where: str, what: str) -> list[object] | tuple[object, ...]:
    if not isinstance(raw, (list, tuple)) or not raw:
        raise TopologyError(f"{where}: '{what}' must be a non-empty list, got {_kind(raw)}.")
    if len(raw) > _MAX_SPECS:
        raise TopologyError(
            f"{where}: '{what}' lists {len(raw)} entries; at most {_MAX_SPECS} are allowed."
        )
    return raw


def _device_spec(raw: object, where: str, physnets: set[str | None]) -> tuple[PciDeviceSpec, ...]:
    specs = []
    for index, item in enumerate(_entries(raw, where, "device_spec"), start=1):
        at = f"{where}, device_spec #{index}"
        entry = _mapping(item, at)
        _known_keys(entry, _DEVICE_SPEC_KEYS, at)
        ids = {key: _pci_id(entry[key], f"{at}: '{key}'", wildcard=True)
               for key in ("vendor_id", "product_id") if entry.get(key) is not None}  # fmt: skip
        address = entry.get("address")
        if address is not None:
            address = _address_glob(address, f"{at}: 'address'")
        physnet = entry.get("physical_network")
        if physnet is not None:
            physnet = _name(physnet, f"{at}: 'physical_network'")
            if physnet not in physnets:
                known = _listing(sorted(p for p in physnets if p))
                raise TopologyError(
                    f"{at}: 'physical_network' '{physnet}' belongs to no network; physnets "
                    f"of the networks: {known}."
                )
        specs.append(
            PciDeviceSpec(
                vendor_id=ids.get("vendor_id"),
                product_id=ids.get("product_id"),
                address=address,
                physical_network=physnet,
                remote_managed=_flag(entry.get("remote_managed"), f"{at}: 'remote_managed'"),
                trusted=_flag(entry.get("trusted"), f"{at}: 'trusted'"),
                live_migratable=_flag(entry.get("live_migratable"), f"{at}: 'live_migratable'"),
            )
        )
    return tuple(specs)


def _tracked(
    devices: tuple[DeviceSpec, ...], specs: tuple[PciDeviceSpec, ...], host_where: str
) -> tuple[DeviceSpec, ...]:
    """The reported devices some device_spec entry matches (the first that
    does gives the tags), as Nova's PciDevTracker keeps only those."""
    pfs = frozenset(device.address for device in devices if device.dev_type == "type-PF")
    tracked = []
    for device in devices:
        number, spec = next(
            ((n, spec) for n, spec in enumerate(specs, start=1) if spec.matches(device, pfs)),
            (0, None),
        )
        if spec is None:
            continue
        if spec.remote_managed and device.dev_type == "type-PF":
            raise TopologyError(
                f"{host_where}, device '{device.address}': device_spec #{number} tags this "
                "type-PF remote_managed; Nova allows that tag on VFs only."
            )
        tracked.append(
            DeviceSpec(
                address=device.address,
                dev_type=device.dev_type,
                parent=device.parent,
                vendor_id=device.vendor_id,
                product_id=device.product_id,
                physnet=spec.physical_network,
                numa_node=device.numa_node,
                parent_ifname=device.parent_ifname,
                remote_managed=bool(spec.remote_managed),
                trusted=spec.trusted,
                live_migratable=spec.live_migratable,
            )
        )
    return tuple(tracked)


def _aliases(raw: object, where: str) -> tuple[PciAlias, ...]:
    if raw is None:
        return ()
    aliases: list[PciAlias] = []
    first: dict[str, tuple[int, PciAlias]] = {}
    for index, item in enumerate(_entries(raw, where, "alias"), start=1):
        at = f"{where}, alias #{index}"
        entry = _mapping(item, at)
        name = _label(_required(entry, "name", at), f"{at}: 'name'")
        at = f"{where}, alias {_quoted(name)}"
        _known_keys(entry, _ALIAS_KEYS, at)
        ids = {key: _pci_id(_required(entry, key, at), f"{at}: '{key}'")
               for key in ("vendor_id", "product_id")}  # fmt: skip
        device_type = entry.get("device_type")
        if device_type is not None and device_type not in ALIAS_DEVICE_TYPES:
            got = _quoted(device_type) if isinstance(device_type, str) else _kind(device_type)
            raise TopologyError(
                f"{at}: 'device_type' {got} is not one of {', '.join(ALIAS_DEVICE_TYPES)} "
                "(Nova's aliases cannot ask for vdpa devices)."
            )
        policy = entry.get("numa_policy") or "legacy"
        if policy not in PCI_NUMA_POLICIES:
            got = _quoted(policy) if isinstance(policy, str) else _kind(policy)
            raise TopologyError(
                f"{at}: 'numa_policy' {got} is not one of {', '.join(PCI_NUMA_POLICIES)}."
            )
        alias = PciAlias(
            name=name,
            device_type=device_type,
            numa_policy=policy,
            live_migratable=_flag(entry.get("live_migratable"), f"{at}: 'live_migratable'"),
            **ids,
        )
        earlier = first.setdefault(name, (index, alias))
        if earlier[1] is not alias:
            for field_name in ("numa_policy", "device_type"):
                if getattr(earlier[1], field_name) != getattr(alias, field_name):
                    raise TopologyError(
                        f"{at}: entries #{earlier[0]} and #{index} of one alias must have the "
                        f"same '{field_name}', got {_shown_value(getattr(earlier[1], field_name))} "
                        f"and {_shown_value(getattr(alias, field_name))}; Nova ORs the entries "
                        "of one name only then."
                    )
        aliases.append(alias)
    return tuple(aliases)


def _shown_value(value: object) -> str:
    return "none" if value is None else f"'{value}'"


def _check_alias_specs(flavors: tuple[FlavorSpec, ...], source: str) -> None:
    """A flavor's ``pci_passthrough:alias`` has the form Nova's flavor API takes."""
    for flavor in flavors:
        value = dict(flavor.extra_specs).get(ALIAS_SPEC)
        if value is not None and not _ALIAS_SPEC_VALUE.fullmatch(value):
            raise TopologyError(
                f"{source}, flavor {_quoted(flavor.name)}, extra spec '{ALIAS_SPEC}': "
                f"{_kind(value)} is not a comma-separated list of alias:count, such as "
                "'a1:2,a2:1'."
            )


def _pci_id(value: object, where: str, *, wildcard: bool = False) -> str:
    if wildcard and value == "*":
        return None  # type: ignore[return-value] - matches any
    if not isinstance(value, str) or not _PCI_ID.fullmatch(value):
        also = " or '*'" if wildcard else ""
        raise TopologyError(
            f"{where} must be four hexadecimal digits{also}, such as '8086', got {_kind(value)}."
        )
    return value.lower()


_GLOB_FIELD = re.compile(r"\*|[0-9a-fA-F]+")
_GLOB_WIDTHS = (4, 2, 2, 1)  # domain, bus, slot, function


def _glob_fields(pattern: str) -> list[str] | None:
    """The four fields of an address glob ('*' where any will do), or None."""
    head, dot, function = pattern.partition(".")
    parts = head.split(":")
    if len(parts) > 3 or (dot and not function):
        return None
    fields = ["*"] * (3 - len(parts)) + parts + [function or "*"]
    for text, width in zip(fields, _GLOB_WIDTHS, strict=True):
        if not _GLOB_FIELD.fullmatch(text) or (text != "*" and len(text) > width):
            return None
    return fields


def _address_glob(value: object, where: str) -> str:
    if not isinstance(value, str) or _glob_fields(value) is None:
        raise TopologyError(
            f"{where} must be a PCI address or a glob of one, such as '0000:81:00.1', "
            f"'0000:81:00.*' or '*:82:*.*', got {_kind(value)}."
        )
    return value


def _address_matches(pattern: str, address: str) -> bool:
    wanted = _glob_fields(pattern)
    found = _glob_fields(address)
    assert wanted is not None  # checked when loaded
    assert found is not None
    return all(w == "*" or int(w, 16) == int(f, 16) for w, f in zip(wanted, found, strict=True))


def _flag(value: object, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise TopologyError(f"{where} must be true or false, got {_kind(value)}.")


# -- checks of one value, and how values are named in messages ---------------------


def _mapping(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise TopologyError(f"{where} must be a mapping of keys to values, got {_kind(value)}.")
    for key in value:
        if not isinstance(key, str):
            raise TopologyError(f"{where}: keys must be strings, got {_kind(key)} as a key.")
    return value


def _known_keys(entry: dict[str, object], valid: tuple[str, ...], where: str) -> None:
    for key in entry:
        if key not in valid:
            raise TopologyError(
                f"{where}: unknown key {_quoted(key)}; valid keys: {', '.join(valid)}."
            )


def _required(entry: dict[str, object], key: str, where: str) -> object:
    if entry.get(key) is None:
        raise TopologyError(f"{where}: '{key}' is required.")
    return entry[key]


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TopologyError(f"{where} must be a non-empty string, got {_kind(value)}.")
    if len(value) > _MAX_NAME:
        raise TopologyError(
            f"{where} is {len(value)} characters long; at most {_MAX_NAME} are allowed."
        )
    return value


def _name(value: object, where: str) -> str:
    """A host, network or physnet name: ASCII letters, digits, '.', '-' and '_'.

    These names go into Nova's and Neutron's records, Robot keyword arguments
    (``host1=1``) and comma-separated lists in messages, so nothing that could
    split or hide them is allowed. Being ASCII, no two can be equal under
    Unicode normalisation (NFC/NFKC) without being equal already.
    """
    text = _text(value, where)
    bad = _NAME_CHARACTER.search(text)
    if bad:
        raise TopologyError(
            f"{where} contains {_character(bad.group())} at character "
            f"{bad.start() + 1}; names use only ASCII letters, digits, "
            "'.', '-' and '_'."
        )
    if not text[0].isalnum():
        raise TopologyError(
            f"{where} starts with '{text[0]}'; a name starts with an ASCII letter or digit."
        )
    return text


def _label(value: object, where: str) -> str:
    """A name for people (topology, flavor) or a driver field: printable text, as Nova's
    flavor names are, without spaces at either end."""
    text = _text(value, where)
    if not text.isprintable():
        bad = next(index for index, character in enumerate(text) if not character.isprintable())
        raise TopologyError(
            f"{where} contains {_character(text[bad])} at character "
            f"{bad + 1}; use printable characters only."
        )
    if text != text.strip():
        raise TopologyError(f"{where} starts or ends with a space, got {_kind(text)}.")
    return text


def _address(value: object, where: str) -> str:
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value):
        raise TopologyError(
            f"{where} must look like 0000:81:00.1 (domain:bus:slot.function, "
            f"hexadecimal), got {_kind(value)}."
        )
    return value


def _numa_node(entry: dict, where: str) -> int | None:
    """A device's ``numa_node``: 0 when not given, None when written ``null``
    (libvirt reports no NUMA node for it)."""
    if "numa_node" in entry and entry["numa_node"] is None:
        return None
    value = entry.get("numa_node", 0)
    if value == -1 and not isinstance(value, bool):
        raise TopologyError(
            f"{where}: 'numa_node' -1 is how libvirt writes no NUMA affinity; write null."
        )
    return _count(value, f"{where}: 'numa_node'", maximum=_MAX_NUMA_NODE)


def _count(value: object, where: str, minimum: int = 0, maximum: int = _MAX_COUNT) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise TopologyError(
            f"{where} must be a whole number from {minimum} to {maximum}, got {_kind(value)}."
        )
    return value


def _kind(value: object) -> str:
    """The value in words for a message: never a Python repr or type name."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"  # as YAML writes them
    if isinstance(value, _LongNumber):
        return f"a number with {value.digits} digits"
    if isinstance(value, int):  # str() of a 5,000-digit int would raise: compare first
        return str(value) if abs(value) < 10**40 else "a number with more than 40 digits"
    if isinstance(value, float):
        if math.isnan(value):
            return "not-a-number (.nan)"
        if math.isinf(value):
            return "infinity (.inf)" if value > 0 else "minus infinity (-.inf)"
        return str(value)
    if isinstance(value, str):
        if not value:
            return "empty text"
        if not value.strip():
            return f"only whitespace ({len(value)} characters)"
        return f"the text {_quoted(value)}"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "binary data"
    if isinstance(value, datetime.datetime):
        return "a date and time"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (set, frozenset)):
        return "a set"
    return "a value that is not text, a number, a list or a mapping"


_CHARACTERS = {
    "\0": "a NUL character",
    "\n": "a newline",
    "\r": "a carriage return",
    "\t": "a tab",
    " ": "a space",
    ",": "a comma",
    "'": "a quote (')",
    '"': 'a double quote (")',
    "=": "an equals sign (=)",
}


def _character(character: str) -> str:
    """One character in words: 'a newline', 'the character U+0007'."""
    if character in _CHARACTERS:
        return _CHARACTERS[character]
    category = unicodedata.category(character)
    if category == "Cc":
        return f"the control character U+{ord(character):04X}"
    if not character.isprintable():
        return f"the invisible character U+{ord(character):04X}"
    if category.startswith("M"):  # a combining accent: shown alone it would sit on the quote
        return f"the combining character U+{ord(character):04X}"
    if not character.isascii():
        return f"the non-ASCII character '{character}' (U+{ord(character):04X})"
    return f"the character '{character}'"


_ESCAPES = {"\0": "\\0", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escaped(text: str) -> str:
    """``text`` with unprintable characters as YAML double-quoted escapes (\\n, \\u2028)."""
    if text.isprintable():
        return text
    return "".join(
        character
        if character.isprintable()
        else _ESCAPES.get(character)
        or (f"\\u{ord(character):04x}" if ord(character) < 0x10000 else f"\\U{ord(character):08x}")
        for character in text
    )


def _quoted(text: str, limit: int = 60) -> str:
    """``text`` in single quotes, escaped and cut to ``limit`` characters."""
    if len(text) <= limit:
        return f"'{_escaped(text)}'"
    return f"'{_escaped(text[:limit])}...' ({len(text)} characters)"


def _listing(names: list[str], limit: int = 10) -> str:
    """Names for a message, at most ``limit`` of them, or 'none'."""
    if not names:
        return "none"
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"
