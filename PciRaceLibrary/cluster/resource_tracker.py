"""``ResourceTracker``: one compute host's usage, claims and the periodic audit.

Everything that reads or changes tracked usage runs under the host's fair
lock, Nova's ``COMPUTE_RESOURCE_SEMAPHORE`` -- except, in the bug 1896463
variant, the finish of an evacuation. The audit reads the instance list and
then the migration list inside one lock hold; a change to ``instance.host`` or
to the migration status made between the two reads, without the lock, makes
``clean_usage`` free a device that is in use.
"""

from __future__ import annotations

from ..sim import Lock, point
from .claims import Claim, MoveClaim
from .context import Context
from .exception import ComputeResourcesUnavailable, MissingMigrationContext, PciDeviceRequestFailed
from .hardware import (
    Limits,
    numa_fit_failure,
    numa_fit_instance_to_host,
    numa_get_constraints,
    numa_usage_from_instance_numa,
)
from .numa import InstanceNUMATopology
from .objects import (
    ACTIVE,
    MIGRATING,
    PAUSED,
    REBUILD_STATES,
    REBUILDING,
    RESIZE_REVERTING,
    RESIZED,
    RESIZING_STATES,
    STOPPED,
    ComputeNode,
    DeviceRef,
    Flavor,
    Instance,
    InstancePCIRequest,
    Migration,
    MigrationContext,
    PciDevice,
    allow_resource_removal,
)
from .pci_request import get_pci_requests_from_flavor, port_requests
from .pci_tracker import PciDevTracker, PciLayout

EVACUATION = "evacuation"
LIVE_MIGRATION = "live-migration"


def _moving(instance: Instance, rebuild_states: tuple[str, ...] = REBUILD_STATES) -> bool:
    """Whether the audit counts an instance's migration: resizing, rebuilding
    (every rebuild state since bug 1791075; before, ``rebuild_states`` was
    ``rebuilding`` alone) or live migrating, as Nova's
    ``_instance_in_resize_state`` and ``_is_trackable_migration`` decide."""
    vm, task = instance.vm_state, instance.task_state
    if vm == RESIZED:
        return True
    if vm in (ACTIVE, STOPPED) and task in (*RESIZING_STATES, *rebuild_states):
        return True
    return task == MIGRATING and vm in (ACTIVE, PAUSED)


def _context_numa_topology(instance: Instance, prefix: str) -> InstanceNUMATopology | None:
    """Nova's ``_get_migration_context_resource('numa_topology', prefix)``:
    the context's ``prefix`` side; none without a context."""
    context = instance.migration_context
    if context is None:
        return None
    return context.new_numa_topology if prefix == "new" else context.old_numa_topology


def _migration_flavor(instance: Instance, prefix: str, migration: Migration) -> Flavor:
    """Nova's ``_get_flavor``: only a resize stashes an old and a new flavor;
    every other move keeps the instance's."""
    if migration.migration_type == "resize":
        stashed = instance.new_flavor if prefix == "new" else instance.old_flavor
        if stashed is not None:
            return stashed
    return instance.flavor


class _Locked:
    """Passes ``name``, then holds the host lock for the ``async with`` body."""

    def __init__(self, lock: Lock, name: str) -> None:
        self.lock, self.name = lock, name

    async def __aenter__(self) -> None:
        await point(self.name)
        await self.lock.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        self.lock.release()


