"""Cluster topologies: the built-in default and the YAML topology file.

The default equals Nova's regression test for bug 1896463: hosts ``host1`` and
``host2`` with the six devices of ``FakeDriverWithPciResources`` each (three
PFs, each with one VF; bus 01 on physnet1, buses 02 and 03 on physnet2) and the
SR-IOV network ``network_2`` on physnet2.

A topology is plain, validated, immutable data; the cluster builds its
database from it. Loading checks everything before returning, so a bad file
never leaves a half-built cluster behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEV_TYPES = ("type-PCI", "type-PF", "type-VF", "vdpa")
VNIC_TYPES = ("direct", "macvtap", "direct-physical", "virtio-forwarder", "vdpa",
              "remote-managed", "normal")


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
            HostSpec(name=host, devices=fake_driver_devices(host))
            for host in ("host1", "host2")
        ),
        networks=(
            NetworkSpec("network_1", "physnet1"),
            NetworkSpec("network_2", "physnet2"),
        ),
        sriov_network="network_2",
    )
