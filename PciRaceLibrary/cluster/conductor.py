"""Conductor and scheduler: choose a destination, claim it in placement, cast.

The scheduler keeps hosts whose compute service is up (ComputeFilter), skips
ignored hosts (an evacuation ignores its source), honours a requested host,
and asks placement whether the flavor fits. It weighs by free RAM, most first,
then by host name, so the choice is deterministic. The PCI filter is off, as in
Nova's default and its regression test: PCI fit is only tested by the claim on
the compute host.
"""

from __future__ import annotations

import contextlib

from ..sim import point
from .context import Context
from .objects import ERROR, Instance, InstanceNotFound
from .placement import flavor_resources


class NoValidHost(Exception):  # noqa: N818 - Nova's exception name
    """No host passed the filters, or placement refused every claim."""


async def select_destination(
    context: Context,
    instance: Instance,
    *,
    ignore_hosts: tuple[str, ...] = (),
    requested_host: str | None = None,
) -> str:
    """Picks a host and adds the instance's allocation on it to placement.

    For an evacuation the consumer keeps its source allocation too: placement
    then holds the doubled allocation. Raises NoValidHost.
    """
    await point("SchedulerClient.select_destinations")
    placement = context.placement
    resources = flavor_resources(instance.flavor)
    candidates = []
    for host, node in sorted(context.db.compute_nodes.items()):
        if host in ignore_hosts or (requested_host and host != requested_host):
            continue
        if not context.service_is_up(host) or not placement.fits(node.uuid, resources):
            continue
        free_ram = (
            placement.providers[node.uuid].capacity("MEMORY_MB")
            - placement.usage(node.uuid)["MEMORY_MB"]
        )
        candidates.append((-free_ram, host, node.uuid))
    for _, host, rp_uuid in sorted(candidates):
        if await placement.claim_resources(instance.uuid, rp_uuid, resources):
            return host
    wanted = f" on '{requested_host}'" if requested_host else ""
    raise NoValidHost(f"No valid host was found for '{instance.name}'{wanted}.")


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
