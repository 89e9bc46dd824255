"""Traces: runs equal up to the order of independent events (Mazurkiewicz).

Two schedules can give runs that differ only in the order of events that do
not touch the same thing: a task's point on instances next to another's
change of a PCI device. They are one *trace*. ``trace_of`` gives each run a
fingerprint that is equal for runs of one trace: every event with its task,
virtual time and the vector clock of the events it depends on.

What an event touches, from the journal's typed fields:

- a state change writes its object (kind and name) and its kind;
- a point reads the kind its class names (``Instance``, ``InstanceList``:
  instances; ``Migration...``: migrations; ``PciDevice...``, ``PciDevTracker``:
  devices), and any other point reads everything (a driver or RPC call whose
  reads are not declared);
- a lock's wait, acquisition and release write the lock.

Everything else (spawn, end, delay, sleep, note) is the task's own; switches
are the policy's, not the run's, and are left out. An event depends on an
earlier one of another task when both touch one thing and one of them writes.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..sim import Entry, Kind

ALL = "*"  # a read of everything: undeclared reads
_KINDS = {
    "Instance": "Instance",
    "InstanceList": "Instance",
    "Migration": "Migration",
    "MigrationList": "Migration",
    "PciDevice": "PciDevice",
    "PciDeviceList": "PciDevice",
    "PciDevTracker": "PciDevice",
}
_LOCKS = (Kind.WAIT, Kind.ACQUIRE, Kind.RELEASE)
_SKIPPED = (Kind.SWITCH, Kind.STEP)


def footprint(entry: Entry) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What ``entry`` reads and writes, as resource names."""
    if entry.kind is Kind.STATE and entry.change is not None:
        change = entry.change
        return (), (change.object, f"{change.object} {change.name}")
    if entry.kind is Kind.POINT:
        kind = _KINDS.get(entry.detail.partition(".")[0])
        return ((kind,) if kind else (ALL,)), ()
    if entry.kind in _LOCKS:
        return (), (f"lock {entry.detail}",)
    return (), ()


def trace_of(journal: Iterable[Entry]) -> int:
    """A fingerprint equal for runs of one trace (see the module doc)."""
    tasks: dict[str, int] = {}
    clocks: dict[str, tuple[int, ...]] = {}  # task -> its last event's vector clock
    written: dict[str, tuple[int, ...]] = {}  # resource -> last write's clock
    read: dict[str, tuple[int, ...]] = {}  # resource -> join of reads since the write
    any_write: tuple[int, ...] = ()  # join of every write: what a read of ALL follows
    all_reads: tuple[int, ...] = ()  # join of reads of ALL: what any write follows
    events = []
    for entry in journal:
        if entry.kind in _SKIPPED:
            continue
        number = tasks.setdefault(entry.task, len(tasks))
        clock = clocks.get(entry.task, ())
        reads, writes = footprint(entry)
        for resource in reads:
            clock = _join(clock, any_write if resource == ALL else written.get(resource, ()))
        for resource in writes:
            clock = _join(clock, written.get(resource, ()), read.get(resource, ()), all_reads)
        clock = _tick(clock, number)
        clocks[entry.task] = clock
        for resource in reads:
            if resource == ALL:
                all_reads = _join(all_reads, clock)
            else:
                read[resource] = _join(read.get(resource, ()), clock)
        for resource in writes:
            written[resource] = clock
            read.pop(resource, None)
            any_write = _join(any_write, clock)
        events.append((entry.task, entry.kind.value, entry.detail, entry.time, clock))
    events.sort(key=lambda event: (event[0], event[4][tasks[event[0]]]))
    return hash(tuple(events))


def _join(*clocks: tuple[int, ...]) -> tuple[int, ...]:
    size = max(len(clock) for clock in clocks)
    return tuple(max(clock[i] if i < len(clock) else 0 for clock in clocks) for i in range(size))


def _tick(clock: tuple[int, ...], number: int) -> tuple[int, ...]:
    padded = clock + (0,) * (number + 1 - len(clock))
    return (*padded[:number], padded[number] + 1, *padded[number + 1 :])
