"""The named points each operation passes, in the order it passes them.

These lists are what delay arguments are checked against: a delay may name a
point in full (``Instance.drop_migration_context``) or by the part after the
dot where that part is unique among the operation's points
(``drop_migration_context``). ``name#n`` delays only the n-th pass of the
point by that operation. A test runs every operation and checks that it
passes no point missing here.
"""

from __future__ import annotations

from ..errors import UnknownName
from ..sim import PointPass

_CLAIM_WRITES = ("PciDevice.claim", "PciDevice.allocate", "ComputeNode.save", "PciDevTracker.save")
_SCHEDULE = ("SchedulerClient.select_destinations", "SchedulerReportClient.claim_resources")

_AUDIT_START = (
    "ComputeDriver.get_available_resource",
    "ResourceTracker._update_available_resource",
)
AUDIT = (
    *_AUDIT_START,
    "InstanceList.get_by_host_and_node",
    "MigrationList.get_in_progress_and_error",
    "SchedulerReportClient.delete_allocation_for_instance",
    "PciDevTracker.clean_usage",
    "ComputeNode.save",
    "PciDevTracker.save",
)

OPERATION_POINTS: dict[str, tuple[str, ...]] = {
    "create": (
        "ComputeTaskAPI.build_instances",
        *_SCHEDULE,
        "ComputeAPI.build_and_run_instance",
        "ResourceTracker.instance_claim",
        "Instance.save",
        *_CLAIM_WRITES,
        "NeutronAPI.update_port",
        "ComputeDriver.spawn",
        "SchedulerReportClient.delete_allocation_for_instance",
        "ResourceTracker.abort_instance_claim",  # the server was deleted meanwhile
        "ComputeNode.save",
        "PciDevTracker.save",
        "NeutronAPI.update_port",
    ),
    "evacuate": (
        "ComputeTaskAPI.rebuild_instance",
        "Migration.get_by_instance_and_status",
        *_SCHEDULE,
        "ComputeAPI.rebuild_instance",
        "ResourceTracker.rebuild_claim",
        "Migration.save",
        "PciDevice.claim",
        "Instance.save",
        "PciDevice.allocate",
        "ComputeNode.save",
        "PciDevTracker.save",
        "NeutronAPI.update_port",
        "ComputeDriver.rebuild",
        "ResourceTracker.finish_evacuation",
        "Instance.drop_migration_context",
        "ResourceTracker.drop_move_claim",
        "SchedulerReportClient.remove_provider_tree_from_instance_allocation",
    ),
    "rebuild": (
        "ComputeTaskAPI.rebuild_instance",
        "ComputeAPI.rebuild_instance",
        "Instance.save",
        "ComputeDriver.rebuild",
        "ResourceTracker.finish_evacuation",
    ),
    "delete": (
        "ComputeAPI.terminate_instance",
        "ComputeDriver.destroy",
        "NeutronAPI.update_port",
        "Instance.save",
        "ResourceTracker.update_usage",
        "ComputeNode.save",
        "PciDevTracker.save",
        "SchedulerReportClient.delete_allocation_for_instance",
        "Instance.destroy",
        "API._local_delete",
    ),
    "update_available_resource": AUDIT,
    "start": (
        "InstanceList.get_by_host",
        "MigrationList.get_by_filters",
        "ComputeDriver.destroy",
        "SchedulerReportClient.remove_provider_tree_from_instance_allocation",
        "Migration.save",
        *_AUDIT_START,
        "PciDeviceList.get_by_compute_node",  # a fresh tracker reads the rows
        *AUDIT[len(_AUDIT_START) :],
    ),
}

ALL_POINTS: tuple[str, ...] = tuple(
    sorted({name for points in OPERATION_POINTS.values() for name in points})
)


def points_of(operation: str) -> tuple[str, ...]:
    """The points ``operation`` passes, without duplicates, in order.

    Raises UnknownName for an unknown operation.
    """
    try:
        points = OPERATION_POINTS[operation]
    except KeyError:
        raise UnknownName(
            f"No operation '{operation}'. Known operations: {', '.join(sorted(OPERATION_POINTS))}."
        ) from None
    return tuple(dict.fromkeys(points))


def resolve_point(name: str, points: tuple[str, ...], where: str) -> str:
    """The full point name for ``name`` among ``points``.

    Raises UnknownName naming ``where`` and listing the valid names when
    ``name`` is neither a full name nor a unique short one.
    """
    if name in points:
        return name
    matches = [full for full in points if full.split(".", 1)[-1] == name]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UnknownName(
            f"Point '{name}' is ambiguous in {where}; use one of: {', '.join(matches)}."
        )
    raise UnknownName(f"No point '{name}' in {where}. Valid points: {', '.join(points)}.")


def resolve_delays(operation: str, delays: dict[str, float]) -> dict[PointPass, float]:
    """Delays keyed by point and pass, checked against ``operation``'s points."""
    points = points_of(operation)
    resolved: dict[PointPass, float] = {}
    for name, seconds in delays.items():
        if seconds < 0:
            raise ValueError(f"Delay at '{name}' cannot be negative: {seconds} seconds.")
        base, _, nth = name.partition("#")
        if nth and (not nth.isdigit() or int(nth) < 1):
            raise UnknownName(
                f"Delay '{name}' names pass '{nth}'; after '#' give the pass to delay, "
                f"a whole number from 1, as in '{base}#2'."
            )
        full = resolve_point(base, points, f"operation '{operation}'")
        resolved[PointPass(full, int(nth) if nth else None)] = float(seconds)
    return resolved


# Points where the model handles an injected failure as Nova handles an error
# there; elsewhere a failure would only crash the model, not test Nova.
FAILURE_POINTS: tuple[str, ...] = ("ResourceTracker.rebuild_claim", "ComputeDriver.rebuild")
