"""``ComputeManager``: what a ``nova-compute`` service does with a server.

Build, rebuild for evacuation (and plain rebuild), delete, stop and start,
suspend and resume, live migration (``compute_live_migration.py``),
interface attach and detach (``compute_interface.py``), and the start-up of a
service: ``init_host`` with ``_destroy_evacuated_instances``, then the start-up audit.
Only the resource tracker's steps hold the host lock; networking, the driver
and the post-spawn saves run without it, which is the window the periodic
audit can fall into.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from ..sim import Event, Lock, Task, point
from .claims import MoveClaim
from .compute_interface import InterfaceHandlers
from .compute_live_migration import LiveMigrationHandlers
from .compute_resize import ResizeHandlers
from .compute_shelve import ShelveHandlers
from .context import Context
from .db import Database
from .exception import (
    ComputeResourcesUnavailable,
    CPUPinningInvalid,
    CPUUnpinningInvalid,
    InjectedFault,
    InstanceExists,
    InstanceNotFound,
    MissingMigrationContext,
    RescheduledException,
    UnexpectedTaskStateError,
)
from .network import binding_profile, device_for_port, new_device_ref, unbind_ports
from .objects import (
    ACTIVE,
    BUILDING,
    DELETED,
    ERROR,
    POWERING_OFF,
    POWERING_ON,
    REBUILD_BLOCK_DEVICE_MAPPING,
    REBUILD_SPAWNING,
    REBUILD_STATES,
    REBUILDING,
    RESUMING,
    SCHEDULING,
    SPAWNING,
    STOPPED,
    SUSPENDED,
    SUSPENDING,
    DeviceRef,
    Instance,
    Migration,
    PciDevice,
)
from .resource_tracker import ResourceTracker

if TYPE_CHECKING:
    from .conductor import ComputeTaskManager
    from .rpcapi import ComputeAPI

EVACUATION_STATUSES_TO_CLEAN = ("accepted", "pre-migrating", "done")
# Before the fix of bug 1764883 a record already claimed on its destination
# was not cleaned up.
EVACUATION_STATUSES_BEFORE_1764883 = ("accepted", "done")

# Failures a rebuild survives by cleaning up: an injected driver failure, the
# instance deleted under it (nova-model 2.7 B and C), or its task state changed
# under it (the source's start-up erroring it, bug 1764883).
REBUILD_FAILURES = (InjectedFault, InstanceNotFound, InstanceExists, UnexpectedTaskStateError)


class ComputeManager(ResizeHandlers, LiveMigrationHandlers, ShelveHandlers, InterfaceHandlers):
    """The compute service of ``host``, its resource tracker and hypervisor,
    and its clients to the other computes and to the conductor."""

    def __init__(
        self,
        context: Context,
        host: str,
        compute_rpcapi: ComputeAPI,
        compute_task_api: ComputeTaskManager,
    ) -> None:
        self.context = context
        self.host = host
        self.compute_rpcapi = compute_rpcapi
        self.compute_task_api = compute_task_api
        self.rt = ResourceTracker(context, host)
        self.guests: set[str] = set()  # instance uuids the hypervisor runs
        # Set once the service consumes its RPC queue: after init_host and the
        # start-up audit. A cast that arrives while it starts waits in the queue.
        self.ready = Event(f"{host} started")
        self.ready.set()
        self.working: list[Task] = []  # tasks inside this service now
        # As oslo's lockutils, an instance's lock lives while a task holds or
        # waits for it: 100,000 finished boots keep no lock for the GC to scan.
        self._instance_locks: weakref.WeakValueDictionary[str, Lock] = weakref.WeakValueDictionary()
        self.start_failure: str | None = None  # why the last start-up exited
        # Instance uuid -> the devices its object named when the hypervisor
        # spawned it here (a driver reads them from the object, not the DB).
        self.spawned_pci_devices: dict[str, list[DeviceRef]] = {}

    def stopped(self) -> None:
        """The process is gone: its memory with it, and nothing is consumed."""
        self.rt = ResourceTracker(self.context, self.host)
        self._instance_locks.clear()  # the new process knows none of them
        self.ready = Event(f"{self.host} started")

    def handling(self, *, wait: bool = True) -> _Handling:
        """``async with``: the body runs inside this service (an RPC handler,
        or with ``wait=False`` the start-up itself)."""
        return _Handling(self, wait)

    @property
    def db(self) -> Database:
        return self.context.db

    # -- build ----------------------------------------------------------------

    def instance_lock(self, instance: Instance) -> Lock:
        """``@utils.synchronized(instance.uuid)``: this compute's lock for one
        instance, with which Nova serialises its build, terminate, stop and
        shelve operations."""
        lock = self._instance_locks.get(instance.uuid)
        if lock is None:
            lock = self._instance_locks[instance.uuid] = Lock(f"instance[{instance.name}]")
        return lock

    async def build_and_run_instance(
        self, instance: Instance, host_list: list[str]
    ) -> Awaitable[None] | None:
        """Builds ``instance`` here; ``host_list`` are the scheduler's
        alternates left. A build that fails as Nova reschedules returns the
        cast back to the conductor, made once this handler is done."""
        async with self.instance_lock(instance):
            failure = await self._locked_build_and_run_instance(instance)
        if failure is None:
            return None
        return self.compute_task_api.build_instances(
            instance, None, host_list=host_list, last_failure=failure
        )

    async def _locked_build_and_run_instance(self, instance: Instance) -> str | None:
        """The build; returns why it failed when it is to be rescheduled."""
        try:
            if instance.task_state == SCHEDULING:
                # Rescheduled here: Nova's build starts by clearing the task
                # state (a first build's is clear already, so it saves nothing).
                instance.task_state = None
                await self.db.instance_save(
                    instance, "task_state", expected_task_state=(SCHEDULING, None)
                )
            await self._build_and_spawn(instance)
        except InstanceNotFound as exc:
            await self._build_disappeared(instance, exc)
        except RescheduledException as exc:
            # _do_build_and_run_instance: the ports unbound, host and node
            # cleared, task 'scheduling', the allocation given back; then the
            # conductor tries an alternate.
            self.context.note(f"build rescheduled: {exc}")
            await unbind_ports(self.db, instance)
            instance.host = instance.node = instance.compute_id = None
            instance.task_state = SCHEDULING
            try:
                await self.db.instance_save(instance, "host", "node", "compute_id", "task_state")
            except InstanceNotFound as gone:
                await self._build_disappeared(instance, gone)
                return None
            await self.context.placement.delete_consumer(instance.uuid)
            return str(exc)
        return None

    async def _build_disappeared(self, instance: Instance, exc: InstanceNotFound) -> None:
        """The instance disappeared during the build: the claim is aborted, the
        ports unbound, and what the scheduler allocated is given back."""
        self.context.note(f"build stopped: {exc}")
        self.guests.discard(instance.uuid)
        await self.rt.abort_instance_claim(instance)
        await unbind_ports(self.db, instance)
        await self.context.placement.delete_consumer(instance.uuid)

    async def _build_and_spawn(self, instance: Instance) -> None:
        """Claim, bind, spawn, save. Raises RescheduledException when the
        claim is refused or the hypervisor fails the spawn (the claim then
        aborted: on the instance since bug 1860555, on a copy before)."""
        try:
            claim = await self.rt.instance_claim(instance)
        except ComputeResourcesUnavailable as exc:
            self.context.note(f"claim refused: {exc}")
            raise RescheduledException(f"claim refused on '{self.host}': {exc}") from exc
        await self._bind_ports(instance, self.rt.pci.allocations.get(instance.uuid, []))
        try:
            await point("ComputeDriver.spawn")
        except InjectedFault as exc:
            self.context.note(f"spawn failed: {exc}")
            await claim.abort()
            raise RescheduledException(f"spawn failed on '{self.host}': {exc}") from exc
        self.guests.add(instance.uuid)
        # What the hypervisor was handed: the instance object's PCI devices.
        self.spawned_pci_devices[instance.uuid] = list(instance.pci_devices)
        instance.vm_state, instance.task_state, instance.launched = ACTIVE, None, True
        await self.db.instance_save(
            instance, "vm_state", "task_state", "launched", expected_task_state=(None,)
        )

    async def _bind_ports(self, instance: Instance, devices: list[PciDevice]) -> None:
        requests = {r.requester_id: r for r in instance.pci_requests}
        for port_id in instance.ports:
            port = self.db.ports[port_id].clone()
            port.binding_host_id = self.host
            port.binding_profile = binding_profile(device_for_port(requests.get(port_id), devices))
            await self.db.port_update(port)

    # -- rebuild and evacuation -------------------------------------------------

    async def rebuild_instance(
        self,
        instance: Instance,
        migration: Migration | None,
        *,
        evacuate: bool,
        target_state: str | None = None,
    ) -> None:
        """Rebuilds ``instance`` here; with ``evacuate`` it arrives from a down
        host, and ends in ``target_state`` (``stopped`` from microversion 2.95)."""
        rp_uuid = self.db.compute_nodes[self.host].uuid
        claim: MoveClaim | None = None
        try:
            if evacuate:
                if migration is None and self.db.instances[instance.uuid].deleted:
                    # Deleted meanwhile, its records with it.
                    raise InstanceNotFound(f"Instance {instance.name} was deleted.")
                # Without a record (the source's start-up completed it before
                # the conductor read it) the claim creates one, as Nova's does.
                claim = await self.rt.rebuild_claim(instance, migration)
            await self._do_rebuild_instance(instance, evacuate=evacuate, target_state=target_state)
        except ComputeResourcesUnavailable as exc:
            self.context.note(f"rebuild claim refused: {exc}")
            await self._fail_evacuation(instance, migration, rp_uuid, vm_state=None)
            return
        except REBUILD_FAILURES as exc:
            self.context.note(f"rebuild failed: {exc}")
            if claim is not None:
                await claim.abort()  # on the claim's copy: no PCI freed (bug 1860555)
            if isinstance(exc, InstanceNotFound):
                # "Instance was deleted while rebuilding": the record fails, and
                # the delete gives back everything else.
                if migration is not None:
                    migration.status = "failed"
                    await self.db.migration_save(migration)
            elif evacuate:
                await self._fail_evacuation(instance, migration, rp_uuid, vm_state=ERROR)
            else:
                instance.vm_state, instance.task_state = ERROR, None
                instance.fault = f"rebuild failed on '{self.host}': {exc}"
                with contextlib.suppress(InstanceNotFound):  # deleted under it
                    await self.db.instance_save(instance, "vm_state", "task_state", "fault")
            return
        try:
            await self.rt.finish_evacuation(instance, migration)
        except InstanceNotFound as exc:
            # Outside Nova's try block: the RPC handler logs it and gives up,
            # leaving the migration as it was (pre-migrating).
            self.context.note(f"rebuild_instance failed after the rebuild: {exc}")

    async def _do_rebuild_instance(
        self, instance: Instance, *, evacuate: bool, target_state: str | None
    ) -> None:
        db = self.db
        orig_vm_state = instance.vm_state
        if evacuate and target_state is not None and orig_vm_state != ERROR:
            orig_vm_state = target_state  # the state the evacuated server ends in
        if evacuate and instance.uuid in self.guests:
            # _check_instance_exists: a second evacuation of a server already here.
            raise InstanceExists(f"Instance {instance.name} already exists on '{self.host}'.")
        # Each save expects the state the last one wrote: a task that changed
        # it meanwhile makes the rebuild fail (UnexpectedTaskStateError).
        instance.task_state = REBUILDING
        await db.instance_save(instance, "task_state", expected_task_state=(REBUILDING,))
        if evacuate:
            await self._rebind_ports_for_move(instance)
        instance.task_state = REBUILD_BLOCK_DEVICE_MAPPING
        await db.instance_save(instance, "task_state", expected_task_state=(REBUILDING,))
        instance.task_state = REBUILD_SPAWNING
        await db.instance_save(
            instance, "task_state", expected_task_state=(REBUILD_BLOCK_DEVICE_MAPPING,)
        )
        await point("ComputeDriver.rebuild")
        self.guests.add(instance.uuid)
        # The driver rebuilds with the migration context applied in memory; a
        # rebuild in place lazy-loads the instance's devices from the database.
        context = instance.migration_context
        spawned = context.new_pci_devices if context is not None else db.pci_devices_of(instance)
        self.spawned_pci_devices[instance.uuid] = list(spawned)
        instance.vm_state, instance.task_state = ACTIVE, None
        await db.instance_save(
            instance, "vm_state", "task_state", expected_task_state=(REBUILD_SPAWNING,)
        )
        if orig_vm_state == STOPPED:
            # Bring it back to its original (or target) state. Until the finish
            # below, it is still on the source with a pre-migrating record, in a
            # task state the audit does not count as moving.
            instance.task_state = POWERING_OFF
            await db.instance_save(instance, "task_state")
            await self.stop_instance(instance)
            if evacuate and target_state is not None:
                self.context.stopped_by_evacuation.add(instance.uuid)
                self.context.note(
                    f"{instance.name} stopped: evacuations end stopped from microversion 2.95"
                )

    # -- stop and start ------------------------------------------------------------

    async def stop_instance(self, instance: Instance) -> None:
        """Powers the guest off: ``SHUTOFF``."""
        async with self.instance_lock(instance):
            await point("ComputeDriver.power_off")
            instance.vm_state, instance.task_state = STOPPED, None
            await self.db.instance_save(
                instance, "vm_state", "task_state", expected_task_state=(POWERING_OFF,)
            )

    async def start_instance(self, instance: Instance) -> None:
        """Powers the guest on: ``ACTIVE``. Nova's start takes no instance
        lock, so a delete can land during the power-on: the save then finds
        the server ``deleting`` or gone and the start stops there
        (``reverts_task_state`` leaves a preempted task's state), the delete
        freeing what the server held."""
        await point("ComputeDriver.power_on")
        self.context.stopped_by_evacuation.discard(instance.uuid)
        instance.vm_state, instance.task_state = ACTIVE, None
        try:
            await self.db.instance_save(
                instance, "vm_state", "task_state", expected_task_state=(POWERING_ON,)
            )
        except (InstanceNotFound, UnexpectedTaskStateError) as exc:
            self.context.note(f"start stopped: {exc}")

    # -- suspend and resume ---------------------------------------------------------
    # Neither takes the instance lock (Nova's suspend_instance and
    # resume_instance are not @utils.synchronized) and neither touches a claim:
    # the libvirt driver detaches the PCI devices and direct ports from the
    # guest and attaches them back on resume, but the devices stay allocated to
    # the instance, and its usage and placement allocation stay as they were.

    async def suspend_instance(self, instance: Instance) -> None:
        """Saves the guest's memory (``driver.suspend``): ``SUSPENDED``."""
        await self._suspend_or_resume(instance, "suspend", SUSPENDING, SUSPENDED)

    async def resume_instance(self, instance: Instance) -> None:
        """Restores the guest (``driver.resume``): the ``old_vm_state`` suspend
        saved, which is always ``ACTIVE`` as only an active server suspends."""
        await self._suspend_or_resume(instance, "resume", RESUMING, ACTIVE)

    async def _suspend_or_resume(
        self, instance: Instance, action: str, task_state: str, vm_state: str
    ) -> None:
        try:
            try:
                await point(f"ComputeDriver.{action}")
            except InjectedFault as exc:
                # _error_out_instance_on_exception: ERROR; reverts_task_state
                # clears the task; wrap_instance_fault records the fault.
                self.context.note(f"{action} failed: {exc}")
                instance.vm_state, instance.task_state = ERROR, None
                instance.fault = f"{action} failed on '{self.host}': {exc}"
                await self.db.instance_save(instance, "vm_state", "task_state", "fault")
                return
            instance.vm_state, instance.task_state = vm_state, None
            await self.db.instance_save(
                instance, "vm_state", "task_state", expected_task_state=(task_state,)
            )
        except (InstanceNotFound, UnexpectedTaskStateError) as exc:
            # Deleted meanwhile (the delete's lock does not wait for these
            # handlers, which take none): the delete frees what it held.
            self.context.note(f"{action} stopped: {exc}")

    async def _rebind_ports_for_move(self, instance: Instance) -> None:
        """Points every port at this host and at its new device (by request id)."""
        context = instance.migration_context
        for port_id in instance.ports:
            port = self.db.ports[port_id].clone()
            port.binding_host_id = self.host
            slot = port.binding_profile.get("pci_slot")
            if slot and context is not None:
                ref = new_device_ref(slot, context.old_pci_devices, context.new_pci_devices)
                device = self.rt.pci.device(ref.address) if ref else None
                port.binding_profile = binding_profile(device)
            await self.db.port_update(port)

    async def _fail_evacuation(
        self,
        instance: Instance,
        migration: Migration | None,
        rp_uuid: str,
        *,
        vm_state: str | None,
    ) -> None:
        """Migration ``failed``, this host's placement part removed, task cleared."""
        if migration is not None:
            migration.status = "failed"
            await self.db.migration_save(migration)
        if self.db.instances[instance.uuid].deleted:
            return  # deleted meanwhile: no placement clean-up here (nova-model 2.7 C)
        await self.context.placement.remove_provider_from_consumer(instance.uuid, rp_uuid)
        fields = ["task_state"]
        instance.task_state = None
        if vm_state is not None:
            instance.vm_state, instance.fault = vm_state, f"evacuation to '{self.host}' failed"
            fields += ["vm_state", "fault"]
        with contextlib.suppress(InstanceNotFound):  # destroyed from under us meanwhile
            await self.db.instance_save(instance, *fields)

    # -- delete -------------------------------------------------------------------

    async def terminate_instance(self, instance: Instance) -> None:
        async with self.instance_lock(instance):  # waits for a build under way
            await point("ComputeDriver.destroy")
            self.guests.discard(instance.uuid)
            self.spawned_pci_devices.pop(instance.uuid, None)
            await unbind_ports(self.db, instance)
            instance.vm_state, instance.task_state = DELETED, None
            await self.db.instance_save(instance, "vm_state", "task_state")
            await self.rt.update_usage(instance)
            await self.context.placement.delete_consumer(instance.uuid)
            await self.db.instance_destroy(instance)

    # -- service start ------------------------------------------------------------

    async def init_host(self) -> None:
        """Start-up: clean up evacuated guests, initialise the other instances
        of this host, then the start-up audit; then the service consumes its
        queue.

        Raises InstanceNotFound, before the fix of bug 1794996, when an
        evacuated guest's instance was deleted meanwhile: the service does
        not start.
        """
        async with self.handling(wait=False):
            instances = await self.db.instance_list_by_host(self.host)
            evacuated = await self._destroy_evacuated_instances()
            skip = set(evacuated) if self.context.behaviour.start_up_skips_evacuating else set()
            for instance in instances:
                if instance.uuid not in skip:
                    await self._init_instance(instance)
            await self.update_available_resource(startup=True)
        self.ready.set()

    async def _init_instance(self, instance: Instance) -> None:
        """What start-up does to an instance of this host, as far as the model
        goes: one the service was building or rebuilding when it stopped
        failed there, and is set ERROR (no fault is recorded)."""
        if instance.host != self.host or instance.vm_state == ERROR:
            return
        building = instance.vm_state == BUILDING or instance.task_state in (SCHEDULING, SPAWNING)
        rebuilding = instance.vm_state in (ACTIVE, STOPPED) and (
            instance.task_state in REBUILD_STATES
        )
        if not (building or rebuilding):
            return
        self.context.note(
            f"start-up of '{self.host}': {instance.name} was interrupted "
            f"{'building' if building else instance.task_state}, so it is set ERROR"
        )
        instance.vm_state, instance.task_state = ERROR, None
        await self.db.instance_save(instance, "vm_state", "task_state")

    async def update_available_resource(self, *, startup: bool = False) -> None:
        """The periodic task (and the start-up one): the resource audit. An
        error ends it, logged, as Nova's loop over the nodes logs it."""
        try:
            await self.rt.update_available_resource(startup=startup)
        except MissingMigrationContext as exc:
            self.context.audit_failed(self.host, str(exc))
        except (CPUPinningInvalid, CPUUnpinningInvalid) as exc:
            self.context.audit_failed(self.host, f"{type(exc).__name__}: {exc}")

    async def _destroy_evacuated_instances(self) -> list[str]:
        db, placement = self.db, self.context.placement
        behaviour = self.context.behaviour
        statuses = EVACUATION_STATUSES_TO_CLEAN
        if not behaviour.start_up_skips_evacuating:
            statuses = EVACUATION_STATUSES_BEFORE_1764883
        migrations = await db.migration_list_evacuations_from(self.host, statuses)
        rp_uuid = db.compute_nodes[self.host].uuid
        evacuated = []
        for migration in migrations:
            if migration.instance_uuid in self.guests:
                await point("ComputeDriver.destroy")
                row = db.instances[migration.instance_uuid]
                if row.deleted and not behaviour.start_up_reads_deleted:
                    # The instance was loaded without read_deleted: destroying
                    # its guest lazy-loads its flavor, which is gone.
                    raise InstanceNotFound(
                        f"destroying the guest of evacuated server '{row.name}' lazy-loaded "
                        "the flavor of its deleted instance (InstanceNotFound)"
                    )
                self.guests.discard(migration.instance_uuid)
            evacuated.append(migration.instance_uuid)
        for migration in migrations:
            row = db.instances.get(migration.instance_uuid)
            if row is not None and not row.deleted:
                await placement.remove_provider_from_consumer(migration.instance_uuid, rp_uuid)
            migration.status = "completed"
            await db.migration_save(migration)
        return evacuated


class _Handling:
    """Waits until the service consumes its queue, then counts the current task
    as working in it, so that the service cannot be stopped under it."""

    def __init__(self, compute: ComputeManager, wait: bool) -> None:
        self.compute, self.wait = compute, wait
        self.task: Task | None = None

    async def __aenter__(self) -> None:
        if self.wait:
            await self.compute.ready.wait()
        self.task = self.compute.context.kernel.current
        if self.task is not None:
            self.compute.working.append(self.task)

    async def __aexit__(self, *exc_info: object) -> None:
        if self.task is not None:
            self.compute.working.remove(self.task)
