"""The conductor: schedule a build or a move through the scheduler, then cast
it to the chosen compute."""

from __future__ import annotations

import contextlib

from ..sim import point
from .context import Context
from .exception import InstanceNotFound, NoValidHost
from .objects import ERROR, Instance
from .scheduler import select_destination


async def build_instances(context: Context, instance: Instance, requested_host: str | None) -> None:
    """Schedules a new server and casts the build to the chosen compute."""
    await point("ComputeTaskAPI.build_instances")
    try:
        host = await select_destination(context, instance, requested_host=requested_host)
    except NoValidHost as exc:
        context.note(str(exc))
        instance.vm_state, instance.task_state, instance.fault = ERROR, None, str(exc)
        # Deleted meanwhile: nothing was claimed, nothing to record.
        with contextlib.suppress(InstanceNotFound):
            await context.db.instance_save(instance, "vm_state", "task_state", "fault")
        return
    await point("ComputeAPI.build_and_run_instance")
    if not context.db.services[host].running:
        context.note(f"build cast to stopped compute '{host}' is not consumed")
        return
    await context.computes[host].build_and_run_instance(instance)


async def rebuild_instance(
    context: Context, instance: Instance, *, evacuate: bool, requested_host: str | None
) -> None:
    """Conductor's ``rebuild_instance``: for an evacuation, schedule away from
    the source (migration ``error`` on NoValidHost); then cast to the host."""
    db = context.db
    await point("ComputeTaskAPI.rebuild_instance")
    migration = None
    host = instance.host
    if evacuate:
        migration = await db.migration_get_by_instance_and_status(instance.uuid, "accepted")
        try:
            host = await select_destination(
                context,
                instance,
                ignore_hosts=(instance.host or "",),
                requested_host=requested_host,
            )
        except NoValidHost as exc:
            context.note(str(exc))
            if migration is not None and context.behaviour.failed_schedule_sets_error:
                migration.status = "error"
                await db.migration_save(migration)
            instance.vm_state, instance.task_state, instance.fault = ERROR, None, str(exc)
            await db.instance_save(instance, "vm_state", "task_state", "fault")
            return
    await point("ComputeAPI.rebuild_instance")
    assert host is not None
    if not db.services[host].running:
        # The cast sits in a queue nobody reads: the server stays as it is.
        context.note(f"rebuild cast to stopped compute '{host}' is not consumed")
        return
    await context.computes[host].rebuild_instance(instance, migration, evacuate=evacuate)
