"""``ComputeTaskManager``: the conductor schedules a build or a move through the
scheduler, then casts it to the chosen compute (``nova/conductor/manager.py``)."""

from __future__ import annotations

import contextlib

from ..sim import point
from .context import Context
from .exception import AllocationConflict, InstanceNotFound, NoValidHost
from .objects import ERROR, Instance
from .placement import flavor_resources
from .rpcapi import ComputeAPI
from .scheduler import MAX_ATTEMPTS, select_destination, select_destinations

# What ends a request at the scheduler: no host, or placement's consumer
# generation conflict (AllocationUpdateFailed), which nobody retries.
SCHEDULING_FAILURES = (NoValidHost, AllocationConflict)


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
        one; returns it, or None when none is left."""
        placement, resources = self.context.placement, flavor_resources(instance.flavor)
        while host_list:
            host = host_list.pop(0)
            node = self.context.db.compute_nodes[host]
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
            resources = flavor_resources(instance.flavor)
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
                await db.instance_save(instance, "vm_state", "task_state", "fault")
                return
        assert host is not None
        await self.compute_rpcapi.rebuild_instance(
            host, instance, migration, evacuate=evacuate, target_state=target_state
        )
