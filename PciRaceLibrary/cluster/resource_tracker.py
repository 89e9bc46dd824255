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
from .exception import ComputeResourcesUnavailable
from .objects import (
    ACTIVE,
    DELETED,
    MIGRATING,
    PAUSED,
    REBUILD_STATES,
    REBUILDING,
    RESIZED,
    RESIZING_STATES,
    STOPPED,
    ComputeNode,
    Flavor,
    Instance,
    Migration,
    MigrationContext,
    PciDevice,
)
from .pci_tracker import PciDevTracker

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

    def load_from_db(self) -> None:
        """Builds the compute node copy and the PCI tracker from the database,
        as the first audit after a service start does."""
        db = self.context.db
        self.compute_node = db.compute_nodes[self.host].clone()
        self.pci_tracker = PciDevTracker(
            self.host,
            self.compute_node.id,
            db.peek_pci_devices(self.compute_node.id),
            self.context.changed,
            self.context.label,
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

        Raises ComputeResourcesUnavailable if the PCI requests do not fit.
        """
        async with self.locked("ResourceTracker.instance_claim"):
            if not self.pci.support_requests(instance.pci_requests):
                raise ComputeResourcesUnavailable(self._no_fit(instance))
            behaviour = self.context.behaviour
            claim = Claim(self, instance.clone(), instance, behaviour.build_claim_aborts_instance)
            instance.host = instance.launched_on = self.host
            instance.node, instance.compute_id = self.node, self.node_id
            await self.context.db.instance_save(
                instance, "host", "node", "compute_id", "launched_on"
            )
            await point("PciDevice.claim")
            self.pci.claim_instance(instance.uuid, instance.pci_requests)
            await point("PciDevice.allocate")
            self._track_instance(instance)
            held = [d.ref for d in self.pci.allocations.get(instance.uuid, [])]
            instance.pci_devices += [ref for ref in held if ref not in instance.pci_devices]
            await self._update()
            return claim

    async def abort_instance_claim(self, instance: Instance) -> None:
        """Undoes a build-time claim whose build failed: frees what the
        instance holds here (found by its uuid, on whichever object is given)
        and stops tracking it (a no-op if nothing); the freed devices leave
        ``instance.pci_devices`` of the object given."""
        async with self.locked("ResourceTracker.abort_instance_claim"):
            if instance.uuid in self.tracked_instances:
                self.tracked_instances.discard(instance.uuid)
                self._add_usage(instance.flavor, -1)
            freed = {(d.compute_node_id, d.address) for d in self.pci.free_instance(instance.uuid)}
            instance.pci_devices = [
                ref for ref in instance.pci_devices
                if (ref.compute_node_id, ref.address) not in freed
            ]  # fmt: skip
            await self._update()

    async def rebuild_claim(self, instance: Instance, migration: Migration | None) -> MoveClaim:
        """Evacuation claim on this (destination) host, under the lock; with
        no ``migration`` it creates one (see ``_move_claim``).

        Raises ComputeResourcesUnavailable when the requests do not fit; the
        migration is then already ``pre-migrating``.
        """
        async with self.locked("ResourceTracker.rebuild_claim"):
            return await self._move_claim(instance, instance.flavor, migration, EVACUATION)

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
        # Nova makes the flavor's alias requests anew and keeps the ports'
        # requests (their request_id pairs old and new devices); flavors ask
        # for no devices yet, so the ports' requests are all there is.
        requests = [r for r in instance.pci_requests if r.requester_id is not None]
        if not self.pci.support_requests(requests):
            raise ComputeResourcesUnavailable(self._no_fit(instance))
        claim = MoveClaim(self, instance.clone(), migration, new_flavor)
        claimed: list[PciDevice] = []
        if move_type != LIVE_MIGRATION:
            await point("PciDevice.claim")
            claimed = self.pci.claim_instance(instance.uuid, requests) or []
        instance.migration_context = MigrationContext(
            migration_id=migration.id,
            old_pci_devices=self.context.db.pci_devices_of(instance),
            new_pci_devices=[device.ref for device in claimed],
            old_pci_requests=list(instance.pci_requests),
            new_pci_requests=list(requests),
        )
        await self.context.db.instance_save(instance, "migration_context")
        await point("PciDevice.allocate")
        self._update_usage_from_migration(instance, migration, new_flavor)
        await self._update()
        return claim

    async def _create_migration(self, instance: Instance, move_type: str) -> Migration:
        db = self.context.db
        assert instance.host is not None
        assert instance.node is not None
        return await db.migration_create(
            Migration(
                id=0,
                uuid=f"{instance.uuid}-{move_type}-{len(db.migrations) + 1}",
                instance_uuid=instance.uuid,
                migration_type=move_type,
                status="pre-migrating",
                source_compute=instance.host,
                source_node=instance.node,
                dest_compute=self.host,
                dest_node=self.node,
                dest_compute_id=self.node_id,
            )
        )

    def _update_usage_from_migration(
        self, instance: Instance, migration: Migration, flavor: Flavor
    ) -> None:
        """An incoming move not yet tracked here: its flavor's usage and PCI sign +1."""
        if migration.dest_compute == self.host and instance.uuid not in self.tracked_instances:
            self._add_usage(flavor, +1)
            self.pci.allocate_instance(instance.uuid)
        self.tracked_migrations[instance.uuid] = migration

    async def drop_move_claim(
        self, instance: Instance, *, flavor: Flavor | None = None, prefix: str = "new"
    ) -> None:
        """Drops a move claim here: the usage of ``flavor`` (or the tracked
        migration's), and the PCI devices the instance's migration context
        names on the ``prefix`` side (``new`` at the destination, ``old`` at
        the source). An instance without a context frees no device."""
        async with self.locked("ResourceTracker.drop_move_claim"):
            if flavor is None and instance.uuid in self.tracked_migrations:
                flavor = instance.new_flavor if prefix == "new" else instance.old_flavor
                flavor = flavor or instance.flavor
            if flavor is not None:
                context = instance.migration_context
                refs = (context.new_pci_devices if prefix == "new" else context.old_pci_devices
                        ) if context is not None else []  # fmt: skip
                self.pci.free_named_devices(refs, instance.uuid)
                self._add_usage(flavor, -1)
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
        await db.instance_save(instance, "host", "node", "compute_id", "pci_requests")
        if instance.migration_context is not None:
            await db.instance_drop_migration_context(instance)
        if migration is not None:
            migration.status = "done"
            await db.migration_save(migration)

    async def update_usage(self, instance: Instance) -> None:
        """After a delete: frees what the instance holds here, if it is tracked."""
        async with self.locked("ResourceTracker.update_usage"):
            if instance.uuid in self.tracked_instances:
                self.tracked_instances.discard(instance.uuid)
                self._add_usage(instance.flavor, -1)
                self.pci.free_instance(instance.uuid)
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
            self._usage_from_instances(instances)
            await self._usage_from_migrations(migrations)
            await self._remove_deleted_instances_allocations(migrations)
            await point("PciDevTracker.clean_usage")
            existed = {i.uuid for i in instances} | {m.instance_uuid for m in migrations}
            self.pci.clean_usage(existed)
            await self._update()

    def _usage_from_instances(self, instances: list[Instance]) -> None:
        assert self.compute_node is not None
        node = self.compute_node
        node.vcpus_used = node.memory_mb_used = node.local_gb_used = 0
        self.tracked_instances = set()
        for instance in instances:
            if instance.vm_state == DELETED:
                continue
            self._track_instance(instance)

    async def _usage_from_migrations(self, migrations: list[Migration]) -> None:
        self.tracked_migrations = {}
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
            if migration.dest_compute == self.host and uuid not in self.tracked_instances:
                self._add_usage(row.new_flavor or row.flavor, +1)
                self.pci.allocate_instance(uuid)
            elif migration.source_compute == self.host and uuid not in self.tracked_instances:
                self._add_usage(row.old_flavor or row.flavor, +1)
            self.tracked_migrations[uuid] = migration

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
        self._add_usage(instance.flavor, +1)
        self.pci.allocate_instance(instance.uuid)

    def _add_usage(self, flavor: Flavor, sign: int) -> None:
        assert self.compute_node is not None
        node = self.compute_node
        node.vcpus_used += sign * flavor.vcpus
        node.memory_mb_used += sign * flavor.memory_mb
        node.local_gb_used += sign * flavor.disk_gb

    async def _update(self) -> None:
        """Pushes the compute node and the changed PCI rows to the database."""
        assert self.compute_node is not None
        db = self.context.db
        if db.compute_nodes[self.host] != self.compute_node:
            await db.compute_node_save(self.compute_node)
        await db.pci_devices_save(self.pci.changed_rows())

    def _no_fit(self, instance: Instance) -> str:
        free = ", ".join(d.address for d in self.pci.stats.free_devices()) or "none"
        return (
            f"PCI requests of '{instance.name}' do not fit on '{self.host}'; "
            f"free devices in pools: {free}."
        )
