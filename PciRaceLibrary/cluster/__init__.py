"""The fake compute cluster: a deterministic model of Nova's PCI accounting.

:class:`Cluster` is the facade the keyword layer (and pytest) uses. Actions
(``create_server``, ``evacuate``, ...) validate at once, raising ``ApiRefused``
or ``UnknownName`` with nothing changed, then spawn a kernel task and return it,
as Nova's API answers 202 before the work is done. Nothing runs until the
caller runs the kernel (``run_task``, ``run_until``). Queries read state now
and return plain data.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import NamedTuple

from ..errors import ApiRefused, InvalidArgument, UnknownName
from ..sim import Change, Kernel, Task, format_time
from ..sim.kernel import cyclic_gc_paused, freeze_long_lived
from . import api, api_version, operations
from .api import check_host
from .compute_manager import ComputeManager
from .conductor import ComputeTaskManager
from .context import Context
from .db import Database
from .host_plan import host_plans
from .invariants import check_invariants
from .network import SRIOV_VNIC_TYPES
from .objects import (
    ALLOCATED,
    AVAILABLE,
    DELETED,
    STOPPED,
    ComputeNode,
    Instance,
    Network,
    Service,
)
from .operations import HOST, Operation, TaskTag, check_delay, resolve_point
from .pci_stats import PciDeviceStats
from .periodic import DEFAULT_INTERVAL, PeriodicAudits, start_audits
from .placement import Placement, ResourceProvider
from .resource_request import resource_requests
from .rpcapi import ComputeAPI
from .services import Services
from .snapshot import snapshot
from .template import ClusterTemplate
from .topology import Topology, default_topology
from .variants import behaviour_for, parse_bugs

__all__ = ["Cluster", "ClusterTemplate", "Operation", "default_topology"]

# Nova's API status of a server, from vm_state and task_state.
# Nova's API status for a vm_state and task_state (nova/api/openstack/common.py).
_RESIZING = dict.fromkeys(("resize_prep", "resize_migrating", "resize_migrated", "resize_finish"),
                          "RESIZE")  # fmt: skip
_REBUILDING = dict.fromkeys(("rebuilding", "rebuild_block_device_mapping", "rebuild_spawning"),
                            "REBUILD")  # fmt: skip
_STATE_MAP: dict[str, dict[str, str]] = {
    "active": {"": "ACTIVE", **_REBUILDING, **_RESIZING, "migrating": "MIGRATING"},
    "building": {"": "BUILD"},
    "stopped": {"": "SHUTOFF", **_RESIZING, **_REBUILDING},
    "resized": {"": "VERIFY_RESIZE", "resize_reverting": "REVERT_RESIZE"},
    "paused": {"": "PAUSED", "migrating": "MIGRATING"},
    "suspended": {"": "SUSPENDED"},
    "error": {"": "ERROR", **_REBUILDING},
    "deleted": {"": "DELETED"},
    "shelved": {"": "SHELVED"},
    "shelved_offloaded": {"": "SHELVED_OFFLOADED"},
}
STATUSES = ("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "REVERT_RESIZE", "MIGRATING",
            "SHUTOFF", "PAUSED", "SUSPENDED", "SHELVED", "SHELVED_OFFLOADED", "ERROR",
            "DELETED")  # fmt: skip


# From this many hosts a cluster's state is frozen out of the cyclic GC's sight
# after its build and each run (see freeze_long_lived). At 100 hosts of 72
# devices the collector's passes over the cluster were a fifth of booting
# 1,000 servers; two-host clusters made one after another are not frozen.
LONG_LIVED_HOSTS = 100

# Behaviours are frozen and a suite starts the same variants again and again,
# at the same microversion (parsing "2.94" took a regular expression).
_behaviour = functools.lru_cache(maxsize=64)(behaviour_for)
_microversion = functools.lru_cache(maxsize=64)(api_version.parse)


class Started(NamedTuple):
    """One call of ``Cluster.start`` and the task it spawned: enough to start
    the same work again on a cluster in the same state."""

    operation: str
    subject: str
    delays: dict[str, float]
    arguments: dict[str, object]
    task: Task


class Cluster:
    """A running fake cluster built from ``topology`` with the variants ``bugs``.

    Raises UnknownName for an unknown bug number.
    """

    def __init__(
        self,
        topology: Topology | None = None,
        bugs: str | Iterable[str] | None = None,
        *,
        kernel: Kernel | None = None,
        microversion: str = "latest",
        allow_resize_to_same_host: bool = False,
    ) -> None:
        self.topology = topology or default_topology()
        version = (  # refused before anything is built
            _microversion(microversion)
            if isinstance(microversion, str)
            else api_version.parse(microversion)
        )
        self.bugs = parse_bugs(bugs)
        self.kernel = kernel or Kernel()
        self.kernel.model = self  # what an explorer records footprints on (explore/footprints)
        self.context = Context(
            kernel=self.kernel,
            db=Database(self.kernel),
            placement=Placement(),
            behaviour=_behaviour(self.bugs),
            topology=self.topology,
            microversion=version,
            allow_resize_to_same_host=allow_resize_to_same_host,
        )
        # Not the context's bound methods: the context holds placement, and
        # that cycle left every dropped cluster to the cyclic GC.
        self.context.placement.changed = self.kernel.record_change
        self.context.placement.label = self.context.db.label
        self.context.placement.note = self.kernel.note
        rpc = ComputeAPI(self.context)
        self.services = Services(
            context=self.context,
            compute_rpcapi=rpc,
            compute_task_api=ComputeTaskManager(self.context, rpc),
            computes={},
        )
        self._host_of_node: dict[int, str] = {}
        self._host_order = self.topology.host_order
        self._build()

    # -- construction -----------------------------------------------------------

    def _build(self) -> None:
        # The build makes long-lived objects and no garbage: collecting meanwhile
        # would scan the growing cluster again and again (two thirds of the
        # build of a thousand hosts).
        with cyclic_gc_paused():
            self._build_hosts()
        if len(self.topology.hosts) >= LONG_LIVED_HOSTS:
            self.kernel.long_lived = True
            freeze_long_lived()

    def _build_hosts(self) -> None:
        context = self.context
        db, placement = context.db, context.placement
        for network in self.topology.networks:
            db.networks[network.name] = Network(network.name, network.physnet)
        for plan in host_plans(self.topology):
            host = plan.spec
            uuid = context.new_uuid("compute_node", host.name)
            # The driver's vcpus are its VCPU inventory (len(_get_vcpu_available)).
            vcpus = plan.inventory.get("VCPU", 0)
            node = ComputeNode(plan.node_id, uuid, host.name, vcpus, host.memory_mb,
                               host.disk_gb, numa_topology=plan.numa_topology)  # fmt: skip
            db.compute_nodes[host.name] = node
            self._host_of_node[node.id] = host.name
            db.services[host.name] = Service(host.name)
            placement.providers[uuid] = ResourceProvider(uuid, host.name, plan.inventory)
            db.pci_devices.add_node(node.id, plan.rows, plan.keyed_rows)
            services = self.services
            compute = ComputeManager(
                context, host.name, services.compute_rpcapi, services.compute_task_api
            )
            compute.rt.load_from_db(plan.layout)  # as the first start-up audit would
            self.services.computes[host.name] = compute
            self.services.compute_rpcapi.serve(host.name, compute)

    def clone(self) -> Cluster:
        """An independent copy of this cluster, equal to it in every table,
        the journal and the clock. Only a quiescent cluster (no unfinished
        task, no pending timer) can be copied: raises ValueError otherwise.
        To copy the same state again and again, keep a ``ClusterTemplate``."""
        return ClusterTemplate(self).copy()

    # -- names ---------------------------------------------------------------------

    @property
    def db(self) -> Database:
        return self.context.db

    @property
    def hosts(self) -> list[str]:
        return [host.name for host in self.topology.hosts]

    def in_host_order(self, hosts: Iterable[str]) -> list[str]:
        """``hosts`` (known ones) in the order of ``hosts``, without duplicates:
        for reports that list only the hosts concerned."""
        return sorted(set(hosts), key=self._host_order.__getitem__)

    @property
    def servers(self) -> list[str]:
        """Names of every server created, deleted ones included."""
        return sorted(self.db.names)

    def check_host(self, host: str) -> str:
        """Raises UnknownName listing the known hosts unless ``host`` is one."""
        return check_host(self.services, host)

    def instance(self, server: str) -> Instance:
        """The database row of ``server`` (deleted ones too). Do not mutate."""
        uuid = self.db.names.get(server)
        if uuid is None:
            known = ", ".join(self.servers) or "none yet"
            raise UnknownName(f"No server '{server}'. Known servers: {known}.")
        return self.db.instances[uuid]

    def points_of(self, operation: str) -> tuple[str, ...]:
        """The points ``operation`` passes, without duplicates, in order.
        Raises UnknownName for an unknown operation."""
        return operations.get(operation).unique_points

    # -- actions: validate now, spawn a task, return it --------------------------

    def start(
        self,
        operation: str | Operation,
        subject: str,
        *,
        delays: dict[str, float] | None = None,
        **arguments: object,
    ) -> Task:
        """Starts ``operation`` on ``subject`` (a server or a host name) and
        returns its task: the one path every operation takes.

        Resolves the delays, checks Nova's preconditions and the operation's
        own, then lets the API write what it writes before answering, and
        spawns the work. Raises ApiRefused or UnknownName, with nothing
        changed, where Nova's API would refuse.
        """
        op = operation if isinstance(operation, Operation) else operations.get(operation)
        resolved = op.resolve_delays(delays or {})  # the arguments first, then the state
        target: object = subject
        if op.subject == HOST:
            self.check_host(subject)
        elif not op.creates:
            target = self._server_target(op, subject)
        if op.check is not None:
            op.check(self.services, target, **arguments)
        if op.accept is not None:
            accepted = op.accept(self.services, target, **arguments)
            target = target if accepted is None else accepted
        coro = op.run(self.services, target, **arguments)
        task = self.kernel.spawn(
            coro, op.task_name(subject), delays=resolved, tag=TaskTag(op.name, subject)
        )
        if self.started is not None:  # an explorer learns what each step starts
            self.started.append(Started(op.name, subject, dict(delays or {}), arguments, task))
        return task

    def _server_target(self, op: Operation, server: str) -> Instance:
        """A copy of the server's row, once it passes the state preconditions."""
        row = self.instance(server)
        if row.deleted or row.vm_state == DELETED:
            verb = op.verb or op.name
            raise ApiRefused(f"Cannot {verb} '{server}': it is already deleted (404).")
        op.refuse_state(row)
        return row.clone()

    def create_server(
        self,
        name: str,
        host: str | None = None,
        *,
        network: str | None = None,
        vnic_type: str = "direct",
        flavor: str | None = None,
        ports: tuple[str, ...] = (),
        image: str | None = None,
        delays: dict[str, float] | None = None,
    ) -> Task:
        """Creates server ``name`` with one port on ``network`` (the SR-IOV
        network by default), or with the created ``ports``, and starts
        building it, on ``host`` if given, with the topology's ``flavor`` and
        ``image`` of those names (the defaults if None)."""
        arguments: dict[str, object] = {"ports": tuple(ports)} if ports else {}
        if image is not None:
            arguments["image"] = image
        return self.start(
            "create",
            name,
            delays=delays,
            host=host,
            network=network,
            vnic_type=vnic_type,
            flavor=flavor,
            **arguments,
        )

    def create_port(
        self,
        name: str,
        network: str | None = None,
        vnic_type: str = "normal",
        *,
        numa_affinity_policy: str | None = None,
        trusted: bool | None = None,
    ) -> None:
        """Creates neutron port ``name`` at once (neutron answers the API
        itself; no Nova task runs). Raises ApiRefused or UnknownName."""
        api.create_port(
            self.services,
            name,
            network,
            vnic_type,
            numa_affinity_policy=numa_affinity_policy,
            trusted=trusted,
        )

    def evacuate(
        self,
        server: str,
        target_host: str | None = None,
        *,
        delays: dict[str, float] | None = None,
        force: bool = False,
        microversion: str | None = None,
    ) -> Task:
        """Evacuates ``server`` from its down host (to ``target_host`` if given).

        Raises ApiRefused when Nova's API would refuse: source service up, own
        host as target, a server that never ran or is deleted.
        """
        return self.start(
            "evacuate",
            server,
            delays=delays,
            target_host=target_host,
            force=force,
            microversion=microversion,
        )

    def live_migrate(
        self,
        server: str,
        target_host: str | None = None,
        *,
        delays: dict[str, float] | None = None,
        force: bool = False,
        microversion: str | None = None,
    ) -> Task:
        """Live migrates ``server`` (to ``target_host`` if given, through the
        scheduler unless ``force``).

        Raises ApiRefused or UnknownName where Nova's API refuses at once; the
        conductor's refusals come later, as the migration's ``error``.
        """
        return self.start(
            "live_migrate",
            server,
            delays=delays,
            target_host=target_host,
            force=force,
            microversion=microversion,
        )

    def rebuild_server(
        self,
        server: str,
        *,
        image: str | None = None,
        delays: dict[str, float] | None = None,
    ) -> Task:
        """Rebuilds ``server`` in place, with the topology's ``image`` of that
        name if given (else its own)."""
        arguments: dict[str, object] = {} if image is None else {"image": image}
        return self.start("rebuild", server, delays=delays, **arguments)

    def delete_server(self, server: str, *, delays: dict[str, float] | None = None) -> Task:
        return self.start("delete", server, delays=delays)

    def update_available_resource(
        self, host: str, *, delays: dict[str, float] | None = None
    ) -> Task:
        """Starts the periodic resource audit of ``host``'s compute service.

        Raises ApiRefused if that service is stopped (no process to run it).
        """
        return self.start("update_available_resource", host, delays=delays)

    # -- periodic timers (periodic.py) ---------------------------------------------

    _periodic_audits: PeriodicAudits | None = None  # the cluster's own timer

    def start_periodic_audits(
        self,
        interval: float = DEFAULT_INTERVAL,
        offsets: dict[str, float] | None = None,
        *,
        offset: float | None = None,
        delays: dict[str, float] | None = None,
    ) -> PeriodicAudits:
        """Starts the periodic audit timer: every running compute starts its
        ``update_available_resource`` every ``interval`` seconds, as its own
        task, first ``offsets[host]`` (else ``offset``, else one interval)
        after now; periodic.py says when a tick is skipped.

        Raises ApiRefused if the timer already runs; InvalidArgument or
        UnknownName for a bad interval, offset, host or delay, with nothing
        started.
        """
        running = self._periodic_audits
        if running is not None:
            raise ApiRefused(
                f"Periodic audits already run ({running.describe()}); "
                "use 'Stop Periodic Audits' first."
            )
        self._periodic_audits = start_audits(self, interval, offsets, offset=offset, delays=delays)
        return self._periodic_audits

    def stop_periodic_audits(self) -> PeriodicAudits:
        """Cancels the periodic audit timer and returns it; audits it started
        run on. Raises ApiRefused if no timer runs."""
        running = self._periodic_audits
        if running is None:
            raise ApiRefused("Periodic audits are not running; use 'Start Periodic Audits' first.")
        running.stop()
        self._periodic_audits = None
        return running

    @property
    def periodic_audits(self) -> PeriodicAudits | None:
        """The running periodic audit timer, or None."""
        return self._periodic_audits

    def start_compute_service(
        self,
        host: str,
        *,
        delays: dict[str, float] | None = None,
        clean_hypervisor: bool = False,
    ) -> Task:
        """Starts ``host``'s compute process: ``init_host`` (evacuated guests
        destroyed, their records ``completed``), then the start-up audit, then
        the forced-down flag is cleared.

        Raises ApiRefused if the service already runs.
        """
        return self.start("start", host, delays=delays, clean_hypervisor=clean_hypervisor)

    def stop_compute_service(self, host: str) -> None:
        """Stops ``host``'s compute process: its in-memory tracker is gone; the
        service still looks up until Nova's service_down_time passes.

        Raises ApiRefused if an operation is running on that compute now.
        """
        self.check_host(host)
        if not self.db.services[host].running:
            raise ApiRefused(f"Cannot stop compute service on '{host}': it is already stopped.")
        busy = [task.name for task in self._tasks_on(host)]
        if busy:
            raise ApiRefused(
                f"Cannot stop compute service on '{host}' while {', '.join(busy)} "
                "runs on it; wait for it to finish first."
            )
        service = self.db.services[host]
        service.running, service.stopped_at = False, self.kernel.now
        self.services.computes[host].stopped()  # memory is lost with the process
        self.context.changed(Change("Service", host, new="stopped", host=host))

    def disable_compute_service(self, host: str) -> None:
        """Disables ``host``'s service: the scheduler skips it; nothing else changes."""
        self._set_service(host, "disabled", True, "disabled")

    def enable_compute_service(self, host: str) -> None:
        self._set_service(host, "disabled", False, "enabled")

    def _set_service(self, host: str, field: str, value: bool, what: str) -> None:
        """An operator's change of ``host``'s service row, journaled as ``what``."""
        self.check_host(host)
        setattr(self.db.services[host], field, value)
        self.context.changed(Change("Service", host, new=what, host=host))

    def force_up_compute_service(self, host: str) -> None:
        """Clears ``forced_down``, as ``PUT /os-services/{id}`` does.

        Raises ApiRefused, as Nova's API (400), while evacuation records from
        this host are still ``done``: the compute has not restarted and cleaned
        up its evacuated guests yet (bug 1922053).
        """
        self.check_host(host)
        done = [
            m for m in self.db.migrations.touching(host)
            if m.source_compute == host and m.migration_type == "evacuation"
            and m.status == "done" and not m.deleted
        ]  # fmt: skip
        if done and self.context.behaviour.force_up_checks_evacuations:
            raise ApiRefused(
                f"Cannot force up compute service on '{host}': 'done' evacuation records "
                f"remain for it; restart it first, so that they become 'completed' (400)."
            )
        self._set_service(host, "forced_down", False, "forced up")

    def force_down_compute_service(self, host: str) -> None:
        """Marks ``host``'s service forced down, as an operator does before evacuating."""
        self._set_service(host, "forced_down", True, "forced down")

    def inject_fault(self, point: str, times: int | None = 1) -> None:
        """Makes the next ``times`` passes of ``point`` fail (any task).

        Only points some operation declares as failure points, where the model
        handles the error as Nova does; raises UnknownName listing them
        otherwise.
        """
        full = resolve_point(point, operations.failure_points(), "the points that can fail")
        error = operations.fault_at(full)
        self.kernel.inject_fault(full, lambda: error(f"injected failure at {full}"), times)

    def inject_delay(self, point: str, seconds: float, times: int | None = None) -> str:
        """Delays every task at ``point`` (a full or unique short name among all
        points of the model) by ``seconds``, ``times`` times or always; returns
        the full point name. Raises UnknownName or InvalidArgument."""
        full = resolve_point(point, operations.all_points(), "the model")
        seconds = check_delay(point, seconds)
        if times is not None and times < 1:
            raise InvalidArgument(f"Delay count at '{point}' must be at least 1, got {times}.")
        self.kernel.inject_delay(full, seconds, times)
        return full

    def clear_injections(self) -> None:
        """Removes every delay and failure injected for all tasks."""
        self.kernel.clear_injections()

    def _tasks_on(self, host: str) -> list[Task]:
        """Unfinished tasks that hold or wait for ``host``'s lock, audit it,
        start its service (from the moment it is accepted, before its first
        step), or work inside its compute service (between two lock holds)."""
        compute = self.services.computes[host]
        lock = compute.rt.lock
        own = (TaskTag("update_available_resource", host), TaskTag("start", host))
        return [
            task
            for task in self.kernel.tasks
            if not task.done
            and (
                lock.owner is task
                or task in lock.waiters
                or task.tag in own
                or task in compute.working
            )
        ]

    # -- running --------------------------------------------------------------------

    # An exploration issues its racing steps with ``starting_steps`` set: a
    # run keyword then only starts its work, and the explorer runs it with
    # the others, so the order the steps are written in changes nothing.
    starting_steps = False
    started: list[Started] | None = None  # every start, while a list

    def run_task(self, task: Task, timeout: float | None = None) -> bool:
        if self.starting_steps:
            return True
        return self.kernel.run_task(task, timeout)

    def run_until(self, done: Callable[[], bool], timeout: float | None = None) -> bool:
        if self.starting_steps:
            return True
        return self.kernel.run_until(done, timeout)

    @property
    def now(self) -> float:
        return self.kernel.now

    @property
    def clock(self) -> str:
        return format_time(self.kernel.now)

    # -- queries: plain data, never move time ------------------------------------

    def server_status(self, server: str) -> str:
        """Nova's API status: ACTIVE, BUILD, REBUILD, ERROR, SHUTOFF, SHELVED,
        SHELVED_OFFLOADED or DELETED."""
        row = self.instance(server)
        if row.deleted:
            return "DELETED"
        states = _STATE_MAP.get(row.vm_state, {})
        return states.get(row.task_state or "", states.get("", row.vm_state.upper()))

    def server_host(self, server: str) -> str | None:
        return self.instance(server).host

    def server_fault(self, server: str) -> str | None:
        """Why the server went to ERROR (Nova's instance fault), if it did."""
        return self.instance(server).fault

    def stopped_by_evacuation(self, server: str) -> bool:
        """Whether an evacuation stopped the server (microversion 2.95 and
        later) and nothing started it since."""
        row = self.instance(server)
        return row.uuid in self.context.stopped_by_evacuation and row.vm_state == STOPPED

    def server_requests_pci(self, server: str) -> bool:
        """Whether the server asked for PCI devices (an SR-IOV port, say)."""
        return bool(self.instance(server).pci_requests)

    def pci_allocations(self, server: str) -> dict[str, list[str]]:
        """Host -> addresses of devices allocated to ``server`` in the database
        (``PciDeviceList.get_by_instance_uuid``: status allocated only)."""
        row = self.instance(server)
        found: dict[str, list[str]] = {}
        for device in self.db.peek_pci_devices_of_instance(row.uuid):
            if device.status == ALLOCATED:
                found.setdefault(device.host, []).append(device.address)
        return {host: sorted(found[host]) for host in sorted(found)}

    def spawned_pci_devices(self, server: str) -> dict[str, list[str]]:
        """Host -> addresses of the PCI devices the instance object named when
        the hypervisor of the server's host spawned it (Nova's in-memory
        ``instance.pci_devices``, which a driver reads); empty if that host
        spawned no guest of it. The database may say otherwise."""
        row = self.instance(server)
        compute = self.services.computes.get(row.host or "")
        refs = compute.spawned_pci_devices.get(row.uuid, []) if compute else []
        found: dict[str, list[str]] = {}
        for ref in refs:
            found.setdefault(self._host_of_node[ref.compute_node_id], []).append(ref.address)
        return {host: sorted(found[host]) for host in sorted(found)}

    def pci_devices_on(self, host: str) -> list[str]:
        """Addresses of every device row of ``host``, whatever its status
        (Nova's ``PciDeviceList.get_by_compute_node``)."""
        node = self.db.compute_nodes[self.check_host(host)]
        return [d.address for d in self.db.stored_pci_devices(node.id)]

    def free_pci_devices(self, host: str) -> list[str]:
        """Addresses of ``host``'s devices whose database status is available."""
        node = self.db.compute_nodes[self.check_host(host)]
        return [d.address for d in self.db.stored_pci_devices(node.id) if d.status == "available"]

    def migrations_of(self, server: str) -> list[dict[str, str]]:
        row = self.instance(server)
        return [
            {"id": str(m.id), "type": m.migration_type, "status": m.status,
             "source": m.source_compute, "dest": m.dest_compute or "-"}
            for m in self.db.peek_migrations_of(row.uuid)
        ]  # fmt: skip

    def placement_hosts(self, server: str) -> list[str]:
        return self.context.placement.providers_of(self.instance(server).uuid)

    def resource_usage(self, host: str) -> dict[str, int]:
        """What ``host``'s resource tracker last saved as used on its compute
        node (``vcpus``, ``memory_mb``, ``disk_gb``), as Nova's hypervisor
        statistics show it: instances, in-progress moves, never PCI."""
        node = self.db.compute_nodes[self.check_host(host)]
        return {
            "vcpus": node.vcpus_used,
            "memory_mb": node.memory_mb_used,
            "disk_gb": node.local_gb_used,
        }

    def numa_placement(self, server: str) -> dict[str, object]:
        """Where ``server``'s saved NUMA topology places it: ``host``, the
        host ``cells`` its guest cells sit on (guest order) and the host
        pCPUs it is ``pinned`` to (sorted); no cells for a server that has
        no NUMA topology or no host."""
        instance = self.instance(server)
        topology = instance.numa_topology if instance.host else None
        return {
            "host": instance.host,
            "cells": topology.host_cells if topology else [],
            "pinned": topology.pinned if topology else [],
        }

    def pinned_cpus(self, host: str) -> list[int] | None:
        """The pCPUs ``host``'s tracker last saved as pinned, sorted; None
        for a host that reports no NUMA topology."""
        topology = self.db.compute_nodes[self.check_host(host)].numa_topology
        if topology is None:
            return None
        return sorted(cpu for cell in topology.cells for cpu in cell.pinned_cpus)

    def placement_usage(self, host: str) -> dict[str, int]:
        """Resource class -> amount used on ``host``'s provider, every class
        of its inventory listed (0 when nothing is allocated there: PCPU only
        where the host reports dedicated CPUs), in placement's order."""
        node = self.db.compute_nodes[self.check_host(host)]
        return self.context.placement.usage(node.uuid)

    def placement_allocations(
        self, server: str, *, migration: bool = False
    ) -> dict[str, dict[str, int]]:
        """Provider host -> {resource class: amount} held by ``server``'s
        consumer, or with ``migration`` by its latest migration's consumer
        (Nova's resize and live migration put the source part there; an
        evacuation does not).

        Hosts sorted; zero amounts left out, as placement stores none. Raises
        UnknownName for an unknown server, or a migration consumer of a server
        without migration records.
        """
        row = self.instance(server)
        consumer = row.uuid
        if migration:
            records = self.db.peek_migrations_of(row.uuid)
            if not records:
                raise UnknownName(f"No migration of '{server}', so no migration consumer.")
            consumer = records[-1].uuid
        placement = self.context.placement
        parts = placement.allocations.get(consumer, {})
        found = {
            placement.providers[rp].name: {rc: n for rc, n in resources.items() if n}
            for rp, resources in parts.items()
        }
        return {host: found[host] for host in sorted(found)}

    def flavor_resources(self, server: str, host: str) -> dict[str, int]:
        """What ``server``'s flavor and image ask of ``host``'s provider
        (``resource_requests``, ``Placement.request_for``: PCPU for
        dedicated CPUs where the host reports them, else VCPU), zero
        amounts left out. Raises UnknownName for an unknown server or host."""
        row = self.instance(server)
        node = self.db.compute_nodes[self.check_host(host)]
        requests = resource_requests(row.flavor, row.image_meta)
        resources = self.context.placement.request_for(node.uuid, requests)
        return {rc: amount for rc, amount in resources.items() if amount}

    def port_binding(self, server: str) -> dict[str, str | None]:
        """``binding:host_id`` (as ``host``, None when unbound) and the
        ``binding:profile`` keys of ``server``'s port: its first SR-IOV port,
        or its first port if it has none (a server has one port today)."""
        ports = [self.db.ports[port_id] for port_id in self.instance(server).ports]
        sriov = [port for port in ports if port.vnic_type in SRIOV_VNIC_TYPES]
        if not ports:
            return {"host": None}
        port = (sriov or ports)[0]
        return {"host": port.binding_host_id, **port.binding_profile}

    def port_bindings(self, server: str) -> dict[str, dict[str, str | None]]:
        """Port name (or id, for a server's own port) -> ``host`` and the
        binding profile keys of every port of ``server``, in the boot's order."""
        found: dict[str, dict[str, str | None]] = {}
        for port_id in self.instance(server).ports:
            port = self.db.ports[port_id]
            found[port.label] = {"host": port.binding_host_id, **port.binding_profile}
        return found

    def port_binding_of(self, port: str) -> dict[str, str | None]:
        """``device`` (the name of the server whose ``device_id`` the port
        has, None if none), ``host`` and the binding profile keys of the port
        named ``port`` (or of that id). Raises UnknownName."""
        row = self.db.ports[api.port_id_of(self.services, port)]
        owner = self.db.instances.get(row.device_id or "")
        device = owner.name if owner is not None else None
        return {"device": device, "host": row.binding_host_id, **row.binding_profile}

    def pci_devices_of(self, server: str) -> list[dict[str, str]]:
        """Every PCI device ``server`` holds (claimed or allocated), as rows:
        host, address, type, parent, NUMA node, status and what asked for it
        (``alias:<name>``, ``port:<name>`` or ``-``), sorted by host and address."""
        row = self.instance(server)
        asked: dict[str, str] = {}
        requests = list(row.pci_requests)
        if row.migration_context is not None:
            requests += row.migration_context.new_pci_requests
            requests += row.migration_context.old_pci_requests
        for request in requests:
            if request.alias_name is not None:
                asked[request.request_id] = f"alias:{request.alias_name}"
            else:
                port = self.db.ports.get(request.requester_id or "")
                asked[request.request_id] = f"port:{port.label}" if port else "port:-"
        devices = self.db.peek_pci_devices_of_instance(row.uuid)
        return [
            {"host": d.host, "address": d.address, "type": d.dev_type,
             "parent": d.parent_addr or "-",
             "numa_node": "-" if d.numa_node is None else str(d.numa_node),
             "status": d.status, "request": asked.get(d.request_id or "", "-")}
            for d in sorted(devices, key=lambda d: (d.host, d.address))
        ]  # fmt: skip

    def pci_pools(self, host: str) -> list[dict[str, str]]:
        """``host``'s PCI pools as its devices' saved status makes them: the
        pool keys and ``count`` of free devices, in the pools' order."""
        node = self.db.compute_nodes[self.check_host(host)]
        rows = self.db.stored_pci_devices(node.id)
        stats = PciDeviceStats(d for d in rows if d.status == AVAILABLE)
        return [{**pool.key, "count": str(pool.count)} for pool in stats.pools]

    def audit_failures(self, host: str) -> list[str]:
        """The errors that ended audits of ``host``, oldest first (Nova logs
        them: "Error updating resources for node ...")."""
        return list(self.context.audit_failures.get(self.check_host(host), []))

    def service_running(self, host: str) -> bool:
        """Whether ``host``'s compute process runs (it may still look down)."""
        return self.db.services[self.check_host(host)].running

    def start_failure(self, host: str) -> str | None:
        """Why ``host``'s last start-up made its process exit, or None."""
        return self.services.computes[self.check_host(host)].start_failure

    def service_state(self, host: str) -> str:
        """``up`` or ``down``, as Nova's servicegroup API sees it now."""
        return "up" if self.context.service_is_up(self.check_host(host)) else "down"

    def check_invariants(self, host: str | None = None, *, usage: bool = True) -> list[str]:
        """Violations of the accounting invariants (nova-model 8), one sentence
        each; ``usage=False`` leaves out the trackers' vCPU/RAM/disk."""
        if host is not None:
            self.check_host(host)
        return check_invariants(self.context, host, usage=usage)

    def touched(self) -> tuple[set[str], set[str]]:
        """The hosts and servers the scenario so far touched: subjects of its
        tasks, and whatever its state changes name, with each server's host."""
        hosts, servers = set(), set()
        for task in self.kernel.tasks:
            if isinstance(task.tag, TaskTag):
                (hosts if operations.get(task.tag.operation).subject == HOST else servers).add(
                    task.tag.subject
                )
        for entry in self.kernel.journal:
            change = entry.change
            if change is None:
                continue
            if change.host is not None:
                hosts.add(change.host)
            if change.owner is not None:
                servers.add(change.owner)
            if change.object == "Instance":
                servers.add(change.name)
        servers &= set(self.db.names)
        hosts |= {host for server in servers if (host := self.instance(server).host)}
        return hosts & set(self.db.services), servers

    def snapshot(self) -> dict[str, list[dict[str, str]]]:
        """Tables of hosts, servers, migrations, PCI devices and placement."""
        return snapshot(self.context)

    def describe(self) -> str:
        variant = _variant_text(self.bugs, self.context.microversion)
        return f"{self.topology.describe()}; variant: {variant}"


@functools.lru_cache(maxsize=64)  # each Start Cluster describes one of a suite's few
def _variant_text(bugs: tuple[str, ...], microversion: tuple[int, int]) -> str:
    shown = ", ".join(f"bug {bug}" for bug in bugs) or "current Nova"
    return f"{shown}; microversion {api_version.show(microversion)}"
