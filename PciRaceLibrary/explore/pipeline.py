"""From a scenario to a finding: explore, shrink, reproduce by delays, verify.

``investigate`` is the whole pipeline an exploration keyword runs. The
scenario is one callable, ``run_once(policy, delays) -> Run``: a fresh
cluster, the racing operations started (with ``delays``, task name -> point
-> seconds, for the plain runs of the reproducer), run to the end under
``policy`` (None: the kernel's own order), and checked.

1. ``explore`` runs the schedules of the strategy; failing ones are grouped
   by outcome and failure.
2. The smallest failing schedule of each group (at most ``SHRUNK`` groups,
   smallest first) is shrunk (``shrink``) while it fails the same way.
3. Each shrunk schedule is replayed, for its run, token and switches.
4. For the first group, ``reproduce_with_delays`` finds delays that make a
   plain run interleave the same way, verified by running them; ``None``
   when none was found.

Knows nothing of Robot Framework; the keyword layer logs and writes files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .explorer import Exploration, Group, Run, Scheduled, explore
from .policies import RecordingPolicy, ReplayPolicy
from .reproducer import Delays, Reproduction, describe_switches, reproduce_with_delays
from .shrink import shrink

RunOnce = Callable[[RecordingPolicy | None, Delays | None], Run]
SHRUNK = 5  # groups shrunk and shown; the others are counted


@dataclass(frozen=True)
class Failure(Scheduled):
    """The shrunk failing schedule of a group and what it takes to see it again."""

    schedule: tuple[int, ...]
    run: Run
    switches: tuple[str, ...]  # one sentence per switch
    reproduction: Reproduction | None  # delays verified to give the same run
    free: tuple[bool, ...] = ()
    count: int = 1  # failing schedules of its group


@dataclass(frozen=True)
class Finding:
    exploration: Exploration
    failure: Failure | None  # the first group's; None when no schedule failed
    failures: tuple[Failure, ...] = field(default=())  # one per shrunk group


def investigate(
    run_once: RunOnce,
    strategy: str = "exhaustive",
    *,
    bound: int = 2,
    seed: int = 0,
    count: int = 2000,
    budget: float | None = None,
    shard: tuple[int, int] = (0, 1),
    reduction: bool = True,
) -> Finding:
    """Explores ``run_once`` and, for each kind of failure, shrinks and
    replays the smallest failing schedule, and reproduces the first by
    delays. Raises ValueError for bad arguments (see ``explore``)."""
    result = explore(
        lambda policy: run_once(policy, None),
        strategy,
        bound=bound,
        seed=seed,
        count=count,
        budget=budget,
        shard=shard,
        reduction=reduction,
    )
    failures = tuple(
        _shrunk(run_once, group, reproduce=number == 0)
        for number, group in enumerate(result.ordered_groups()[:SHRUNK])
    )
    return Finding(result, failures[0] if failures else None, failures)


def _shrunk(run_once: RunOnce, group: Group, *, reproduce: bool) -> Failure:
    first = ReplayPolicy(prefix=group.smallest.schedule)
    kind = run_once(first, None).kind

    def same_failure(policy: RecordingPolicy) -> bool:
        run = run_once(policy, None)
        return run.failure is not None and run.kind == kind

    schedule = shrink(first.choices, same_failure)
    replay = ReplayPolicy(prefix=schedule)
    run = run_once(replay, None)
    reproduction = None
    if reproduce:
        reproduction = reproduce_with_delays(
            replay.choices, run, lambda delays: run_once(None, delays)
        )
    switches = tuple(describe_switches(replay.choices)) or ("no switch",)
    free = replay.free[: len(schedule)]
    return Failure(schedule, run, switches, reproduction, free, group.count)
