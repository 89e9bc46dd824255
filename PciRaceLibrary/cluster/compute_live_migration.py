"""``LiveMigrationHandlers``: a live migration as the two computes run it.

A mixin of :class:`~PciRaceLibrary.cluster.compute_manager.ComputeManager`,
after the live migration methods of Nova's ``nova/compute/manager.py``. A
server without a NUMA topology gets, as in Nova, no move claim and no
migration context: the destination claims the ports' VFs on their own while
the conductor checks it, allocates them once the guest has arrived, and the
source frees its allocation; the usage of each host follows from its audits
(the source runs one at the end).

A server with a NUMA topology (the libvirt driver's NUMA-aware live
migration, since Train) gets a move claim on the destination during its
check: the topology fitted to the destination's cells with its PCI requests
and policies, its CPUs pinned there, the migration context holding the old
and new topologies; the VFs are then claimed on the fitted cells. A topology
that does not fit refuses the host (MigrationPreCheckError). The destination
applies the context when the guest arrives; a rollback has it drop the claim
(``drop_move_claim_at_destination``) and the source drops the context.

Steps, each on the compute that runs it:

- destination, ``check_can_live_migrate_destination`` (an RPC call from the
  conductor): the driver's check, a call back to the source's, the move claim
  of a NUMA server, the VFs claimed;
- source, ``live_migration`` (a cast): migration ``queued``, ``preparing``,
  the call to the destination's ``pre_live_migration``, ``running``, the
  hypervisor moves the guest;
- source, ``_post_live_migration``: the destination's port bindings
  activated, the source's VFs freed, the call to
  ``post_live_migration_at_destination``, an audit here, migration
  ``completed``, the migration's allocation on the source deleted;
- destination, ``post_live_migration_at_destination``: the claimed VFs
  allocated, the migration context applied and dropped, the instance saved
  on this host with no task, the source's port bindings deleted;
- source, ``_rollback_live_migration`` (pre-live-migration or the hypervisor
  failed): the allocation handed back to the instance, the cast to the
  destination's ``rollback_live_migration_at_destination`` (its bindings
  deleted, its claimed VFs freed), for a NUMA server the call to its
  ``drop_move_claim_at_destination``, no task and no migration context,
  migration ``failed``.

The hypervisor is libvirt with instances on local disks: a rollback always
asks the destination to clean up (``_live_migration_cleanup_flags``). A
failure of the hypervisor's migration job is reported to the recover method,
as libvirt does, so it rolls back; the guest still runs on the source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..sim import point
from .exception import (
    ComputeResourcesUnavailable,
    InjectedFault,
    InstanceNotFound,
    MessagingTimeout,
    MigrationPreCheckError,
)
from .network import (
    activate_port_bindings,
    binding_profile,
    delete_port_bindings,
    device_for_port,
)
from .objects import ERROR, MIGRATING, Instance, Migration

if TYPE_CHECKING:
    from .context import Context
    from .resource_tracker import ResourceTracker
    from .rpcapi import ComputeAPI, MigrateData

# What makes the source give the live migration up and roll it back: the
# destination failing (or not answering) pre_live_migration, or the
# hypervisor's migration job failing.
ROLLBACK_FAILURES = (InjectedFault, MessagingTimeout)
# The vnic types libvirt hands the guest as an assigned PCI host device.
_HOSTDEV_VNIC_TYPES = frozenset(("direct", "direct-physical", "remote-managed"))


class LiveMigrationHandlers:
    """The live migration handlers of one compute service."""

    context: Context
    host: str
    rt: ResourceTracker
    guests: set[str]
    compute_rpcapi: ComputeAPI  # set by the cluster: computes call each other

    async def update_available_resource(self, *, startup: bool = False) -> None:
        """The audit of this host: ComputeManager's."""
        raise NotImplementedError

    # -- destination: the conductor's check --------------------------------------

    async def check_can_live_migrate_destination(
        self, instance: Instance, migration: Migration
    ) -> MigrateData:
        """Checks this host, has the source check itself, then claims the
        ports' devices here; returns each SR-IOV port's profile on them.

        A server with a NUMA topology is first claimed here with a move
        claim (``_live_migration_claim``), and its devices claimed on the
        host cells that claim fitted.

        Raises MigrationPreCheckError when a check refuses or the NUMA
        topology does not fit, and PciDeviceRequestFailed when the devices
        do not fit: the conductor does not treat that one as a pre-check
        error.
        """
        await point("ComputeDriver.check_can_live_migrate_destination")
        source = instance.host
        assert source is not None  # launched, so placed
        try:
            await self.compute_rpcapi.check_can_live_migrate_source(source, instance)
        except MessagingTimeout as exc:
            raise MigrationPreCheckError(
                f"Error while check_can_live_migrate_source from '{source}' to '{self.host}': {exc}"
            ) from exc
        if instance.numa_topology is not None:
            # The drivers of both ends support NUMA live migration (libvirt):
            # src_supports_numa_live_migration is set, so the claim is made.
            await self._live_migration_claim(instance, migration)
        # _flavor_based_pci_claim and _claim_pci_for_instance_vifs: the same
        # requests as on the source (the flavor's first), in one claim here,
        # on the cells of the move claim's topology if there is one.
        requests = list(instance.pci_requests)
        if not requests:
            return {}
        context = instance.migration_context
        fitted = context.new_numa_topology if context is not None else None
        claimed = await self.rt.claim_pci_devices(instance, requests, fitted)
        return {
            request.requester_id: binding_profile(device_for_port(request, claimed))
            for request in requests
            if request.requester_id is not None
        }

    async def _live_migration_claim(self, instance: Instance, migration: Migration) -> None:
        """The move claim here; a topology that does not fit refuses the host."""
        try:
            await self.rt.live_migration_claim(instance, migration)
        except ComputeResourcesUnavailable as exc:
            raise MigrationPreCheckError(str(exc)) from exc

    async def check_can_live_migrate_source(self, instance: Instance) -> None:
        await point("ComputeDriver.check_can_live_migrate_source")

    # -- source: the migration itself ---------------------------------------------

    async def live_migration(
        self, instance: Instance, dest: str, migration: Migration, migrate_data: MigrateData
    ) -> None:
        """The conductor's cast: queue the migration and run it."""
        try:
            await self._set_migration_status(migration, "queued")
            await self._do_live_migration(instance, dest, migration)
        except InstanceNotFound as exc:
            # Deleted under the migration: Nova logs it and gives up here.
            self.context.note(f"live migration stopped: {exc}")

    async def _do_live_migration(self, instance: Instance, dest: str, migration: Migration) -> None:
        await self._set_migration_status(migration, "preparing")
        try:
            await self.compute_rpcapi.pre_live_migration(dest, instance, migration)
        except ROLLBACK_FAILURES as exc:
            self.context.note(f"pre_live_migration on '{dest}' failed: {exc}")
            await self._set_migration_status(migration, "error")  # until the rollback is done
            await self._rollback_live_migration(instance, dest, migration, pre_live_migration=True)
            return
        await self._set_migration_status(migration, "running")
        try:
            await point("ComputeDriver.live_migration")
            self._refuse_unlisted_hostdevs(instance)
        except InjectedFault as exc:
            self.context.note(f"live migration of '{instance.name}' to '{dest}' failed: {exc}")
            await self._rollback_live_migration(instance, dest, migration)
            return
        # The migration job is over: the guest runs on the destination and
        # libvirt undefined it here (VIR_MIGRATE_UNDEFINE_SOURCE) before the
        # driver calls back into _post_live_migration.
        self.guests.discard(instance.uuid)
        await self._post_live_migration(instance, dest, migration)

    def _refuse_unlisted_hostdevs(self, instance: Instance) -> None:
        """libvirt's driver detaches the direct ports of the migrate data's
        vifs (``_detach_direct_passthrough_vifs``), which the conductor made
        from the API's info cache; a VF bound here to a port that cache lacks
        (an interface attached meanwhile) stays in the guest, and libvirt
        refuses to migrate a guest with an assigned host device.

        Raises InjectedFault, the driver's failure, for such a port."""
        db = self.context.db
        for port in db.peek_ports_bound_to(self.host):
            if (
                port.device_id == instance.uuid
                and port.vnic_type in _HOSTDEV_VNIC_TYPES
                and port.binding_profile.get("pci_slot")
                and port.id not in instance.ports
            ):
                raise InjectedFault(
                    f"domain has an assigned host device ({port.binding_profile['pci_slot']} "
                    f"of port {port.label}) the migration did not detach"
                )

    async def _post_live_migration(
        self, instance: Instance, dest: str, migration: Migration
    ) -> None:
        """The guest runs on ``dest``: switch the network there, free this
        host's devices, let the destination finish, then clean up here."""
        db = self.context.db
        await activate_port_bindings(db, instance, dest)  # migrate_instance_start
        await point("ComputeDriver.post_live_migration_at_source")
        await self.rt.free_pci_device_allocations_for_instance(instance)
        try:
            await self.compute_rpcapi.post_live_migration_at_destination(dest, instance)
        except MessagingTimeout as exc:
            await self._post_failed_at_destination(instance, dest, migration, exc)
            return
        await self.update_available_resource()  # the source's usage now, not at the next tick
        await self._set_migration_status(migration, "completed")
        # The migration held the source allocation; the instance keeps the destination's.
        await self.context.placement.delete_consumer(migration.uuid)

    async def _post_failed_at_destination(
        self, instance: Instance, dest: str, migration: Migration, exc: Exception
    ) -> None:
        """``_post_live_migration_update_host``: past the point of no return
        the server is recorded where the guest runs; the migration errors and
        the server with it (``_do_live_migration``)."""
        self.context.note(f"post_live_migration_at_destination on '{dest}' failed: {exc}")
        node = self.context.db.compute_nodes[dest]
        instance.host, instance.node, instance.compute_id = dest, node.node, node.id
        instance.task_state, instance.vm_state = None, ERROR
        instance.fault = f"live migration to '{dest}' failed after the guest moved: {exc}"
        await self.context.db.instance_save(
            instance, "host", "node", "compute_id", "task_state", "vm_state", "fault"
        )
        await self._set_migration_status(migration, "error")

    # -- destination: the guest has arrived ----------------------------------------

    async def pre_live_migration(self, instance: Instance, migration: Migration) -> None:
        """Plugs the VIFs and connects the volumes here (the driver)."""
        await point("ComputeDriver.pre_live_migration")

    async def post_live_migration_at_destination(self, instance: Instance) -> None:
        """Allocates the claimed devices and records the server here; a NUMA
        server takes the topology its move claim fitted here."""
        db = self.context.db
        source = instance.host
        assert source is not None
        allocated = await self.rt.allocate_pci_devices_for_instance(instance)
        # migrate_instance_finish: neutron's ports of the server (device_id)
        # still bound elsewhere, which the conductor did not bind here since
        # the API's info cache lacked them (an interface attached meanwhile),
        # are moved here with their profile: a live migration keeps pci_slot.
        for port in db.ports_of_device(instance.uuid):
            if port.binding_host_id != self.host:
                moved = port.clone()
                moved.binding_host_id = self.host
                await db.port_update(moved)
        await point("ComputeDriver.post_live_migration_at_destination")
        self.guests.add(instance.uuid)
        if allocated:
            instance.pci_devices = [device.ref for device in allocated]
        instance.host, instance.node, instance.compute_id = self.host, self.rt.node, self.rt.node_id
        instance.task_state = None
        fields: tuple[str, ...] = ("host", "node", "compute_id", "task_state")
        if instance.migration_context is not None:
            # Applied whether or not the driver succeeded, then dropped, in
            # the one save: the guest runs here on the new topology.
            instance.apply_migration_context()
            instance.pci_devices = db.pci_devices_of(instance)  # this host's, allocated
            instance.migration_context = None
            fields += ("numa_topology", "pci_requests", "migration_context")
        await db.instance_save(instance, *fields, expected_task_state=(MIGRATING,))
        await delete_port_bindings(db, instance, source)  # setup_networks_on_host(teardown)

    # -- rollback -----------------------------------------------------------------

    async def _rollback_live_migration(
        self,
        instance: Instance,
        dest: str,
        migration: Migration,
        *,
        pre_live_migration: bool = False,
    ) -> None:
        """The guest stays here: the allocation goes back to the instance,
        the destination cleans up, the server is free again, the migration
        ``failed``."""
        # _revert_allocation: the source allocation, held by the migration,
        # replaces the instance's destination one.
        await self.context.placement.move_allocations(migration.uuid, instance.uuid)
        if not pre_live_migration:
            await point("ComputeDriver.rollback_live_migration_at_source")
        await self.compute_rpcapi.rollback_live_migration_at_destination(dest, instance)
        fields: tuple[str, ...] = ("task_state",)
        if instance.numa_topology is not None:
            # A NUMA-aware live migration claimed the destination: it drops
            # the claim, then the context goes with the task.
            await self.compute_rpcapi.drop_move_claim_at_destination(dest, instance)
            instance.migration_context = None
            fields += ("migration_context",)
        instance.task_state = None
        await self.context.db.instance_save(instance, *fields, expected_task_state=(MIGRATING,))
        await self._set_migration_status(migration, "failed")

    async def rollback_live_migration_at_destination(self, instance: Instance) -> None:
        """Deletes this host's port bindings and frees the devices still
        claimed here (an audit may have allocated them meanwhile: those stay
        until the next audit)."""
        await delete_port_bindings(self.context.db, instance, self.host)
        await self.rt.free_pci_device_claims_for_instance(instance)
        await point("ComputeDriver.rollback_live_migration_at_destination")

    async def drop_move_claim_at_destination(self, instance: Instance) -> None:
        """Drops the live migration's move claim here: the usage of the
        instance's flavor and of the context's new topology."""
        await self.rt.drop_move_claim(instance, flavor=instance.flavor)

    async def _set_migration_status(self, migration: Migration, status: str) -> None:
        migration.status = status
        await self.context.db.migration_save(migration)
