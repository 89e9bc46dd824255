"""Nova's objects, as far as PCI accounting needs them.

Each class is named as Nova names it. Records read from the database are
copies, as Nova's objects are: a task that loaded an instance before another
task saved it keeps the old values until it loads again. That is what makes
the audit's instance list a snapshot, and bug 1896463 possible.

Copies are made field by field (``clone``), not with ``copy.deepcopy``, which
costs twenty times more: lists, dicts and mutable records are copied, frozen
records (``Flavor``, ``DeviceRef``) and strings are shared.
tests/cluster/test_copies.py fails when a field is shared that should not be.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .exception import PciDeviceInvalidStatus
from .numa import InstanceNUMATopology, NUMACell, NUMATopology
from .topology import DEFAULT_IMAGE, DeviceSpec, FlavorSpec, HostSpec, ImageSpec

_Record = TypeVar("_Record")


def _shallow(record: _Record) -> _Record:
    """A new record whose fields are the same objects as ``record``'s (what
    ``copy.copy`` makes, without its generic dispatch). The new record takes
    a copy of the old one's ``__dict__``: half what filling its own empty one
    costs, as a copy is made at its final size."""
    new = object.__new__(type(record))
    new.__dict__ = record.__dict__.copy()
    return new


# vm_state values (nova/compute/vm_states.py)
ACTIVE = "active"
STOPPED = "stopped"
ERROR = "error"
DELETED = "deleted"
BUILDING = "building"
RESIZED = "resized"
PAUSED = "paused"
SUSPENDED = "suspended"
SHELVED = "shelved"
SHELVED_OFFLOADED = "shelved_offloaded"

# task_state values (nova/compute/task_states.py)
REBUILDING = "rebuilding"
REBUILD_BLOCK_DEVICE_MAPPING = "rebuild_block_device_mapping"
REBUILD_SPAWNING = "rebuild_spawning"
SPAWNING = "spawning"
SCHEDULING = "scheduling"
DELETING = "deleting"
POWERING_OFF = "powering-off"
POWERING_ON = "powering-on"
SUSPENDING = "suspending"
RESUMING = "resuming"
RESIZE_PREP = "resize_prep"
RESIZE_MIGRATING = "resize_migrating"
RESIZE_MIGRATED = "resize_migrated"
RESIZE_FINISH = "resize_finish"
RESIZE_REVERTING = "resize_reverting"
RESIZE_CONFIRMING = "resize_confirming"
MIGRATING = "migrating"
SHELVING = "shelving"
SHELVING_IMAGE_UPLOADING = "shelving_image_uploading"
SHELVING_OFFLOADING = "shelving_offloading"
UNSHELVING = "unshelving"

# task_states.rebuild_states and resizing_states: an instance moving through a host.
REBUILD_STATES = (REBUILDING, REBUILD_BLOCK_DEVICE_MAPPING, REBUILD_SPAWNING)
RESIZING_STATES = (RESIZE_PREP, RESIZE_MIGRATING, RESIZE_MIGRATED, RESIZE_FINISH)


def allow_resource_removal(
    vm_state: str, task_state: str | None, *, keep_spawning: bool = True
) -> bool:
    """Whether the resource tracker may stop counting an instance in these
    states (``vm_states.allow_resource_removal``): a deleted one, or an
    offloaded one that no unshelve is spawning. ``keep_spawning=False`` is
    the rule before the fix of bug 2025480, which dropped the spawning one too."""
    if vm_state == DELETED:
        return True
    return vm_state == SHELVED_OFFLOADED and (not keep_spawning or task_state != SPAWNING)


# Every status a migration record takes (nova/objects/migration.py and the
# compute manager): evacuations, resizes and cold migrations, live migrations.
MIGRATION_STATUSES = (
    "accepted", "pre-migrating", "migrating", "post-migrating", "finished", "confirming",
    "confirmed", "reverting", "reverted", "done", "completed", "failed", "error",
    "cancelled", "queued", "preparing", "running",
)  # fmt: skip

# Migration statuses that are over for the audit (today). 2020 also had "error".
FINISHED_MIGRATION_STATUSES = frozenset(
    {"confirmed", "reverted", "failed", "completed", "cancelled", "done"}
)

# PCI device statuses (nova/objects/fields.py PciDeviceStatus)
AVAILABLE = "available"
CLAIMED = "claimed"
ALLOCATED = "allocated"
UNCLAIMABLE = "unclaimable"
UNAVAILABLE = "unavailable"

PF = "type-PF"
VF = "type-VF"
VDPA = "vdpa"
STANDALONE = "type-PCI"


@dataclass(frozen=True)
class Flavor:
    """A flavor: the size of a server. Each instance carries its own copy, and
    a resize its old and new ones, as Nova's ``instance.flavor``,
    ``old_flavor`` and ``new_flavor``."""

    name: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    extra_specs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_spec(cls, spec: FlavorSpec) -> Flavor:
        return cls(spec.name, spec.vcpus, spec.memory_mb, spec.disk_gb, spec.extra_specs)


@dataclass
class InstancePCIRequest:
    """One PCI request: from a neutron port (``requester_id``) or a flavor alias."""

    count: int
    spec: list[dict[str, str]]
    request_id: str
    requester_id: str | None = None
    alias_name: str | None = None
    # required / preferred / legacy / socket; None reads as legacy (pci_stats)
    numa_policy: str | None = None

    def clone(self) -> InstancePCIRequest:
        new = _shallow(self)
        new.spec = [dict(group) for group in self.spec]
        return new


def _clone_requests(requests: list[InstancePCIRequest]) -> list[InstancePCIRequest]:
    return [request.clone() for request in requests]


@dataclass(frozen=True)
class DeviceRef:
    """A PCI device named by its compute node and address, as contexts hold them."""

    compute_node_id: int
    address: str
    request_id: str | None


@dataclass
class MigrationContext:
    """Old and new PCI devices, requests and NUMA topologies of a move,
    stored with the instance (the topologies are frozen, so shared)."""

    migration_id: int
    old_pci_devices: list[DeviceRef]
    new_pci_devices: list[DeviceRef]
    old_pci_requests: list[InstancePCIRequest]
    new_pci_requests: list[InstancePCIRequest]
    old_numa_topology: InstanceNUMATopology | None = None
    new_numa_topology: InstanceNUMATopology | None = None

    def clone(self) -> MigrationContext:
        return MigrationContext(
            self.migration_id,
            list(self.old_pci_devices),
            list(self.new_pci_devices),
            _clone_requests(self.old_pci_requests),
            _clone_requests(self.new_pci_requests),
            self.old_numa_topology,
            self.new_numa_topology,
        )


def _clone_context(context: MigrationContext | None) -> MigrationContext | None:
    return None if context is None else context.clone()


# How Instance copies its fields that hold mutable values; the others (strings,
# numbers, frozen Flavors) are shared. DeviceRefs are frozen: a new list will do.
_INSTANCE_FIELD_COPIES: dict[str, Callable[[Any], Any]] = {
    "pci_requests": _clone_requests,
    "pci_devices": list,
    "migration_context": _clone_context,
    "ports": list,
}


@dataclass
class Instance:
    """A server. ``pci_devices`` is the in-memory list Nova keeps on the object;
    the database tells the truth through the device rows' ``instance_uuid``."""

    uuid: str
    name: str
    flavor: Flavor
    vm_state: str = BUILDING
    task_state: str | None = None
    host: str | None = None
    node: str | None = None
    compute_id: int | None = None
    launched_on: str | None = None
    launched: bool = False
    pci_requests: list[InstancePCIRequest] = field(default_factory=list)
    pci_devices: list[DeviceRef] = field(default_factory=list)
    migration_context: MigrationContext | None = None
    ports: list[str] = field(default_factory=list)
    deleted: bool = False
    updated_at: float = 0.0
    fault: str | None = None  # Nova's instance fault: why it went to ERROR
    old_flavor: Flavor | None = None  # set while a resize is under way
    new_flavor: Flavor | None = None
    # system_metadata['old_vm_state']: what a resize or migration returns to
    old_vm_state: str | None = None
    # What the flavor asks for until a claim fits it; then its cells name the
    # host cells and its dedicated vCPUs their pCPUs. Frozen, so shared.
    numa_topology: InstanceNUMATopology | None = None
    # The image it was built (or last rebuilt) from, with its properties:
    # Nova's instance.image_meta. Every NUMA and PCI policy derivation reads it.
    image_meta: ImageSpec = DEFAULT_IMAGE

    def clone(self) -> Instance:
        """A copy that shares no mutable value with this instance."""
        new = _shallow(self)
        values = new.__dict__  # its own fields: no attribute look-up for each
        for name, copied in _INSTANCE_FIELD_COPIES.items():
            values[name] = copied(values[name])
        return new

    def copy_of(self, name: str) -> Any:
        """The value of field ``name``, copied as ``clone`` copies it (a save
        writes this, so the row and the saved object share nothing)."""
        value = getattr(self, name)
        copied = _INSTANCE_FIELD_COPIES.get(name)
        return value if copied is None else copied(value)

    def apply_migration_context(self) -> None:
        """Copies the context's new devices, requests and NUMA topology onto
        the instance."""
        if self.migration_context is not None:
            self.pci_requests = _clone_requests(self.migration_context.new_pci_requests)
            self.pci_devices = list(self.migration_context.new_pci_devices)
            self.numa_topology = self.migration_context.new_numa_topology

    def revert_migration_context(self) -> None:
        """Copies the context's old devices, requests and NUMA topology back
        (a revert)."""
        if self.migration_context is not None:
            self.pci_requests = _clone_requests(self.migration_context.old_pci_requests)
            self.pci_devices = list(self.migration_context.old_pci_devices)
            self.numa_topology = self.migration_context.old_numa_topology


