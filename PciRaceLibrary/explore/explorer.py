"""The explorer: runs a scenario under many schedules and collects outcomes.

The scenario is a callable ``run_once(policy) -> Run``: it builds a fresh
cluster whose kernel uses ``policy``, starts the racing operations, runs them
to the end and checks the result. The explorer knows nothing of Nova or Robot
Framework; ``scenarios`` and the keyword layer provide ``run_once``.

Strategies:

- ``exhaustive``: every schedule with at most ``bound`` preemptions, depth
  first; says whether the whole space was run.
- ``pct``: ``count`` runs of PCT with bug depth ``bound`` from ``seed``.
- ``random``: ``count`` random walks from ``seed``.

``shard=(i, n)`` runs the i-th of n disjoint parts of the space (exhaustive:
subtrees by their first preemption; others: every n-th run), so that parallel
processes share one exploration.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..sim import Entry
from .policies import PCTPolicy, RandomWalkPolicy, RecordingPolicy, ReplayPolicy
from .schedule import encode, preemptions, trimmed

STRATEGIES = ("exhaustive", "pct", "random")


@dataclass(frozen=True)
class Run:
    """What ``run_once`` reports: ``failure`` is None when the check passed;
    ``journal`` holds the run's journal entries."""

    outcome: str
    failure: str | None = None
    journal: tuple[Entry, ...] = ()

    @property
    def text(self) -> str:
        """The journal as text, one entry per line."""
        return "\n".join(str(entry) for entry in self.journal)


class Scheduled:
    """Something that names a schedule: its replay token and preemptions."""

    schedule: tuple[int, ...]

    @property
    def token(self) -> str:
        return encode(self.schedule)

    @property
    def preemptions(self) -> int:
        return preemptions(self.schedule)


@dataclass
class Failing(Scheduled):
    """A schedule whose check failed."""

    schedule: tuple[int, ...]
    failure: str
    outcome: str


@dataclass
class Exploration:
    """The result of one exploration."""

    strategy: str
    bound: int
    seed: int
    shard: tuple[int, int] = (0, 1)
    schedules: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    failing: list[Failing] = field(default_factory=list)  # the first ``keep_failing``
    failures: int = 0  # every failing schedule
    exhausted: bool = False
    stopped_by: str = ""  # "budget", "count", or "" when the strategy finished
    choice_points: int = 0  # most choice points seen in one run
    tasks: int = 0  # most tasks seen at choice points in one run
    seconds: float = 0.0

    @property
    def first_failing(self) -> Failing | None:
        return self.failing[0] if self.failing else None

    @property
    def smallest_failing(self) -> Failing | None:
        """The kept failing schedule with the fewest preemptions, then the
        shortest: the best start for ``shrink``."""
        return min(self.failing, key=lambda f: (f.preemptions, len(f.schedule)), default=None)

    def guarantee(self) -> str:
        """What the runs so far promise, in plain words."""
        if self.strategy == "exhaustive":
            if self.exhausted:
                return (
                    f"every schedule with at most {self.bound} preemption(s) was run "
                    f"({self.schedules} schedules): the space is exhausted"
                )
            return (
                f"{self.schedules} schedules with at most {self.bound} preemption(s) were run; "
                f"the space was not exhausted (stopped by the {self.stopped_by or 'shard'})"
            )
        if self.strategy == "pct" and self.choice_points:
            one = 1.0 / (max(self.tasks, 1) * self.choice_points ** max(self.bound - 1, 0))
            found = 1.0 - (1.0 - one) ** self.schedules
            return (
                f"a bug of depth {self.bound} over these {self.choice_points} choice points "
                f"and {self.tasks} tasks would be found with probability >= {found:.3f} "
                f"({self.schedules} runs, >= {one:.4f} each)"
            )
        return f"{self.schedules} random schedules were run; random walks promise no bound"

    def summary(self) -> str:
        shard = f" (shard {self.shard[0] + 1}/{self.shard[1]})" if self.shard[1] > 1 else ""
        return (
            f"{self.strategy} exploration{shard}: {self.schedules} schedules, "
            f"{len(self.outcomes)} distinct outcome(s), {self.failures} failing; "
            f"{self.guarantee()}."
        )


