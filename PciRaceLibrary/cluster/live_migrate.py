"""``LiveMigrationTask``: the conductor's part of a live migration.

After ``nova/conductor/tasks/live_migrate.py``. The task checks the source,
hands the instance's allocation on the source to the migration record
(``replace_allocation_with_migration``), finds a destination and has it check
itself, binds the ports there (inactive), records the destination on the
migration and casts ``live_migration`` to the source. A failure rolls the
allocation back to the instance; the conductor then errors the migration.

Without ``force`` the scheduler picks the destination, the requested host if
one was named; a host whose check refuses (MigrationPreCheckError) is given
back its allocation and left out, and the scheduler asked again, until no
host is left (``migrate_max_retries`` unset: no limit). With ``force`` (API
2.30 to 2.67) the named host is checked and claimed in placement directly.
"""

from __future__ import annotations

from .context import Context
from .exception import (
    ComputeServiceUnavailable,
    MessagingTimeout,
    MigrationPreCheckError,
    NoValidHost,
    UnableToMigrateToSelf,
)
from .network import bind_ports_to_host
from .objects import Instance, Migration
from .pci_request import is_live_migratable
from .placement import ALLOCATION_RATIOS
from .resource_request import forced_move_resources, resource_requests
from .rpcapi import ComputeAPI, MigrateData
from .scheduler import select_destination


