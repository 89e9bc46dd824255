"""Operations as records: one declaration says everything about an operation.

An :class:`Operation` holds its name and task label, the named points it
passes in order, the points where an injected failure is handled as Nova
handles an error there, the keywords that start it (for the libdoc table),
Nova's API preconditions as data (the ``vm_state`` and ``task_state`` values
``@check_instance_state`` allows in ``nova/compute/api.py``), and three
callables: ``check`` (further refusals), ``accept`` (what the API writes
before it answers 202) and ``run`` (the coroutine that does the work).

:meth:`Cluster.start` is the one path that starts any operation: look the
subject up, check the preconditions, resolve the delays, accept, spawn.
Adding an operation means declaring a record and calling :func:`register`;
nothing else lists operations. A delay may name a point in full
(``Instance.drop_migration_context``) or by the part after the dot where that
part is unique among the operation's points (``drop_migration_context``);
``name#n`` delays only the n-th pass.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from ..errors import ApiRefused, InvalidArgument, UnknownName
from ..sim import PointPass
from . import api, service
from .exception import (
    AllocationConflict,
    ComputeResourcesUnavailable,
    InjectedFault,
    MigrationPreCheckError,
    PciDeviceRequestFailed,
)
from .objects import (
    ACTIVE,
    ERROR,
    PAUSED,
    RESIZED,
    SHELVED,
    SHELVED_OFFLOADED,
    STOPPED,
    SUSPENDED,
    Instance,
)

SERVER = "server"
HOST = "host"
Subject = Literal["server", "host"]
# check, accept and run get the services, the target (a copy of the server's
# row, a new server's name, or a host name) and the keyword's arguments.
Step = Callable[..., Any]
CLOCK_RESOLUTION = 0.001  # seconds: the journal shows milliseconds


class TaskTag(NamedTuple):
    """What a task of an operation is: kept on the kernel's task, so nothing
    has to read a task's name back."""

    operation: str
    subject: str


@dataclass(frozen=True)
class Operation:
    """One operation of the model, declared once."""

    name: str
    subject: Subject
    points: tuple[str, ...]  # in the order passed; a point passed twice is listed twice
    run: Callable[..., Coroutine[Any, Any, None]]  # (services, target, **arguments)
    label: str = ""  # task label prefix; the name when empty
    verb: str = ""  # for refusals ("Cannot evacuate 'vm1': ..."); the name when empty
    # Points where an injected failure is handled as Nova handles an error
    # there, with the error Nova raises there (a plain point: InjectedFault).
    failure_points: tuple[str, ...] | dict[str, type[Exception]] = ()
    keywords: tuple[str, ...] = ()
    # @check_instance_state: None allows any value; task_states (None,) means
    # "no other operation under way", Nova's default.
    vm_states: tuple[str, ...] | None = None
    task_states: tuple[str | None, ...] | None = (None,)
    must_have_launched: bool = False
    creates: bool = False  # the subject names a new server, not an existing one
    check: Step | None = None  # (services, target, **arguments), raises ApiRefused
    accept: Step | None = None  # (services, target, **arguments) -> target or None

    @functools.cached_property
    def unique_points(self) -> tuple[str, ...]:
        """The points without duplicates, in the order first passed (made
        once: every start resolves its delays against them)."""
        return tuple(dict.fromkeys(self.points))

    def task_name(self, subject: str) -> str:
        return f"{self.label or self.name}({subject})"

    def refuse_state(self, instance: Instance) -> None:
        """Refuses what ``@check_instance_state`` refuses, naming the state."""
        verb, name = self.verb or self.name, instance.name
        if self.vm_states is not None and (
            instance.vm_state not in self.vm_states
            or (self.must_have_launched and not instance.launched)
        ):
            ran = " that have run" if self.must_have_launched else ""
            raise ApiRefused(
                f"Cannot {verb} '{name}': it is {instance.vm_state}; "
                f"only {', '.join(self.vm_states)} servers{ran} can be (409)."
            )
        if self.task_states is not None and instance.task_state not in self.task_states:
            raise ApiRefused(
                f"Cannot {verb} '{name}' while it is in task state "
                f"{instance.task_state}; wait for that operation to finish (409)."
            )

    def resolve_delays(self, delays: dict[str, float]) -> dict[PointPass, float]:
        """Delays keyed by point and pass, checked against this operation's points.

        Raises UnknownName for a point the operation does not pass (listing the
        valid ones) and InvalidArgument for a negative or infinite delay.
        """
        # A suite starts the same operation with the same delays again and
        # again: what a set of delays resolved to is kept (refusals are not).
        try:
            key = tuple(delays.items())
            known = self._resolved.get(key)
        except TypeError:  # an unhashable value: resolve it (and refuse it) afresh
            key, known = None, None
        if known is not None:
            return dict(known)
        resolved: dict[PointPass, float] = {}
        given: dict[PointPass, str] = {}
        for name, seconds in delays.items():
            where = parse_point_pass(name, self.unique_points, f"operation '{self.name}'")
            if where in given:
                raise InvalidArgument(
                    f"Delays '{given[where]}' and '{name}' name the same point, {where}; "
                    "give it once."
                )
            given[where] = name
            resolved[where] = check_delay(name, seconds)
        if key is not None:
            if len(self._resolved) >= _RESOLVED_KEPT:  # an explorer sweeping delays
                self._resolved.clear()
            self._resolved[key] = resolved
        return dict(resolved)

    @functools.cached_property
    def _resolved(self) -> dict[tuple, dict[PointPass, float]]:
        """Delays resolved before, by their (name, seconds) pairs."""
        return {}


