"""The fake compute cluster: a deterministic model of Nova's PCI accounting.

:class:`Cluster` is the facade the keyword layer (and pytest) uses. Actions
(``create_server``, ``evacuate``, ...) validate at once, raising ``ApiRefused``
or ``UnknownName`` with nothing changed, then spawn a kernel task and return it,
as Nova's API answers 202 before the work is done. Nothing runs until the
caller runs the kernel (``run_task``, ``run_until``). Queries read state now
and return plain data.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import ApiRefused, UnknownName
from ..sim import Change, Kernel, Task, format_time
from . import api
from .compute_manager import ComputeManager
from .context import Context
from .db import Database
from .exception import InjectedFault
from .invariants import check_invariants
from .network import pci_request_for_port
from .objects import (
    ALLOCATED,
    ComputeNode,
    Instance,
    Network,
    PciDevice,
    Port,
    Service,
)
from .placement import Placement, ResourceProvider
from .points import (
    ALL_POINTS,
    FAILURE_POINTS,
    OPERATION_POINTS,
    points_of,
    resolve_delays,
    resolve_point,
)
from .snapshot import snapshot
from .topology import Topology, default_topology
from .variants import VARIANTS, behaviour_for, parse_bugs

__all__ = [
    "ALL_POINTS",
    "FAILURE_POINTS",
    "OPERATION_POINTS",
    "Cluster",
    "default_topology",
    "points_of",
]

_NAMESPACE = uuidlib.UUID("6f1f2c4e-1896-4463-8000-000000000000")

# Nova's API status of a server, from vm_state and task_state.
_STATUS = {"active": "ACTIVE", "building": "BUILD", "stopped": "SHUTOFF", "error": "ERROR",
           "deleted": "DELETED"}  # fmt: skip
_TASK_STATUS = {"rebuilding": "REBUILD", "rebuild_block_device_mapping": "REBUILD",
                "rebuild_spawning": "REBUILD", "deleting": "ACTIVE"}  # fmt: skip


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
    ) -> None:
        self.topology = topology or default_topology()
        self.bugs = parse_bugs(bugs)
        self.kernel = kernel or Kernel()
        db = Database(self.kernel)
        self.context = Context(
            kernel=self.kernel,
            db=db,
            placement=Placement(),
            behaviour=behaviour_for(self.bugs),
            topology=self.topology,
        )
        self.context.placement.changed = self.context.changed
        self.context.placement.label = self.context.label
        self._counter = 0
        self._build()

    # -- construction -----------------------------------------------------------

    def _uuid(self, kind: str, name: str) -> str:
        self._counter += 1
        return str(uuidlib.uuid5(_NAMESPACE, f"{kind}:{name}:{self._counter}"))

    def _build(self) -> None:
        db, placement = self.context.db, self.context.placement
        for network in self.topology.networks:
            db.networks[network.name] = Network(network.name, network.physnet)
        for index, host in enumerate(self.topology.hosts, start=1):
            node = ComputeNode(
                id=index,
                uuid=self._uuid("compute_node", host.name),
                host=host.name,
                vcpus=host.vcpus,
                memory_mb=host.memory_mb,
                local_gb=host.disk_gb,
            )
            db.compute_nodes[host.name] = node
            db.services[host.name] = Service(host.name)
            placement.providers[node.uuid] = ResourceProvider(
                node.uuid,
                host.name,
                {"VCPU": host.vcpus, "MEMORY_MB": host.memory_mb, "DISK_GB": host.disk_gb},
            )
            for spec in host.devices:
                db.pci_devices[(node.id, spec.address)] = PciDevice(
                    compute_node_id=node.id,
                    host=host.name,
                    address=spec.address,
                    dev_type=spec.dev_type,
                    parent_addr=spec.parent,
                    vendor_id=spec.vendor_id,
                    product_id=spec.product_id,
                    numa_node=spec.numa_node,
                    physnet=spec.physnet,
                    parent_ifname=spec.parent_ifname,
                    remote_managed=spec.remote_managed,
                )
            compute = ComputeManager(self.context, host.name)
            compute.rt.load_from_db()  # as the first start-up audit would
            self.context.computes[host.name] = compute

    # -- names ---------------------------------------------------------------------

    @property
    def db(self) -> Database:
        return self.context.db

    @property
    def hosts(self) -> list[str]:
        return [host.name for host in self.topology.hosts]

    @property
    def servers(self) -> list[str]:
        """Names of every server created, deleted ones included."""
        return sorted(self.db.names)

    def check_host(self, host: str) -> str:
        if host not in self.db.services:
            raise UnknownName(f"No host '{host}'. Known hosts: {', '.join(self.hosts)}.")
        return host

    def instance(self, server: str) -> Instance:
        """The database row of ``server`` (deleted ones too). Do not mutate."""
        uuid = self.db.names.get(server)
        if uuid is None:
            known = ", ".join(self.servers) or "none yet"
            raise UnknownName(f"No server '{server}'. Known servers: {known}.")
        return self.db.instances[uuid]

    def _live_instance(self, server: str) -> Instance:
        row = self.instance(server)
        if row.deleted:
            raise ApiRefused(f"Server '{server}' is deleted.")
        return row

    def points_of(self, operation: str) -> tuple[str, ...]:
        return points_of(operation)

    # -- actions: validate now, spawn a task, return it --------------------------

    def create_server(
        self,
        name: str,
        host: str | None = None,
        *,
        network: str | None = None,
        vnic_type: str = "direct",
        delays: dict[str, float] | None = None,
    ) -> Task:
        """Creates server ``name`` with one port on ``network`` (the SR-IOV
        network by default) and starts building it, on ``host`` if given."""
        if name in self.db.names and not self.instance(name).deleted:
            raise ApiRefused(f"Cannot create '{name}': a server with that name exists.")
        if host is not None:
            self.check_host(host)
        network = network or self.topology.sriov_network
        if network not in self.db.networks:
            raise UnknownName(
                f"No network '{network}'. Known networks: {', '.join(sorted(self.db.networks))}."
            )
        delays = resolve_delays("create", delays or {})
        instance_uuid = self._uuid("instance", name)
        port = Port(
            id=self._uuid("port", name), network=network, vnic_type=vnic_type,
            device_id=instance_uuid,
        )  # fmt: skip
        request = pci_request_for_port(port, self.db.networks[network], self._uuid("request", name))
        instance = Instance(
            uuid=instance_uuid,
            name=name,
            flavor=self.topology.flavor,
            pci_requests=[request] if request else [],
            ports=[port.id],
        )
        # POST /servers records the server before answering, so it is listed at once.
        self.db.ports[port.id] = port
        self.db.instances[instance.uuid] = instance.clone()
        self.db.names[name] = instance.uuid
        self.context.changed(Change("Instance", name, new="created"))
        return self._spawn(f"create({name})", api.create_server(self.context, instance, host),
                           delays)  # fmt: skip

    def evacuate(
        self,
        server: str,
        target_host: str | None = None,
        *,
        delays: dict[str, float] | None = None,
    ) -> Task:
        """Evacuates ``server`` from its down host (to ``target_host`` if given).

        Raises ApiRefused when Nova's API would refuse: source service up, own
        host as target, a server that never ran or is deleted.
        """
        row = self._live_instance(server)
        if target_host is not None:
            self.check_host(target_host)
        api.check_evacuate(self.context, row, target_host)
        delays = resolve_delays("evacuate", delays or {})
        instance = row.clone()
        api.accept_evacuate(self.context, instance, target_host)
        coro = api.evacuate(self.context, instance, target_host)
        return self._spawn(f"evacuate({server})", coro, delays)

    def rebuild_server(self, server: str, *, delays: dict[str, float] | None = None) -> Task:
        row = self._live_instance(server)
        api.check_rebuild(row)
        delays = resolve_delays("rebuild", delays or {})
        instance = row.clone()
        api.accept_rebuild(self.context, instance)
        return self._spawn(f"rebuild({server})", api.rebuild(self.context, instance), delays)

    def delete_server(self, server: str, *, delays: dict[str, float] | None = None) -> Task:
        row = self.instance(server)
        api.check_delete(row)
        delays = resolve_delays("delete", delays or {})
        instance = row.clone()
        api.accept_delete(self.context, instance)
        return self._spawn(f"delete({server})", api.delete(self.context, instance), delays)

    def update_available_resource(
        self, host: str, *, delays: dict[str, float] | None = None
    ) -> Task:
        """Starts the periodic resource audit of ``host``'s compute service.

        Raises ApiRefused if that service is stopped (no process to run it).
        """
        self._running_compute(host, "run the periodic audit of")
        delays = resolve_delays("update_available_resource", delays or {})
        compute = self.context.computes[host]
        return self._spawn(f"audit({host})", compute.rt.update_available_resource(), delays)

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
        self.context.computes[host].stopped()  # memory is lost with the process
        self._service_event(host, "stopped")

    def force_down_compute_service(self, host: str) -> None:
        """Marks ``host``'s service forced down, as an operator does before evacuating."""
        self.check_host(host)
        self.db.services[host].forced_down = True
        self._service_event(host, "forced down")

    def start_compute_service(self, host: str, *, delays: dict[str, float] | None = None) -> Task:
        """Starts ``host``'s compute process: ``init_host`` (evacuated guests
        destroyed, their records ``completed``), then the start-up audit, then
        the forced-down flag is cleared (allowed once no record is ``done``).

        Raises ApiRefused if the service already runs.
        """
        self.check_host(host)
        service = self.db.services[host]
        if service.running:
            raise ApiRefused(f"Cannot start compute service on '{host}': it is running.")
        delays = resolve_delays("start", delays or {})
        service.running, service.stopped_at = True, None
        self._service_event(host, "started")
        return self._spawn(f"start({host})", self._start(host), delays)

    async def _start(self, host: str) -> None:
        await self.context.computes[host].init_host()
        self.db.services[host].forced_down = False
        self._service_event(host, "forced down cleared")

    def inject_fault(self, point: str, times: int | None = 1) -> None:
        """Makes the next ``times`` passes of ``point`` fail (any task).

        Only points in FAILURE_POINTS, where the model handles the error as
        Nova does; raises UnknownName listing them otherwise.
        """
        full = resolve_point(point, FAILURE_POINTS, "the points that can fail")
        self.kernel.inject_fault(full, lambda: InjectedFault(f"injected failure at {full}"),
                                 times)  # fmt: skip

    def _service_event(self, host: str, what: str) -> None:
        self.context.changed(Change("Service", host, new=what, host=host))

    def _spawn(self, name: str, coro: Any, delays: dict[str, float]) -> Task:
        return self.kernel.spawn(coro, name, delays=delays)

    def _running_compute(self, host: str, purpose: str) -> ComputeManager:
        self.check_host(host)
        if not self.db.services[host].running:
            raise ApiRefused(f"Cannot {purpose} '{host}': its compute service is stopped.")
        return self.context.computes[host]

    def _tasks_on(self, host: str) -> list[Task]:
        """Unfinished tasks that hold or wait for ``host``'s lock, audit it, or
        work inside its compute service (between two lock holds, say)."""
        compute = self.context.computes[host]
        lock = compute.rt.lock
        return [
            task
            for task in self.kernel.tasks
            if not task.done
            and (
                lock.owner is task
                or task in lock.waiters
                or task.name == f"audit({host})"
                or task in compute.working
            )
        ]

    # -- running --------------------------------------------------------------------

    def run_task(self, task: Task, timeout: float | None = None) -> bool:
        return self.kernel.run_task(task, timeout)

    def run_until(self, done: Callable[[], bool], timeout: float | None = None) -> bool:
        return self.kernel.run_until(done, timeout)

    @property
    def now(self) -> float:
        return self.kernel.now

    @property
    def clock(self) -> str:
        return format_time(self.kernel.now)

    # -- queries: plain data, never move time ------------------------------------

    def server_status(self, server: str) -> str:
        """Nova's API status: ACTIVE, BUILD, REBUILD, ERROR, SHUTOFF or DELETED."""
        row = self.instance(server)
        if row.deleted:
            return "DELETED"
        return _TASK_STATUS.get(row.task_state or "", _STATUS.get(row.vm_state, row.vm_state))

    def server_host(self, server: str) -> str | None:
        return self.instance(server).host

    def pci_allocations(self, server: str) -> dict[str, list[str]]:
        """Host -> addresses of devices allocated to ``server`` in the database
        (``PciDeviceList.get_by_instance_uuid``: status allocated only)."""
        row = self.instance(server)
        found: dict[str, list[str]] = {}
        for device in self.db.pci_devices.values():
            if device.instance_uuid == row.uuid and device.status == ALLOCATED:
                found.setdefault(device.host, []).append(device.address)
        return {host: sorted(found[host]) for host in sorted(found)}

    def free_pci_devices(self, host: str) -> list[str]:
        """Addresses of ``host``'s devices whose database status is available."""
        node = self.db.compute_nodes[self.check_host(host)]
        return [d.address for d in self.db.peek_pci_devices(node.id) if d.status == "available"]

    def migrations_of(self, server: str) -> list[dict[str, str]]:
        row = self.instance(server)
        return [
            {"id": str(m.id), "type": m.migration_type, "status": m.status,
             "source": m.source_compute, "dest": m.dest_compute or "-"}
            for m in self.db.peek_migrations_of(row.uuid)
        ]  # fmt: skip

    def placement_hosts(self, server: str) -> list[str]:
        return self.context.placement.providers_of(self.instance(server).uuid)

    def service_running(self, host: str) -> bool:
        """Whether ``host``'s compute process runs (it may still look down)."""
        return self.db.services[self.check_host(host)].running

    def service_state(self, host: str) -> str:
        """``up`` or ``down``, as Nova's servicegroup API sees it now."""
        return "up" if self.context.service_is_up(self.check_host(host)) else "down"

    def check_invariants(self, host: str | None = None) -> list[str]:
        """Violations of the accounting invariants (nova-model 8), one sentence each."""
        if host is not None:
            self.check_host(host)
        return check_invariants(self.context, host)

    def snapshot(self) -> dict[str, list[dict[str, str]]]:
        """Tables of hosts, servers, migrations, PCI devices and placement."""
        return snapshot(self.context)

    def describe(self) -> str:
        bugs = ", ".join(f"bug {bug}" for bug in self.bugs) or "current Nova"
        return f"{self.topology.describe()}; variant: {bugs}"


def known_bugs() -> dict[str, str]:
    """Bug number -> title of every variant the model can restore."""
    return {bug: variant.title for bug, variant in sorted(VARIANTS.items())}
