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
from .footprints import ENTER, LEAVE, Recorder, install
from .traces import ALL, footprint

_SKIPPED = (Kind.SWITCH, Kind.STEP)
_LOCKS = (Kind.WAIT, Kind.ACQUIRE, Kind.RELEASE)

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

    With a ``recorder`` (``footprints.install``: the scenario is a cluster),
    each entry touches what its block touched, as recorded, and its locks;
    entries from before the recording began touch everything. Without one
    (a toy kernel), the journal's own typed fields say (``traces.footprint``).
    """

    def __init__(self, recorder: Recorder | None = None) -> None:
        self.recorder = recorder
        self.installed = False  # whether ``install`` was tried
        self.read_up_to = 0  # journal entries consumed
        self.events = 0  # of them, events of the trace (switches and steps are not)
        self.fingerprint = 0
        self._clocks: dict[str, Clock] = {}
        self._written: dict[str, Clock] = {}
        self._read: dict[str, Clock] = {}
        self._any_write: Clock = {}
        self._all_reads: Clock = {}
        self._touched: Clock = {}  # join of every event that reads or writes
        self._undeclared: Clock = {}  # the last undeclared point's (or ALL event's) clock
        self._marks = 0  # recorder marks consumed
        self._pending: dict[str, set[str]] = {}  # task -> touched since its last entry
        self._scopes: dict[str, dict[str, int]] = {}  # task -> host resource -> depth
        self.touching = 0  # events that touched something (spawns count too)

    def install(self, kernel: object) -> None:
        """Starts recording ``kernel``'s footprints, once, if it has a cluster."""
        if not self.installed:
            self.installed = True
            self.recorder = install(kernel)

    def feed(self, journal: Sequence) -> int:
        """Reads the entries of ``journal`` not read yet; returns the fingerprint."""
        recorder = self.recorder
        for index in range(self.read_up_to, len(journal)):
            entry = journal[index]
            if entry.kind in _SKIPPED:
                continue
            self.events += 1
            if recorder is None:
                self._add(entry)
            else:
                self._add_recorded(entry, index, recorder)
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
        if reads or writes or entry.kind is not Kind.POINT:
            self.touching += 1
        self._hash(entry, clock)

    def _touches(self, entry: Entry, index: int, recorder: Recorder) -> set[str]:
        """What ``entry`` touches: its task's recorded touches since its last
        entry, the hosts it is inside, its lock."""
        marks, pending, scopes = recorder.marks, self._pending, self._scopes
        while self._marks < len(marks) and marks[self._marks][0] <= index:
            _, task, kind, resource = marks[self._marks]
            self._marks += 1
            pending.setdefault(task, set()).add(resource)
            if kind == ENTER:
                scope = scopes.setdefault(task, {})
                scope[resource] = scope.get(resource, 0) + 1
            elif kind == LEAVE:
                scope = scopes[task]
                scope[resource] -= 1
                if not scope[resource]:
                    del scope[resource]
        touched = pending.pop(entry.task, set())
        scope = scopes.get(entry.task)
        if scope:
            touched.update(scope)
        if index < recorder.start:
            touched.add(ALL)
        kind = entry.kind
        if kind in _LOCKS:
            touched.add(f"lock {entry.detail}")
        elif kind is Kind.POINT and entry.detail in recorder.kernel.injections:
            touched.add(f"injection {entry.detail}")  # a fault or delay counts its passes
        return touched

    def _add_recorded(self, entry: Entry, index: int, recorder: Recorder) -> None:
        touched = self._touches(entry, index, recorder)
        clock = dict(self._clocks.get(entry.task, ()))
        if ALL in touched:
            _join(clock, self._touched)
        elif touched:
            _join(clock, self._undeclared)
            written = self._written
            for resource in touched:
                _join(clock, written.get(resource))
        clock[entry.task] = clock.get(entry.task, 0) + 1
        self._clocks[entry.task] = clock
        if ALL in touched:
            self._undeclared = clock
        elif touched:
            written = self._written
            for resource in touched:
                written[resource] = clock
        if touched:
            _join(self._touched, clock)
        if touched or entry.kind is not Kind.POINT:
            self.touching += 1
        self._hash(entry, clock)

    def _hash(self, entry: Entry, clock: Clock) -> None:
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


Key = tuple  # (fingerprint, events read, now, runnable tasks)
Seen = tuple[Key, bool, str]  # (key, whether a free choice, passing task or "")


def covers(old: tuple[bool, str, int], free: bool, passing: str, spent: int) -> bool:
    """Whether an expanded choice point (free or not, passing task, preemptions
    spent before it) covers a new one of the same state: every continuation
    of the new one within the bound is one of the old one within the bound.
    Only the first choice can cost differently: nothing at a free choice; at
    a point, nothing for the passing task and one preemption for another."""
    old_free, old_passing, old_spent = old
    dearer = not (old_free or (not free and passing == old_passing))
    return old_spent + dearer <= spent


def idle(policy: ReducingPolicy, position: int) -> bool:
    """Whether the passing task went from choice point ``position - 1`` to
    ``position`` through a block that touched nothing and journaled only its
    point, both choices preemptive, the same tasks runnable at the same time.

    Then switching at ``position`` to a task is switching at ``position - 1``
    to it with that idle block run later, at the task's next turn, where it
    costs no switch: every schedule extending the one is equivalent to one
    extending the other with as many preemptions, and only the first need
    be explored (a sleep set of one step; see the module doc).
    """
    if position < 1 or position >= len(policy.at):
        return False
    before, now = policy.choices[position - 1], policy.choices[position]
    if before.free or now.free or before.chosen:
        return False
    if before.candidates[0] != now.candidates[0]:
        return False
    if sorted(before.candidates) != sorted(now.candidates):
        return False
    (length_before, touching_before), (length, touching) = policy.at[position - 1 : position + 1]
    key_before, key = policy.keys[position - 1][0], policy.keys[position][0]
    return (
        length == length_before + 1  # nothing journaled but the point itself
        and touching == touching_before
        and key[2] == key_before[2]  # the same virtual time
    )


@dataclass
class ReducingPolicy(ReplayPolicy):
    """A replay that also notes, at each choice point, the key of its state."""

    keys: list[Seen] = field(default_factory=list)
    # per choice point: its journal length and the trace's touching events then
    at: list[tuple[int, int]] = field(default_factory=list)
    _trace: TraceState = field(init=False, default_factory=TraceState)

    def decide(self, position: int, point: str, candidates: Sequence[Task]) -> int:
        kernel = candidates[0].kernel
        self._trace.install(kernel)
        fingerprint = self._trace.feed(kernel.journal)
        names = tuple(sorted(task.name for task in candidates))
        passing = "" if point == FREE else candidates[0].name
        self.keys.append(
            ((fingerprint, self._trace.events, kernel.now, names), point == FREE, passing)
        )
        self.at.append((len(kernel.journal), self._trace.touching))
        return super().decide(position, point, candidates)
