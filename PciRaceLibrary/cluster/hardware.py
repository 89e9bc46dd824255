"""What Nova's ``nova/virt/hardware.py`` derives from a flavor, and NUMA fitting.

The PCI NUMA affinity policy a flavor asks for (the alias and port requests
built from a flavor carry it; ``pci_stats`` gives it its effect); the guest
NUMA topology a flavor asks for (``numa_get_constraints``); fitting that
topology to a host's cells with the PCI requests (``numa_fit_instance_to_host``,
which the NUMATopologyFilter and the claims call); and the host usage an
instance's topology makes (``numa_usage_from_instance_numa``). The flavor
and the server's image are the sources (``hw:`` extra specs, ``hw_`` image
properties), with Nova's rules on which wins and which conflicts it refuses.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..errors import ApiRefused
from .numa import (
    DEDICATED,
    SHARED,
    InstanceNUMACell,
    InstanceNUMATopology,
    NUMACell,
    NUMATopology,
    describe_cells,
    format_cpus,
)
from .objects import Flavor, InstancePCIRequest
from .placement import ALLOCATION_RATIOS
from .topology import PCI_NUMA_POLICIES, ImageSpec, parse_cpu_spec

if TYPE_CHECKING:
    from .pci_stats import PciDeviceStats

# Nova's fields.PCINUMAAffinityPolicy.ALL
PCI_NUMA_POLICY_SPEC = "hw:pci_numa_affinity_policy"


def pci_numa_policy_constraint(flavor: Flavor, image: ImageSpec | None = None) -> str | None:
    """The policy the flavor's ``hw:pci_numa_affinity_policy`` or the image's
    ``hw_pci_numa_affinity_policy`` asks for; None if neither does (Nova's
    ``get_pci_numa_policy_constraint``).

    Nova refuses a flavor and an image that ask for different policies (403),
    and a policy it does not know (400)."""
    if not flavor.extra_specs and (image is None or not image.properties):
        return None  # the usual server: nothing to read (each create asks twice)
    flavor_policy = dict(flavor.extra_specs).get(PCI_NUMA_POLICY_SPEC)
    image_policy = image.property(IMAGE_PCI_NUMA_POLICY) if image is not None else None
    if flavor_policy and image_policy and flavor_policy != image_policy:
        assert image is not None
        raise ApiRefused(
            f"Image '{image.name}' asks for PCI NUMA affinity policy '{image_policy}' and "
            f"flavor '{flavor.name}' for '{flavor_policy}': image property "
            f"'{IMAGE_PCI_NUMA_POLICY}' may not override the flavor's "
            f"'{PCI_NUMA_POLICY_SPEC}' (403)."
        )
    policy = flavor_policy or image_policy
    if policy and policy not in PCI_NUMA_POLICIES:
        raise ApiRefused(
            f"PCI NUMA affinity policy '{policy}' is not one of "
            f"{', '.join(PCI_NUMA_POLICIES)} (400)."
        )
    return policy


# -- the instance NUMA topology a flavor and image ask for ----------------------------

NUMA_NODES_SPEC = "hw:numa_nodes"
CPU_POLICY_SPEC = "hw:cpu_policy"
CPU_POLICIES = (SHARED, DEDICATED)
IMAGE_PCI_NUMA_POLICY = "hw_pci_numa_affinity_policy"


def _refuse(flavor: Flavor, problem: str, image: ImageSpec | None = None) -> ApiRefused:
    with_image = f" with image '{image.name}'" if image is not None else ""
    return ApiRefused(f"Flavor '{flavor.name}'{with_image}: {problem} (400).")


def _whole(flavor: Flavor, key: str, value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise _refuse(flavor, f"'{key}' must be a whole number of at least 1, got '{value}'")
    return int(value)


def _forbidden(flavor: Flavor, image: ImageSpec, prop: str, setting: str) -> ApiRefused:
    """Nova's ImageNUMATopologyForbidden and ImageCPUPinningForbidden."""
    return _refuse(
        flavor, f"image property '{prop}' may not override the {setting} the flavor sets", image
    )


def cpu_policy_constraint(flavor: Flavor, image: ImageSpec | None = None) -> str | None:
    """``get_cpu_policy_constraint``: the flavor's ``dedicated`` wins over
    anything the image says; the flavor's ``shared`` refuses an image's
    ``dedicated``; without the flavor's, the image's."""
    flavor_policy = dict(flavor.extra_specs).get(CPU_POLICY_SPEC)
    image_policy = image.property("hw_cpu_policy") if image is not None else None
    if flavor_policy is not None and flavor_policy not in CPU_POLICIES:
        raise _refuse(
            flavor,
            f"CPU policy '{flavor_policy}' is not one the library models; use "
            f"{' or '.join(CPU_POLICIES)}",
        )
    if flavor_policy == SHARED and image_policy == DEDICATED:
        assert image is not None
        raise _forbidden(flavor, image, "hw_cpu_policy", "CPU pinning policy")
    return flavor_policy or image_policy