@dataclass
class Migration:
    """A migration record; evacuations have ``migration_type`` evacuation."""

    id: int
    uuid: str
    instance_uuid: str
    migration_type: str
    status: str
    source_compute: str
    source_node: str
    dest_compute: str | None = None
    dest_node: str | None = None
    dest_compute_id: int | None = None
    # old_instance_type_id and new_instance_type_id: flavor names here
    old_flavor: str | None = None
    new_flavor: str | None = None
    deleted: bool = False
    created_at: float = 0.0
    updated_at: float = 0.0

    @classmethod
    def of(
        cls, instance: Instance, uuid: str, migration_type: str, status: str, **fields: object
    ) -> Migration:
        """A new record of a move of ``instance`` away from its host (id set on create)."""
        assert instance.host is not None
        assert instance.node is not None
        return cls(
            id=0,
            uuid=uuid,
            instance_uuid=instance.uuid,
            migration_type=migration_type,
            status=status,
            source_compute=instance.host,
            source_node=instance.node,
            **fields,  # type: ignore[arg-type]
        )

    def clone(self) -> Migration:
        return _shallow(self)  # every field is a string, a number or None

    @property
    def in_progress(self) -> bool:
        return self.status not in FINISHED_MIGRATION_STATUSES

    def touches(self, host: str) -> bool:
        return host in (self.source_compute, self.dest_compute)


