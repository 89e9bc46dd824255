"""The append-only journal: every kernel and model event with its virtual time.

The journal is the single source for timelines, failure explanations and
replay, so its text form must be byte-identical for identical runs: entries
hold only strings and floats, never object ids or set orderings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


def format_time(seconds: float) -> str:
    """Formats virtual time the one way every log line and journal entry uses."""
    return f"t={seconds:.3f}s"


@dataclass(frozen=True)
class Entry:
    """One journal line: at ``time`` the task ``task`` did ``kind``.

    ``kind`` is one of ``spawn``, ``point``, ``delay``, ``fault``, ``wait``,
    ``acquire``, ``release``, ``switch``, ``state``, ``note``, ``end``,
    ``crash`` and ``cancel``. ``detail`` names the point, lock or change;
    ``duration`` is set for delays (seconds of virtual time).
    """

    time: float
    task: str
    kind: str
    detail: str
    duration: float = 0.0

    def __str__(self) -> str:
        extra = f" +{self.duration:.3f}s" if self.duration else ""
        return f"{format_time(self.time)} {self.task} {self.kind} {self.detail}{extra}"


class Journal:
    """Append-only list of :class:`Entry`, in the order events happened."""

    def __init__(self) -> None:
        self._entries: list[Entry] = []

    def record(
        self, time: float, task: str, kind: str, detail: str, duration: float = 0.0
    ) -> Entry:
        entry = Entry(time, task, kind, detail, duration)
        self._entries.append(entry)
        return entry

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int) -> Entry:
        return self._entries[index]

    def since(self, start: int) -> list[Entry]:
        """Entries recorded from position ``start`` on."""
        return self._entries[start:]

    def of_kind(self, *kinds: str) -> list[Entry]:
        return [entry for entry in self._entries if entry.kind in kinds]

    def text(self) -> str:
        """The whole journal, one entry per line; equal runs give equal text."""
        return "\n".join(str(entry) for entry in self._entries)