def _numa_nodes(flavor: Flavor, image: ImageSpec | None) -> int | None:
    """``_get_numa_node_count_constraint``: the flavor's or the image's, never both."""
    raw = dict(flavor.extra_specs).get(NUMA_NODES_SPEC)
    image_nodes = image.property("hw_numa_nodes") if image is not None else None
    if raw and image_nodes:
        assert image is not None
        raise _forbidden(flavor, image, "hw_numa_nodes", "NUMA configuration")
    if raw is not None:
        return _whole(flavor, NUMA_NODES_SPEC, raw)
    return None if image_nodes is None else int(image_nodes)  # the loader checked it


def numa_get_constraints(
    flavor: Flavor, image: ImageSpec | None = None
) -> InstanceNUMATopology | None:
    """The guest NUMA topology ``flavor`` and ``image`` ask for (Nova's
    ``numa_get_constraints``), or None when they ask for none: ``hw:numa_nodes``
    (or the image's ``hw_numa_nodes``) cells, with vCPUs and memory split
    evenly or as ``hw:numa_cpus.N`` and ``hw:numa_mem.N`` (or the image's
    ``hw_numa_cpus.N``, ``hw_numa_mem.N``) say; ``dedicated`` CPU policy pins
    every vCPU (one cell unless the node count says more). The image may not
    set what the flavor sets. Raises ApiRefused where Nova answers 400.

    The API, the scheduler and every claim ask again for the same pair: a
    flavor and image that set nothing ask for nothing, and the others' answer
    (frozen, so shared) is remembered per pair; refusals are not remembered."""
    if not flavor.extra_specs and (image is None or not image.properties):
        return None
    return _numa_constraints(flavor, image)


@functools.lru_cache(maxsize=256)
def _numa_constraints(flavor: Flavor, image: ImageSpec | None) -> InstanceNUMATopology | None:
    specs = dict(flavor.extra_specs)
    policy = cpu_policy_constraint(flavor, image)
    nodes = _numa_nodes(flavor, image)
    if nodes is None and policy != DEDICATED:
        return None
    nodes = nodes or 1
    if nodes > flavor.vcpus:
        raise _refuse(
            flavor, f"{nodes} NUMA nodes need at least as many vCPUs, not {flavor.vcpus}", image
        )
    cpu_list = _numa_list(flavor, specs, image, "cpus", nodes)
    mem_list = _numa_list(flavor, specs, image, "mem", nodes)
    if (cpu_list is None) != (mem_list is None):
        raise _refuse(
            flavor, "hw:numa_cpus.N and hw:numa_mem.N (or the image's hw_numa_cpus.N and "
            "hw_numa_mem.N) must be given together", image
        )  # fmt: skip
    if cpu_list is None or mem_list is None:
        if flavor.vcpus % nodes or flavor.memory_mb % nodes:
            raise _refuse(
                flavor, f"{flavor.vcpus} vCPUs and {flavor.memory_mb} MB do not split evenly "
                f"over {nodes} NUMA nodes", image
            )  # fmt: skip
        per_cpu, per_mem = flavor.vcpus // nodes, flavor.memory_mb // nodes
        cpu_list = [set(range(n * per_cpu, (n + 1) * per_cpu)) for n in range(nodes)]
        mem_list = [per_mem] * nodes
    else:
        _check_manual(flavor, cpu_list, mem_list, image)
    dedicated = policy == DEDICATED
    return InstanceNUMATopology(
        tuple(
            InstanceNUMACell(
                id=n,
                cpuset=frozenset() if dedicated else frozenset(cpus),
                pcpuset=frozenset(cpus) if dedicated else frozenset(),
                memory=memory,
                cpu_policy=policy,
            )
            for n, (cpus, memory) in enumerate(zip(cpu_list, mem_list, strict=True))
        )
    )


def _numa_list(
    flavor: Flavor, specs: dict[str, str], image: ImageSpec | None, kind: str, nodes: int
) -> list | None:
    """``_get_numa_cpu_constraint`` / ``_get_numa_mem_constraint``: the
    flavor's list, else the image's; the image may not give one the flavor gives."""
    own = _per_node(flavor, specs, f"hw:numa_{kind}", nodes)
    prop = f"hw_numa_{kind}"
    values = image.per_node(prop) if image is not None else None
    if own is not None:
        if values is not None:
            assert image is not None
            raise _forbidden(flavor, image, prop, "NUMA configuration")
        return own
    if values is None:
        return None
    if len(values) != nodes:
        raise _refuse(
            flavor, f"CPU and memory allocation must be provided for all NUMA nodes: "
            f"{nodes} nodes, the image gives {prop}.0 to {prop}.{len(values) - 1}", image
        )  # fmt: skip
    if kind == "mem":
        return [int(value) for value in values]
    return [parse_cpu_spec(value) for value in values]  # the loader checked them


