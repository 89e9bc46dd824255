"""The append-only journal: every kernel and model event with its virtual time.

The journal is the single source for timelines, failure explanations and
replay. Entries are typed: a :class:`Kind`, the task's name, and fields for
what the kind needs (the point passed, the task switched to, the state that
changed). Consumers read those fields; the text form is rendered from them
for people and for byte-for-byte comparison, and nothing parses it back.
Entries hold only strings and floats, never object ids or set orderings, so
equal runs give equal journals.

Entries and changes are named tuples: immutable like frozen dataclasses, and
made three times faster, which counts for the entry every point pass records.
The journal itself keeps each entry as a plain tuple of strings and floats
and hands out :class:`Entry` objects when read (see :class:`Journal`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from enum import Enum
from typing import NamedTuple


def format_time(seconds: float) -> str:
    """Formats virtual time the one way every log line and journal entry uses."""
    return f"t={seconds:.3f}s"


class Kind(str, Enum):
    """What a journal entry records.

    | =Kind= | =Recorded when= | =Fields= |
    | spawn, end, cancel | a task starts, finishes, is cancelled | |
    | crash | a task raises an exception nobody handles | ``detail``: the error |
    | point | a task passes a named point | ``detail``: the point |
    | delay, sleep | a task waits virtual time at a point, or sleeps | ``detail``, ``duration`` |
    | fault | an injected failure is raised at a point | ``detail``: point and error |
    | wait, acquire, release | a task queues for, takes or hands back a lock | ``detail``: lock |
    | switch | a choice policy preempts the task at a point | ``detail``, ``target`` |
    | state | the model changed an object | ``change`` |
    | note | the model explains a decision | ``detail`` |
    | step | a keyword of the suite started | ``detail``: the call as written |
    """

    SPAWN = "spawn"
    POINT = "point"
    DELAY = "delay"
    SLEEP = "sleep"
    FAULT = "fault"
    WAIT = "wait"
    ACQUIRE = "acquire"
    RELEASE = "release"
    SWITCH = "switch"
    STATE = "state"
    NOTE = "note"
    STEP = "step"
    END = "end"
    CRASH = "crash"
    CANCEL = "cancel"

    def __str__(self) -> str:
        return self.value


# The field every record has as its primary state; a sentence leaves its name out.
STATUS = "status"


class Change(NamedTuple):
    """A change of one object's state, as fields; its sentence is rendered from them.

    ``object`` is the kind of object (``PciDevice``, ``Instance``), ``name``
    how a reader names it, ``field`` what changed (empty for an event such as
    creation, whose ``new`` says what happened), ``old`` and ``new`` the
    values as text. ``host``, ``address`` and ``owner`` locate it: the host
    it lives on, a device's address, and whose it is. ``qualifier`` says what
    sort of it this is (a migration's type).
    """

    object: str
    name: str
    field: str = ""
    old: str | None = None
    new: str | None = None
    host: str | None = None
    address: str | None = None
    owner: str | None = None
    qualifier: str | None = None

    def sentence(self, *, arrow: str = "->", kind: bool = True) -> str:
        """``PciDevice host2 0000:02:00.1 allocated -> available (vm1)`` and the
        like; ``kind=False`` leaves the object's kind out, ``arrow`` joins old
        and new."""
        words = [self.object, self.name] if kind else [self.name]
        if self.qualifier:
            words.append(self.qualifier)
        if self.field and self.field != STATUS:
            words.append(self.field)
        if self.old is not None or (self.field and self.field != STATUS):
            words.append(f"{self.old} {arrow} {self.new}")
        elif self.new is not None:
            words.append(self.new)
        if self.owner and self.owner != self.name:
            words.append(f"({self.owner})")
        return " ".join(words)


class Entry(NamedTuple):
    """One journal entry: at ``time`` the task ``task`` did ``kind``.

    ``detail`` names the point, lock or event, or is the rendered sentence
    of ``change``; ``duration`` is set for delays and sleeps (seconds of
    virtual time); ``target`` for switches.
    """

    time: float
    task: str
    kind: Kind
    detail: str = ""
    duration: float = 0.0
    target: str | None = None
    change: Change | None = None

    def __str__(self) -> str:
        extra = f" +{self.duration:.3f}s" if self.duration else ""
        detail = f"{self.detail} -> {self.target}" if self.target is not None else self.detail
        return f"{format_time(self.time)} {self.task} {self.kind.value} {detail}{extra}"


# How the journal stores a kind: its text, which the garbage collector need not follow.
_STORED = {kind: kind.value for kind in Kind}
_KINDS = {kind.value: kind for kind in Kind}
_STATE, _POINT = _STORED[Kind.STATE], _STORED[Kind.POINT]


def _entry(stored: tuple) -> Entry:
    """The :class:`Entry` of a stored row (see :class:`Journal`)."""
    time, task, kind, detail, duration, target, change = stored
    if change is not None:
        change = Change._make(change)
        detail = change.sentence()  # rendered when read: most entries never are
    return Entry(time, task, _KINDS[kind], detail, duration, target, change)


class Journal:
    """Append-only list of :class:`Entry`, in the order events happened.

    Each entry is stored as a plain tuple of strings, floats and None (its
    change one too), and read back as an :class:`Entry`, a change's sentence
    rendered then. CPython's garbage
    collector stops following a plain tuple of such values after its first
    look, but follows every named tuple and every tuple holding an enum
    member for good: a cluster booting 100,000 servers journals millions of
    entries, and each full collection walked them all again.
    """

    def __init__(self) -> None:
        self._stored: list[tuple] = []

    def record(
        self,
        time: float,
        task: str,
        kind: Kind,
        detail: str = "",
        duration: float = 0.0,
        *,
        target: str | None = None,
        change: Change | None = None,
    ) -> None:
        if change is not None:
            detail = ""  # the change's sentence, rendered when the entry is read
            change = tuple(change)  # type: ignore[assignment]
        self._stored.append((time, task, _STORED[kind], detail, duration, target, change))

    def record_point(self, time: float, task: str, point: str) -> None:
        """``record(time, task, Kind.POINT, point)``: the kernel's most frequent
        entry, without looking its kind up."""
        self._stored.append((time, task, _POINT, point, 0.0, None, None))

    def record_change(self, time: float, task: str, change: Change) -> None:
        """``record(time, task, Kind.STATE, change=change)``, the model's most
        frequent entry, without the branches the other kinds need."""
        self._stored.append((time, task, _STATE, "", 0.0, None, tuple(change)))

    def __iter__(self) -> Iterator[Entry]:
        return map(_entry, self._stored)

    def __len__(self) -> int:
        return len(self._stored)

    def __getitem__(self, index: int) -> Entry:
        return _entry(self._stored[index])

    def entries(self) -> Entries:
        """Every entry so far, as an immutable sequence."""
        return Entries(tuple(self._stored))

    def since(self, start: int) -> list[Entry]:
        """Entries recorded from position ``start`` on."""
        return [_entry(stored) for stored in self._stored[start:]]

    def of_kind(self, *kinds: Kind) -> list[Entry]:
        wanted = {_STORED[kind] for kind in kinds}
        return [_entry(stored) for stored in self._stored if stored[2] in wanted]

    def text(self) -> str:
        """The whole journal, one entry per line; equal runs give equal text."""
        return "\n".join(str(entry) for entry in self)


class Entries(Sequence):
    """A finished run's journal entries, immutable: kept as the journal's
    rows and made into :class:`Entry` objects only when read. The explorer
    keeps one per schedule and reads only a few (those of failing runs)."""

    __slots__ = ("_stored",)  # the name the journal and reduction.stored read

    def __init__(self, rows: tuple[tuple, ...]) -> None:
        self._stored = rows

    def __len__(self) -> int:
        return len(self._stored)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return tuple(map(_entry, self._stored[index]))
        return _entry(self._stored[index])

    def __iter__(self) -> Iterator[Entry]:
        return map(_entry, self._stored)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Entries):
            return self._stored == other._stored
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(self._stored)

    def __repr__(self) -> str:
        return f"Entries({len(self._stored)} entries)"
