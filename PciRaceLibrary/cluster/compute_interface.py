"""Interface attach and detach on a compute host: ``InterfaceHandlers``.

After ``attach_interface``/``_attach_interface`` and
``detach_interface``/``_detach_interface`` of Nova's ``ComputeManager``
(``nova/compute/manager.py``). Each handler holds the lock Nova names
``interface-<instance>-<port>``, so an attach and a detach of one port of one
server never overlap; nothing else is held, and the server's task state is
never set: a move or an audit can run beside them.

Attaching an SR-IOV port makes the port's ``InstancePCIRequest`` here, as
``network_api.create_resource_requests`` does, with the flavor's or image's
PCI NUMA policy where the port sets none; the resource tracker claims a
device for it under the host lock (``claim_pci_devices``: the device is
``claimed``, not yet ``allocated``), the request joins the instance's, neutron
binds the port with that device's profile (and the network info cache lists
the port from then on), the driver plugs it, the tracker allocates the device
and the instance is saved. Until that save the request is only in the
handler's copy of the instance: a cold migration whose destination reads
the instance's requests meanwhile (``_move_claim``) claims nothing for the
port, as in current Nova; a live migration that read the info cache before
the port was bound is refused by libvirt for the VF it did not detach.
acceptance/interface_races.robot explores these windows.
A driver's attach after the host's guest is gone (a shelve offloaded it)
fails as libvirt's ``get_guest`` does, and the port and device are given back.

Detaching finds the port's request and the device allocated for it, unplugs
it, unbinds the port, frees the device (``unclaim_pci_devices``) and saves the
instance without the request.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from ..sim import Lock, point
from .exception import (
    InjectedFault,
    InstanceNotFound,
    InterfaceAttachFailed,
    InterfaceDetachFailed,
    PciDeviceRequestFailed,
    PortInUse,
    PortNotFound,
)
from .hardware import pci_numa_policy_constraint
from .network import binding_profile, pci_request_for_port
from .objects import DeviceRef, Instance

if TYPE_CHECKING:
    from .context import Context
    from .db import Database
    from .resource_tracker import ResourceTracker


class InterfaceHandlers:
    """The interface handlers of ``ComputeManager``, which inherits them."""

    if TYPE_CHECKING:  # what the handlers use of the compute manager
        context: Context
        host: str
        rt: ResourceTracker
        guests: set[str]
        _instance_locks: dict[str, Lock]

        @property
        def db(self) -> Database: ...

    def interface_lock(self, instance: Instance, port_id: str) -> Lock:
        """``@utils.synchronized('interface-<instance>-<port>')``."""
        name = f"interface-{instance.uuid}-{port_id}"
        lock = self._instance_locks.get(name)
        if lock is None:
            port = self.db.ports[port_id]
            label = f"interface[{instance.name} {port.label}]"
            lock = self._instance_locks[name] = Lock(label)
        return lock

    # -- attach -----------------------------------------------------------------

    async def attach_interface(self, instance: Instance, port_id: str) -> None:
        """Attaches the port: a call, so a failure goes back to the API
        (``wrap_instance_fault`` records it on the instance first).

        Raises InterfaceAttachFailed (the claim refused, the driver failed)
        or PortInUse (neutron's ``allocate_for_instance``)."""
        async with self.interface_lock(instance, port_id):
            try:
                await self._attach_interface(instance, port_id)
            except (InterfaceAttachFailed, PortInUse) as exc:
                self._record_fault(instance, f"attach_interface failed on '{self.host}': {exc}")
                raise

    async def _attach_interface(self, instance: Instance, port_id: str) -> None:
        db = self.db
        port = db.ports[port_id]
        policy = pci_numa_policy_constraint(instance.flavor, instance.image_meta)
        request_id = self.context.new_uuid("request", instance.name)
        request = pci_request_for_port(port, db.networks[port.network], request_id, policy)
        device = None
        if request is not None:
            # _claim_pci_device_for_interface_attach
            try:
                claimed = await self.rt.claim_pci_devices(
                    instance, [request], instance.numa_topology
                )
            except PciDeviceRequestFailed as exc:
                raise InterfaceAttachFailed(
                    f"Failed to claim PCI device for {instance.name} during interface attach: {exc}"
                ) from exc
            device = claimed[0].ref
            instance.pci_devices.append(device)
            instance.pci_requests.append(request)
        # allocate_for_instance: neutron is asked only now, after the claim,
        # and Nova does not give the claimed device back when it refuses: it
        # stays claimed by the instance until the next audit allocates it.
        port = db.ports[port_id].clone()
        if port.device_id:
            owner = db.instances.get(port.device_id)
            raise PortInUse(
                f"Port {port.label} is still in use"
                + (f" by '{owner.name}'." if owner is not None else ".")
            )
        port.device_id, port.binding_host_id = instance.uuid, self.host
        port.binding_profile = binding_profile(
            self.rt.pci.device(device.address) if device else None
        )
        await db.port_update(port)
        # The network info cache, refreshed from neutron's answer: the port is
        # the server's from here, its request only from the save at the end.
        instance.ports.append(port_id)
        db.write_instance(instance, "ports")
        try:
            await point("ComputeDriver.attach_interface")
            if instance.uuid not in self.guests:
                # libvirt's get_guest: no domain here any more (a shelve
                # offloaded it meanwhile); a NovaException, handled as any.
                raise InstanceNotFound(
                    f"Instance {instance.name} could not be found on '{self.host}'."
                )
        except (InjectedFault, InstanceNotFound) as exc:
            # _deallocate_port_for_instance: the port unbound, the device
            # freed, its request dropped; then InterfaceAttachFailed.
            await self._deallocate_port(instance, port_id, device)
            raise InterfaceAttachFailed(
                f"Failed to attach network adapter device to {instance.name}: {exc}"
            ) from exc
        if device is not None:
            # Claimed, now allocated: a detach arriving next finds it (Nova's
            # comment: else only the next audit would allocate it).
            await self.rt.allocate_pci_devices_for_instance(instance)
        await db.instance_save(instance, "pci_requests")

    # -- detach -----------------------------------------------------------------

    async def detach_interface(self, instance: Instance, port_id: str) -> None:
        """Detaches the port; a cast, so a failure is only logged and
        recorded on the instance."""
        async with self.interface_lock(instance, port_id):
            try:
                await self._detach_interface(instance, port_id)
            except (PortNotFound, InterfaceDetachFailed) as exc:
                self.context.note(f"detach_interface failed: {exc}")
                self._record_fault(instance, f"detach_interface failed on '{self.host}': {exc}")
            except InstanceNotFound as exc:
                self.context.note(f"detach_interface stopped: {exc}")

    async def _detach_interface(self, instance: Instance, port_id: str) -> None:
        db = self.db
        port = db.ports[port_id]
        # refresh_info_cache_for_instance: the ports as the database has them
        row = db.instances[instance.uuid]
        instance.ports, instance.pci_requests = list(row.ports), list(row.pci_requests)
        if port_id not in instance.ports:
            raise PortNotFound(f"Port {port.label} is not attached")
        request = next((r for r in instance.pci_requests if r.requester_id == port_id), None)
        device = None
        if request is not None:
            # instance.pci_devices, lazy-loaded: the allocated devices only
            found = [d for d in db.pci_devices_of(instance) if d.request_id == request.request_id]
            if not found:
                raise InterfaceDetachFailed(
                    f"Failed to detach network adapter device from {instance.name}: "
                    f"no PCI device found for the request of port {port.label}"
                )
            device = found[0]
        try:
            await point("ComputeDriver.detach_interface")
        except InjectedFault as exc:
            raise InterfaceDetachFailed(
                f"Failed to detach network adapter device from {instance.name}: {exc}"
            ) from exc
        await self._deallocate_port(instance, port_id, device)
        await db.instance_save(instance, "pci_requests")

    async def _deallocate_port(
        self, instance: Instance, port_id: str, device: DeviceRef | None
    ) -> None:
        """``_deallocate_port_for_instance``: neutron unbinds the port and
        clears its ``device_id``; the device is freed here and leaves the
        instance with its request (``remove_pci_device_and_request``)."""
        port = self.db.ports[port_id].clone()
        port.device_id = port.binding_host_id = None
        port.binding_profile = {}
        await self.db.port_update(port)
        if port_id in instance.ports:  # and the info cache without it
            instance.ports.remove(port_id)
            self.db.write_instance(instance, "ports")
        if device is not None:
            await self.rt.unclaim_pci_devices(instance, device)
            instance.pci_devices = [d for d in instance.pci_devices if d != device]
            instance.pci_requests = [
                r for r in instance.pci_requests if r.request_id != device.request_id
            ]

    def _record_fault(self, instance: Instance, fault: str) -> None:
        """``wrap_instance_fault``: an instance fault row, written at once."""
        instance.fault = fault
        with contextlib.suppress(InstanceNotFound):  # deleted meanwhile
            self.db.write_instance(instance, "fault")