def _per_node(flavor: Flavor, specs: dict[str, str], prefix: str, nodes: int) -> list | None:
    keys = [key for key in specs if key.startswith(prefix + ".")]
    if not keys:
        return None
    wanted = [f"{prefix}.{n}" for n in range(nodes)]
    if sorted(keys) != sorted(wanted):
        raise _refuse(flavor, f"{prefix} needs exactly {', '.join(wanted)}")
    if prefix == "hw:numa_mem":
        return [_whole(flavor, key, specs[key]) for key in wanted]
    try:
        return [parse_cpu_spec(specs[key]) for key in wanted]
    except ValueError:
        bad = next(key for key in wanted if not _parses(specs[key]))
        raise _refuse(flavor, f"'{bad}' is not a CPU list such as 0-1,3") from None


def _parses(spec: str) -> bool:
    try:
        parse_cpu_spec(spec)
    except ValueError:
        return False
    return True


def _check_manual(
    flavor: Flavor, cpu_list: list[set[int]], mem_list: list[int], image: ImageSpec | None
) -> None:
    unassigned = set(range(flavor.vcpus))
    for cpus in cpu_list:
        for cpu in sorted(cpus):
            if cpu >= flavor.vcpus:
                raise _refuse(flavor, f"vCPU {cpu} is out of range 0-{flavor.vcpus - 1}", image)
            if cpu not in unassigned:
                raise _refuse(flavor, f"vCPU {cpu} is in two NUMA nodes", image)
            unassigned.discard(cpu)
    if unassigned:
        raise _refuse(flavor, f"vCPUs {format_cpus(unassigned)} are in no NUMA node", image)
    if sum(mem_list) != flavor.memory_mb:
        raise _refuse(
            flavor, f"the NUMA nodes' memory adds up to {sum(mem_list)} MB, not "
            f"{flavor.memory_mb} MB", image
        )  # fmt: skip


