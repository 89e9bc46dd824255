"""What building a host of a topology makes alike in every cluster, worked out once.

A topology is frozen, and a suite builds the same few again and again (each
test's Start Cluster, each schedule an explorer tries). What a new host
starts from depends only on its HostSpec and its compute node id, so a
:class:`HostPlan` holds it:

- the NUMA topology its hypervisor reports (frozen, so shared), and the
  inventory of its placement provider (shared: a provider's never changes);
- its compute node's PCI device rows. Every database built from the plan
  holds these same row objects: the database never changes a row (a save
  replaces it, see ``db.PciDeviceTable``) and the tracker works on copies;
- the PCI tracker's layout of those rows (``pci_tracker.PciLayout``): which
  VF links to which PF, and the pools, so a new tracker derives neither.

Plans are kept for topologies of fewer than ``KEPT_HOSTS`` hosts. A bigger
one is built once: its plans, kept, would hold as many rows as its database,
and working out a layout costs a tracker, so it is planned without one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from .numa import NUMATopology
from .objects import PciDevice, host_numa_topology
from .pci_tracker import PciLayout
from .topology import HostSpec, Topology

KEPT_HOSTS = 100


@dataclass(frozen=True, eq=False)
class HostPlan:
    """Host ``spec`` as compute node ``node_id``. Read only, never changed."""

    spec: HostSpec
    node_id: int
    numa_topology: NUMATopology | None
    inventory: dict[str, int]
    rows: dict[str, PciDevice]  # address -> free row, in the topology's order
    keyed_rows: dict[tuple[int, str], PciDevice]  # the rows as the device table keys them
    layout: PciLayout | None  # of the rows in address order, as the tracker loads them

    @classmethod
    def of(cls, spec: HostSpec, node_id: int, *, layout: bool = True) -> HostPlan:
        inventory = placement_inventory(spec)
        rows = {d.address: PciDevice.from_spec(node_id, spec.name, d) for d in spec.devices}
        keyed = {(node_id, address): row for address, row in rows.items()}
        laid_out = PciLayout.of([rows[address] for address in sorted(rows)]) if layout else None
        return cls(spec, node_id, host_numa_topology(spec), inventory, rows, keyed, laid_out)


def placement_inventory(spec: HostSpec) -> dict[str, int]:
    """The inventory the libvirt driver's ``update_provider_tree`` reports
    for ``spec``: VCPU from ``_get_vcpu_available`` (``cpu_shared_set``;
    none if only ``cpu_dedicated_set`` is set; every host CPU with
    neither), PCPU from ``_get_pcpu_available`` (``cpu_dedicated_set``,
    else none), then memory and disk. A class of total 0 is left out, as
    placement refuses such inventory; so a host configured as before Train
    reports no PCPU."""
    if spec.cpu_shared_set is not None:
        vcpus = len(spec.cpu_shared_set)
    elif spec.cpu_dedicated_set is not None:
        vcpus = 0
    else:
        vcpus = spec.vcpus
    pcpus = len(spec.cpu_dedicated_set or ())
    inventory = {"VCPU": vcpus, "PCPU": pcpus, "MEMORY_MB": spec.memory_mb}
    inventory["DISK_GB"] = spec.disk_gb
    return {rc: total for rc, total in inventory.items() if total}


# Keyed by value: a topology file loaded again for each test gives equal
# HostSpecs, and equal HostSpecs make equal plans.
_kept = functools.lru_cache(maxsize=4 * KEPT_HOSTS)(HostPlan.of)

# The plans of topologies built lately, by identity: a suite builds the same
# topology object again and again, and hashing its HostSpecs (each device's
# spec) for _kept cost a tenth of a build. Held here, a topology's id is not
# reused while its entry lasts.
_RECENT: dict[int, tuple[Topology, tuple[HostPlan, ...]]] = {}
_RECENT_KEPT = 16


def host_plans(topology: Topology) -> Iterable[HostPlan]:
    """The plans of ``topology``'s hosts in order, compute nodes 1, 2, ..."""
    hosts = enumerate(topology.hosts, start=1)
    if len(topology.hosts) >= KEPT_HOSTS:
        return (HostPlan.of(spec, node_id, layout=False) for node_id, spec in hosts)
    recent = _RECENT.get(id(topology))
    if recent is None:
        if len(_RECENT) >= _RECENT_KEPT:
            _RECENT.clear()
        plans = tuple(_kept(spec, node_id) for node_id, spec in hosts)
        recent = _RECENT[id(topology)] = (topology, plans)
    return recent[1]
