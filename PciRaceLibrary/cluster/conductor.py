"""``ComputeTaskManager``: the conductor schedules a build or a move through the
scheduler, then casts it to the chosen compute (``nova/conductor/manager.py``).
A live migration's conductor task is ``live_migrate.py``."""

from __future__ import annotations

import contextlib

from ..sim import point
from .context import Context
from .exception import (
    AllocationConflict,
    ComputeServiceUnavailable,
    InstanceNotFound,
    MigrationPreCheckError,
    NoValidHost,
    PciDeviceRequestFailed,
    UnableToMigrateToSelf,
)
from .live_migrate import LiveMigrationTask
from .objects import ERROR, POWERING_ON, SHELVED, UNSHELVING, Flavor, Instance, Migration
from .resource_request import forced_move_resources, resource_requests
from .rpcapi import ComputeAPI
from .scheduler import MAX_ATTEMPTS, select_destination, select_destinations

# What ends a request at the scheduler: no host, or placement's consumer
# generation conflict (AllocationUpdateFailed), which nobody retries.
SCHEDULING_FAILURES = (NoValidHost, AllocationConflict)
# What the conductor expects a live migration's checks to refuse with: the
# server keeps its state. Anything else errors it (_live_migrate).
LIVE_MIGRATION_REFUSALS = (
    NoValidHost,
    ComputeServiceUnavailable,
    UnableToMigrateToSelf,
    MigrationPreCheckError,
)
# What reaches Nova's catch-all there ("unexpectedly failed") in the model:
# the destination's VFs do not fit (the claim for ports is no pre-check), or
# placement's consumer generation conflict at the scheduler's claim.
LIVE_MIGRATION_ERRORS = (PciDeviceRequestFailed, AllocationConflict)


def _reason(instance: Instance, exc: Exception) -> str:
    if isinstance(exc, AllocationConflict):
        return (
            f"Failed to update allocations for consumer '{instance.name}': placement "
            f"answered 409, consumer generation conflict ({exc})."
        )
    return str(exc)


