"""Shelve, shelve offload and unshelve on a compute host: ``ShelveHandlers``.

After ``shelve_instance``, ``shelve_offload_instance`` and ``unshelve_instance``
of Nova's ``ComputeManager``. Each handler holds the instance's lock
(``@utils.synchronized(instance.uuid)``), so a shelve, an offload, an unshelve
and a delete of one server on one compute never overlap.

Shelving powers the guest off and snapshots it; the server is then
``shelved`` on its host and keeps what it holds there. Offloading (at once,
with Nova's default ``shelved_offload_time = 0``) unbinds the ports, destroys
the guest, deletes the placement allocation, lets the tracker free the usage
and the PCI devices, and clears the host. Unshelving an offloaded server
comes here once the conductor has scheduled it: a claim as at build time
(the port's PCI request stays with the instance, so it gets a device here),
the ports bound to that device, then spawn. Between the claim and the last
save the server is on this host, still ``shelved_offloaded``, in task
``spawning``: the window of bug 2025480.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..sim import point
from .exception import ComputeResourcesUnavailable, InjectedFault, InstanceNotFound
from .network import ports_in_neutron, unbind_ports
from .objects import (
    ACTIVE,
    SHELVED,
    SHELVED_OFFLOADED,
    SHELVING,
    SHELVING_IMAGE_UPLOADING,
    SHELVING_OFFLOADING,
    SPAWNING,
    Instance,
)

if TYPE_CHECKING:
    from ..sim import Lock
    from .context import Context
    from .db import Database
    from .objects import PciDevice
    from .resource_tracker import ResourceTracker


class ShelveHandlers:
    """The shelve handlers of ``ComputeManager``, which inherits them."""

    if TYPE_CHECKING:  # what the handlers use of the compute manager
        context: Context
        host: str
        rt: ResourceTracker
        guests: set[str]

        @property
        def db(self) -> Database: ...

        def instance_lock(self, instance: Instance) -> Lock: ...

        async def _bind_ports(self, instance: Instance, devices: list[PciDevice]) -> None: ...

    # -- shelve ---------------------------------------------------------------------

    async def shelve_instance(self, instance: Instance, *, offload: bool) -> None:
        """Powers off and snapshots the guest: ``shelved``; with ``offload``
        (``shelved_offload_time = 0``) it is offloaded right after."""
        async with self.instance_lock(instance):
            try:
                await self._shelve_instance(instance, offload=offload)
            except InstanceNotFound as exc:  # deleted meanwhile: the delete cleans up
                self.context.note(f"shelve stopped: {exc}")

    async def _shelve_instance(self, instance: Instance, *, offload: bool) -> None:
        db = self.db
        await point("ComputeDriver.power_off")
        try:
            await point("ComputeDriver.snapshot")
        except InjectedFault as exc:
            # reverts_task_state: the task is cleared and the fault recorded;
            # the guest stays powered off whatever vm_state says.
            self.context.note(f"shelve failed: {exc}")
            instance.task_state = None
            instance.fault = f"shelve failed on '{self.host}': {exc}"
            await db.instance_save(instance, "task_state", "fault")
            return
        # The fake driver's snapshot reports the upload through the task state.
        instance.task_state = SHELVING_IMAGE_UPLOADING
        await db.instance_save(instance, "task_state", expected_task_state=(SHELVING,))
        instance.vm_state = SHELVED
        instance.task_state = SHELVING_OFFLOADING if offload else None
        await db.instance_save(
            instance,
            "vm_state",
            "task_state",
            expected_task_state=(SHELVING, SHELVING_IMAGE_UPLOADING),
        )
        if offload:
            await self._shelve_offload_instance(instance)

    # -- shelve offload -------------------------------------------------------------

    async def shelve_offload_instance(self, instance: Instance) -> None:
        """Removes a ``shelved`` server from this host: ``shelved_offloaded``."""
        async with self.instance_lock(instance):
            try:
                await self._shelve_offload_instance(instance)
            except InstanceNotFound as exc:
                self.context.note(f"shelve offload stopped: {exc}")

    async def _shelve_offload_instance(self, instance: Instance) -> None:
        db = self.db
        await point("ComputeDriver.power_off")
        # get_instance_nw_info: the ports neutron has, a port attached since
        # the API read the instance included, are the ones unbound.
        instance.ports = ports_in_neutron(db, instance)
        await unbind_ports(db, instance)
        await point("ComputeDriver.destroy")
        self.guests.discard(instance.uuid)
        # Before the vm_state changes, so that whoever polls for the offload
        # finds the room already free in placement.
        await self.context.placement.delete_consumer(instance.uuid)
        instance.vm_state, instance.task_state = SHELVED_OFFLOADED, None
        await db.instance_save(
            instance,
            "vm_state",
            "task_state",
            expected_task_state=(SHELVING, SHELVING_OFFLOADING),
        )
        # The vm_state first: it is what lets the tracker free the usage and
        # devices; the host only after, or the tracker would not be asked.
        await self.rt.update_usage(instance)
        instance.host = instance.node = instance.compute_id = instance.launched_on = None
        await db.instance_save(
            instance, "host", "node", "compute_id", "launched_on", expected_task_state=(None,)
        )

    # -- unshelve -------------------------------------------------------------------

    async def unshelve_instance(self, instance: Instance) -> None:
        """Claims, binds and spawns the offloaded server the conductor sent
        here: ``active`` on this host, or back to ``shelved_offloaded`` with
        nothing held if the claim or the spawn fails."""
        async with self.instance_lock(instance):
            try:
                await self._unshelve_instance(instance)
            except InstanceNotFound as exc:
                # Deleted meanwhile: whatever was claimed here and allocated
                # by the scheduler is given back.
                self.context.note(f"unshelve stopped: {exc}")
                self.guests.discard(instance.uuid)
                await self.rt.abort_instance_claim(instance)
                await unbind_ports(self.db, instance)
                await self.context.placement.delete_consumer(instance.uuid)

    async def _unshelve_instance(self, instance: Instance) -> None:
        db = self.db
        instance.task_state = SPAWNING
        await db.instance_save(instance, "task_state")
        try:
            await self.rt.instance_claim(instance)
        except ComputeResourcesUnavailable as exc:
            await self._unshelve_failed(instance, f"claim refused on '{self.host}': {exc}")
            return
        # setup_instance_network_on_host: no migration, so each SR-IOV port
        # gets the device claimed for its request.
        await self._bind_ports(instance, self.rt.pci.allocations.get(instance.uuid, []))
        try:
            await point("ComputeDriver.spawn")
        except InjectedFault as exc:
            # Leaving the claim's context aborts it on the instance itself.
            await self.rt.abort_instance_claim(instance, unset_host=True)
            await self._unshelve_failed(instance, f"spawn failed on '{self.host}': {exc}")
            return
        self.guests.add(instance.uuid)
        instance.vm_state, instance.task_state = ACTIVE, None
        await db.instance_save(instance, "vm_state", "task_state", expected_task_state=(SPAWNING,))

    async def _unshelve_failed(self, instance: Instance, reason: str) -> None:
        """What the error handler of ``_unshelve_instance`` and
        ``reverts_task_state`` leave: still ``shelved_offloaded``, no task, no
        host, no allocation. The ports keep whatever binding they have: Nova
        does not roll a binding back here (a FIXME in its code)."""
        self.context.note(f"unshelve failed: {reason}")
        await self.context.placement.delete_consumer(instance.uuid)
        instance.host = instance.node = instance.compute_id = instance.launched_on = None
        instance.task_state, instance.fault = None, reason
        await self.db.instance_save(
            instance, "task_state", "host", "node", "compute_id", "launched_on", "fault"
        )
