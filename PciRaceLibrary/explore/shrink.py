"""Shrinking: the failing schedule with the fewest preemptions that still fails."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ReplayError
from .schedule import preemptions, trimmed


def shrink(
    schedule: tuple[int, ...], still_fails: Callable[[tuple[int, ...]], bool], limit: int = 200
) -> tuple[int, ...]:
    """Greedily drops preemptions (and lowers switch targets) while the
    schedule still fails; returns a schedule from which no single preemption
    can be dropped. ``limit`` caps the runs spent."""
    best = trimmed(schedule)
    runs = 0
    improved = True
    while improved and runs < limit:
        improved = False
        for position in [p for p, choice in enumerate(best) if choice]:
            for lower in range(best[position]):  # 0 first: drop the preemption
                candidate = trimmed((*best[:position], lower, *best[position + 1 :]))
                runs += 1
                if _fails(still_fails, candidate):
                    best, improved = candidate, True
                    break
            if improved or runs >= limit:
                break
    assert preemptions(best) <= preemptions(schedule)
    return best


def _fails(still_fails: Callable[[tuple[int, ...]], bool], candidate: tuple[int, ...]) -> bool:
    try:
        return still_fails(candidate)
    except ReplayError:
        return False  # the change made a later choice impossible
