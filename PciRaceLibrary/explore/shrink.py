"""Shrinking: the failing schedule with the fewest preemptions that still fails."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..errors import ReplayError
from .policies import Choice, RecordingPolicy, SwitchPolicy, switches_of
from .schedule import trimmed


def shrink(
    choices: Sequence[Choice],
    fails: Callable[[RecordingPolicy], bool],
    limit: int = 200,
) -> tuple[int, ...]:
    """Greedily drops preemptions while the run still fails, and returns the
    schedule (choice-point positions) of the smallest failing run found.

    Preemptions are named by event (task, point, pass, target), so dropping
    one keeps the others where they were. ``fails(policy)`` runs the
    scenario under ``policy``; ``limit`` caps the runs spent.
    """
    best = switches_of(choices)
    schedule = trimmed([choice.chosen for choice in choices])
    runs, improved = 0, True
    while improved and runs < limit:
        improved = False
        for switch in sorted(best):
            policy = SwitchPolicy(switches=best - {switch})
            runs += 1
            if _fails(fails, policy):
                best, schedule, improved = (
                    switches_of(policy.choices),
                    trimmed(policy.schedule),
                    True,
                )
                break
            if runs >= limit:
                break
    return schedule


def _fails(fails: Callable[[RecordingPolicy], bool], policy: RecordingPolicy) -> bool:
    try:
        return fails(policy)
    except ReplayError:
        return False
