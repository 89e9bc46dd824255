"""Traces: runs equal up to the order of independent events (Mazurkiewicz).

Two schedules can give runs that differ only in the order of events that do
not touch the same thing: one task's save of its instance next to another's
audit of another host. They are one *trace*. The explorer counts distinct
traces with ``reduction.TraceState``, from the footprints each atomic block
recorded as it ran (``footprints``: per server, per host, per port, placement,
locks; every touch counts as a write). What remains here is the fallback for
a kernel without a cluster (the explorer's toy tests): what an event touches,
from the journal's typed fields alone:

- a state change writes its object (kind and name) and its kind;
- the block after a point reads the kind the point's class names
  (``Instance``, ``InstanceList``: instances; ``Migration...``: migrations;
  ``PciDevice...``, ``PciDevTracker``: devices), and after any other point it
  reads everything (a driver or RPC call whose reads are not declared); each
  entry the task journals in that block, its next point or end included,
  carries those reads, since the block runs when the task is next scheduled;
- a lock's wait, acquisition and release write the lock.

Everything else (spawn, end, delay, sleep, note) is the task's own; switches
are the policy's, not the run's, and are left out. An event depends on an
earlier one of another task when both touch one thing and one of them writes.
``reduction.trace_of`` fingerprints a finished journal by that rule alone.
"""

from __future__ import annotations

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
LOCKS = (Kind.WAIT, Kind.ACQUIRE, Kind.RELEASE)
SKIPPED = (Kind.SWITCH, Kind.STEP)  # the policy's entries, not the run's


Footprint = tuple[tuple[str, ...], tuple[str, ...]]  # (reads, writes)
_NOTHING: Footprint = ((), ())


def declared(entry: Entry) -> Footprint:
    """What the block after point ``entry`` reads: the kind its class names,
    else everything (read *and* write: an undeclared call may change what
    no state change journals)."""
    kind = _KINDS.get(entry.detail.partition(".")[0])
    return ((kind,), ()) if kind else ((ALL,), ())


def footprint(entry: Entry, blocks: dict[str, Footprint]) -> Footprint:
    """What ``entry`` reads and writes, as resource names. ``blocks`` maps
    each task to what its running block declared (updated here).

    A point's declared reads happen in the block *after* it, which runs when
    the task is next scheduled, perhaps after other tasks' events: they are
    the footprint of every entry the task journals in that block, up to and
    with its next point (or end), not of the point itself. (Put on the point,
    a read would seem to come before writes it really saw, and two runs
    whose reads saw different values would look like one trace.)"""
    block = blocks.get(entry.task, _NOTHING)
    if entry.kind is Kind.POINT:
        blocks[entry.task] = declared(entry)
        return block
    if entry.kind is Kind.STATE and entry.change is not None:
        change = entry.change
        return block[0], (*block[1], change.object, f"{change.object} {change.name}")
    if entry.kind in LOCKS:
        return block[0], (*block[1], f"lock {entry.detail}")
    return block