# -- fitting an instance to a host ----------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Nova's NUMATopologyLimits: the host's allocation ratios, which the
    NUMATopologyFilter hands to the claim (the model's placement ratios)."""

    cpu_allocation_ratio: float = ALLOCATION_RATIOS["VCPU"]
    ram_allocation_ratio: float = ALLOCATION_RATIOS["MEMORY_MB"]


def _fit_cell(
    host_cell: NUMACell, cell: InstanceNUMACell, limits: Limits | None
) -> InstanceNUMACell | None:
    """``_numa_fit_instance_cell``: the guest cell placed on ``host_cell``
    (id set to the host cell's, dedicated vCPUs pinned to the lowest free
    pCPUs), or None. No huge pages and no thread siblings are modelled."""
    dedicated = cell.cpu_policy == DEDICATED
    if dedicated and host_cell.avail_memory < cell.memory:
        return None  # no oversubscription with pinned instances
    if not dedicated and host_cell.memory < cell.memory:
        return None
    if len(cell.pcpuset) > len(host_cell.pcpuset) or len(cell.cpuset) > len(host_cell.cpuset):
        return None
    pinning: tuple[tuple[int, int], ...] = ()
    if dedicated:
        free = sorted(host_cell.free_pcpus)
        if len(cell.pcpuset) > len(free):
            return None
        pinning = tuple(zip(sorted(cell.pcpuset), free, strict=False))
    elif limits is not None:
        if host_cell.cpu_usage + len(cell.cpuset) > (
            len(host_cell.cpuset) * limits.cpu_allocation_ratio
        ):
            return None
        if host_cell.memory_usage + cell.memory > host_cell.memory * limits.ram_allocation_ratio:
            return None
    return replace(cell, id=host_cell.id, cpu_pinning=pinning)


def _ordered_host_cells(
    host: NUMATopology,
    instance: InstanceNUMATopology,
    pci_requests: list[InstancePCIRequest],
    pci_stats: PciDeviceStats | None,
) -> list[NUMACell]:
    """The host cells in the order Nova tries them, with its default
    ``packing_host_numa_cells_allocation_strategy=False`` (spread): most
    free memory, then least used (shared) or most free pCPUs (dedicated),
    then the cells with most free PCI devices first when the instance asks
    for devices, last when it does not. Stable sorts, so the last is the
    first key."""
    cells = list(host.cells)
    if len(cells) <= len(instance.cells):
        return cells
    cells.sort(key=lambda cell: cell.avail_memory, reverse=True)
    if instance.cells[0].cpu_policy == DEDICATED:
        cells.sort(key=lambda cell: len(cell.free_pcpus), reverse=True)
    else:
        cells.sort(key=lambda cell: cell.cpu_usage)
    if pci_stats is not None:
        per_cell = pci_stats.free_per_numa_node()
        cells.sort(key=lambda cell: per_cell.get(cell.id, 0), reverse=bool(pci_requests))
    return cells


def numa_fit_instance_to_host(
    host: NUMATopology | None,
    instance: InstanceNUMATopology | None,
    *,
    limits: Limits | None = None,
    pci_requests: list[InstancePCIRequest] | None = None,
    pci_stats: PciDeviceStats | None = None,
) -> InstanceNUMATopology | None:
    """The instance topology fitted to ``host``: the first permutation of host
    cells each guest cell fits on whose cells also hold the PCI requests as
    their NUMA policies want; None if none does (or either topology is missing)."""
    if host is None or instance is None or len(host.cells) < len(instance.cells):
        return None
    cells = _ordered_host_cells(host, instance, pci_requests or [], pci_stats)
    fits: dict[tuple[int, int], InstanceNUMACell | None] = {}
    for permutation in itertools.permutations(cells, len(instance.cells)):
        chosen: list[InstanceNUMACell] = []
        for host_cell, cell in zip(permutation, instance.cells, strict=True):
            pair = (host_cell.id, cell.id)
            if pair not in fits:
                fits[pair] = _fit_cell(host_cell, cell, limits)
            fitted = fits[pair]
            if fitted is None:
                break
            chosen.append(fitted)
        if len(chosen) != len(instance.cells):
            continue
        if (
            pci_requests
            and pci_stats is not None
            and not pci_stats.support_requests(pci_requests, numa_cells=chosen)
        ):
            continue
        return InstanceNUMATopology(tuple(chosen))
    return None


def numa_usage_from_instance_numa(
    host: NUMATopology, instance: InstanceNUMATopology | None, *, free: bool = False
) -> NUMATopology:
    """``host`` with ``instance``'s usage added (or, with ``free``, taken
    away): memory and shared vCPUs per cell, and its pinned pCPUs. Raises
    CPUPinningInvalid or CPUUnpinningInvalid as Nova's host cells do."""
    if instance is None:
        return host
    sign = -1 if free else 1
    cells = []
    for host_cell in host.cells:
        cell = host_cell
        for guest in instance.cells:
            if guest.id != host_cell.id:
                continue
            cell = replace(
                cell,
                memory_usage=cell.memory_usage + sign * guest.memory,
                cpu_usage=cell.cpu_usage + sign * len(guest.cpuset),
            )
            if guest.cpu_policy == DEDICATED:
                cell = cell.unpin_cpus(guest.pinned) if free else cell.pin_cpus(guest.pinned)
        cells.append(
            replace(cell, memory_usage=max(0, cell.memory_usage), cpu_usage=max(0, cell.cpu_usage))
        )
    return NUMATopology(tuple(cells))


def numa_fit_failure(  # noqa: PLR0917 - what the claim and the filter both hold
    name: str,
    host_name: str,
    host: NUMATopology,
    instance: InstanceNUMATopology,
    pci_requests: list[InstancePCIRequest],
    pci_stats: PciDeviceStats,
) -> str:
    """Why ``instance`` (of server ``name``) does not fit ``host``: Nova's
    reason, then what the library adds: the host cells (free memory and
    CPUs); with PCI requests, their NUMA affinity policies, the cells the
    guest fits without its devices and the free devices per cell that the
    requests could take but for their policies."""
    if not pci_requests:
        return (
            f"Requested instance NUMA topology of '{name}' cannot fit the given host NUMA "
            f"topology of '{host_name}' ({describe_cells(host)})."
        )
    alone = numa_fit_instance_to_host(host, instance, limits=Limits())
    cells = ", ".join(map(str, alone.host_cells)) if alone else "none"
    policies = ", ".join(sorted({r.numa_policy or "legacy" for r in pci_requests}))
    per_node = pci_stats.matching_per_numa_node(pci_requests)
    free = ", ".join(
        f"{count} on cell {node}" if node is not None else f"{count} with no NUMA affinity"
        for node, count in sorted(per_node.items(), key=lambda item: (item[0] is None, item[0]))
    )
    return (
        f"Requested instance NUMA topology of '{name}' together with requested PCI devices "
        f"cannot fit the given host NUMA topology of '{host_name}': PCI NUMA affinity policy "
        f"{policies}; the guest alone fits host cell(s) {cells}; free PCI devices the "
        f"requests match: {free or 'none'}."
    )