class ResourceTracker:
    """Tracks the one compute node of ``host`` (node name equals host name)."""

    def __init__(self, context: Context, host: str) -> None:
        self.context = context
        self.host = host
        self.node = host
        self.lock = Lock(f"lock[{host}]")
        self.compute_node: ComputeNode | None = None
        self.pci_tracker: PciDevTracker | None = None
        self.tracked_instances: set[str] = set()
        self.tracked_migrations: dict[str, Migration] = {}

    def locked(self, name: str) -> _Locked:
        return _Locked(self.lock, name)

    # -- start-up -------------------------------------------------------------

    def load_from_db(self, layout: PciLayout | None = None) -> None:
        """Builds the compute node copy and the PCI tracker from the database,
        as the first audit after a service start does. ``layout``: that of
        the node's rows, which the cluster has just built (host_plan.py)."""
        db = self.context.db
        self.compute_node = db.compute_nodes[self.host].clone()
        self.pci_tracker = PciDevTracker(
            self.host,
            self.compute_node.id,
            db.stored_pci_devices(self.compute_node.id),  # the tracker copies them
            db.changed,
            db.label,
            numa_topology=self.compute_node.numa_topology,
            layout=layout,
        )

    @property
    def pci(self) -> PciDevTracker:
        assert self.pci_tracker is not None, f"{self.host}: PCI tracker not loaded"
        return self.pci_tracker

    @property
    def node_id(self) -> int:
        assert self.compute_node is not None
        return self.compute_node.id

    # -- claims -----------------------------------------------------------------

    async def instance_claim(self, instance: Instance) -> Claim:
        """Build-time claim: host set and saved, PCI claimed and allocated, saved.
        The allocated devices are added to the instance's ``pci_devices``, as
        Nova's ``PciDevice.allocate`` appends to the instance object.

        An instance with a NUMA topology is fitted to the host's cells first
        (Nova's ``_test_numa_topology``) and keeps the fitted topology: its
        devices come from the cells their NUMA policies allow.

        Raises ComputeResourcesUnavailable if the PCI requests or the NUMA
        topology do not fit.
        """
        async with self.locked("ResourceTracker.instance_claim"):
            fitted = self._test_claim(instance, instance.numa_topology, instance.pci_requests)
            aborts_on_instance = self.context.behaviour.build_claim_aborts_instance
            claim = Claim(self, instance if aborts_on_instance else instance.clone())
            instance.numa_topology = fitted
            instance.host = instance.launched_on = self.host
            instance.node, instance.compute_id = self.node, self.node_id
            await self.context.db.instance_save(
                instance, "numa_topology", "host", "node", "compute_id", "launched_on"
            )
            await point("PciDevice.claim")
            self.pci.claim_instance(
                instance.uuid, instance.pci_requests, fitted.cells if fitted else None
            )
            await point("PciDevice.allocate")
            self._track_instance(instance)
            held = [d.ref for d in self.pci.allocations.get(instance.uuid, [])]
            instance.pci_devices += [ref for ref in held if ref not in instance.pci_devices]
            await self._update()
            return claim

    async def abort_instance_claim(self, instance: Instance, *, unset_host: bool = False) -> None:
        """Undoes a build-time claim whose build failed: frees what the
        instance holds here (found by its uuid, on whichever object is given)
        and stops tracking it (a no-op if nothing); the freed devices leave
        ``instance.pci_devices`` of the object given. With ``unset_host`` it
        also clears and saves the instance's host and node under the lock, as
        Nova's ``_unset_instance_host_and_node``."""
        async with self.locked("ResourceTracker.abort_instance_claim"):
            if instance.uuid in self.tracked_instances:
                self.tracked_instances.discard(instance.uuid)
                self._add_usage(instance.flavor, -1, instance.numa_topology)
            freed = {(d.compute_node_id, d.address) for d in self.pci.free_instance(instance.uuid)}
            instance.pci_devices = [
                ref for ref in instance.pci_devices
                if (ref.compute_node_id, ref.address) not in freed
            ]  # fmt: skip
            if unset_host:
                instance.host = instance.node = instance.compute_id = None
                await self.context.db.instance_save(instance, "host", "node", "compute_id")
            await self._update()

    async def rebuild_claim(self, instance: Instance, migration: Migration | None) -> MoveClaim:
        """Evacuation claim on this (destination) host, under the lock; with
        no ``migration`` it creates one (see ``_move_claim``).

        Raises ComputeResourcesUnavailable when the requests do not fit; the
        migration is then already ``pre-migrating``.
        """
        async with self.locked("ResourceTracker.rebuild_claim"):
            return await self._move_claim(instance, instance.flavor, migration, EVACUATION)

    async def live_migration_claim(self, instance: Instance, migration: Migration) -> MoveClaim:
        """The move claim of a NUMA-aware live migration to this host, under
        the lock (Nova's ``live_migration_claim``): the instance's own flavor
        and image, fitted to this host's cells; no PCI claimed (the
        destination check claims the devices on the fitted cells next).

        Raises ComputeResourcesUnavailable when the topology does not fit.
        """
        async with self.locked("ResourceTracker.live_migration_claim"):
            return await self._move_claim(instance, instance.flavor, migration, LIVE_MIGRATION)

    async def _move_claim(
        self, instance: Instance, new_flavor: Flavor, migration: Migration | None, move_type: str
    ) -> MoveClaim:
        """Resources for a move to this host, the lock held: every move claims so.

        Marks the migration ``pre-migrating`` (not for a live migration), or
        without one creates a ``pre-migrating`` record, as Nova's
        ``_create_migration`` (its caller never learns of it, so nobody marks
        it ``done``); tests that the new PCI requests fit, claims them (a live
        migration claims its VFs elsewhere, as Nova does), stores the
        migration context with the old and new devices, and counts the
        incoming migration: usage of ``new_flavor`` and PCI sign +1
        (claimed -> allocated).
        """
        if migration is None:
            migration = await self._create_migration(instance, move_type)
        else:
            migration.dest_compute, migration.dest_node = self.host, self.node
            migration.dest_compute_id = self.node_id
            if move_type != LIVE_MIGRATION:
                migration.status = "pre-migrating"
            await self.context.db.migration_save(migration)
        # Nova makes the flavor's alias requests anew (fresh request ids) and
        # keeps the ports' requests (their request_id pairs old and new devices).
        requests = self._move_requests(instance, new_flavor)
        # The move claim fits the NUMA topology the (new) flavor and the
        # server's image ask for, not the instance's pinned one (Nova's
        # MoveClaim.numa_topology).
        fitted = self._test_claim(
            instance, numa_get_constraints(new_flavor, instance.image_meta), requests
        )
        claim = MoveClaim(self, instance.clone(), migration, new_flavor)
        claimed: list[PciDevice] = []
        if move_type != LIVE_MIGRATION:
            await point("PciDevice.claim")
            claimed = (
                self.pci.claim_instance(instance.uuid, requests, fitted.cells if fitted else None)
                or []
            )
        # A live migration's devices are claimed for the instance's own
        # requests, so its context keeps those (Nova stores the fresh alias
        # requests, whose ids the devices claimed then do not carry).
        new_requests = list(instance.pci_requests if move_type == LIVE_MIGRATION else requests)
        instance.migration_context = MigrationContext(
            migration_id=migration.id,
            old_pci_devices=self.context.db.pci_devices_of(instance),
            new_pci_devices=[device.ref for device in claimed],
            old_pci_requests=list(instance.pci_requests),
            new_pci_requests=new_requests,
            old_numa_topology=instance.numa_topology,
            new_numa_topology=fitted,
        )
        await self.context.db.instance_save(instance, "migration_context")
        await point("PciDevice.allocate")
        self._update_usage_from_migration(instance, migration)
        await self._update()
        return claim

    def _move_requests(self, instance: Instance, flavor: Flavor) -> list[InstancePCIRequest]:
        """The new flavor's alias requests, then the ports' own. Nova's
        ``_move_claim`` makes the alias requests without the flavor's or
        image's PCI NUMA affinity policy: each takes its alias's."""
        context = self.context
        aliases = get_pci_requests_from_flavor(
            flavor,
            context.topology.pci_aliases,
            lambda: context.new_uuid("request", instance.name),
        )
        return aliases + port_requests(instance.pci_requests)

    async def _create_migration(self, instance: Instance, move_type: str) -> Migration:
        db = self.context.db
        uuid = f"{instance.uuid}-{move_type}-{len(db.migrations) + 1}"
        return await db.migration_create(
            Migration.of(
                instance,
                uuid,
                move_type,
                "pre-migrating",
                dest_compute=self.host,
                dest_node=self.node,
                dest_compute_id=self.node_id,
            )
        )

    async def resize_claim(
        self, instance: Instance, flavor: Flavor, migration: Migration
    ) -> MoveClaim:
        """Cold migration or resize claim on this (destination) host, under the
        lock. Raises ComputeResourcesUnavailable when the requests do not fit."""
        async with self.locked("ResourceTracker.resize_claim"):
            return await self._move_claim(instance, flavor, migration, migration.migration_type)

    def _update_usage_from_migration(self, instance: Instance, migration: Migration) -> bool:
        """Counts one move through this host, as Nova's method of that name:
        an incoming move not yet tracked adds its new flavor and turns its
        claimed devices allocated; an outgoing one not tracked adds its old
        flavor; a resize on one host adds the flavor the instance does not
        have yet (or, once it has the new one, the old). Returns whether it
        tracked the move."""
        incoming, outbound = (
            migration.dest_compute == self.host,
            migration.source_compute == self.host,
        )
        tracked = instance.uuid in self.tracked_instances
        flavor, allocate, prefix = None, False, "new"
        if incoming and outbound:
            if instance.flavor.name == migration.old_flavor:
                flavor, allocate = _migration_flavor(instance, "new", migration), True
            else:
                flavor, prefix = _migration_flavor(instance, "old", migration), "old"
        elif incoming and not tracked:
            flavor, allocate = _migration_flavor(instance, "new", migration), True
        elif outbound and not tracked:
            flavor, prefix = _migration_flavor(instance, "old", migration), "old"
        if flavor is None:
            return False
        self._add_usage(flavor, +1, _context_numa_topology(instance, prefix))
        if allocate:
            self.pci.allocate_instance(instance.uuid)
        self.tracked_migrations[instance.uuid] = migration
        return True

    async def drop_move_claim(
        self, instance: Instance, *, flavor: Flavor | None = None, prefix: str = "new"
    ) -> None:
        """Drops a move claim here (``_drop_move_claim`` under the lock)."""
        async with self.locked("ResourceTracker.drop_move_claim"):
            await self._drop_move_claim(instance, flavor=flavor, prefix=prefix)

    async def drop_move_claim_at_source(self, instance: Instance, migration: Migration) -> None:
        """Confirming a move: the migration ``confirmed`` and the old flavor's
        usage and devices dropped here in one lock hold (the fix of 1879878),
        and the context dropped from the instance in memory."""
        async with self.locked("ResourceTracker.drop_move_claim_at_source"):
            migration.status = "confirmed"
            await self.context.db.migration_save(migration)
            await self._drop_move_claim(instance, flavor=instance.old_flavor, prefix="old")
            await self.context.db.instance_drop_migration_context(instance)

    async def drop_move_claim_at_dest(self, instance: Instance, migration: Migration) -> None:
        """Reverting a move: the migration ``reverted`` and the new flavor's
        usage and devices dropped here in one lock hold (the fix of 1879878),
        then the instance takes its old devices and requests back."""
        async with self.locked("ResourceTracker.drop_move_claim_at_dest"):
            migration.status = "reverted"
            await self.context.db.migration_save(migration)
            await self._drop_move_claim(instance, flavor=instance.new_flavor, prefix="new")
            instance.revert_migration_context()
            await self.context.db.instance_save(
                instance, "pci_requests", "numa_topology", expected_task_state=(RESIZE_REVERTING,)
            )

    async def _drop_move_claim(
        self, instance: Instance, *, flavor: Flavor | None = None, prefix: str = "new"
    ) -> None:
        """Drops a move claim here, the lock held: the usage of ``flavor`` (or
        the tracked migration's), and the PCI devices the instance's migration
        context names on the ``prefix`` side (``new`` at the destination,
        ``old`` at the source). An instance without a context frees no device."""
        migration = self.tracked_migrations.get(instance.uuid)
        if flavor is None and migration is not None:
            flavor = _migration_flavor(instance, prefix, migration)
        if flavor is not None:
            context = instance.migration_context
            refs = (context.new_pci_devices if prefix == "new" else context.old_pci_devices
                    ) if context is not None else []  # fmt: skip
            self.pci.free_named_devices(refs, instance.uuid)
            self._add_usage(flavor, -1, _context_numa_topology(instance, prefix))
            await self._update()
        self.tracked_migrations.pop(instance.uuid, None)
        self.tracked_instances.discard(instance.uuid)

    async def finish_evacuation(self, instance: Instance, migration: Migration | None) -> None:
        """Moves the instance here, drops its context and sets the migration
        ``done``: under the lock today, unlocked before the fix of 1896463."""
        if self.context.behaviour.finish_evacuation_locked:
            async with self.locked("ResourceTracker.finish_evacuation"):
                await self._finish_evacuation(instance, migration)
        else:
            await self._finish_evacuation(instance, migration)

    async def _finish_evacuation(self, instance: Instance, migration: Migration | None) -> None:
        db = self.context.db
        instance.apply_migration_context()
        instance.host, instance.node, instance.compute_id = self.host, self.node, self.node_id
        await db.instance_save(
            instance, "host", "node", "compute_id", "pci_requests", "numa_topology"
        )
        if instance.migration_context is not None:
            await db.instance_drop_migration_context(instance)
        if migration is not None:
            migration.status = "done"
            await db.migration_save(migration)

    # -- PCI of a live migration, outside any move claim ----------------------
    #
    # A live migration of an instance without a NUMA topology makes no move
    # claim (Nova claims one only for NUMA-aware live migration, and then
    # claims the devices here too, on the cells the move claim fitted): the
    # destination claims the ports' devices alone, allocates them when the
    # guest has arrived, and the source frees its allocation. Each step holds
    # the lock for itself; the usage follows from the audits.

    async def claim_pci_devices(
        self,
        instance: Instance,
        requests: list[InstancePCIRequest],
        numa_topology: InstanceNUMATopology | None = None,
    ) -> list[PciDevice]:
        """Claims devices for ``requests`` here and saves them ``claimed``;
        on the host cells of ``numa_topology`` (a NUMA-aware live
        migration's fitted one) as their NUMA policies want.

        Raises PciDeviceRequestFailed when the pools do not fit them.
        """
        async with self.locked("ResourceTracker.claim_pci_devices"):
            await point("PciDevice.claim")
            cells = numa_topology.cells if numa_topology is not None else None
            claimed = self.pci.claim_instance(instance.uuid, requests, cells)
            if claimed is None:
                raise PciDeviceRequestFailed(self._no_fit(instance))
            await self._update_pci()
            return claimed

    async def unclaim_pci_devices(self, instance: Instance, device: DeviceRef) -> None:
        """Frees ``device`` of ``instance`` here, claimed or allocated, and
        saves it (Nova's ``unclaim_pci_devices``, an interface's detach)."""
        async with self.locked("ResourceTracker.unclaim_pci_devices"):
            self.pci.free_named_devices([device], instance.uuid)
            await self._update_pci()

    async def allocate_pci_devices_for_instance(self, instance: Instance) -> list[PciDevice]:
        """Turns the instance's claimed devices here into allocated ones."""
        async with self.locked("ResourceTracker.allocate_pci_devices_for_instance"):
            await point("PciDevice.allocate")
            allocated = self.pci.allocate_instance(instance.uuid)
            await self._update_pci()
            return allocated

    async def free_pci_device_allocations_for_instance(self, instance: Instance) -> None:
        async with self.locked("ResourceTracker.free_pci_device_allocations_for_instance"):
            self.pci.free_instance_allocations(instance.uuid)
            await self._update_pci()

    async def free_pci_device_claims_for_instance(self, instance: Instance) -> None:
        async with self.locked("ResourceTracker.free_pci_device_claims_for_instance"):
            self.pci.free_instance_claims(instance.uuid)
            await self._update_pci()

    async def _update_pci(self) -> None:
        """``pci_tracker.save``: the changed device rows, nothing else."""
        await self.context.db.pci_devices_save(self.pci.changed_rows())

    async def update_usage(self, instance: Instance) -> None:
        """After a delete or a shelve offload (states Nova allows resources to
        be freed in): frees what the instance holds here, if it is tracked."""
        async with self.locked("ResourceTracker.update_usage"):
            if instance.uuid in self.tracked_instances:
                self.tracked_instances.discard(instance.uuid)
                self._add_usage(instance.flavor, -1, instance.numa_topology)
                self.pci.free_instance(instance.uuid)
            else:
                # A move's claim tracks the migration, not the instance, until
                # the next audit: what it claimed here stays claimed.
                self.context.note(
                    f"update_usage frees nothing of '{instance.name}': the tracker of "
                    f"'{self.host}' does not track it"
                )
            await self._update()

    # -- the periodic audit ----------------------------------------------------

    async def update_available_resource(self, *, startup: bool = False) -> None:
        """The audit: recompute usage from the instance and migration lists and
        free PCI devices of instances in neither (``clean_usage``)."""
        await point("ComputeDriver.get_available_resource")
        async with self.locked("ResourceTracker._update_available_resource"):
            db = self.context.db
            if startup or self.pci_tracker is None:
                await point("PciDeviceList.get_by_compute_node")
                self.load_from_db()
            instances = await db.instance_list_by_host_and_node(self.host, self.node)
            migrations = await db.migration_list_in_progress(
                self.host, self.node, include_error=True
            )
            if self.context.behaviour.audit_applies_incoming_context:
                self._apply_incoming_migration_contexts(instances, migrations)
            self._usage_from_instances(instances)
            moving = await self._usage_from_migrations(migrations)
            await self._remove_deleted_instances_allocations(migrations)
            await point("PciDevTracker.clean_usage")
            existed = {i.uuid for i in instances} | {m.instance_uuid for m in migrations}
            self.pci.clean_usage(existed)
            self._populate_assigned_resources(moving)
            await self._update()

    def _populate_assigned_resources(self, moving: list[Instance]) -> None:
        """Nova gathers the assigned resources (vPMEM) of the tracked moves
        from their migration contexts here; the model has none to gather,
        only the read. A live migration's instance has no context: since the
        fix of bug 1849165 it is skipped; before, the read raised and the
        audit ended here, its usage never saved."""
        if self.context.behaviour.audit_skips_moves_without_context:
            return
        for instance in moving:
            if instance.migration_context is None:
                raise MissingMigrationContext(
                    f"TypeError: argument of type 'NoneType' is not iterable (the migration "
                    f"of '{instance.name}' through '{self.host}' has no migration context)"
                )

    def _apply_incoming_migration_contexts(
        self, instances: list[Instance], migrations: list[Migration]
    ) -> None:
        """Since the fix of bug 1953359: an instance of this host's list with
        a move coming here is counted as the move's context has it (its new
        NUMA topology and devices), not as the source had it. Applied to the
        audit's copies only, which it never saves."""
        by_uuid = {instance.uuid: instance for instance in instances}
        for migration in migrations:
            instance = by_uuid.get(migration.instance_uuid)
            if instance is not None and migration.dest_compute == self.host:
                instance.apply_migration_context()

    def _usage_from_instances(self, instances: list[Instance]) -> None:
        assert self.compute_node is not None
        node = self.compute_node
        node.vcpus_used = node.memory_mb_used = node.local_gb_used = 0
        if node.numa_topology is not None:  # the driver reports it anew, unused
            node.numa_topology = node.numa_topology.unused()
        self.tracked_instances = set()
        keep_spawning = self.context.behaviour.audit_keeps_unshelving
        for instance in instances:
            # Deleted, or offloaded and not being unshelved (before the fix
            # of bug 2025480: offloaded at all, the spawning one too).
            if allow_resource_removal(
                instance.vm_state, instance.task_state, keep_spawning=keep_spawning
            ):
                continue
            self._track_instance(instance)

    async def _usage_from_migrations(self, migrations: list[Migration]) -> list[Instance]:
        """Counts the moves through this host; returns the instances (as read
        now) of the migrations it tracked."""
        self.tracked_migrations = {}
        tracked: list[Instance] = []
        latest: dict[str, Migration] = {}
        for migration in migrations:
            current = latest.get(migration.instance_uuid)
            if current is None or migration.updated_at >= current.updated_at:
                latest[migration.instance_uuid] = migration
        rebuild_states = REBUILD_STATES
        if not self.context.behaviour.audit_counts_all_rebuild_states:
            rebuild_states = (REBUILDING,)  # before the fix of bug 1791075
        for uuid in sorted(latest):
            migration = latest[uuid]
            row = self.context.db.instances.get(uuid)
            if row is None or not _moving(row, rebuild_states):
                continue  # skipped: no CPU/RAM usage, but still protects PCI
            context = row.migration_context
            # Not reachable with evacuation alone: its claim sets the context under
            # the same lock. Kept for the move operations still to be modelled.
            if context is not None and context.migration_id != migration.id:
                migration.status = "error"  # stale record (bug 1600304)
                await self.context.db.migration_save(migration)
                continue
            # Tracked only where it counts usage (Nova's _update_usage_from_migration):
            # a move whose instance is already tracked here is not.
            if self._update_usage_from_migration(row, migration):
                tracked.append(row)
        return tracked

    async def _remove_deleted_instances_allocations(self, migrations: list[Migration]) -> None:
        """Placement heal: only deleted instances lose their allocation here."""
        assert self.compute_node is not None
        placement = self.context.placement
        keep = self.tracked_instances | {m.uuid for m in migrations}
        rp_uuid = self.compute_node.uuid
        # This provider's consumers only, sorted; each is checked again when its
        # turn comes, as a delete before it may have changed placement.
        for consumer in placement.consumers_of(rp_uuid):
            if consumer in keep or rp_uuid not in placement.allocations.get(consumer, {}):
                continue
            row = self.context.db.instances.get(consumer)
            if row is not None and row.deleted:
                await placement.delete_consumer(consumer)

    # -- helpers ----------------------------------------------------------------

    def _track_instance(self, instance: Instance) -> None:
        """``_update_usage_from_instance`` for a newly tracked instance: usage
        +1 and PCI sign +1 (claimed -> allocated; a no-op otherwise)."""
        if instance.uuid in self.tracked_instances:
            return
        self.tracked_instances.add(instance.uuid)
        self._add_usage(instance.flavor, +1, instance.numa_topology)
        self.pci.allocate_instance(instance.uuid)

    def _add_usage(
        self, flavor: Flavor, sign: int, numa_topology: InstanceNUMATopology | None = None
    ) -> None:
        """Nova's ``_update_usage``: the flavor's vCPU, RAM and disk, then the
        NUMA usage of ``numa_topology`` on the host's cells. Raises
        CPUPinningInvalid or CPUUnpinningInvalid (the rest already counted)."""
        assert self.compute_node is not None
        node = self.compute_node
        node.vcpus_used += sign * flavor.vcpus
        node.memory_mb_used += sign * flavor.memory_mb
        node.local_gb_used += sign * flavor.disk_gb
        if node.numa_topology is not None and numa_topology is not None:
            node.numa_topology = numa_usage_from_instance_numa(
                node.numa_topology, numa_topology, free=sign < 0
            )

    def _test_claim(
        self,
        instance: Instance,
        numa_topology: InstanceNUMATopology | None,
        requests: list[InstancePCIRequest],
    ) -> InstanceNUMATopology | None:
        """Nova's ``Claim._claim_test``: the NUMA topology fitted to this
        host's cells together with ``requests``, and the requests alone in
        the pools; returns the fitted topology (None without one). Raises
        ComputeResourcesUnavailable naming every reason, as Nova joins them."""
        assert self.compute_node is not None
        host = self.compute_node.numa_topology
        reasons = []
        fitted = None
        if host is not None and numa_topology is not None:
            fitted = numa_fit_instance_to_host(
                host,
                numa_topology,
                limits=Limits(),
                pci_requests=requests,
                pci_stats=self.pci.stats,
            )
            if fitted is None:
                reasons.append(
                    numa_fit_failure(
                        instance.name, self.host, host, numa_topology, requests, self.pci.stats
                    )
                )
        if not self.pci.support_requests(requests):
            reasons.append(self._no_fit(instance))
        if reasons:
            raise ComputeResourcesUnavailable(" ".join(reasons))
        return fitted

    async def _update(self) -> None:
        """Pushes the compute node and the changed PCI rows to the database."""
        assert self.compute_node is not None
        db = self.context.db
        # The rows' fields as dicts: one comparison in C, where the
        # dataclass's own builds a tuple of each side's fields first.
        if vars(db.compute_nodes[self.host]) != vars(self.compute_node):
            await db.compute_node_save(self.compute_node)
        await db.pci_devices_save(self.pci.changed_rows())

    def _no_fit(self, instance: Instance) -> str:
        free = ", ".join(d.address for d in self.pci.stats.free_devices()) or "none"
        return (
            f"PCI requests of '{instance.name}' do not fit on '{self.host}'; "
            f"free devices in pools: {free}."
        )
