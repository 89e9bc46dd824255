"""Partial-order reduction: prune a choice point whose past is a trace seen before.

At a choice point the rest of a run depends only on the state there, and
two prefixes of one Mazurkiewicz trace (equal up to the order of events that
touch different things, by the dependency of ``traces.footprint``) leave the
same state: the same objects, each task at the same place, the same locks
held and waited for. So when a run reaches a choice point whose prefix is a
trace already reached at an *expanded* choice point (one whose switches the
search tries), with the same task passing, the same tasks runnable, the same
kind of choice and no fewer preemptions spent, every continuation of the new
one within the bound is a continuation of the old one within the bound, and
the search need not try the new one's switches. (State caching over traces;
unlike sleep sets it never drops a continuation the bound would still allow,
since the old point was reached with at least as much of the bound left.)

The dependency is that of ``traces`` made more conservative where the model
does not declare: a point whose class names no kind of object (a driver or
RPC call) reads *and writes* everything, since what the code after it
changes need not be journaled; it depends on every event that touches
anything before it, and every such event after it depends on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..sim import Entry, Kind, Task
from .policies import FREE, ReplayPolicy
from .traces import ALL, footprint

_SKIPPED = (Kind.SWITCH, Kind.STEP)

Clock = dict[str, int]  # task name -> events of it that happen before, itself included


def _join(clock: Clock, other: Clock | None) -> None:
    if other:
        for name, count in other.items():
            if clock.get(name, 0) < count:
                clock[name] = count


class TraceState:
    """The trace of a journal read so far, kept up to date entry by entry.

    ``fingerprint`` is equal for journals of one trace: the sum of the hashes
    of every event with its task, its number within the task and the vector
    clock of what happens before it. Tasks are known by name (an explorer
    numbering them by first appearance would tell apart prefixes of one
    trace whose first events came in another order).
    """

    def __init__(self) -> None:
        self.read_up_to = 0  # journal entries consumed
        self.events = 0  # of them, events of the trace (switches and steps are not)
        self.fingerprint = 0
        self._clocks: dict[str, Clock] = {}
        self._written: dict[str, Clock] = {}
        self._read: dict[str, Clock] = {}
        self._any_write: Clock = {}
        self._all_reads: Clock = {}
        self._touched: Clock = {}  # join of every event that reads or writes
        self._undeclared: Clock = {}  # the last undeclared point's clock

    def feed(self, journal: Sequence) -> int:
        """Reads the entries of ``journal`` not read yet; returns the fingerprint."""
        for index in range(self.read_up_to, len(journal)):
            entry = journal[index]
            if entry.kind not in _SKIPPED:
                self.events += 1
                self._add(entry)
        self.read_up_to = len(journal)
        return self.fingerprint

    def _add(self, entry: Entry) -> None:
        clock = dict(self._clocks.get(entry.task, {}))
        reads, writes = footprint(entry)
        if ALL in reads:
            # Undeclared: what the code after the point changes need not be
            # journaled, so it is taken to write everything too.
            _join(clock, self._touched)
        elif reads or writes:
            _join(clock, self._undeclared)
        for resource in reads:
            _join(clock, self._any_write if resource == ALL else self._written.get(resource))
        for resource in writes:
            _join(clock, self._written.get(resource))
            _join(clock, self._read.get(resource))
            _join(clock, self._all_reads)
        clock[entry.task] = clock.get(entry.task, 0) + 1
        self._clocks[entry.task] = clock
        for resource in reads:
            if resource == ALL:
                _join(self._all_reads, clock)
            else:
                _join(self._read.setdefault(resource, {}), clock)
        for resource in writes:
            self._written[resource] = clock
            self._read.pop(resource, None)
            _join(self._any_write, clock)
        if ALL in reads:
            self._undeclared = clock
        if reads or writes:
            _join(self._touched, clock)
        event = (
            entry.task,
            clock[entry.task],
            entry.kind.value,
            entry.detail,
            entry.time,
            entry.duration,
            tuple(sorted(clock.items())),
        )
        self.fingerprint = (self.fingerprint + hash(event)) & 0xFFFFFFFFFFFFFFFF


Key = tuple  # (fingerprint, events read, now, kind of choice, passing task, runnable tasks)


@dataclass
class ReducingPolicy(ReplayPolicy):
    """A replay that also notes, at each choice point, the key of its state."""

    keys: list[Key] = field(default_factory=list)
    _trace: TraceState = field(init=False, default_factory=TraceState)

    def decide(self, position: int, point: str, candidates: Sequence[Task]) -> int:
        kernel = candidates[0].kernel
        fingerprint = self._trace.feed(kernel.journal)
        names = tuple(sorted(task.name for task in candidates))
        passing = "" if point == FREE else candidates[0].name
        self.keys.append(
            (fingerprint, self._trace.events, kernel.now, point == FREE, passing, names)
        )
        return super().decide(position, point, candidates)