def explore(
    run_once: Callable[[RecordingPolicy], Run],
    strategy: str = "exhaustive",
    *,
    bound: int = 2,
    seed: int = 0,
    count: int = 100,
    budget: float | None = None,
    shard: tuple[int, int] = (0, 1),
    keep_failing: int = 20,
    clock: Callable[[], float] = time.monotonic,
) -> Exploration:
    """Runs ``run_once`` under the schedules of ``strategy``.

    ``bound`` is the preemption bound (exhaustive) or the bug depth (pct);
    ``count`` caps the number of runs (for exhaustive too, as a safety net);
    ``budget`` caps wall-clock seconds. Raises ValueError for bad arguments.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"No strategy '{strategy}'. Valid strategies: {', '.join(STRATEGIES)}.")
    index, total = shard
    if not 0 <= index < total:
        raise ValueError(
            f"Shard {index + 1}/{total} does not exist; use 1/{total} to {total}/{total}."
        )
    if bound < 0 or count < 1:
        raise ValueError("The bound must be >= 0 and the count >= 1.")
    result = Exploration(strategy=strategy, bound=bound, seed=seed, shard=shard)
    started = clock()

    def out_of_time() -> bool:
        if budget is not None and clock() - started > budget:
            result.stopped_by = "budget"
            return True
        if result.schedules >= count:
            result.stopped_by = "count"
            return True
        return False

    def record(policy: RecordingPolicy, run: Run) -> None:
        result.schedules += 1
        result.outcomes[run.outcome] = result.outcomes.get(run.outcome, 0) + 1
        result.choice_points = max(result.choice_points, len(policy.choices))
        names = {name for choice in policy.choices for name in choice.candidates}
        result.tasks = max(result.tasks, len(names))
        result.failures += run.failure is not None
        if run.failure is not None and len(result.failing) < keep_failing:
            schedule = trimmed(policy.schedule)
            result.failing.append(Failing(schedule, run.failure, run.outcome))

    if strategy == "exhaustive":
        _exhaustive(run_once, result, record, out_of_time)
    else:
        probe: RecordingPolicy | None = None
        if strategy == "pct":  # PCT needs the number of choice points: one plain run
            probe = ReplayPolicy()
            run_once(probe)
        number = 0
        while not out_of_time():
            run_seed = seed * 1_000_003 + number
            number += 1
            if (number - 1) % total != index:
                continue
            policy: RecordingPolicy
            if strategy == "pct":
                assert probe is not None
                policy = PCTPolicy(seed=run_seed, depth=bound, steps=max(len(probe.choices), 1))
            else:
                policy = RandomWalkPolicy(seed=run_seed)
            record(policy, run_once(policy))
    result.seconds = clock() - started
    return result


def _exhaustive(
    run_once: Callable[[RecordingPolicy], Run],
    result: Exploration,
    record: Callable[[RecordingPolicy, Run], None],
    out_of_time: Callable[[], bool],
) -> None:
    """Depth-first over choice prefixes, split into subtrees by first preemption."""
    index, total = result.shard
    default = ReplayPolicy()
    default_run = run_once(default)
    # Subtree roots: the default path with one deviation (position, choice).
    roots = [
        (*default.schedule[:position], choice)
        for position, width in enumerate(default.widths)
        for choice in range(1, width)
    ] if result.bound > 0 else []  # fmt: skip
    if index == 0:
        record(default, default_run)
    mine = [root for number, root in enumerate(roots) if number % total == index]
    for root in mine:
        prefix: tuple[int, ...] | None = root
        while prefix is not None:
            if out_of_time():
                return
            policy = ReplayPolicy(prefix=prefix)
            record(policy, run_once(policy))
            prefix = _next_prefix(policy.schedule, policy.widths, len(root), result.bound)
    result.exhausted = True


def _next_prefix(
    choices: tuple[int, ...], widths: tuple[int, ...], floor: int, bound: int
) -> tuple[int, ...] | None:
    """The next schedule prefix in depth-first order within the subtree whose
    first ``floor`` choices are fixed, or None when the subtree is done."""
    for position in range(len(choices) - 1, floor - 1, -1):
        if choices[position] + 1 >= widths[position]:
            continue
        used = preemptions(choices[:position])
        if used + 1 <= bound:
            return (*choices[:position], choices[position] + 1)
    return None