class ComputeTaskManager:
    """The conductor's compute tasks, with its RPC client to the computes."""

    def __init__(self, context: Context, compute_rpcapi: ComputeAPI) -> None:
        self.context = context
        self.compute_rpcapi = compute_rpcapi

    async def build_instances(
        self,
        instance: Instance,
        requested_host: str | None,
        *,
        host_list: list[str] | None = None,
        last_failure: str = "",
    ) -> None:
        """Schedules a new server and casts the build to the chosen compute,
        with the scheduler's alternates. A compute whose build failed casts
        back here with what is left of them (``host_list``, and why it
        failed): the first alternate placement still has room on is claimed
        and gets the build; none left fails the server (MaxRetriesExceeded)."""
        context = self.context
        await point("ComputeTaskAPI.build_instances")
        if host_list is None:
            try:
                hosts = await select_destinations(
                    context, instance, requested_host=requested_host, alternates=MAX_ATTEMPTS - 1
                )
            except SCHEDULING_FAILURES as exc:
                await self._build_failed(instance, _reason(instance, exc))
                return
            host, alternates = hosts[0], hosts[1:]
        else:
            try:
                chosen = await self._claim_alternate(instance, host_list)
            except AllocationConflict as exc:
                await self._build_failed(instance, _reason(instance, exc))
                return
            if chosen is None:
                await self._build_failed(
                    instance,
                    f"Exhausted all hosts available for retrying build failures for instance "
                    f"'{instance.name}'; the last attempt: {last_failure.rstrip('.')}.",
                )
                return
            host, alternates = chosen, host_list
        await self.compute_rpcapi.build_and_run_instance(host, instance, alternates)

    async def _claim_alternate(self, instance: Instance, host_list: list[str]) -> str | None:
        """Pops alternates until placement takes the instance's allocation on
        one (the host's first candidate); returns it, or None when none is left."""
        placement = self.context.placement
        requests = resource_requests(instance.flavor, instance.image_meta)
        while host_list:
            host = host_list.pop(0)
            node = self.context.db.compute_nodes[host]
            resources = placement.allocation_request(node.uuid, requests) or requests[0]
            if await placement.claim_resources(instance.uuid, node.uuid, resources):
                return host
        return None

    async def _build_failed(self, instance: Instance, reason: str) -> None:
        """The server goes ERROR with ``reason`` as its fault."""
        self.context.note(reason)
        instance.vm_state, instance.task_state, instance.fault = ERROR, None, reason
        # Deleted meanwhile: nothing was claimed, nothing to record.
        with contextlib.suppress(InstanceNotFound):
            await self.context.db.instance_save(instance, "vm_state", "task_state", "fault")

    async def rebuild_instance(
        self,
        instance: Instance,
        *,
        evacuate: bool,
        requested_host: str | None,
        force: bool = False,
        target_state: str | None = None,
    ) -> None:
        """For an evacuation, schedule away from the source (migration ``error``
        on NoValidHost, bug 1713783), or with ``force`` claim the requested
        host in placement directly; then cast the rebuild to the host."""
        context = self.context
        db = context.db
        await point("ComputeTaskAPI.rebuild_instance")
        migration = None
        host = instance.host
        if evacuate:
            migration = await db.migration_get_by_instance_and_status(instance.uuid, "accepted")
        if evacuate and force:
            assert requested_host is not None  # the API refuses a force without a host
            host = requested_host
            node = db.compute_nodes[host]
            source = db.compute_nodes.get(instance.host or "")
            resources = forced_move_resources(
                context.placement,
                instance.uuid,
                source.uuid if source else None,
                node.uuid,
                resource_requests(instance.flavor, instance.image_meta),
            )
            try:
                claimed = await context.placement.claim_resources(
                    instance.uuid, node.uuid, resources
                )
                reason = f"Forced evacuation of '{instance.name}' could not claim '{host}'."
            except AllocationConflict as exc:
                claimed, reason = False, _reason(instance, exc)
            if not claimed:
                # Nova errors the migration and the server.
                context.note(reason)
                if migration is not None:
                    migration.status = "error"
                    await db.migration_save(migration)
                instance.vm_state, instance.task_state, instance.fault = ERROR, None, reason
                await db.instance_save(instance, "vm_state", "task_state", "fault")
                return
        elif evacuate:
            try:
                host = await select_destination(
                    context,
                    instance,
                    ignore_hosts=(instance.host or "",),
                    requested_host=requested_host,
                )
            except SCHEDULING_FAILURES as exc:
                reason = _reason(instance, exc)
                context.note(reason)
                if migration is not None and context.behaviour.failed_schedule_sets_error:
                    migration.status = "error"
                    await db.migration_save(migration)
                instance.vm_state, instance.task_state, instance.fault = ERROR, None, reason
                # Deleted while it was scheduled: Nova's save raises, which the
                # RPC server only logs (a cast has no caller to tell).
                with contextlib.suppress(InstanceNotFound):
                    await db.instance_save(instance, "vm_state", "task_state", "fault")
                return
        assert host is not None
        await self.compute_rpcapi.rebuild_instance(
            host, instance, migration, evacuate=evacuate, target_state=target_state
        )

    async def migrate_server(
        self, instance: Instance, flavor: Flavor, *, requested_host: str | None = None
    ) -> None:
        """A cold migration or resize (``MigrationTask``): the migration record,
        the instance's source allocation handed to it, the destination chosen
        and claimed for the instance, then ``prep_resize`` cast there.

        On NoValidHost the migration is ``error``, the allocation handed back,
        and the server stays as it was (task cleared, a fault recorded).
        """
        context = self.context
        placement = context.placement
        await point("ComputeTaskAPI.migrate_server")
        migration = await self._new_migration(
            instance,
            "migration" if flavor == instance.flavor else "resize",
            "pre-migrating",
            old_flavor=instance.flavor.name,
            new_flavor=flavor.name,
        )
        held = await placement.move_allocations(instance.uuid, migration.uuid)
        # [DEFAULT]allow_resize_to_same_host; a cold migration never stays (libvirt).
        same_host = context.allow_resize_to_same_host and flavor != instance.flavor
        ignore = () if same_host else (instance.host,)
        try:
            host, *others = await select_destinations(
                context,
                instance,
                ignore_hosts=ignore,
                requested_host=requested_host,
                alternates=0 if requested_host else MAX_ATTEMPTS - 1,
                flavor=flavor,
            )
        except SCHEDULING_FAILURES as exc:
            await self._migration_failed(instance, migration, held, _reason(instance, exc))
            return
        # A requested host is never retried: no alternates at all.
        alternates = None if requested_host else tuple(others)
        await self.compute_rpcapi.prep_resize(host, instance, flavor, migration, alternates)

    async def reschedule_migration(
        self,
        instance: Instance,
        flavor: Flavor,
        migration: Migration,
        alternates: tuple[str, ...],
        exc: Exception,
    ) -> None:
        """The destination refused the claim: try the alternates the scheduler
        returned, in order, claiming each in placement; with none left the
        server stays where it is (``MaxRetriesExceeded``)."""
        context, placement = self.context, self.context.placement
        await point("ComputeTaskAPI.resize_instance")
        held = await placement.move_allocations(instance.uuid, migration.uuid)
        requests = resource_requests(flavor, instance.image_meta)
        for index, host in enumerate(alternates):
            rp_uuid = context.db.compute_nodes[host].uuid
            resources = placement.allocation_request(rp_uuid, requests) or requests[0]
            if await placement.claim_resources(instance.uuid, rp_uuid, resources):
                rest = alternates[index + 1 :]
                await self.compute_rpcapi.prep_resize(host, instance, flavor, migration, rest)
                return
        reason = (
            f"Exceeded maximum number of retries for '{instance.name}': no alternate host "
            f"could take it after: {exc}"
        )
        await self._migration_failed(instance, migration, held, reason)

    async def _migration_failed(
        self, instance: Instance, migration: Migration, held: bool, reason: str
    ) -> None:
        """``MigrationTask.rollback``: the migration ``error``, the source
        allocation back to the instance, which stays as it was, with a fault."""
        db, placement = self.context.db, self.context.placement
        self.context.note(reason)
        migration.status = "error"
        await db.migration_save(migration)
        if held:
            await placement.move_allocations(migration.uuid, instance.uuid)
        instance.task_state, instance.fault = None, reason
        await db.instance_save(instance, "task_state", "fault")

    # -- live migration ---------------------------------------------------------

    async def live_migrate_instance(
        self, instance: Instance, destination: str | None, *, requested_host: str | None
    ) -> None:
        """Creates the ``live-migration`` record (``accepted``) and runs the
        task; when it fails, the migration ``error`` and the server without a
        task: in its state for an expected refusal, else in ERROR."""
        context = self.context
        await point("ComputeTaskAPI.live_migrate_instance")
        migration = await self._new_migration(
            instance, "live-migration", "accepted", dest_compute=destination
        )
        task = LiveMigrationTask(
            context,
            self.compute_rpcapi,
            instance,
            migration,
            destination=destination,
            requested_host=requested_host,
        )
        try:
            await task.execute()
        except InstanceNotFound as exc:
            context.note(f"live migration stopped: {exc}")
        except LIVE_MIGRATION_REFUSALS as exc:
            await self._live_migration_failed(instance, migration, _reason(instance, exc))
        except LIVE_MIGRATION_ERRORS as exc:
            reason = f"Migration error: {_reason(instance, exc)}"
            await self._live_migration_failed(instance, migration, reason, vm_state=ERROR)

    async def _live_migration_failed(
        self, instance: Instance, migration: Migration, reason: str, vm_state: str | None = None
    ) -> None:
        """``set_vm_state_and_notify``: no task, the fault recorded (and ERROR
        if asked); then the migration ``error``."""
        db = self.context.db
        self.context.note(f"live migration of '{instance.name}' failed: {reason}")
        instance.task_state, instance.fault = None, reason
        fields = ["task_state", "fault"]
        if vm_state is not None:
            instance.vm_state = vm_state
            fields.append("vm_state")
        with contextlib.suppress(InstanceNotFound):  # deleted meanwhile
            await db.instance_save(instance, *fields)
        migration.status = "error"
        await db.migration_save(migration)

    async def unshelve_instance(self, instance: Instance, requested_host: str | None) -> None:
        """A ``shelved`` server is only powered on where it is; an offloaded
        one is scheduled (to ``requested_host`` if given, the filters still
        apply) and cast to the chosen compute. With no host the server stays
        offloaded, its task cleared, no fault recorded."""
        context = self.context
        db = context.db
        await point("ComputeTaskAPI.unshelve_instance")
        if instance.vm_state == SHELVED:
            assert instance.host is not None  # not offloaded, so still placed
            instance.task_state = POWERING_ON
            await db.instance_save(instance, "task_state", expected_task_state=(UNSHELVING,))
            await self.compute_rpcapi.start_instance(instance.host, instance)
            return
        try:
            host = await select_destination(context, instance, requested_host=requested_host)
        except SCHEDULING_FAILURES as exc:
            context.note(f"unshelve not scheduled: {_reason(instance, exc)}")
            instance.task_state = None
            with contextlib.suppress(InstanceNotFound):  # deleted meanwhile
                await db.instance_save(instance, "task_state")
            return
        await self.compute_rpcapi.unshelve_instance(host, instance)

    async def _new_migration(
        self, instance: Instance, migration_type: str, status: str, **fields: str | None
    ) -> Migration:
        """A new migration record of ``instance`` from its host (``migration.create``)."""
        context = self.context
        uuid = context.new_uuid("migration", instance.name)
        return await context.db.migration_create(
            Migration.of(instance, uuid, migration_type, status, **fields)
        )
