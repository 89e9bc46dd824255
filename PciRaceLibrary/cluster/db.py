"""The cluster's in-memory database and its query functions.

State lives here and only here. Services read and write it through the async
query functions below; each passes the named point a Nova developer would
recognise, which is where a delay can be injected or the explorer can switch
tasks. Reads hand out copies, as Nova's objects are copies of rows. The
synchronous ``peek_*`` helpers are for checks and reports, which never move
time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..sim import Change, Kernel, point
from .exception import (
    InstanceNotFound,
    UnexpectedDeletingTaskStateError,
    UnexpectedTaskStateError,
)
from .objects import (
    DELETING,
    ComputeNode,
    DeviceRef,
    Instance,
    Migration,
    Network,
    PciDevice,
    Port,
    Service,
)


def _reduce_table(table: dict[Any, Any]) -> tuple[Any, ...]:
    """How a copy (pickle, deepcopy) rebuilds a table: its rows as they are,
    then its indexes, never through ``__setitem__``, which would index the
    rows again (pickle sets the items before the indexes exist)."""
    return _table, (type(table), dict(table), table.__dict__)


def _table(kind: type[dict[Any, Any]], rows: dict[Any, Any], indexes: dict[str, Any]) -> Any:
    table = dict.__new__(kind)
    dict.update(table, rows)
    table.__dict__.update(indexes)
    return table


class InstanceTable(dict[str, Instance]):
    """Instance rows keyed by uuid, indexed by host and by (host, node), so that
    a host's instances cost the same with twenty thousand servers as with two.

    A row changes host or node only through ``Database.write_instance``, which
    calls ``moved``. Lists come in creation order, the order of the table.
    """

    __reduce__ = _reduce_table

    def __init__(self) -> None:
        # No super().__init__() in the tables here: dict.__new__ made them empty,
        # and the call cost a third of the making of each (four a build).
        self.created: dict[str, int] = {}  # uuid -> creation order
        self.by_host: dict[str, dict[str, Instance]] = {}
        self.by_node: dict[tuple[str, str], dict[str, Instance]] = {}

    def __setitem__(self, uuid: str, row: Instance) -> None:
        old = self.get(uuid)
        if old is None:
            self.created[uuid] = len(self.created)
        else:
            self._unindex(old, old.host, old.node)
        super().__setitem__(uuid, row)
        self._index(row)

    def moved(self, row: Instance, host: str | None, node: str | None) -> None:
        """Re-indexes ``row``, which was on ``host``/``node`` before a write."""
        self._unindex(row, host, node)
        self._index(row)

    def on_host(self, host: str) -> list[Instance]:
        return self._in_creation_order(self.by_host.get(host, {}))

    def on_node(self, host: str, node: str) -> list[Instance]:
        return self._in_creation_order(self.by_node.get((host, node), {}))

    def _in_creation_order(self, rows: dict[str, Instance]) -> list[Instance]:
        return sorted(rows.values(), key=lambda row: self.created[row.uuid])

    def _index(self, row: Instance) -> None:
        if row.host is not None:
            self.by_host.setdefault(row.host, {})[row.uuid] = row
            if row.node is not None:
                self.by_node.setdefault((row.host, row.node), {})[row.uuid] = row

    def _unindex(self, row: Instance, host: str | None, node: str | None) -> None:
        _discard(self.by_host, host, row.uuid)
        _discard(self.by_node, (host, node), row.uuid)


class MigrationTable(dict[int, Migration]):
    """Migration rows keyed by id, indexed by instance and by host (source and
    destination). ``migration_save`` replaces the row, which re-indexes it: the
    claim sets the destination. Lists come in id order, the order of the table."""

    __reduce__ = _reduce_table

    def __init__(self) -> None:
        self.by_instance: dict[str, dict[int, Migration]] = {}
        self.by_host: dict[str, dict[int, Migration]] = {}
        self.by_uuid: dict[str, int] = {}  # placement consumers of moves are migrations

    def __setitem__(self, id_: int, row: Migration) -> None:
        old = self.get(id_)
        if old is not None:
            _discard(self.by_instance, old.instance_uuid, id_)
            for host in (old.source_compute, old.dest_compute):
                _discard(self.by_host, host, id_)  # a no-op for None, or the same host again
        super().__setitem__(id_, row)
        self.by_uuid[row.uuid] = id_
        self.by_instance.setdefault(row.instance_uuid, {})[id_] = row
        for host in (row.source_compute, row.dest_compute):
            if host is not None:
                self.by_host.setdefault(host, {})[id_] = row

    def of_instance(self, instance_uuid: str) -> list[Migration]:
        rows = self.by_instance.get(instance_uuid, {})
        return [rows[id_] for id_ in sorted(rows)]

    def touching(self, host: str) -> list[Migration]:
        rows = self.by_host.get(host, {})
        return [rows[id_] for id_ in sorted(rows)]


class PciDeviceTable(dict[tuple[int, str], PciDevice]):
    """PCI device rows keyed (compute node id, address), indexed by node and by
    owning instance, so that a host's or a server's rows cost the same with a
    thousand hosts as with two. Rows are replaced on save, never changed."""

    __reduce__ = _reduce_table

    def __init__(self) -> None:
        self.by_node: dict[int, dict[str, PciDevice]] = {}
        self.by_instance: dict[str, dict[tuple[int, str], PciDevice]] = {}

    def __setitem__(self, key: tuple[int, str], row: PciDevice) -> None:
        old = self.get(key)
        if old is not None and old.instance_uuid is not None:
            _discard(self.by_instance, old.instance_uuid, key)
        super().__setitem__(key, row)
        self.by_node.setdefault(key[0], {})[key[1]] = row
        if row.instance_uuid is not None:
            self.by_instance.setdefault(row.instance_uuid, {})[key] = row

    def add_node(
        self,
        compute_node_id: int,
        rows: dict[str, PciDevice],
        keyed_rows: dict[tuple[int, str], PciDevice],
    ) -> None:
        """Stores a new node's rows (address -> row, each free, as from_spec
        makes them) at once: a cluster's build. ``keyed_rows``: the same rows
        keyed (compute node id, address), as a host plan keeps them."""
        self.by_node.setdefault(compute_node_id, {}).update(rows)
        # dict's own update: no index to keep, as no row names an instance.
        dict.update(self, keyed_rows)


class PortTable(dict[str, Port]):
    """Ports keyed by id, indexed by binding host and by device (the uuid of
    the server neutron says the port is attached to). Rows are replaced on
    update."""

    __reduce__ = _reduce_table

    def __init__(self) -> None:
        self.by_host: dict[str, dict[str, Port]] = {}
        self.by_device: dict[str, dict[str, Port]] = {}

    def __setitem__(self, port_id: str, row: Port) -> None:
        old = self.get(port_id)
        if old is not None:
            if old.binding_host_id is not None:
                _discard(self.by_host, old.binding_host_id, port_id)
            if old.device_id is not None:
                _discard(self.by_device, old.device_id, port_id)
        super().__setitem__(port_id, row)
        if row.binding_host_id is not None:
            self.by_host.setdefault(row.binding_host_id, {})[port_id] = row
        if row.device_id is not None:
            self.by_device.setdefault(row.device_id, {})[port_id] = row


def _discard(index: dict[Any, dict[Any, Any]], key: object, member: object) -> None:
    """Removes ``member`` from ``index[key]``, and the key once it is empty."""
    rows = index.get(key)
    if rows is not None:
        rows.pop(member, None)
        if not rows:
            del index[key]


# The instance fields whose changes the journal shows.
_JOURNALLED_FIELDS = frozenset(("vm_state", "task_state", "host"))


class Database:
    """Tables of the fake cluster, keyed as Nova keys them."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.instances = InstanceTable()
        self.names: dict[str, str] = {}  # server name -> uuid, deleted ones too
        self.migrations = MigrationTable()
        self.compute_nodes: dict[str, ComputeNode] = {}
        self.services: dict[str, Service] = {}
        self.pci_devices = PciDeviceTable()
        self.ports = PortTable()
        self.port_names: dict[str, str] = {}  # ports created by name -> id
        self.networks: dict[str, Network] = {}
        self._migration_ids = 0
        # Journals a state change: the kernel's own method, not one calling it
        # (a frame fewer for each of a scenario's dozens of changes).
        self.changed: Callable[[Change], None] = kernel.record_change

    def label(self, instance_uuid: str | None) -> str:
        """The server name of ``instance_uuid``, for journal lines; a move's
        migration, which placement holds as a consumer, is ``migration-N(vm1)``."""
        if instance_uuid is None:
            return "-"
        row = self.instances.get(instance_uuid)
        if row is not None:
            return row.name
        migration_id = self.migrations.by_uuid.get(instance_uuid)
        if migration_id is not None:
            migration = self.migrations[migration_id]
            return f"migration-{migration_id}({self.label(migration.instance_uuid)})"
        return instance_uuid

    def _instance_event(self, instance: Instance, what: str) -> None:
        # object, name, field, old, new, host: positional, as the others here
        self.changed(Change("Instance", instance.name, "", None, what, instance.host))

    # -- instances ---------------------------------------------------------

    async def instance_create(self, instance: Instance) -> None:
        await point("Instance.create")
        self.instances[instance.uuid] = instance.clone()
        self.names[instance.name] = instance.uuid
        self._instance_event(instance, "created")

    async def instance_get(self, uuid: str) -> Instance:
        await point("Instance.get_by_uuid")
        return self.instances[uuid].clone()

    async def instance_save(
        self,
        instance: Instance,
        *fields: str,
        expected_task_state: tuple[str | None, ...] | None = None,
    ) -> None:
        """Writes ``fields`` of ``instance`` (Nova saves only what changed).

        PCI devices are never written by an instance save. Raises, when
        ``expected_task_state`` is given and the row's task state is not one
        of them, UnexpectedDeletingTaskStateError if a delete set it
        ``deleting`` meanwhile, else UnexpectedTaskStateError.
        """
        await point("Instance.save")
        row = self.instances[instance.uuid]
        if expected_task_state is not None and row.task_state not in expected_task_state:
            if row.task_state == DELETING:
                raise UnexpectedDeletingTaskStateError(
                    f"Instance {instance.name} is being deleted."
                )
            if not row.deleted:
                raise UnexpectedTaskStateError(
                    f"Instance {instance.name}: expected task state "
                    f"{' or '.join(map(str, expected_task_state))}, found {row.task_state}."
                )
        self.write_instance(instance, *fields)

    def write_instance(self, instance: Instance, *fields: str) -> None:
        """``instance_save`` without its point: for writes Nova's API makes
        before it answers, which no other task can interleave with."""
        row = self.instances[instance.uuid]
        if row.deleted:
            raise InstanceNotFound(f"Instance {instance.name} was deleted.")
        host, node = row.host, row.node
        # The records' own fields, read and written without attribute look-ups.
        stored, given = row.__dict__, instance.__dict__
        for name in fields:
            old, new = stored[name], given[name]
            if old != new:
                stored[name] = instance.copy_of(name)
                if name in _JOURNALLED_FIELDS:
                    self.changed(
                        Change("Instance", instance.name, name, str(old), str(new), row.host)
                    )
        if (row.host, row.node) != (host, node):
            self.instances.moved(row, host, node)
        row.updated_at = self.kernel.now

    async def instance_drop_migration_context(self, instance: Instance) -> None:
        await point("Instance.drop_migration_context")
        instance.migration_context = None
        self.instances[instance.uuid].migration_context = None
        self._instance_event(instance, "migration context dropped")

    async def instance_list_by_host_and_node(self, host: str, node: str) -> list[Instance]:
        await point("InstanceList.get_by_host_and_node")
        return [row.clone() for row in self.instances.on_node(host, node) if not row.deleted]

    async def instance_list_by_host(self, host: str) -> list[Instance]:
        await point("InstanceList.get_by_host")
        return [row.clone() for row in self.instances.on_host(host) if not row.deleted]

    async def instance_destroy(self, instance: Instance) -> None:
        """Soft-deletes the row and its migrations, as ``instance_destroy`` does."""
        await point("Instance.destroy")
        row = self.instances[instance.uuid]
        row.deleted = True
        row.vm_state = instance.vm_state
        for migration in self.migrations.of_instance(instance.uuid):
            migration.deleted = True
        self._instance_event(row, "destroyed")

    # -- migrations --------------------------------------------------------

    async def migration_create(self, migration: Migration) -> Migration:
        await point("Migration.create")
        return self.write_new_migration(migration)

    def write_new_migration(self, migration: Migration) -> Migration:
        """``migration_create`` without its point (see ``write_instance``)."""
        self._migration_ids += 1
        migration.id = self._migration_ids
        migration.created_at = migration.updated_at = self.kernel.now
        self.migrations[migration.id] = migration.clone()
        self._migration_changed(migration, None)
        return migration

    def write_migration(self, migration: Migration) -> None:
        """``migration_save`` without its point (see ``write_instance``)."""
        row = self.migrations[migration.id]
        if row.status != migration.status:
            self._migration_changed(migration, row.status)
        deleted = row.deleted
        migration.updated_at = self.kernel.now
        saved = migration.clone()  # indexed once, with the row's own deleted flag
        saved.deleted = deleted
        self.migrations[migration.id] = saved

    async def migration_save(self, migration: Migration) -> None:
        await point("Migration.save")
        self.write_migration(migration)

    async def migration_get_by_instance_and_status(
        self, instance_uuid: str, status: str
    ) -> Migration | None:
        await point("Migration.get_by_instance_and_status")
        for row in self.migrations.of_instance(instance_uuid):
            if row.status == status and not row.deleted:
                return row.clone()
        return None

    async def migration_list_in_progress(
        self, host: str, node: str, *, include_error: bool
    ) -> list[Migration]:
        """Non-deleted migrations touching ``host``/``node`` that are not over."""
        await point("MigrationList.get_in_progress_and_error")
        return [
            row.clone()
            for row in self.migrations.touching(host)
            if not row.deleted
            and (
                (row.source_compute == host and row.source_node == node)
                or (row.dest_compute == host and row.dest_node == node)
            )
            and row.in_progress
            and (include_error or row.status != "error")
        ]

    async def migration_list_evacuations_from(
        self, host: str, statuses: Iterable[str]
    ) -> list[Migration]:
        """Evacuations from ``host`` in ``statuses``, soft-deleted rows included."""
        await point("MigrationList.get_by_filters")
        wanted = set(statuses)
        return [
            row.clone()
            for row in self.migrations.touching(host)
            if row.source_compute == host
            and row.migration_type == "evacuation"
            and row.status in wanted
        ]

    # -- PCI devices, compute nodes, ports ----------------------------------

    async def pci_devices_by_compute_node(self, compute_node_id: int) -> list[PciDevice]:
        await point("PciDeviceList.get_by_compute_node")
        return self.peek_pci_devices(compute_node_id)

    async def pci_devices_save(self, rows: list[PciDevice]) -> None:
        await point("PciDevTracker.save")
        for row in rows:
            self.pci_devices[(row.compute_node_id, row.address)] = row

    async def compute_node_save(self, node: ComputeNode) -> None:
        await point("ComputeNode.save")
        self.compute_nodes[node.host] = node.clone()

    async def port_update(self, port: Port, at: str = "NeutronAPI.update_port") -> None:
        """Writes the port; ``at`` names neutron's call (the binding calls of a
        live migration are others than ``update_port``)."""
        await point(at)
        self.ports[port.id] = port.clone()

    # -- synchronous reads for checks and reports ---------------------------

    def peek_pci_devices(self, compute_node_id: int) -> list[PciDevice]:
        return [row.row() for row in self.stored_pci_devices(compute_node_id)]

    def stored_pci_devices(self, compute_node_id: int) -> list[PciDevice]:
        """The node's rows themselves, by address, for readers that copy or
        only look (a tracker starting, a check). Do not mutate."""
        rows = self.pci_devices.by_node.get(compute_node_id, {})
        return [rows[address] for address in sorted(rows)]

    def peek_pci_devices_of_instance(self, instance_uuid: str) -> list[PciDevice]:
        """Copies of the rows that name ``instance_uuid``, any status, on any
        node, sorted by (compute node id, address)."""
        rows = self.pci_devices.by_instance.get(instance_uuid, {})
        return [rows[key].row() for key in sorted(rows)]

    def pci_devices_of(self, instance: Instance) -> list[DeviceRef]:
        """The instance's allocated devices on its current node (the lazy-load
        of ``instance.pci_devices``), by address."""
        node = instance.compute_id or -1
        rows = self.pci_devices.by_instance.get(instance.uuid, {})
        return [
            rows[key].ref
            for key in sorted(rows)
            if key[0] == node and rows[key].status == "allocated"
        ]

    def peek_instances_on(self, host: str) -> list[Instance]:
        """Rows of the instances whose host is ``host``, deleted ones too, in
        creation order. Do not mutate."""
        return self.instances.on_host(host)

    def ports_of_device(self, instance_uuid: str) -> list[Port]:
        """The ports whose ``device_id`` is the instance, by id: neutron's
        list of a server's ports, which the info cache may lag. Do not mutate."""
        rows = self.ports.by_device.get(instance_uuid, {})
        return [rows[port_id] for port_id in sorted(rows)]

    def peek_ports_bound_to(self, host: str) -> list[Port]:
        """Ports whose binding host is ``host``. Do not mutate."""
        return list(self.ports.by_host.get(host, {}).values())

    def peek_migrations_of(self, instance_uuid: str) -> list[Migration]:
        return self.migrations.of_instance(instance_uuid)

    def _migration_changed(self, migration: Migration, old: str | None) -> None:
        row = self.instances.get(migration.instance_uuid)
        server = row.name if row else migration.instance_uuid
        self.changed(
            Change("Migration", server, "status", old, migration.status,
                   migration.dest_compute, None, server, migration.migration_type)
        )  # fmt: skip