class LiveMigrationTask:
    """One live migration of ``instance`` as the conductor drives it.

    ``destination`` is a forced host (no scheduler), ``requested_host`` a
    host the scheduler must choose; at most one of them is given.
    """

    def __init__(
        self,
        context: Context,
        compute_rpcapi: ComputeAPI,
        instance: Instance,
        migration: Migration,
        *,
        destination: str | None,
        requested_host: str | None,
    ) -> None:
        self.context = context
        self.compute_rpcapi = compute_rpcapi
        self.instance = instance
        self.migration = migration
        self.destination = destination
        self.requested_host = requested_host
        assert instance.host is not None  # launched, so placed
        self.source: str = instance.host
        self.migrate_data: MigrateData = {}
        self._held_allocations = False
        self._pci_requests_loaded = False

    async def execute(self) -> None:
        """Runs the task; on any failure gives the allocation back, then re-raises."""
        try:
            await self._execute()
        except Exception:
            # TaskBase's rollback_wrapper: undo, and let the conductor decide.
            await self.rollback()
            raise

    async def rollback(self) -> None:
        if self._held_allocations:
            # revert_allocation_for_migration: the migration's source allocation
            # replaces whatever the instance holds now (a destination claim).
            await self.context.placement.move_allocations(self.migration.uuid, self.instance.uuid)

    async def _execute(self) -> None:
        context, instance, migration = self.context, self.instance, self.migration
        self._check_host_is_up(self.source)
        # replace_allocation_with_migration: the source part now belongs to the
        # migration, so the destination is claimed for the instance afresh.
        self._held_allocations = await context.placement.move_allocations(
            instance.uuid, migration.uuid
        )
        if self.destination is None:
            dest = await self._find_destination()
        else:
            dest = self.destination
            await self._check_forced_destination(dest)
        migration.dest_compute, migration.dest_node = dest, context.db.compute_nodes[dest].node
        migration.source_node = instance.node or self.source
        await context.db.migration_save(migration)
        await self.compute_rpcapi.live_migration(
            self.source, instance, dest, migration, self.migrate_data
        )

    # -- destinations -------------------------------------------------------------

    async def _find_destination(self) -> str:
        """The scheduler's host whose checks pass; NoValidHost when none is left."""
        placement, instance = self.context.placement, self.instance
        attempted = [self.source]
        while True:
            host = await select_destination(
                self.context,
                instance,
                ignore_hosts=tuple(attempted),
                requested_host=self.requested_host,
            )
            try:
                await self._call_livem_checks_on_host(host)
            except MigrationPreCheckError as exc:
                self.context.note(f"Skipping host '{host}' for '{instance.name}': {exc}")
                attempted.append(host)
                rp_uuid = self.context.db.compute_nodes[host].uuid
                await placement.remove_provider_from_consumer(instance.uuid, rp_uuid)
                continue
            return host

    async def _check_forced_destination(self, dest: str) -> None:
        """The few checks a forced host gets, then its claim in placement."""
        instance, placement = self.instance, self.context.placement
        if dest == self.source:
            raise UnableToMigrateToSelf(
                f"Unable to migrate '{instance.name}' to its current host '{dest}'."
            )
        self._check_host_is_up(dest)
        self._check_destination_has_enough_memory(dest)
        db = self.context.db
        rp_uuid = db.compute_nodes[dest].uuid
        # claim_resources_on_destination: the instance is an empty consumer
        # now; the source allocation it copies is the migration's.
        source = db.compute_nodes.get(self.source)
        resources = forced_move_resources(
            placement,
            self.migration.uuid if self._held_allocations else instance.uuid,
            source.uuid if source else None,
            rp_uuid,
            resource_requests(instance.flavor, instance.image_meta),
        )
        if not await placement.claim_resources(instance.uuid, rp_uuid, resources):
            raise NoValidHost(
                f"Unable to claim the resources of '{instance.name}' on forced host '{dest}'."
            )
        try:
            await self._call_livem_checks_on_host(dest)
        except Exception:
            await placement.remove_provider_from_consumer(instance.uuid, rp_uuid)
            raise

    async def _call_livem_checks_on_host(self, host: str) -> None:
        """The PCI check, the destination's check (an RPC call: it claims the
        devices), then the ports bound there, inactive, to the devices it chose."""
        self._check_can_migrate_pci()
        try:
            self.migrate_data = await self.compute_rpcapi.check_can_live_migrate_destination(
                host, self.instance, self.migration
            )
        except MessagingTimeout as exc:
            raise MigrationPreCheckError(
                f"Timeout while checking if we can live migrate to host: {host}."
            ) from exc
        await bind_ports_to_host(self.context.db, self.instance, host, self.migrate_data)

    # -- checks ------------------------------------------------------------------

    def _check_can_migrate_pci(self) -> None:
        """Nova's ``_check_can_migrate_pci``: a flavor's PCI devices move only
        if every alias request asks for live-migratable devices.

        The API loads the instance without its PCI requests, so this first
        use lazy-loads them from the database (``obj_load_attr``): the
        destination claims what the instance requests now, not when the API
        answered (an interface attached meanwhile included)."""
        if not self._pci_requests_loaded:
            row = self.context.db.instances[self.instance.uuid]
            self.instance.pci_requests = list(row.pci_requests)
            self._pci_requests_loaded = True
        for request in self.instance.pci_requests:
            if request.alias_name is not None and not is_live_migratable(request):
                raise MigrationPreCheckError(
                    f"Cannot live migrate '{self.instance.name}': its PCI alias "
                    f"'{request.alias_name}' does not explicitly request live-migratable devices."
                )

    def _check_host_is_up(self, host: str) -> None:
        if not self.context.service_is_up(host):
            raise ComputeServiceUnavailable(
                f"Compute service of '{host}' is unavailable at this time."
            )

    def _check_destination_has_enough_memory(self, dest: str) -> None:
        """The RAM filter's sum on the destination's saved usage."""
        node = self.context.db.compute_nodes[dest]
        available = node.memory_mb * ALLOCATION_RATIOS["MEMORY_MB"] - node.memory_mb_used
        wanted = self.instance.flavor.memory_mb
        if available <= wanted:
            raise MigrationPreCheckError(
                f"Unable to migrate '{self.instance.name}' to '{dest}': lack of memory "
                f"(host: {available:g} <= instance: {wanted})."
            )