@dataclass
class ComputeNode:
    """The hypervisor row of a compute host (node name equals host name here)."""

    id: int
    uuid: str
    host: str
    vcpus: int
    memory_mb: int
    local_gb: int
    vcpus_used: int = 0
    memory_mb_used: int = 0
    local_gb_used: int = 0
    # The host's NUMA cells and their usage; None: the host reports none.
    numa_topology: NUMATopology | None = None

    @property
    def node(self) -> str:
        return self.host

    def clone(self) -> ComputeNode:
        return _shallow(self)  # every field is a string or a number


@dataclass
class Service:
    """A ``nova-compute`` service: running or stopped, and the admin's
    ``forced_down`` and ``disabled`` (the scheduler's ComputeFilter skips it)."""

    host: str
    running: bool = True
    forced_down: bool = False
    stopped_at: float | None = None
    disabled: bool = False

    def is_up(self, now: float, down_time: float) -> bool:
        """Nova's ``service_is_up``: not forced down, and heartbeating recently.

        A stopped service keeps looking up until ``down_time`` seconds after
        its last heartbeat, as with Nova's database servicegroup driver.
        """
        if self.forced_down:
            return False
        if self.running:
            return True
        return self.stopped_at is not None and now - self.stopped_at < down_time


@dataclass
class Network:
    name: str
    physnet: str | None


