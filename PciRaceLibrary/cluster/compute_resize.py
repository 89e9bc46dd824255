"""Cold migration and resize on the compute services, as ``nova/compute/manager.py``.

A move goes destination, source, destination: ``prep_resize`` claims on the
destination and casts ``resize_instance`` to the source, which powers the
guest off, points the instance at the destination and casts
``finish_resize`` back; the server then waits in ``VERIFY_RESIZE``.
``confirm_resize`` runs on the source and drops the old side;
``revert_resize`` runs on the destination, drops the new side and casts
``finish_revert_resize`` to the source, which takes the server back.

Since bug 1879878 the migration status and the dropped claim change in one
hold of the host lock (``drop_move_claim_at_source`` / ``_at_dest``); the
pre-fix variant sets the status first and drops the claim in a later,
separately locked call, which lets an audit in between count the move out
and the drop count it out again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ..sim import Lock, point
from .exception import (
    ComputeResourcesUnavailable,
    CPUUnpinningInvalid,
    InjectedFault,
    InstanceNotFound,
    UnexpectedTaskStateError,
)
from .network import binding_profile, ports_in_neutron
from .objects import (
    ACTIVE,
    ERROR,
    POWERING_OFF,
    RESIZE_FINISH,
    RESIZE_MIGRATED,
    RESIZE_MIGRATING,
    RESIZE_PREP,
    RESIZE_REVERTING,
    RESIZED,
    STOPPED,
    DeviceRef,
    Flavor,
    Instance,
    Migration,
)

if TYPE_CHECKING:
    from .conductor import ComputeTaskManager
    from .context import Context
    from .db import Database
    from .resource_tracker import ResourceTracker
    from .rpcapi import ComputeAPI


class ResizeHandlers:
    """The RPC handlers of a cold migration or resize (mixed into ComputeManager)."""

    # What ComputeManager provides.
    context: Context
    host: str
    rt: ResourceTracker
    db: Database
    guests: set[str]
    compute_rpcapi: ComputeAPI
    compute_task_api: ComputeTaskManager
    instance_lock: Callable[[Instance], Lock]
    stop_instance: Callable[[Instance], Awaitable[None]]

    # -- destination: claim -----------------------------------------------------------

    async def prep_resize(
        self,
        instance: Instance,
        flavor: Flavor,
        migration: Migration,
        alternates: tuple[str, ...] | None,
    ) -> None:
        """Claims the move here, then casts ``resize_instance`` to the source.

        A refused claim gives the source allocation back to the instance and
        returns the request to the conductor to try an alternate host; a
        request for a named host is not retried and the server goes to ERROR.
        """
        db = self.db
        instance.new_flavor = flavor
        instance.old_vm_state = instance.vm_state  # system_metadata['old_vm_state']
        await db.instance_save(instance, "new_flavor", "old_vm_state")
        # _move_claim reads instance.pci_requests, which neither the API nor
        # the conductor loaded: lazy-loaded here, so a port attached since
        # the API accepted the move is claimed here too.
        instance.pci_requests = list(db.instances[instance.uuid].pci_requests)
        try:
            await self.rt.resize_claim(instance, flavor, migration)
        except ComputeResourcesUnavailable as exc:
            self.context.note(f"resize claim refused: {exc}")
            await self.context.placement.move_allocations(migration.uuid, instance.uuid)
            if alternates is None:
                await self._fail_move(instance, migration, f"claim refused on '{self.host}': {exc}")
                return
            instance.task_state = RESIZE_PREP
            await db.instance_save(instance, "task_state")
            await self.compute_task_api.reschedule_migration(
                instance, flavor, migration, alternates, exc
            )
            return
        assert migration.source_compute is not None
        await self.compute_rpcapi.resize_instance(
            migration.source_compute, instance, flavor, migration
        )

    # -- source: power off and hand over ------------------------------------------

    async def resize_instance(
        self, instance: Instance, flavor: Flavor, migration: Migration
    ) -> None:
        """Powers the guest off, points the instance at the destination and
        casts ``finish_resize`` there.

        If that fails (the driver's power-off, or a save finding that a
        delete or another task changed the task state meanwhile), the
        migration is ``error``, the server ERROR, and the source allocation
        the migration holds goes back to the instance (Nova's
        ``_revert_allocation``); the destination's claim stays.
        """
        try:
            await self._hand_over(instance, migration)
        except InjectedFault as exc:
            await self._fail_move(instance, migration, f"resize failed on '{self.host}': {exc}")
        except (UnexpectedTaskStateError, InstanceNotFound) as exc:
            await self._preempted_move(instance, migration, f"resize preempted: {exc}")
        else:
            assert migration.dest_compute is not None
            await self.compute_rpcapi.finish_resize(migration.dest_compute, instance, migration)
            return
        await self.context.placement.move_allocations(migration.uuid, instance.uuid)

    async def _hand_over(self, instance: Instance, migration: Migration) -> None:
        db = self.db
        migration.status = "migrating"
        await db.migration_save(migration)
        instance.task_state = RESIZE_MIGRATING
        await db.instance_save(instance, "task_state", expected_task_state=(RESIZE_PREP,))
        await point("ComputeDriver.migrate_disk_and_power_off")
        await point("NeutronAPI.migrate_instance_start")
        migration.status = "post-migrating"
        await db.migration_save(migration)
        assert migration.dest_compute is not None
        instance.host, instance.node = migration.dest_compute, migration.dest_node
        instance.compute_id = migration.dest_compute_id
        instance.old_flavor = instance.flavor
        instance.task_state = RESIZE_MIGRATED
        await db.instance_save(
            instance,
            "host",
            "node",
            "compute_id",
            "old_flavor",
            "task_state",
            expected_task_state=(RESIZE_MIGRATING,),
        )

    # -- destination: finish -------------------------------------------------------

    async def finish_resize(self, instance: Instance, migration: Migration) -> None:
        """Takes the new flavor and devices, binds the ports here, starts the
        guest: the server is ``VERIFY_RESIZE`` and the migration ``finished``."""
        db = self.db
        old_flavor = instance.old_flavor = instance.flavor
        if migration.old_flavor != migration.new_flavor and instance.new_flavor is not None:
            instance.flavor = instance.new_flavor
        instance.apply_migration_context()
        await self._bind_ports_to(instance, self.host, new=True)
        instance.task_state = RESIZE_FINISH
        await db.instance_save(
            instance,
            "flavor",
            "old_flavor",
            "pci_requests",
            "numa_topology",
            "task_state",
            expected_task_state=(RESIZE_MIGRATED,),
        )
        try:
            await point("ComputeDriver.finish_migration")
        except InjectedFault as exc:
            instance.flavor = old_flavor
            await self._fail_move(
                instance, migration, f"finishing the resize on '{self.host}' failed: {exc}"
            )
            # The instance is here now; what the migration holds on the source goes.
            await self.context.placement.delete_consumer(migration.uuid)
            return
        self.guests.add(instance.uuid)
        migration.status = "finished"
        await db.migration_save(migration)
        instance.vm_state, instance.task_state = RESIZED, None
        await db.instance_save(
            instance, "vm_state", "task_state", expected_task_state=(RESIZE_FINISH,)
        )

    # -- source: confirm -------------------------------------------------------------

    async def confirm_resize(self, instance: Instance, migration: Migration) -> None:
        """Destroys the source guest and drops the old side of the claim; the
        migration's allocation on the source is deleted whatever happens."""
        async with self.instance_lock(instance):
            if migration.status not in ("finished", "confirming"):
                self.context.note(f"confirmation of migration {migration.id} skipped")
                return
            try:
                instance = await self.db.instance_get(instance.uuid)
            except InstanceNotFound:
                return
            try:
                await self._confirm_resize(instance, migration)
            finally:
                await self.context.placement.delete_consumer(migration.uuid)
                await self._delete_stashed_flavor_info(instance)

    async def _confirm_resize(self, instance: Instance, migration: Migration) -> None:
        db = self.db
        try:
            await point("ComputeDriver.confirm_migration")
        except InjectedFault as exc:
            instance.vm_state, instance.task_state = ERROR, None
            instance.fault = f"confirming the resize on '{self.host}' failed: {exc}"
            await db.instance_save(instance, "vm_state", "task_state", "fault")
            return
        self.guests.discard(instance.uuid)
        if self.context.behaviour.move_claim_drop_locked:
            await self.rt.drop_move_claim_at_source(instance, migration)
        else:
            # Before the fix of 1879878: the status first, the claim later.
            migration.status = "confirmed"
            await db.migration_save(migration)
            await self.rt.drop_move_claim(instance, flavor=instance.old_flavor, prefix="old")
            await db.instance_drop_migration_context(instance)
        instance.vm_state = STOPPED if instance.old_vm_state == STOPPED else ACTIVE
        instance.task_state = None
        await db.instance_save(instance, "vm_state", "task_state")

    # -- destination, then source: revert ---------------------------------------------

    async def revert_resize(self, instance: Instance, migration: Migration) -> None:
        """Destroys the guest here, drops the new side of the claim and casts
        ``finish_revert_resize`` to the source."""
        db = self.db
        await point("ComputeDriver.destroy")
        self.guests.discard(instance.uuid)
        if self.context.behaviour.move_claim_drop_locked:
            try:
                await self.rt.drop_move_claim_at_dest(instance, migration)
            except CPUUnpinningInvalid as exc:
                # _error_out_instance_on_exception and errors_out_migration
                await self._fail_move(
                    instance, migration, f"reverting on '{self.host}' failed: "
                    f"CPUUnpinningInvalid: {exc}"
                )  # fmt: skip
                return
        else:
            # Before the fix of 1879878: status and old devices saved first,
            # the claim dropped later with whatever flavor the tracker still has.
            migration.status = "reverted"
            await db.migration_save(migration)
            instance.revert_migration_context()
            await db.instance_save(instance, "pci_requests", "numa_topology")
            await self.rt.drop_move_claim(instance)
        await self.compute_rpcapi.finish_revert_resize(
            migration.source_compute, instance, migration
        )

    async def finish_revert_resize(self, instance: Instance, migration: Migration) -> None:
        """Takes the server back: old flavor and host, the allocation back from
        the migration, ports bound here again, the guest started."""
        db = self.db
        if instance.old_flavor is not None:
            instance.flavor = instance.old_flavor
        instance.host, instance.node = migration.source_compute, migration.source_node
        instance.compute_id = db.compute_nodes[self.host].id
        await self.context.placement.move_allocations(migration.uuid, instance.uuid)
        await self._bind_ports_to(instance, self.host, new=False)
        await point("ComputeDriver.finish_revert_migration")
        self.guests.add(instance.uuid)
        await db.instance_drop_migration_context(instance)
        await db.instance_save(
            instance,
            "flavor",
            "host",
            "node",
            "compute_id",
            expected_task_state=(RESIZE_REVERTING,),
        )
        if instance.old_vm_state == STOPPED:
            instance.task_state = POWERING_OFF
            await db.instance_save(instance, "task_state")
            await self._delete_stashed_flavor_info(instance)
            await self.stop_instance(instance)
            return
        instance.vm_state, instance.task_state = ACTIVE, None
        await db.instance_save(instance, "vm_state", "task_state")
        await self._delete_stashed_flavor_info(instance)

    # -- helpers ------------------------------------------------------------------

    async def _bind_ports_to(self, instance: Instance, host: str, *, new: bool) -> None:
        """``migrate_instance_finish``: every port bound to ``host``, an SR-IOV
        one to the device of its request on the ``new`` (or old) side."""
        context = instance.migration_context
        refs: list[DeviceRef] = []
        if context is not None:
            refs = context.new_pci_devices if new else context.old_pci_devices
        requests = {r.requester_id: r.request_id for r in instance.pci_requests}
        for port_id in ports_in_neutron(self.db, instance):
            port = self.db.ports[port_id].clone()
            port.binding_host_id = host
            ref = next((r for r in refs if r.request_id == requests.get(port_id)), None)
            if ref is not None:
                port.binding_profile = binding_profile(self.rt.pci.device(ref.address))
            await self.db.port_update(port)

    async def _fail_move(self, instance: Instance, migration: Migration, reason: str) -> None:
        """``_error_out_instance_on_exception`` and ``errors_out_migration``."""
        self.context.note(reason)
        migration.status = "error"
        await self.db.migration_save(migration)
        instance.vm_state, instance.task_state, instance.fault = ERROR, None, reason
        await self.db.instance_save(instance, "vm_state", "task_state", "fault", "flavor")

    async def _preempted_move(self, instance: Instance, migration: Migration, reason: str) -> None:
        """``errors_out_migration`` and ``_error_out_instance_on_exception``
        after a save found another task's state: Nova's ``reverts_task_state``
        leaves a preempted task's state alone (a delete's ``deleting``), and
        an instance deleted meanwhile is not set ERROR. (Nova's ERROR save
        also writes what the failed save held, ``resize_migrating`` say; the
        model saves only the state and the fault, the delete ending the row.)"""
        self.context.note(reason)
        migration.status = "error"
        await self.db.migration_save(migration)
        instance.vm_state, instance.fault = ERROR, reason
        # Destroyed from under us, Nova's _set_instance_obj_error_state says.
        with contextlib.suppress(InstanceNotFound):
            await self.db.instance_save(instance, "vm_state", "fault")

    async def _delete_stashed_flavor_info(self, instance: Instance) -> None:
        instance.old_flavor = instance.new_flavor = None
        instance.old_vm_state = None
        await self.db.instance_save(instance, "old_flavor", "new_flavor", "old_vm_state")
