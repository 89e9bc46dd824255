"""Partial-order reduction under preemption bounding: two sound prunings.

Each journal entry touches what its atomic block touched (``footprints``:
recorded from the cluster while the run goes; for a toy kernel without a
cluster, what the journal's typed fields say, ``traces.footprint``, where a
point naming no kind of object reads *and writes* everything). Two runs are
one Mazurkiewicz trace when they differ only in the order of entries that
touch nothing in common.

*State caching.* At a choice point the rest of a run depends only on the
state there, and two prefixes of one trace leave the same state: the same
objects, each task at the same place, the same locks held and waited for.
So a choice point whose prefix is a trace already reached at an *expanded*
choice point (one whose switches the search tries), with the same tasks
runnable at the same time, is pruned when the old one had at least as much
of the bound left (``covers``): as many preemptions spent or fewer, one
fewer when another task was passing there (only the first choice costs
differently: switching to the old point's passing task may cost one there).
Unlike sleep sets it never drops a continuation the bound still allows.
Under iterative deepening it prunes only where a level's runs have children
in a later level, so it needs bound 3 or more to pay on two tasks: equal
states within one level need two switches back and forth.

*Idle steps* (``idle``): a preemption right after the passing task ran a
block that touched nothing and journaled only its next point is the same
preemption one point earlier with that block run later, where it costs no
switch; its switches are not tried again. This is the one case of sleep
sets that stays sound with a preemption bound: in general a schedule that a
sleep set prunes is equivalent to one explored only with more preemptions
(Coons, Musuvathi and McKinley, OOPSLA 2013), which the bound may exclude.
Here the equivalent schedule has exactly as many.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..sim import Entry, Kind, Task
from .footprints import ENTER, Recorder, install
from .policies import FREE, ReplayPolicy
from .traces import ALL, LOCKS, SKIPPED, Footprint, footprint

# The same as the journal stores them (``Kind`` values).
_SKIPPED_KINDS = frozenset(kind.value for kind in SKIPPED)
_LOCK_KINDS = frozenset(kind.value for kind in LOCKS)
_POINT = Kind.POINT.value


_MASK = 0xFFFFFFFFFFFFFFFF


def _mixed(value: int) -> int:
    """``value`` through splitmix64's finaliser. A trace's fingerprint sums
    its events' hashes; Python's tuple hash is close enough to linear that
    sums of raw hashes of reordered events could cancel (for some hash seeds,
    two events of one task in either order summed alike)."""
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def stored(journal: Sequence) -> Sequence[tuple]:
    """The journal's rows as it stores them: (time, task, kind value, detail,
    duration, target, change as a tuple) (``sim.journal.Journal``); a plain
    list of entries (a test's) is turned into rows."""
    rows = getattr(journal, "_stored", None)
    if rows is not None:
        return rows
    return [
        (e.time, e.task, e.kind.value, e.detail, e.duration, e.target, e.change and tuple(e.change))
        for e in journal
    ]


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
        self.journal: Sequence | None = None
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
        self._blocks: dict[str, Footprint] = {}  # task -> what its running block declared
        self._marks = 0  # recorder scope marks consumed
        self._groups = 0  # recorder groups consumed
        # Called with each entry's index and what it touches (a checker's hook).
        self.noted: Callable[[int, set[str] | None], None] | None = None
        self._pending: dict[str, set[str]] = {}  # task -> touched since its last entry
        self._scopes: dict[str, dict[str, int]] = {}  # task -> host resource -> depth
        self._last: dict[str, tuple[str, int]] = {}  # resource -> its last event
        self._last_all: tuple[str, int] | None = None  # the last event touching everything
        self._counts: dict[str, int] = {}  # task -> its events so far
        self._touchers = 0  # events that touched something
        self.touching = 0  # events that touched something (spawns count too)

    def install(self, kernel: Any) -> None:
        """Starts recording ``kernel``'s footprints, once, if it has a cluster;
        its journal is the one ``feed`` reads by default."""
        if not self.installed:
            self.installed = True
            self.recorder = install(kernel)
            self.journal = kernel.journal

    def feed(self, journal: Sequence | None = None, upto: int | None = None) -> int:
        """Reads the entries of ``journal`` (the installed kernel's) not read
        yet, up to ``upto`` (all); returns the fingerprint."""
        journal = self.journal if journal is None else journal
        upto = len(journal) if upto is None else upto
        recorder = self.recorder
        if recorder is not None:
            return self._feed_recorded(journal, recorder, upto)
        for index in range(self.read_up_to, upto):
            entry = journal[index]
            if entry.kind not in SKIPPED:
                self.events += 1
                self._add(entry)
        self.read_up_to = upto
        return self.fingerprint

    def _feed_recorded(self, journal: Sequence, recorder: Recorder, upto: int) -> int:
        """``feed`` with recorded footprints. The entries before the recording
        began are the same in every run of the scenario (no choice was made
        yet) and are left out. An event is known by its task, its number in
        the task and, for each resource it touches, the event that touched it
        last: equal for runs of one trace, since the events touching one
        resource are ordered alike in all of them (every touch writes).
        Reads the journal's stored rows, not its entries: a change's sentence
        is never rendered."""
        rows = stored(journal)
        last, counts, pending, scopes = self._last, self._counts, self._pending, self._scopes
        groups, marks = recorder.groups, recorder.scopes
        injected, injections = recorder.injected, recorder.kernel.injections
        noted = self.noted
        fingerprint, events, touching = self.fingerprint, self.events, self.touching
        for index in range(max(self.read_up_to, recorder.start), upto):
            while self._groups < len(groups) and groups[self._groups][0] <= index:
                _, owner, resources = groups[self._groups]
                self._groups += 1
                had = pending.get(owner)
                pending[owner] = resources if had is None else had | resources
            if self._marks < len(marks) and marks[self._marks][0] <= index:
                self._take_scopes(marks, index)
            row = rows[index]
            kind = row[2]
            if kind in _SKIPPED_KINDS:
                continue
            events += 1
            task = row[1]
            number = counts[task] = counts.get(task, 0) + 1
            touched = pending.pop(task, None)
            scope = scopes.get(task)
            if scope:
                touched = set(scope) if touched is None else touched.union(scope)
            if kind in _LOCK_KINDS:
                touched = {f"lock {row[3]}"} if touched is None else touched | {f"lock {row[3]}"}
            elif kind == _POINT and (row[3] in injected or row[3] in injections):
                # a fault or delay counts its passes
                extra = f"injection {row[3]}"
                touched = {extra} if touched is None else touched | {extra}
            if noted is not None:
                noted(index, touched)
            if not touched:
                deps: object = None
                touching += kind != _POINT
            else:
                self._touchers += 1
                touching += 1
                if ALL in touched:
                    deps = (ALL, self._touchers)  # after every event that touched anything
                    last.clear()
                    self._last_all = (task, number)
                else:
                    everything, this = self._last_all, (task, number)
                    deps = frozenset([(r, last.get(r, everything)) for r in touched])
                    for resource in touched:
                        last[resource] = this
            # (time, task, kind, detail, duration, target, change): the target
            # of a switch aside, as switches are skipped
            fingerprint += _mixed(hash((number, deps, row[0], task, kind, row[3], row[4], row[6])))
        self.fingerprint = fingerprint & _MASK
        self.events, self.touching = events, touching
        self.read_up_to = upto
        return self.fingerprint

    def _take_scopes(self, marks: list, index: int) -> None:
        """Follows the tasks entering and leaving hosts before entry ``index``."""
        scopes = self._scopes
        at = self._marks
        while at < len(marks) and marks[at][0] <= index:
            _, task, kind, resource = marks[at]
            at += 1
            scope = scopes.setdefault(task, {})
            if kind == ENTER:
                scope[resource] = scope.get(resource, 0) + 1
            else:
                scope[resource] -= 1
                if not scope[resource]:
                    del scope[resource]
        self._marks = at

    def _add(self, entry: Entry) -> None:
        clock = dict(self._clocks.get(entry.task, {}))
        reads, writes = footprint(entry, self._blocks)
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
        self.fingerprint = (self.fingerprint + _mixed(hash(event))) & _MASK


def trace_of(journal: Sequence[Entry]) -> int:
    """A fingerprint equal for runs of one trace, from a finished journal's
    typed fields alone (``traces.footprint``): for a run that reached no
    choice point, whose policy recorded nothing."""
    return TraceState().feed(journal)


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
    if position < 1 or position >= len(policy.seen):
        return False
    before, now = policy.choices[position - 1], policy.choices[position]
    if before.free or now.free or before.chosen:
        return False
    if before.candidates[0] != now.candidates[0]:
        return False
    if sorted(before.candidates) != sorted(now.candidates):
        return False
    (length_before, time_before, *_), (length, time, *_) = policy.seen[position - 1 : position + 1]
    policy.keys  # noqa: B018 - computes the touching counts
    touching_before, touching = policy.touching[position - 1 : position + 1]
    return (
        length == length_before + 1  # nothing journaled but the point itself
        and touching == touching_before
        and time == time_before
    )


@dataclass
class ReducingPolicy(ReplayPolicy):
    """A replay that also notes, at each choice point, what makes its state's
    key (``keys``, computed from the journal once the run is over)."""

    # per choice point: (journal length, now, free, passing task or "", runnable tasks)
    seen: list[tuple[int, float, bool, str, tuple[str, ...]]] = field(default_factory=list)
    touching: list[int] = field(default_factory=list)  # the trace's touching events then
    _keys: list[Seen] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.trace is None:
            self.trace = TraceState()

    def decide(self, position: int, point: str, candidates: Sequence[Task]) -> int:
        kernel = candidates[0].kernel
        names = tuple(sorted([task.name for task in candidates]))
        free = point == FREE
        self.seen.append(
            (len(kernel.journal), kernel.now, free, "" if free else candidates[0].name, names)
        )
        return super().decide(position, point, candidates)

    def fingerprint(self) -> int | None:
        self.keys  # noqa: B018 - the keys read the journal up to each choice first
        return super().fingerprint()

    @property
    def keys(self) -> list[Seen]:
        """Each choice point's (key, free, passing task): the key is the trace
        of the journal up to it, its length, the time and the runnable tasks."""
        if self._keys is None:
            trace, keys = self.trace, []
            journal = trace.journal if trace is not None else None
            for length, now, free, passing, names in self.seen:
                fingerprint = trace.feed(journal, length) if journal is not None else 0
                keys.append(((fingerprint, trace.events, now, names), free, passing))
                self.touching.append(trace.touching)
            self._keys = keys
        return self._keys
