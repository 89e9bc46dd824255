"""The cluster's in-memory database and its query functions.

State lives here and only here. Services read and write it through the async
query functions below; each passes the named point a Nova developer would
recognise, which is where a delay can be injected or the explorer can switch
tasks. Reads hand out copies, as Nova's objects are copies of rows. The
synchronous ``peek_*`` helpers are for checks and reports, which never move
time.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from ..sim import Change, Kernel, point
from .exception import InstanceNotFound, UnexpectedDeletingTaskStateError
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


class PciDeviceTable(dict[tuple[int, str], PciDevice]):
    """PCI device rows keyed (compute node id, address), indexed by node too,
    so that a host's rows cost the same with a thousand hosts as with two."""

    def __init__(self) -> None:
        super().__init__()
        self.by_node: dict[int, dict[str, PciDevice]] = {}

    def __setitem__(self, key: tuple[int, str], row: PciDevice) -> None:
        super().__setitem__(key, row)
        self.by_node.setdefault(key[0], {})[key[1]] = row


class Database:
    """Tables of the fake cluster, keyed as Nova keys them."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.instances: dict[str, Instance] = {}
        self.names: dict[str, str] = {}  # server name -> uuid, deleted ones too
        self.migrations: dict[int, Migration] = {}
        self.compute_nodes: dict[str, ComputeNode] = {}
        self.services: dict[str, Service] = {}
        self.pci_devices = PciDeviceTable()
        self.ports: dict[str, Port] = {}
        self.networks: dict[str, Network] = {}
        self._migration_ids = 0

    def changed(self, change: Change) -> None:
        self.kernel.record_change(change)

    def _instance_event(self, instance: Instance, what: str) -> None:
        self.changed(Change("Instance", instance.name, new=what, host=instance.host))

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

        PCI devices are never written by an instance save. Raises
        UnexpectedDeletingTaskStateError when ``expected_task_state`` is given
        and a delete has set the row ``deleting`` meanwhile.
        """
        await point("Instance.save")
        row = self.instances[instance.uuid]
        if (
            expected_task_state is not None
            and row.task_state == DELETING
            and DELETING not in expected_task_state
        ):
            raise UnexpectedDeletingTaskStateError(f"Instance {instance.name} is being deleted.")
        self.write_instance(instance, *fields)

    def write_instance(self, instance: Instance, *fields: str) -> None:
        """``instance_save`` without its point: for writes Nova's API makes
        before it answers, which no other task can interleave with."""
        row = self.instances[instance.uuid]
        if row.deleted:
            raise InstanceNotFound(f"Instance {instance.name} was deleted.")
        for name in fields:
            old, new = getattr(row, name), getattr(instance, name)
            if old != new:
                setattr(row, name, copy.deepcopy(new))
                if name in ("vm_state", "task_state", "host"):
                    self.changed(
                        Change("Instance", instance.name, name, str(old), str(new), host=row.host)
                    )
        row.updated_at = self.kernel.now

    async def instance_drop_migration_context(self, instance: Instance) -> None:
        await point("Instance.drop_migration_context")
        instance.migration_context = None
        self.instances[instance.uuid].migration_context = None
        self._instance_event(instance, "migration context dropped")

    async def instance_list_by_host_and_node(self, host: str, node: str) -> list[Instance]:
        await point("InstanceList.get_by_host_and_node")
        return [
            row.clone()
            for row in self.instances.values()
            if not row.deleted and row.host == host and row.node == node
        ]

    async def instance_list_by_host(self, host: str) -> list[Instance]:
        await point("InstanceList.get_by_host")
        return [
            row.clone() for row in self.instances.values() if not row.deleted and row.host == host
        ]

    async def instance_destroy(self, instance: Instance) -> None:
        """Soft-deletes the row and its migrations, as ``instance_destroy`` does."""
        await point("Instance.destroy")
        row = self.instances[instance.uuid]
        row.deleted = True
        row.vm_state = instance.vm_state
        for migration in self.migrations.values():
            if migration.instance_uuid == instance.uuid:
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

    async def migration_save(self, migration: Migration) -> None:
        await point("Migration.save")
        row = self.migrations[migration.id]
        if row.status != migration.status:
            self._migration_changed(migration, row.status)
        deleted = row.deleted
        migration.updated_at = self.kernel.now
        self.migrations[migration.id] = migration.clone()
        self.migrations[migration.id].deleted = deleted

    async def migration_get_by_instance_and_status(
        self, instance_uuid: str, status: str
    ) -> Migration | None:
        await point("Migration.get_by_instance_and_status")
        for row in self.migrations.values():
            if row.instance_uuid == instance_uuid and row.status == status and not row.deleted:
                return row.clone()
        return None

    async def migration_list_in_progress(
        self, host: str, node: str, *, include_error: bool
    ) -> list[Migration]:
        """Non-deleted migrations touching ``host``/``node`` that are not over."""
        await point("MigrationList.get_in_progress_and_error")
        return [
            row.clone()
            for row in self.migrations.values()
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
            for row in self.migrations.values()
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

    async def port_update(self, port: Port) -> None:
        await point("NeutronAPI.update_port")
        self.ports[port.id] = port.clone()

    # -- synchronous reads for checks and reports ---------------------------

    def peek_pci_devices(self, compute_node_id: int) -> list[PciDevice]:
        rows = self.pci_devices.by_node.get(compute_node_id, {})
        return [rows[address].row() for address in sorted(rows)]

    def pci_devices_of(self, instance: Instance) -> list[DeviceRef]:
        """The instance's allocated devices on its current node (the lazy-load
        of ``instance.pci_devices``)."""
        return [
            row.ref
            for row in self.peek_pci_devices(instance.compute_id or -1)
            if row.instance_uuid == instance.uuid and row.status == "allocated"
        ]

    def peek_migrations_of(self, instance_uuid: str) -> list[Migration]:
        return [row for row in self.migrations.values() if row.instance_uuid == instance_uuid]

    def _migration_changed(self, migration: Migration, old: str | None) -> None:
        row = self.instances.get(migration.instance_uuid)
        server = row.name if row else migration.instance_uuid
        self.changed(
            Change("Migration", server, "status", old, migration.status,
                   host=migration.dest_compute, owner=server,
                   qualifier=migration.migration_type)
        )  # fmt: skip
