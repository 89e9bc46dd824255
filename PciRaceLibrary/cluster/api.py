"""Nova's API: what it refuses at once, and the operations it accepts.

Each ``check_*`` function validates a request against the current state and
raises ``ApiRefused`` or ``UnknownName`` with one sentence, changing nothing.
The ``async`` operations are what runs after the API answered: the API's own
saves, the cast to the conductor, and everything downstream, in one task.
"""

from __future__ import annotations

from ..errors import ApiRefused
from ..sim import point
from . import conductor
from .context import Context
from .exception import InstanceNotFound
from .objects import (
    ACTIVE,
    DELETED,
    DELETING,
    ERROR,
    REBUILDING,
    STOPPED,
    Instance,
    Migration,
)

EVACUABLE_VM_STATES = (ACTIVE, STOPPED, ERROR)
REBUILDABLE_VM_STATES = (ACTIVE, STOPPED, ERROR)


def check_evacuate(context: Context, instance: Instance, target_host: str | None) -> None:
    """Refuses what ``POST /servers/{id}/action {evacuate}`` refuses."""
    if instance.vm_state not in EVACUABLE_VM_STATES or not instance.launched:
        raise ApiRefused(
            f"Cannot evacuate '{instance.name}': it is {instance.vm_state}; "
            f"only {', '.join(EVACUABLE_VM_STATES)} servers that have run can be."
        )
    _check_no_task(instance, "evacuate")
    if target_host is not None and target_host == instance.host:
        raise ApiRefused(
            f"Cannot evacuate '{instance.name}' to '{target_host}': it is its own host."
        )
    assert instance.host is not None
    if context.service_is_up(instance.host):
        service = context.db.services[instance.host]
        why = "" if service.running else " (stopped, but not yet reported down)"
        raise ApiRefused(
            f"Cannot evacuate '{instance.name}': compute service on "
            f"'{instance.host}' is up{why}; stop and force it down first."
        )


def check_rebuild(instance: Instance) -> None:
    if instance.vm_state not in REBUILDABLE_VM_STATES or not instance.launched:
        raise ApiRefused(
            f"Cannot rebuild '{instance.name}': it is {instance.vm_state}; "
            f"only {', '.join(REBUILDABLE_VM_STATES)} servers that have run can be."
        )
    _check_no_task(instance, "rebuild")


def _check_no_task(instance: Instance, action: str) -> None:
    """``check_instance_state``'s default: no other operation is under way
    (task_state None), as ``instance.save(expected_task_state=[None])`` enforces."""
    if instance.task_state is not None:
        raise ApiRefused(
            f"Cannot {action} '{instance.name}' while it is in task state "
            f"{instance.task_state}; wait for that operation to finish."
        )


def check_delete(instance: Instance) -> None:
    if instance.deleted or instance.vm_state == DELETED:
        raise ApiRefused(f"Cannot delete '{instance.name}': it is already deleted.")


async def create_server(context: Context, instance: Instance, requested_host: str | None) -> None:
    """After ``POST /servers``: the instance row exists; schedule and build."""
    await conductor.build_instances(context, instance, requested_host)


def accept_evacuate(context: Context, instance: Instance, target_host: str | None) -> None:
    """What the API writes before answering 202: task ``rebuilding`` and the
    migration ``accepted`` (the tombstone the source uses later). Nothing can
    run between these writes, so they pass no point."""
    db = context.db
    instance.task_state = REBUILDING
    db.write_instance(instance, "task_state")
    assert instance.host is not None
    assert instance.node is not None
    db.write_new_migration(
        Migration(
            id=0,
            uuid=f"{instance.uuid}-evacuation-{len(db.migrations) + 1}",
            instance_uuid=instance.uuid,
            migration_type="evacuation",
            status="accepted",
            source_compute=instance.host,
            source_node=instance.node,
            dest_compute=target_host,
        )
    )


async def evacuate(context: Context, instance: Instance, target_host: str | None) -> None:
    """After the API accepted the evacuation: the cast to the conductor."""
    await conductor.rebuild_instance(context, instance, evacuate=True, requested_host=target_host)


def accept_rebuild(context: Context, instance: Instance) -> None:
    """The API sets task ``rebuilding`` before it answers."""
    instance.task_state = REBUILDING
    context.db.write_instance(instance, "task_state")


async def rebuild(context: Context, instance: Instance) -> None:
    """A rebuild on the server's own host: no claim, no migration."""
    await conductor.rebuild_instance(context, instance, evacuate=False, requested_host=None)


def accept_delete(context: Context, instance: Instance) -> None:
    """The API sets task ``deleting`` before it answers."""
    instance.task_state = DELETING
    context.db.write_instance(instance, "task_state")


async def delete(context: Context, instance: Instance) -> None:
    """Delete on the server's host, or a local delete in the API when that
    host's compute service is down (its PCI rows stay until it starts)."""
    try:
        await _delete(context, instance)
    except InstanceNotFound as exc:
        # Another delete got there first: Nova answers 404 or the compute logs
        # "instance disappeared"; either way there is nothing left to do.
        context.note(f"delete stopped: {exc}")


async def _delete(context: Context, instance: Instance) -> None:
    db = context.db
    host = instance.host
    if host is not None and context.service_is_up(host) and db.services[host].running:
        await point("ComputeAPI.terminate_instance")
        await context.computes[host].terminate_instance(instance)
        return
    await point("API._local_delete")
    if host is not None:
        await context.computes[host].unbind_ports(instance)
    instance.vm_state, instance.task_state = DELETED, None
    await db.instance_save(instance, "vm_state", "task_state")
    await context.placement.delete_consumer(instance.uuid)
    await db.instance_destroy(instance)
