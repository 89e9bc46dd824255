"""Shrinking: the failing schedule with the fewest preemptions, then the fewest
switches, then the shortest.

Switches (preemptions and free ones) are named by event (task, point, pass,
task switched to), not by choice-point position, so dropping or moving one
keeps the others where they were even when the runs between them change
length.

How minimal the result is: no single switch of it can be dropped with the run
still failing (it is 1-minimal); when the run started with at most
``SUBSETS`` switches, every smaller subset of them was tried, so no subset
of its switches with fewer preemptions fails. Then each preemption is moved
to an earlier choice point while that still fails and the schedule gets
shorter. ``limit`` caps the runs spent; the exhaustive explorer's own
iterative deepening already found its groups' smallest schedules with the
fewest preemptions any failing schedule of the group needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations

from ..errors import ReplayError
from .policies import FREE, Choice, RecordingPolicy, Switch, SwitchPolicy, switches_of
from .schedule import trimmed

SUBSETS = 10  # up to this many switches, every subset is tried, smallest first


def shrink(
    choices: Sequence[Choice],
    fails: Callable[[RecordingPolicy], bool],
    limit: int = 1000,
) -> tuple[int, ...]:
    """The schedule (choice-point positions) of the smallest failing run found
    from the failing run ``choices`` (see the module doc for how small).

    ``fails(policy)`` runs the scenario under ``policy``; ``limit`` caps the
    runs spent.
    """
    state = _Shrinking(fails, limit, switches_of(choices), trimmed([c.chosen for c in choices]))
    state.choices = list(choices)
    while state.drop_some() or state.move_one_earlier():
        pass  # a moved preemption may let another one go
    return state.schedule


def _cost(switches: frozenset[Switch]) -> tuple[int, int]:
    """Preemptions first, then free switches."""
    preempting = sum(1 for switch in switches if switch[1] != FREE)
    return preempting, len(switches) - preempting


class _Shrinking:
    """The best failing run so far and the runs spent finding it."""

    def __init__(
        self,
        fails: Callable[[RecordingPolicy], bool],
        limit: int,
        switches: frozenset[Switch],
        schedule: tuple[int, ...],
    ) -> None:
        self.fails = fails
        self.limit = limit
        self.runs = 0
        self.switches = switches
        self.schedule = schedule
        self.choices: list[Choice] = []

    def _try(self, switches: frozenset[Switch], shorter: bool = False) -> bool:
        """Runs with ``switches``; keeps the run if it fails and costs no more
        (and, when ``shorter``, has a shorter or earlier schedule)."""
        if self.runs >= self.limit:
            return False
        self.runs += 1
        policy = SwitchPolicy(switches=switches)
        try:
            failed = self.fails(policy)
        except ReplayError:
            return False
        schedule = trimmed(policy.schedule)
        found = switches_of(policy.choices)
        if not failed or _cost(found) > _cost(self.switches):
            return False
        if shorter and _size(schedule) >= _size(self.schedule):
            return False
        if not shorter and _cost(found) == _cost(self.switches):
            return False  # no progress: it would loop
        self.switches, self.schedule, self.choices = found, schedule, list(policy.choices)
        return True

    def drop_some(self) -> bool:
        """Keeps a smaller set of the switches that still fails: the smallest
        subset when there are few, else the first that lacks one of them."""
        ordered = sorted(self.switches, key=lambda s: (s[1] != FREE, s))  # free ones go first
        if len(ordered) <= SUBSETS:
            for size in range(len(ordered)):
                for kept in combinations(ordered, size):
                    if self._try(frozenset(kept)):
                        return True
            return False
        return any(self._try(self.switches - {switch}) for switch in reversed(ordered))

    def move_one_earlier(self) -> bool:
        """Moves one preemption, the last first, to an earlier choice point."""
        switched = [position for position, c in enumerate(self.choices) if c.chosen]
        for position in reversed(switched):
            rest = self.switches - {_switch(self.choices[position])}
            for earlier in range(position):
                choice = self.choices[earlier]
                if choice.chosen:
                    continue
                for pick in range(1, len(choice.candidates)):
                    if self._try(rest | {_switch(choice, pick)}, shorter=True):
                        return True
        return False


def _switch(choice: Choice, pick: int | None = None) -> Switch:
    """The named event of switching at ``choice`` to candidate ``pick``."""
    pick = choice.chosen if pick is None else pick
    return (choice.candidates[0], choice.point, choice.nth, choice.candidates[pick])


def _size(schedule: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """Shorter first, then switches earlier."""
    return (len(schedule), tuple(p for p, choice in enumerate(schedule) if choice))
