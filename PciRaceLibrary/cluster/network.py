"""Neutron, as far as PCI goes: SR-IOV ports, their PCI requests and bindings.

A port whose vnic type is an SR-IOV type becomes one ``InstancePCIRequest``
(nova-model 1.4): count 1, the network's physnet in the spec, the port as
requester. The request's id stays with the port through every move, which is
how a move pairs the old device with the new one.
"""

from __future__ import annotations

from .db import Database
from .objects import PF, VDPA, DeviceRef, Instance, InstancePCIRequest, Network, PciDevice, Port

SRIOV_VNIC_TYPES = frozenset(
    {"direct", "macvtap", "direct-physical", "virtio-forwarder", "vdpa", "remote-managed"}
)


def pci_request_for_port(
    port: Port, network: Network, request_id: str, flavor_policy: str | None = None
) -> InstancePCIRequest | None:
    """The PCI request a port needs, or None for a port that needs no device;
    its NUMA policy is the port's own, else the flavor's (``flavor_policy``)."""
    if port.vnic_type not in SRIOV_VNIC_TYPES:
        return None
    # A tunnelled network's ports ask for physical_network None: only devices
    # without the tag match (Nova's create_resource_requests; pci/utils.py).
    spec: dict[str, str | None] = {
        "physical_network": network.physnet,
        "remote_managed": "True" if port.vnic_type == "remote-managed" else "False",
    }
    if port.vnic_type == "direct-physical":
        spec["dev_type"] = PF
    elif port.vnic_type == "vdpa":
        spec["dev_type"] = VDPA
    if port.trusted is not None:  # only devices tagged so, either way
        spec["trusted"] = str(port.trusted)
    return InstancePCIRequest(
        count=1, spec=[spec], request_id=request_id, requester_id=port.id,
        numa_policy=port.numa_affinity_policy or flavor_policy,
    )  # fmt: skip


def binding_profile(device: PciDevice | None) -> dict[str, str | None]:
    """The binding profile Nova writes for a port bound to ``device``."""
    if device is None:
        return {}
    return {
        "pci_slot": device.address,
        "pci_vendor_info": f"{device.vendor_id}:{device.product_id}",
        "physical_network": device.physnet,  # None for an untagged device, as Nova writes
    }


def device_for_port(
    request: InstancePCIRequest | None, devices: list[PciDevice]
) -> PciDevice | None:
    """The device serving ``request`` among ``devices`` (paired by request id)."""
    if request is None:
        return None
    for device in devices:
        if device.request_id == request.request_id:
            return device
    return None


def new_device_ref(old_slot: str, old: list[DeviceRef], new: list[DeviceRef]) -> DeviceRef | None:
    """Maps a port's current ``pci_slot`` to its new device, paired by request id."""
    for before in old:
        if before.address == old_slot:
            for after in new:
                if after.request_id == before.request_id:
                    return after
    return None


def ports_in_neutron(db: Database, instance: Instance) -> list[str]:
    """The server's ports as neutron lists them (``device_id``): its info
    cache's, then any the cache lacks, such as a port attached after the
    instance was read (Nova's ``get_instance_nw_info`` and
    ``_update_port_binding_for_instance`` go to neutron, not the cache)."""
    extra = [p.id for p in db.ports_of_device(instance.uuid) if p.id not in instance.ports]
    return [*instance.ports, *extra]


async def unbind_ports(db: Database, instance: Instance) -> None:
    """Clears the binding of every port of ``instance`` (host and profile)."""
    for port_id in instance.ports:
        port = db.ports[port_id].clone()
        port.binding_host_id, port.binding_profile = None, {}
        await db.port_update(port)


# -- multiple port bindings (live migration) -----------------------------------------
#
# A live migration never rewrites the active binding in place: the conductor
# binds every port on the destination *inactive*, with the profile of the
# device the destination claimed; the source activates that binding when the
# guest has moved (the source's becomes inactive), and the destination then
# deletes the source's. A rollback deletes the destination's instead.


async def bind_ports_to_host(
    db: Database, instance: Instance, host: str, profiles: dict[str, dict[str, str]]
) -> None:
    """Adds an inactive binding on ``host`` to every port of ``instance``,
    with the profile ``profiles`` gives the port (its new device), else the
    port's own."""
    for port_id in instance.ports:
        port = db.ports[port_id].clone()
        port.inactive_bindings[host] = dict(profiles.get(port_id, port.binding_profile))
        await db.port_update(port, at="NeutronAPI.bind_ports_to_host")


async def activate_port_bindings(db: Database, instance: Instance, host: str) -> None:
    """Makes each port's inactive binding on ``host`` the active one and the
    active one inactive; a port with no binding there is left alone."""
    for port_id in instance.ports:
        port = db.ports[port_id].clone()
        profile = port.inactive_bindings.pop(host, None)
        if profile is None:
            continue
        if port.binding_host_id is not None:
            port.inactive_bindings[port.binding_host_id] = port.binding_profile
        port.binding_host_id, port.binding_profile = host, profile
        await db.port_update(port, at="NeutronAPI.migrate_instance_start")


async def delete_port_bindings(db: Database, instance: Instance, host: str) -> None:
    """Deletes each port's inactive binding on ``host`` (neutron answers 404,
    which Nova ignores, where there is none)."""
    for port_id in instance.ports:
        port = db.ports[port_id].clone()
        port.inactive_bindings.pop(host, None)
        await db.port_update(port, at="NeutronAPI.setup_networks_on_host")
