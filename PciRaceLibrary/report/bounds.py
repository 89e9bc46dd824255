"""What a failure logs, bounded: the journal of the tasks that matter, not all of them.

A failure's timeline is read to find the race, which lies among a handful of
tasks. On a cluster of thousands of hosts a scenario may have run an audit on
every host: drawing them all would write megabytes into output.xml for a
chart nobody reads. `Log Timeline` still draws everything it is asked to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..sim.journal import Entry
from .story import MODEL_TASK

MAX_TASKS = 6  # lanes besides the cluster's: a race is among a few, and each lane costs kilobytes
MAX_ENTRIES = 120  # the canonical race has under 100; each entry drawn is ~0.3 KB


@dataclass(frozen=True)
class BoundedJournal:
    entries: list[Entry]
    total_entries: int
    tasks: int
    total_tasks: int

    @property
    def cut(self) -> bool:
        return len(self.entries) < self.total_entries

    def summary(self) -> str:
        """What was left out, in one sentence, or '' when nothing was."""
        if not self.cut:
            return ""
        return (
            f"{len(self.entries)} of {self.total_entries} journal entries, "
            f"{self.tasks} of {self.total_tasks} tasks (those that changed PCI devices, "
            "migrations or servers, then those that ran last); Log Timeline draws them all"
        )


def bounded_journal(
    entries: Iterable[Entry], *, max_tasks: int = MAX_TASKS, max_entries: int = MAX_ENTRIES
) -> BoundedJournal:
    """At most ``max_tasks`` tasks and the last ``max_entries`` of their entries.

    Tasks that changed state come first (the race is among them), then the
    tasks active last (nearest the failure); the cluster's own entries (keyword
    steps) always stay. Journal order is kept."""
    entries = list(entries)
    last: dict[str, int] = {}
    changed: set[str] = set()
    for index, entry in enumerate(entries):
        last[entry.task] = index
        if entry.change is not None:
            changed.add(entry.task)
    tasks = [task for task in last if task != MODEL_TASK]
    ranked = sorted(tasks, key=lambda task: (task not in changed, -last[task]))
    kept = set(ranked[:max_tasks]) | {MODEL_TASK}
    shown = [entry for entry in entries if entry.task in kept][-max_entries:]
    return BoundedJournal(
        entries=shown,
        total_entries=len(entries),
        tasks=len({entry.task for entry in shown} - {MODEL_TASK}),
        total_tasks=len(tasks),
    )