_REGISTRY: dict[str, Operation] = {}
_RESOLVED_KEPT = 256  # sets of delays an operation keeps resolved


def register(operation: Operation) -> Operation:
    """Adds ``operation`` to the model; returns it. Raises ValueError for a
    name already taken, so two records never fight over one name."""
    if operation.name in _REGISTRY:
        raise ValueError(f"An operation named '{operation.name}' is already registered.")
    _REGISTRY[operation.name] = operation
    return operation


def unregister(name: str) -> None:
    """Removes an operation (tests that declare their own use this)."""
    _REGISTRY.pop(name, None)


def get(name: str) -> Operation:
    """The operation ``name``. Raises UnknownName listing the known ones."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownName(
            f"No operation '{name}'. Known operations: {', '.join(sorted(_REGISTRY))}."
        ) from None


def all_operations() -> tuple[Operation, ...]:
    """Every registered operation, in the order declared."""
    return tuple(_REGISTRY.values())


def all_points() -> tuple[str, ...]:
    """Every point of every operation, sorted."""
    return tuple(sorted({name for op in _REGISTRY.values() for name in op.points}))


def failure_points() -> tuple[str, ...]:
    """Points where some operation handles an injected failure, in declaration order."""
    return tuple(dict.fromkeys(name for op in _REGISTRY.values() for name in op.failure_points))


def fault_at(point: str) -> type[Exception]:
    """The error an injected failure at ``point`` raises: the one Nova raises
    there (a claim refused, placement's 409), else InjectedFault."""
    for op in _REGISTRY.values():
        if isinstance(op.failure_points, dict) and point in op.failure_points:
            return op.failure_points[point]
    return InjectedFault


# -- point names ----------------------------------------------------------------------


def resolve_point(name: str, points: Iterable[str], where: str) -> str:
    """The full point name for ``name`` among ``points``.

    Raises UnknownName naming ``where`` and listing the valid names when
    ``name`` is neither a full name nor a unique short one.
    """
    points = tuple(points)
    if name in points:
        return name
    matches = _by_short_name(points).get(name, [])
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UnknownName(
            f"Point '{name}' is ambiguous in {where}; use one of: {', '.join(matches)}."
        )
    raise UnknownName(f"No point '{name}' in {where}. Valid points: {', '.join(points)}.")


@functools.lru_cache(maxsize=128)
def _by_short_name(points: tuple[str, ...]) -> dict[str, list[str]]:
    """The full names of ``points`` by the part after the dot, in order:
    made once per operation's points, as each start resolves its delays."""
    found: dict[str, list[str]] = {}
    for full in points:
        found.setdefault(full.split(".", 1)[-1], []).append(full)
    return found


def parse_point_pass(name: str, points: Iterable[str], where: str) -> PointPass:
    """``Class.method`` or ``Class.method#n`` (short names allowed) as a PointPass.

    This is the one place that reads the ``#n`` form; ``str(PointPass)``
    writes it. Raises UnknownName for a bad pass or an unknown point.
    """
    base, _, nth = name.partition("#")
    if nth and (not (nth.isascii() and nth.isdigit()) or int(nth) < 1):
        raise UnknownName(
            f"Delay '{name}' names pass '{nth}'; after '#' give the pass to delay, "
            f"a whole number from 1, as in '{base}#2'."
        )
    return PointPass(resolve_point(base, points, where), int(nth) if nth else None)


def check_delay(name: str, seconds: float) -> float:
    """``seconds`` as a delay at ``name``. Raises InvalidArgument if it is
    negative or not a finite number."""
    if not math.isfinite(seconds):
        raise InvalidArgument(f"Delay '{name}' must be a finite time, got {seconds}.")
    if seconds < 0:
        raise InvalidArgument(f"Delay '{name}' cannot be negative: {seconds:g} seconds.")
    if 0 < seconds < CLOCK_RESOLUTION:
        raise InvalidArgument(
            f"Delay '{name}' of {seconds:g} seconds is below the clock's resolution; "
            "give 0 or at least 1 ms."
        )
    return float(seconds)


# -- the operations of the model -------------------------------------------------------

_CLAIM_WRITES = ("PciDevice.claim", "PciDevice.allocate", "ComputeNode.save", "PciDevTracker.save")
_SCHEDULE = ("SchedulerClient.select_destinations", "SchedulerReportClient.claim_resources")
_AUDIT_START = (
    "ComputeDriver.get_available_resource",
    "ResourceTracker._update_available_resource",
)
_AUDIT_REST = (
    "InstanceList.get_by_host_and_node",
    "MigrationList.get_in_progress_and_error",
    "SchedulerReportClient.delete_allocation_for_instance",
    "PciDevTracker.clean_usage",
    "ComputeNode.save",
    "PciDevTracker.save",
)
_EVACUABLE = (ACTIVE, STOPPED, ERROR)

CREATE = register(
    Operation(
        name="create",
        subject=SERVER,
        points=(
            "ComputeTaskAPI.build_instances",
            *_SCHEDULE,
            "ComputeAPI.build_and_run_instance",
            "ResourceTracker.instance_claim",
            "Instance.save",
            *_CLAIM_WRITES,
            "NeutronAPI.update_port",
            "ComputeDriver.spawn",
            "SchedulerReportClient.delete_allocation_for_instance",
            "ResourceTracker.abort_instance_claim",  # the spawn failed, or the server is gone
            "ComputeNode.save",
            "PciDevTracker.save",
            "NeutronAPI.update_port",
            # A failed build is rescheduled: ports unbound, host cleared, the
            # allocation given back, and the conductor again, with an alternate.
            "Instance.save",
            "SchedulerReportClient.delete_allocation_for_instance",
            "ComputeTaskAPI.build_instances",
            "SchedulerReportClient.claim_resources",
            "ComputeAPI.build_and_run_instance",
        ),
        keywords=("Create Server With Direct Port", "Create Server"),
        failure_points={
            "SchedulerReportClient.claim_resources": AllocationConflict,
            "ResourceTracker.instance_claim": ComputeResourcesUnavailable,
            "ComputeDriver.spawn": InjectedFault,
        },
        creates=True,
        check=api.check_create,
        accept=api.accept_create,
        run=api.create_server,
    )
)

EVACUATE = register(
    Operation(
        name="evacuate",
        subject=SERVER,
        points=(
            "ComputeTaskAPI.rebuild_instance",
            "Migration.get_by_instance_and_status",
            *_SCHEDULE,
            "ComputeAPI.rebuild_instance",
            "ResourceTracker.rebuild_claim",
            "Migration.save",
            "Migration.create",  # no record left: the source's start-up completed it
            "PciDevice.claim",
            "Instance.save",
            "PciDevice.allocate",
            "ComputeNode.save",
            "PciDevTracker.save",
            "NeutronAPI.update_port",
            "ComputeDriver.rebuild",
            "ComputeDriver.power_off",  # microversion 2.95 and later, or a stopped server
            "ResourceTracker.finish_evacuation",
            "Instance.drop_migration_context",
            "ResourceTracker.drop_move_claim",
            "SchedulerReportClient.remove_provider_tree_from_instance_allocation",
        ),
        failure_points={
            "SchedulerReportClient.claim_resources": AllocationConflict,
            "ResourceTracker.rebuild_claim": ComputeResourcesUnavailable,
            "ComputeDriver.rebuild": InjectedFault,
        },
        keywords=("Evacuate Server With Direct Port", "Evacuate Server"),
        vm_states=_EVACUABLE,
        task_states=None,  # any, since bug 1978983: a server stuck powering off can move
        must_have_launched=True,
        check=api.check_evacuate,
        accept=api.accept_evacuate,
        run=api.evacuate,
    )
)

REBUILD = register(
    Operation(
        name="rebuild",
        subject=SERVER,
        points=(
            "ComputeTaskAPI.rebuild_instance",
            "ComputeAPI.rebuild_instance",
            "Instance.save",
            "ComputeDriver.rebuild",
            "ComputeDriver.power_off",  # a stopped server is stopped again
            "ResourceTracker.finish_evacuation",
        ),
        keywords=("Rebuild Server",),
        vm_states=_EVACUABLE,
        must_have_launched=True,
        check=api.check_rebuild,
        accept=api.accept_rebuild,
        run=api.rebuild,
    )
)

# What confirming a resize passes on the source; a delete of a server awaiting
# confirmation passes them first (Nova's _confirm_resize_on_deleting).
_CONFIRM_ON_SOURCE = (
    "ComputeAPI.confirm_resize",
    "Instance.get_by_uuid",
    "ComputeDriver.confirm_migration",
    "ResourceTracker.drop_move_claim_at_source",
    "Migration.save",
    "ResourceTracker.drop_move_claim",  # before the fix of 1879878
)

DELETE = register(
    Operation(
        name="delete",
        subject=SERVER,
        points=(
            # A server awaiting its resize confirmation is confirmed first (a call).
            *_CONFIRM_ON_SOURCE,
            "Instance.drop_migration_context",
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
        keywords=("Delete Server",),
        vm_states=None,  # Nova: vm_state=None, task_state=None, must_have_launched=False
        task_states=None,
        accept=api.accept_delete,
        run=api.delete,
    )
)

STOP_SERVER = register(
    Operation(
        name="stop_server",
        verb="stop",
        subject=SERVER,
        points=("ComputeAPI.stop_instance", "ComputeDriver.power_off", "Instance.save"),
        keywords=("Stop Server",),
        vm_states=(ACTIVE, ERROR),
        must_have_launched=True,
        accept=api.accept_stop,
        run=api.stop,
    )
)

START_SERVER = register(
    Operation(
        name="start_server",
        verb="start",
        subject=SERVER,
        points=("ComputeAPI.start_instance", "ComputeDriver.power_on", "Instance.save"),
        keywords=("Start Server",),
        vm_states=(STOPPED,),
        must_have_launched=True,
        accept=api.accept_start,
        run=api.start,
    )
)

# Suspend and resume (nova/compute/api.py suspend, resume; manager.py
# suspend_instance, resume_instance): the guest's memory saved and restored on
# its host, which keeps every claim. A failed driver call sets the server ERROR.

SUSPEND = register(
    Operation(
        name="suspend",
        subject=SERVER,
        points=("ComputeAPI.suspend_instance", "ComputeDriver.suspend", "Instance.save"),
        failure_points=("ComputeDriver.suspend",),
        keywords=("Suspend Server",),
        vm_states=(ACTIVE,),
        must_have_launched=True,
        accept=api.accept_suspend,
        run=api.suspend,
    )
)

RESUME = register(
    Operation(
        name="resume",
        subject=SERVER,
        points=("ComputeAPI.resume_instance", "ComputeDriver.resume", "Instance.save"),
        failure_points=("ComputeDriver.resume",),
        keywords=("Resume Server",),
        vm_states=(SUSPENDED,),
        must_have_launched=True,
        accept=api.accept_resume,
        run=api.resume,
    )
)

LIVE_MIGRATE = register(
    Operation(
        name="live_migrate",
        verb="live migrate",
        subject=SERVER,
        points=(
            # conductor: the record, the source allocation to the migration,
            # a destination, its check (the VFs claimed there), the ports bound
            "ComputeTaskAPI.live_migrate_instance",
            "Migration.create",
            "SchedulerReportClient.move_allocations",
            *_SCHEDULE,
            "ComputeAPI.check_can_live_migrate_destination",
            "ComputeDriver.check_can_live_migrate_destination",
            "ComputeAPI.check_can_live_migrate_source",
            "ComputeDriver.check_can_live_migrate_source",
            # a NUMA server's move claim: the context saved, the usage counted
            "ResourceTracker.live_migration_claim",
            "Migration.save",
            "Instance.save",
            "PciDevice.allocate",
            "ComputeNode.save",
            "PciDevTracker.save",
            "ResourceTracker.claim_pci_devices",
            "PciDevice.claim",
            "PciDevTracker.save",
            "NeutronAPI.bind_ports_to_host",
            "SchedulerReportClient.remove_provider_tree_from_instance_allocation",  # host skipped
            "Migration.save",  # the destination recorded
            # source: queued, preparing, the destination prepares, running
            "ComputeAPI.live_migration",
            "Migration.save",
            "Migration.save",
            "ComputeAPI.pre_live_migration",
            "ComputeDriver.pre_live_migration",
            "Migration.save",
            "ComputeDriver.live_migration",
            # source, then destination: the guest has moved
            "NeutronAPI.migrate_instance_start",
            "ComputeDriver.post_live_migration_at_source",
            "ResourceTracker.free_pci_device_allocations_for_instance",
            "PciDevTracker.save",
            "ComputeAPI.post_live_migration_at_destination",
            "ResourceTracker.allocate_pci_devices_for_instance",
            "PciDevice.allocate",
            "PciDevTracker.save",
            "ComputeDriver.post_live_migration_at_destination",
            "Instance.save",
            "NeutronAPI.setup_networks_on_host",
            # source: its audit, the migration completed, its allocation deleted
            *_AUDIT_START,
            *_AUDIT_REST,
            "Migration.save",
            "SchedulerReportClient.delete_allocation_for_instance",
            # rollback on the source, and the destination's clean-up
            "SchedulerReportClient.move_allocations",
            "ComputeDriver.rollback_live_migration_at_source",
            "ComputeAPI.rollback_live_migration_at_destination",
            "NeutronAPI.setup_networks_on_host",
            "ResourceTracker.free_pci_device_claims_for_instance",
            "PciDevTracker.save",
            "ComputeDriver.rollback_live_migration_at_destination",
            # a NUMA server's: the destination drops its move claim
            "ComputeAPI.drop_move_claim_at_destination",
            "ResourceTracker.drop_move_claim",
            "ComputeNode.save",
            "PciDevTracker.save",
            "Instance.save",
            "Migration.save",
        ),
        failure_points={
            "SchedulerReportClient.claim_resources": AllocationConflict,
            "ComputeDriver.check_can_live_migrate_destination": MigrationPreCheckError,
            "ResourceTracker.claim_pci_devices": PciDeviceRequestFailed,
            "ComputeDriver.pre_live_migration": InjectedFault,
            "ComputeDriver.live_migration": InjectedFault,
        },
        keywords=("Live Migrate Server",),
        vm_states=(ACTIVE, PAUSED),
        must_have_launched=True,
        check=api.check_live_migrate,
        accept=api.accept_live_migrate,
        run=api.live_migrate,
    )
)

# -- shelve, shelve offload and unshelve (nova/compute/api.py, manager.py) -------------

# _shelve_offload_instance, reached from a shelve that offloads at once or from
# shelve offload: the guest goes, and with it every claim on the host.
_OFFLOAD = (
    "ComputeDriver.power_off",
    "NeutronAPI.update_port",  # the ports unbound
    "ComputeDriver.destroy",
    "SchedulerReportClient.delete_allocation_for_instance",
    "Instance.save",  # shelved_offloaded
    "ResourceTracker.update_usage",
    "ComputeNode.save",
    "PciDevTracker.save",
    "Instance.save",  # host and node cleared
)

SHELVE = register(
    Operation(
        name="shelve",
        subject=SERVER,
        points=(
            "ComputeAPI.shelve_instance",
            "ComputeDriver.power_off",
            "ComputeDriver.snapshot",
            "Instance.save",  # shelving_image_uploading (task None on a failed snapshot)
            "Instance.save",  # shelved, task shelving_offloading when offloading
            *_OFFLOAD,
        ),
        failure_points=("ComputeDriver.snapshot",),
        keywords=("Shelve Server",),
        vm_states=(ACTIVE, STOPPED, PAUSED, SUSPENDED),
        must_have_launched=True,
        accept=api.accept_shelve,
        run=api.shelve,
    )
)

SHELVE_OFFLOAD = register(
    Operation(
        name="shelve_offload",
        verb="shelve offload",
        subject=SERVER,
        points=("ComputeAPI.shelve_offload_instance", *_OFFLOAD),
        keywords=("Shelve Offload Server",),
        vm_states=(SHELVED,),
        must_have_launched=True,
        accept=api.accept_shelve_offload,
        run=api.shelve_offload,
    )
)

UNSHELVE = register(
    Operation(
        name="unshelve",
        subject=SERVER,
        points=(
            "ComputeTaskAPI.unshelve_instance",
            # a shelved server is powered on where it is
            "Instance.save",  # powering-on
            "ComputeAPI.start_instance",
            "ComputeDriver.power_on",
            # an offloaded one is scheduled, claimed and spawned
            *_SCHEDULE,
            "ComputeAPI.unshelve_instance",
            "Instance.save",  # spawning
            "ResourceTracker.instance_claim",
            "Instance.save",  # host and node
            *_CLAIM_WRITES,
            "NeutronAPI.update_port",
            "ComputeDriver.spawn",
            "Instance.save",  # active
            # a failed spawn: the claim aborted, the allocation deleted
            "ResourceTracker.abort_instance_claim",
            "SchedulerReportClient.delete_allocation_for_instance",
        ),
        failure_points={
            "SchedulerReportClient.claim_resources": AllocationConflict,
            "ResourceTracker.instance_claim": ComputeResourcesUnavailable,
            "ComputeDriver.spawn": InjectedFault,
        },
        keywords=("Unshelve Server",),
        vm_states=(SHELVED, SHELVED_OFFLOADED),
        must_have_launched=True,
        check=api.check_unshelve,
        accept=api.accept_unshelve,
        run=api.unshelve,
    )
)

# -- interface attach and detach (nova/compute/api.py, manager.py) ---------------------

_INTERFACE_STATES = (ACTIVE, PAUSED, STOPPED)

ATTACH_INTERFACE = register(
    Operation(
        name="attach_interface",
        verb="attach an interface to",
        subject=SERVER,
        points=(
            "ComputeAPI.attach_interface",  # a call: the API answers when it returns
            # an SR-IOV port's request claimed under the host lock: 'claimed'
            "ResourceTracker.claim_pci_devices",
            "PciDevice.claim",
            "PciDevTracker.save",
            "NeutronAPI.update_port",  # bound: device_id, host, the device's profile
            "ComputeDriver.attach_interface",
            # a failed driver attach: the port unbound, the device freed
            "NeutronAPI.update_port",
            "ResourceTracker.unclaim_pci_devices",
            "PciDevTracker.save",
            # the device 'allocated', the request saved with the instance
            "ResourceTracker.allocate_pci_devices_for_instance",
            "PciDevice.allocate",
            "PciDevTracker.save",
            "Instance.save",
        ),
        failure_points={
            "ResourceTracker.claim_pci_devices": PciDeviceRequestFailed,
            "ComputeDriver.attach_interface": InjectedFault,
        },
        keywords=("Attach Interface",),
        vm_states=_INTERFACE_STATES,
        check=api.check_interface_port,
        run=api.attach_interface,
    )
)

DETACH_INTERFACE = register(
    Operation(
        name="detach_interface",
        verb="detach an interface from",
        subject=SERVER,
        points=(
            "ComputeAPI.detach_interface",
            "ComputeDriver.detach_interface",
            "NeutronAPI.update_port",  # unbound, device_id cleared
            "ResourceTracker.unclaim_pci_devices",
            "PciDevTracker.save",
            "Instance.save",  # without the port and its request
        ),
        failure_points=("ComputeDriver.detach_interface",),
        keywords=("Detach Interface",),
        vm_states=_INTERFACE_STATES,
        check=api.check_interface_port,
        run=api.detach_interface,
    )
)

UPDATE_AVAILABLE_RESOURCE = register(
    Operation(
        name="update_available_resource",
        label="audit",
        verb="run the periodic audit of",
        subject=HOST,
        points=(*_AUDIT_START, *_AUDIT_REST),
        keywords=("Run Periodic Update Available Resource", "Run Periodics"),
        check=service.check_audit,
        run=service.update_available_resource,
    )
)

START = register(
    Operation(
        name="start",
        verb="start compute service on",
        subject=HOST,
        points=(
            "InstanceList.get_by_host",
            "MigrationList.get_by_filters",
            "ComputeDriver.destroy",
            "SchedulerReportClient.remove_provider_tree_from_instance_allocation",
            "Migration.save",
            "Instance.save",  # _init_instance: a server interrupted while (re)building
            *_AUDIT_START,
            "PciDeviceList.get_by_compute_node",  # a fresh tracker reads the rows
            *_AUDIT_REST,
        ),
        keywords=("Start Compute Service",),
        check=service.check_start,
        accept=service.accept_start,
        run=service.start,
    )
)

# Cold migration and resize: the conductor's task, the destination's claim,
# the source's hand-over, the destination's finish. A refused claim goes back
# to the conductor, which tries the alternates.
_MIGRATE = (
    "ComputeTaskAPI.migrate_server",
    "Migration.create",
    "SchedulerReportClient.move_allocations",
    *_SCHEDULE,
    "ComputeAPI.prep_resize",
    "Instance.save",
    "ResourceTracker.resize_claim",
    "Migration.save",
    "PciDevice.claim",
    "Instance.save",
    "PciDevice.allocate",
    "ComputeNode.save",
    "PciDevTracker.save",
    "ComputeAPI.resize_instance",
    "Migration.save",
    "Instance.save",
    "ComputeDriver.migrate_disk_and_power_off",
    "NeutronAPI.migrate_instance_start",
    "Migration.save",
    "Instance.save",
    "ComputeAPI.finish_resize",
    "NeutronAPI.update_port",
    "Instance.save",
    "ComputeDriver.finish_migration",
    "Migration.save",
    "Instance.save",
    "ComputeTaskAPI.resize_instance",  # a refused claim: rescheduled
    "SchedulerReportClient.delete_allocation_for_instance",  # a failed finish
)
_MIGRATE_FAILURES: dict[str, type[Exception]] = {
    "SchedulerReportClient.claim_resources": AllocationConflict,
    "ResourceTracker.resize_claim": ComputeResourcesUnavailable,
    "ComputeDriver.migrate_disk_and_power_off": InjectedFault,
    "ComputeDriver.finish_migration": InjectedFault,
}
_MOVABLE = (ACTIVE, STOPPED)

MIGRATE = register(
    Operation(
        name="migrate",
        subject=SERVER,
        points=_MIGRATE,
        failure_points=_MIGRATE_FAILURES,
        keywords=("Migrate Server",),
        vm_states=_MOVABLE,
        check=api.check_migrate,
        accept=api.accept_move,
        run=api.migrate,
    )
)

RESIZE = register(
    Operation(
        name="resize",
        subject=SERVER,
        points=_MIGRATE,
        failure_points=_MIGRATE_FAILURES,
        keywords=("Resize Server",),
        vm_states=_MOVABLE,
        check=api.check_resize,
        accept=api.accept_move,
        run=api.resize,
    )
)

CONFIRM_RESIZE = register(
    Operation(
        name="confirm_resize",
        verb="confirm the resize of",
        subject=SERVER,
        points=(
            *_CONFIRM_ON_SOURCE,
            "ComputeNode.save",
            "PciDevTracker.save",
            "Instance.drop_migration_context",
            "Instance.save",
            "SchedulerReportClient.delete_allocation_for_instance",
            "Instance.save",
        ),
        failure_points=("ComputeDriver.confirm_migration",),
        keywords=("Confirm Resize",),
        vm_states=(RESIZED,),
        check=api.check_confirm,
        accept=api.accept_confirm,
        run=api.confirm_resize,
    )
)

REVERT_RESIZE = register(
    Operation(
        name="revert_resize",
        verb="revert the resize of",
        subject=SERVER,
        points=(
            "ComputeAPI.revert_resize",
            "ComputeDriver.destroy",
            "ResourceTracker.drop_move_claim_at_dest",
            "Migration.save",
            "Instance.save",  # before the fix of 1879878: outside the lock
            "ResourceTracker.drop_move_claim",  # before the fix of 1879878
            "ComputeNode.save",
            "PciDevTracker.save",
            "ComputeAPI.finish_revert_resize",
            "SchedulerReportClient.move_allocations",
            "NeutronAPI.update_port",
            "ComputeDriver.finish_revert_migration",
            "Instance.drop_migration_context",
            "Instance.save",
            "Instance.save",
            "ComputeDriver.power_off",  # a server stopped before its resize
            "Instance.save",
        ),
        keywords=("Revert Resize",),
        vm_states=(RESIZED,),
        check=api.check_revert,
        accept=api.accept_revert,
        run=api.revert_resize,
    )
)
