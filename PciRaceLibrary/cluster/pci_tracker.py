"""``PciDevTracker``: one host's live PCI devices, claims, allocations and pools.

It is the in-memory master copy; the database sees its changes only when
``save`` writes the changed rows. It is built from the database when its
compute service starts, and from then on never re-reads it: an audit only
adds (claimed -> allocated) and frees (``clean_usage``). Nothing re-allocates
a device that was wrongly freed.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..sim import Change
from .objects import (
    ALLOCATED,
    AVAILABLE,
    CLAIMED,
    DeviceRef,
    InstancePCIRequest,
    PciDevice,
)
from .pci_stats import PciDeviceStats, Pool

if TYPE_CHECKING:
    from .numa import InstanceNUMACell, NUMATopology

Changed = Callable[[Change], None]
Label = Callable[[str], str]


class PciDevTracker:
    """Tracks the PCI devices of compute node ``compute_node_id`` on ``host``."""

    def __init__(
        self,
        host: str,
        compute_node_id: int,
        rows: Iterable[PciDevice],
        changed: Changed,
        label: Label = str,
        *,
        numa_topology: NUMATopology | None = None,
        layout: PciLayout | None = None,
    ) -> None:
        """``layout``: that of ``rows`` (a new host's, every device free),
        whose links and pools are then taken from it, not derived again."""
        self.host = host
        self.compute_node_id = compute_node_id
        self.devices: list[PciDevice] = [row.row() for row in rows]
        self._by_address = {device.address: device for device in self.devices}
        self._dirty: set[str] = set()
        # One journal for all devices (a big cluster would hold one per device).
        journal_change = _StatusJournal(host, self._dirty, changed, label)
        self.claims: dict[str, list[PciDevice]] = {}
        self.allocations: dict[str, list[PciDevice]] = {}
        if layout is not None:
            devices = self.devices
            for device in devices:
                device.on_change = journal_change
            for child, parent in layout.links:
                devices[child].parent_ref = weakref.ref(devices[parent])
                devices[parent].child_devices.append(devices[child])
            pooled = list(map(devices.__getitem__, layout.pooled))
            pools = [Pool.made(parts, pooled[start:end]) for parts, start, end in layout.pools]
            self.stats = PciDeviceStats.of_pools(pools, numa_topology)
            return
        # Rebuilt from device status, as Nova does at start-up; one pass links
        # relatives and sorts devices by status (a new host's are all free).
        available: list[PciDevice] = []
        for device in self.devices:
            device.on_change = journal_change
            if device.parent_addr:
                parent = self._by_address.get(device.parent_addr)
                if parent is not None:
                    device.parent_ref = weakref.ref(parent)  # parent_device, without the property
                    parent.child_devices.append(device)
            if device.status == AVAILABLE:
                available.append(device)
            elif device.instance_uuid and device.status == CLAIMED:
                self.claims.setdefault(device.instance_uuid, []).append(device)
            elif device.instance_uuid and device.status == ALLOCATED:
                self.allocations.setdefault(device.instance_uuid, []).append(device)
        self.stats = PciDeviceStats(available, numa_topology)

    def device(self, address: str) -> PciDevice:
        return self._by_address[address]

    def support_requests(
        self,
        requests: list[InstancePCIRequest],
        numa_cells: Sequence[InstanceNUMACell] | None = None,
    ) -> bool:
        return self.stats.support_requests(requests, numa_cells)

    def claim_instance(
        self,
        instance_uuid: str,
        requests: list[InstancePCIRequest],
        numa_cells: Sequence[InstanceNUMACell] | None = None,
    ) -> list[PciDevice] | None:
        """Claims devices for ``requests`` (on ``numa_cells``, the host cells
        of the instance's fitted topology, as their NUMA policies want);
        None if they no longer fit."""
        if not requests:
            return []
        chosen: list[PciDevice] = []
        for request in requests:
            devices = self.stats.consume_requests([request], numa_cells)
            if devices is None:
                for device in chosen:  # undo, so a refused claim changes nothing
                    self._free_device(device)
                return None
            for device in devices:
                device.claim(instance_uuid)
                device.request_id = request.request_id
                self._dirty.add(device.address)
            chosen.extend(devices)
        self.claims.setdefault(instance_uuid, []).extend(chosen)
        return chosen

    def allocate_instance(self, instance_uuid: str) -> list[PciDevice]:
        """Turns the instance's claimed devices into allocated ones (sign +1)."""
        devices = self.claims.pop(instance_uuid, [])
        for device in devices:
            device.allocate(instance_uuid)
        if devices:
            self.allocations.setdefault(instance_uuid, []).extend(devices)
        return devices

    def free_named_devices(self, refs: Iterable[DeviceRef], instance_uuid: str) -> list[PciDevice]:
        """Frees the devices ``refs`` names that ``instance_uuid`` holds here,
        as Nova's ``free_device`` does for each device of a migration context."""
        wanted = {ref.address for ref in refs if ref.compute_node_id == self.compute_node_id}
        freed = []
        for table in (self.allocations, self.claims):
            held = table.get(instance_uuid, [])
            for device in [d for d in held if d.address in wanted]:
                held.remove(device)
                self._free_device(device)
                freed.append(device)
            if not held:
                table.pop(instance_uuid, None)
        return freed

    def free_instance(self, instance_uuid: str) -> list[PciDevice]:
        """Frees everything the instance holds here (usage sign -1), as Nova's
        ``free_instance`` does when a server is deleted or its build aborted."""
        freed = self.claims.pop(instance_uuid, []) + self.allocations.pop(instance_uuid, [])
        for device in freed:
            self._free_device(device)
        return freed

    def free_instance_allocations(self, instance_uuid: str) -> list[PciDevice]:
        """Frees only the devices allocated to the instance here (a live
        migration's source, once the guest left)."""
        freed = self.allocations.pop(instance_uuid, [])
        for device in freed:
            self._free_device(device)
        return freed

    def free_instance_claims(self, instance_uuid: str) -> list[PciDevice]:
        """Frees only the devices still claimed by the instance here (a live
        migration's destination, rolled back): an audit that meanwhile turned
        the claim into an allocation leaves those to its next run."""
        freed = self.claims.pop(instance_uuid, [])
        for device in freed:
            self._free_device(device)
        return freed

    def clean_usage(self, existed: set[str]) -> list[str]:
        """Frees devices of instances in neither the audit's instance list nor its
        migration list (``existed``); returns the uuids it freed devices of."""
        freed: list[str] = []
        for table in (self.claims, self.allocations):
            for uuid in sorted(table):
                if uuid not in existed:
                    for device in table.pop(uuid):
                        self._free_device(device)
                    freed.append(uuid)
        return freed

    def _free_device(self, device: PciDevice) -> None:
        for available in device.free():
            self.stats.add_device(available)

    def changed_rows(self) -> list[PciDevice]:
        """Rows to write on ``save``, and forget them as written."""
        rows = [self.device(address).row() for address in sorted(self._dirty)]
        self._dirty.clear()
        return rows

    def free_devices(self) -> list[PciDevice]:
        return [device for device in self.devices if device.status == AVAILABLE]


@dataclass(frozen=True)
class PciLayout:
    """How a tracker links and pools its rows when every device is free:
    (VF, PF) positions in the rows; the positions of the pools' members,
    pool after pool; and each pool's (key, lowered key) and the slice of
    those that are its members, in pool order. Worked out by a tracker
    (``of``), so that a tracker of the same rows again takes it rather than
    derive it: each build of a topology's host makes the same tracker
    (host_plan.py). Read only, never changed."""

    links: tuple[tuple[int, int], ...]
    pooled: tuple[int, ...]
    pools: tuple[tuple[tuple[dict[str, str], dict[str, str]], int, int], ...]

    @classmethod
    def of(cls, rows: Sequence[PciDevice]) -> PciLayout:
        assert all(row.status == AVAILABLE for row in rows), "a layout is of free devices"
        tracker = PciDevTracker("", 0, rows, _unjournaled)
        at = {device.address: n for n, device in enumerate(tracker.devices)}
        links = tuple(
            (n, at[device.parent_device.address])
            for n, device in enumerate(tracker.devices)
            if device.parent_device is not None
        )
        pooled: list[int] = []
        pools = []
        for pool in tracker.stats.pools:
            start = len(pooled)
            pooled += [at[device.address] for device in pool.devices]
            pools.append(((pool.key, pool.lowered), start, len(pooled)))
        return cls(links, tuple(pooled), tuple(pools))


def _unjournaled(change: Change) -> None:
    pass


class _StatusJournal:
    """What a tracker's devices call on each status change (``on_change``):
    marks the device dirty and journals the change. Not a bound method of the
    tracker: the tracker holds its devices, and a link back from each made
    every dropped cluster a cycle for the cyclic GC to find and free."""

    __slots__ = ("changed", "dirty", "host", "label")

    def __init__(self, host: str, dirty: set[str], changed: Changed, label: Label) -> None:
        self.host, self.dirty, self.changed, self.label = host, dirty, changed, label

    def __call__(self, device: PciDevice, old: str, new: str) -> None:
        self.dirty.add(device.address)
        owner = device.instance_uuid
        # Positional: a named tuple's __new__ takes keywords at a cost.
        self.changed(
            Change("PciDevice", f"{self.host} {device.address}", "status", old, new,
                   self.host, device.address, self.label(owner) if owner else None)
        )  # fmt: skip