@dataclass
class Port:
    """A neutron port; SR-IOV binding details live in ``binding_profile``."""

    id: str
    network: str
    vnic_type: str
    device_id: str | None = None
    numa_affinity_policy: str | None = None  # the port's own, over the flavor's
    name: str | None = None  # as neutron's port create names it; None for a server's own
    trusted: bool | None = None  # binding:profile 'trusted' the user asked for
    binding_host_id: str | None = None
    binding_profile: dict[str, str | None] = field(default_factory=dict)
    # Neutron's multiple port bindings: the inactive ones, host -> profile. A
    # live migration binds the destination inactive, then activates it.
    inactive_bindings: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How messages name the port: its name, or its id for a server's own."""
        return self.name or self.id

    def clone(self) -> Port:
        new = _shallow(self)
        new.binding_profile = dict(self.binding_profile)
        new.inactive_bindings = {
            host: dict(profile) for host, profile in self.inactive_bindings.items()
        }
        return new


@dataclass(slots=True, weakref_slot=True)
class PciDevice:
    """A PCI device: a database row, or the PCI tracker's live copy with links.

    Transitions follow nova/objects/pci_device.py (nova-model 7.2), including
    the parent/child exclusivity of PFs and their VFs. ``on_change`` lets the
    tracker journal every status change, relatives included.

    Slotted: a cluster of 10,000 hosts holds 1.4 million of them (a database
    row and a tracker copy per device), and a ``__dict__`` each was as many
    more objects for memory and for every garbage collection to walk.
    """

    compute_node_id: int
    host: str
    address: str
    dev_type: str
    parent_addr: str | None
    vendor_id: str
    product_id: str
    numa_node: int | None  # None: no NUMA affinity reported
    physnet: str | None
    parent_ifname: str | None
    remote_managed: bool
    status: str = AVAILABLE
    instance_uuid: str | None = None
    request_id: str | None = None
    # device_spec tags beyond physnet and remote_managed; None: not tagged
    trusted: bool | None = None
    live_migratable: bool | None = None
    # Weak (``parent_device``): a PF holds its VFs; a strong link back made
    # every dropped tracker a cycle for the cyclic GC.
    parent_ref: weakref.ref[PciDevice] | None = field(default=None, repr=False, compare=False)
    child_devices: list[PciDevice] = field(default_factory=list, repr=False, compare=False)
    on_change: Callable[[PciDevice, str, str], None] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def parent_device(self) -> PciDevice | None:
        return None if self.parent_ref is None else self.parent_ref()

    @parent_device.setter
    def parent_device(self, parent: PciDevice | None) -> None:
        self.parent_ref = None if parent is None else weakref.ref(parent)

    def __deepcopy__(self, memo: dict[int, Any]) -> PciDevice:
        # deepcopy would keep the original's parent in a weak link (pickle's
        # way is in cluster/template.py); every other field is immutable.
        copied = self.row()
        memo[id(self)] = copied
        copied.parent_device = copy.deepcopy(self.parent_device, memo)
        copied.child_devices = copy.deepcopy(self.child_devices, memo)
        copied.on_change = copy.deepcopy(self.on_change, memo)
        return copied

    # from_spec and row fill a bare object field by field rather than call the
    # dataclass's __init__: half the cost, and a cluster of 10,000 hosts makes
    # 1.4 million devices as it is built. A field either forgets stays unset,
    # and reading it raises (tests/cluster/test_copies.py reads every field).

    @classmethod
    def from_spec(cls, compute_node_id: int, host: str, spec: DeviceSpec) -> PciDevice:
        """The ``available`` row of a device the topology gives ``host``."""
        row = _bare(cls)
        row.compute_node_id = compute_node_id
        row.host = host
        row.address = spec.address
        row.dev_type = spec.dev_type
        row.parent_addr = spec.parent
        row.vendor_id = spec.vendor_id
        row.product_id = spec.product_id
        row.numa_node = spec.numa_node
        row.physnet = spec.physnet
        row.parent_ifname = spec.parent_ifname
        row.remote_managed = spec.remote_managed
        row.status = AVAILABLE
        row.instance_uuid = None
        row.request_id = None
        row.trusted = spec.trusted
        row.live_migratable = spec.live_migratable
        row.parent_ref = None
        row.child_devices = []
        row.on_change = None
        return row

    @property
    def ref(self) -> DeviceRef:
        return DeviceRef(self.compute_node_id, self.address, self.request_id)

    @property
    def is_parent(self) -> bool:
        return self.dev_type == PF

    @property
    def is_child(self) -> bool:
        return self.dev_type in (VF, VDPA)

    def row(self) -> PciDevice:
        """A copy without links, as the database stores it (every other
        field is a string, a number or None)."""
        row = _bare(PciDevice)
        row.compute_node_id = self.compute_node_id
        row.host = self.host
        row.address = self.address
        row.dev_type = self.dev_type
        row.parent_addr = self.parent_addr
        row.vendor_id = self.vendor_id
        row.product_id = self.product_id
        row.numa_node = self.numa_node
        row.physnet = self.physnet
        row.parent_ifname = self.parent_ifname
        row.remote_managed = self.remote_managed
        row.status = self.status
        row.instance_uuid = self.instance_uuid
        row.request_id = self.request_id
        row.trusted = self.trusted
        row.live_migratable = self.live_migratable
        row.parent_ref = None  # the links: a row has none
        row.child_devices = []
        row.on_change = None
        return row

    def _set(self, status: str) -> None:
        old, self.status = self.status, status
        if self.on_change is not None and old != status:
            self.on_change(self, old, status)

    def _refuse(self, action: str, allowed: tuple[str, ...]) -> PciDeviceInvalidStatus:
        return PciDeviceInvalidStatus(
            f"Cannot {action} PCI device {self.address} on '{self.host}': it is "
            f"{self.status}, not {' or '.join(allowed)}."
        )

    def claim(self, instance_uuid: str) -> None:
        if self.status != AVAILABLE:
            raise self._refuse("claim", (AVAILABLE,))
        if self.is_parent:
            busy = [c for c in self.child_devices if c.status in (CLAIMED, ALLOCATED)]
            if busy:
                raise PciDeviceInvalidStatus(
                    f"Cannot claim PF {self.address} on '{self.host}': its VF "
                    f"{busy[0].address} is {busy[0].status}."
                )
            for child in self.child_devices:
                if child.status == AVAILABLE:
                    child._set(UNCLAIMABLE)
        elif self.is_child and self.parent_device is not None:
            parent = self.parent_device
            if parent.status not in (AVAILABLE, UNCLAIMABLE, UNAVAILABLE):
                raise PciDeviceInvalidStatus(
                    f"Cannot claim VF {self.address} on '{self.host}': its PF "
                    f"{parent.address} is {parent.status}."
                )
            if parent.status == AVAILABLE:
                parent._set(UNCLAIMABLE)
        self.instance_uuid = instance_uuid
        self._set(CLAIMED)

    def allocate(self, instance_uuid: str) -> None:
        ok = self.status == AVAILABLE or (
            self.status == CLAIMED and self.instance_uuid == instance_uuid
        )
        if not ok:
            raise self._refuse("allocate", (AVAILABLE, f"claimed by {instance_uuid}"))
        if self.is_parent:
            for child in self.child_devices:
                child._set(UNAVAILABLE)
        elif self.is_child and self.parent_device is not None:
            self.parent_device._set(UNAVAILABLE)
        self.instance_uuid = instance_uuid
        self._set(ALLOCATED)

    def free(self, instance_uuid: str | None = None) -> list[PciDevice]:
        """Frees the device; returns every device that became available."""
        if self.status not in (CLAIMED, ALLOCATED):
            raise self._refuse("free", (CLAIMED, ALLOCATED))
        if instance_uuid is not None and self.instance_uuid != instance_uuid:
            raise PciDeviceInvalidStatus(
                f"Cannot free PCI device {self.address} on '{self.host}' for "
                f"{instance_uuid}: it belongs to {self.instance_uuid}."
            )
        freed = [self]
        if self.is_parent:
            for child in self.child_devices:
                child._set(AVAILABLE)
                freed.append(child)
        elif self.is_child and self.parent_device is not None:
            siblings = [d for d in self.parent_device.child_devices if d is not self]
            if all(sibling.status == AVAILABLE for sibling in siblings):
                self.parent_device._set(AVAILABLE)
                freed.append(self.parent_device)
        self._set(AVAILABLE)  # journaled while the owner is still known
        self.instance_uuid = None
        self.request_id = None
        return freed


def host_numa_topology(host: HostSpec) -> NUMATopology | None:
    """The NUMA topology ``host``'s hypervisor reports (no usage), or None
    for a host without cells, as Nova's fake driver reports none."""
    if not host.numa_cells:
        return None
    return NUMATopology(
        tuple(
            NUMACell(cell.id, cell.cpuset, cell.pcpuset, cell.memory_mb, cell.socket)
            for cell in host.numa_cells
        )
    )


_bare = object.__new__
