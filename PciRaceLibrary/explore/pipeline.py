"""From a scenario to a finding: explore, shrink, reproduce by delays, verify.

``investigate`` is the whole pipeline an exploration keyword runs. The
scenario is one callable, ``run_once(policy, delays) -> Run``: a fresh
cluster, the racing operations started (with ``delays``, task name -> point
-> seconds, for the plain runs of the reproducer), run to the end under
``policy`` (None: the kernel's own order), and checked.

1. ``explore`` runs the schedules of the strategy.
2. The failing schedule with the fewest preemptions is shrunk (``shrink``).
3. The shrunk schedule is replayed, for its run, token and switches.
4. ``reproduce_with_delays`` finds delays that make a plain run interleave
   the same way, verified by running them; ``None`` when none was found.

Knows nothing of Robot Framework; the keyword layer logs and writes files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .explorer import Exploration, Run, Scheduled, explore
from .policies import RecordingPolicy, ReplayPolicy
from .reproducer import Delays, Reproduction, describe_switches, reproduce_with_delays
from .shrink import shrink

RunOnce = Callable[[RecordingPolicy | None, Delays | None], Run]


@dataclass(frozen=True)
class Failure(Scheduled):
    """The shrunk failing schedule and what it takes to see it again."""

    schedule: tuple[int, ...]
    run: Run
    switches: tuple[str, ...]  # one sentence per preemption
    reproduction: Reproduction | None  # delays verified to give the same run


@dataclass(frozen=True)
class Finding:
    exploration: Exploration
    failure: Failure | None  # None when no schedule failed


def investigate(
    run_once: RunOnce,
    strategy: str = "exhaustive",
    *,
    bound: int = 2,
    seed: int = 0,
    count: int = 2000,
    budget: float | None = None,
    shard: tuple[int, int] = (0, 1),
) -> Finding:
    """Explores ``run_once`` and, if a schedule fails, shrinks, replays and
    reproduces the smallest failing one. Raises ValueError for bad arguments
    (see ``explore``)."""
    result = explore(
        lambda policy: run_once(policy, None),
        strategy,
        bound=bound,
        seed=seed,
        count=count,
        budget=budget,
        shard=shard,
    )
    smallest = result.smallest_failing
    if smallest is None:
        return Finding(result, None)
    first = ReplayPolicy(prefix=smallest.schedule)
    run_once(first, None)
    schedule = shrink(first.choices, lambda policy: run_once(policy, None).failure is not None)
    replay = ReplayPolicy(prefix=schedule)
    run = run_once(replay, None)
    reproduction = reproduce_with_delays(replay.choices, run, lambda delays: run_once(None, delays))
    switches = tuple(describe_switches(replay.choices)) or ("no preemption",)
    return Finding(result, Failure(schedule, run, switches, reproduction))
