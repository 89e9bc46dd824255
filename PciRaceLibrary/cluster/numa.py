"""NUMA topologies of hosts and instances, as Nova's ``nova/objects/numa.py``.

A host reports its NUMA cells (``NUMATopology``): each cell's shared CPUs
(``cpuset``, Nova's ``cpu_shared_set`` within the cell), dedicated CPUs
(``pcpuset``, ``cpu_dedicated_set``), memory and socket, and the usage the
resource tracker counts on it. An instance's topology
(``InstanceNUMATopology``) is what Nova derives from the flavor; once fitted
to a host, each cell's ``id`` is the host cell it sits on and a dedicated
cell's ``cpu_pinning`` maps each guest vCPU to a host pCPU.

All four records are frozen: a change of usage makes a new record (as Nova's
``numa_usage_from_instance_numa`` builds a new topology), so copies of an
instance or a compute node can share them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .exception import CPUPinningInvalid, CPUUnpinningInvalid

SHARED = "shared"
DEDICATED = "dedicated"


def format_cpus(cpus: frozenset[int] | set[int]) -> str:
    """``[0, 1]`` as Nova's messages print a CPU set."""
    return f"[{', '.join(str(cpu) for cpu in sorted(cpus))}]"


@dataclass(frozen=True)
class NUMACell:
    """One host NUMA cell and its usage."""

    id: int
    cpuset: frozenset[int]
    pcpuset: frozenset[int]
    memory: int  # MB
    socket: int | None = None
    cpu_usage: int = 0
    memory_usage: int = 0
    pinned_cpus: frozenset[int] = frozenset()

    @property
    def avail_memory(self) -> int:
        return self.memory - self.memory_usage

    @property
    def free_pcpus(self) -> frozenset[int]:
        return self.pcpuset - self.pinned_cpus

    def pin_cpus(self, cpus: frozenset[int]) -> NUMACell:
        """This cell with ``cpus`` pinned. Raises CPUPinningInvalid when one is
        pinned already or not a dedicated CPU of the cell."""
        if cpus - self.pcpuset or self.pinned_cpus & cpus:
            raise CPUPinningInvalid(
                f"CPU set to pin {format_cpus(cpus)} must be a subset of free CPU set "
                f"{format_cpus(self.free_pcpus)}"
            )
        return replace(self, pinned_cpus=self.pinned_cpus | cpus)

    def unpin_cpus(self, cpus: frozenset[int]) -> NUMACell:
        """This cell with ``cpus`` unpinned. Raises CPUUnpinningInvalid when
        one of them is not pinned."""
        if (self.pinned_cpus & cpus) != cpus:
            raise CPUUnpinningInvalid(
                f"CPU set to unpin {format_cpus(cpus)} must be a subset of pinned CPU set "
                f"{format_cpus(self.pinned_cpus)}"
            )
        return replace(self, pinned_cpus=self.pinned_cpus - cpus)


@dataclass(frozen=True)
class NUMATopology:
    """A host's NUMA cells, in the order the host reports them."""

    cells: tuple[NUMACell, ...]

    def cell(self, cell_id: int) -> NUMACell | None:
        return next((cell for cell in self.cells if cell.id == cell_id), None)

    def unused(self) -> NUMATopology:
        """The topology as the driver reports it: no usage."""
        return NUMATopology(
            tuple(
                NUMACell(cell.id, cell.cpuset, cell.pcpuset, cell.memory, cell.socket)
                for cell in self.cells
            )
        )


@dataclass(frozen=True)
class InstanceNUMACell:
    """One guest NUMA cell: its vCPUs (shared in ``cpuset``, dedicated in
    ``pcpuset``) and memory; ``id`` is the guest cell's index until fitted,
    then the host cell's id."""

    id: int
    cpuset: frozenset[int]
    pcpuset: frozenset[int]
    memory: int  # MB
    cpu_policy: str | None = None
    cpu_pinning: tuple[tuple[int, int], ...] = ()  # (guest vCPU, host pCPU)

    @property
    def pinned(self) -> frozenset[int]:
        """The host pCPUs this cell is pinned to."""
        return frozenset(pcpu for _, pcpu in self.cpu_pinning)


@dataclass(frozen=True)
class InstanceNUMATopology:
    cells: tuple[InstanceNUMACell, ...]

    @property
    def host_cells(self) -> list[int]:
        """The host cells the guest's cells sit on, in guest order."""
        return [cell.id for cell in self.cells]

    @property
    def pinned(self) -> list[int]:
        """Every host pCPU the instance is pinned to, sorted."""
        return sorted(pcpu for cell in self.cells for pcpu in cell.pinned)


def describe_cells(host: NUMATopology) -> str:
    """Each host cell's free memory and CPUs, for a refusal's message."""
    return "; ".join(
        f"cell {cell.id}: {cell.avail_memory} MB free, free pCPUs {format_cpus(cell.free_pcpus)}, "
        f"{len(cell.cpuset)} shared CPUs with {cell.cpu_usage} used"
        for cell in host.cells
    )
