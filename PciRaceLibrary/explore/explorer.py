"""The explorer: runs a scenario under many schedules and collects outcomes.

The scenario is a callable ``run_once(policy) -> Run``: it builds a fresh
cluster whose kernel uses ``policy``, starts the racing operations, runs them
to the end and checks the result. The explorer knows nothing of Nova or Robot
Framework; ``scenarios`` and the keyword layer provide ``run_once``.

Strategies:

- ``exhaustive``: preemption bounding as CHESS defines it (Musuvathi and
  Qadeer, PLDI 2007): a switch away from a task that could go on costs one
  preemption; choosing who runs after a task blocked, slept or ended is free.
  Iterative deepening: every schedule with 0 preemptions, then every one with
  exactly 1, and so on up to ``bound``, so that a cap or a budget always
  stops in the shallowest level not yet complete, and a failure is found
  first with the fewest preemptions it needs.
- ``pct``: ``count`` runs of PCT with bug depth ``bound`` from ``seed``.
- ``random``: ``count`` random walks from ``seed``.

Failing schedules are grouped by outcome and failure (virtual times masked),
and each group keeps its smallest schedule: fewest preemptions, then fewest
switches, then the shortest.

``shard=(i, n)`` runs the i-th of n disjoint parts of the space (exhaustive:
subtrees by their first switch; others: every n-th run), so that parallel
processes share one exploration.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..sim import Entry
from .policies import Choice, PCTPolicy, RandomWalkPolicy, RecordingPolicy, ReplayPolicy
from .reduction import Key, ReducingPolicy, TraceState, covers, idle, trace_of
from .schedule import encode, preemptions, trimmed

STRATEGIES = ("exhaustive", "pct", "random")
# What the reduction promises, in the words of the test message (see ``reduction``).
REDUCED = (
    "a schedule is pruned, not run, once the trace it has run so far reached a "
    "state already explored with at least as much of the bound left, or when it "
    "preempts right after a step that touched nothing, which is the same as "
    "preempting one step earlier; so every outcome of a pruned schedule is an "
    "outcome of a schedule run with no more preemptions"
)
MAX_GROUPS = 50  # distinct kinds of failure kept; more are counted, not kept

_TIME = re.compile(r"t=-?[0-9]+\.[0-9]{3}s")


def untimed(text: str | None) -> str | None:
    """``text`` with its virtual times (``t=2.050s``) masked."""
    return None if text is None else _TIME.sub("t=?", text)


@dataclass(frozen=True)
class Run:
    """What ``run_once`` reports: ``failure`` is None when the check passed;
    ``journal`` holds the run's journal entries."""

    outcome: str
    failure: str | None = None
    journal: Sequence[Entry] = ()

    @property
    def text(self) -> str:
        """The journal as text, one entry per line."""
        return "\n".join(str(entry) for entry in self.journal)

    @property
    def kind(self) -> tuple[str | None, str | None]:
        """What groups failures: the outcome and the failure, times masked."""
        return untimed(self.outcome), untimed(self.failure)


class Scheduled:
    """Something that names a schedule: its replay token and preemptions."""

    schedule: tuple[int, ...]
    free: tuple[bool, ...]

    @property
    def token(self) -> str:
        return encode(self.schedule)

    @property
    def preemptions(self) -> int:
        return preemptions(self.schedule, self.free)

    @property
    def size(self) -> tuple[int, int, int]:
        """Fewest preemptions first, then fewest switches, then shortest."""
        switches = sum(1 for choice in self.schedule if choice)
        return self.preemptions, switches, len(self.schedule)


@dataclass
class Failing(Scheduled):
    """A schedule whose check failed."""

    schedule: tuple[int, ...]
    failure: str
    outcome: str
    free: tuple[bool, ...] = ()


@dataclass
class Group:
    """Failing schedules with the same outcome and failure."""

    smallest: Failing
    count: int = 1

    @property
    def failure(self) -> str:
        return self.smallest.failure


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
    groups: dict[tuple[str | None, str | None], Group] = field(default_factory=dict)
    complete_bound: int = -1  # exhaustive: every schedule with <= this many preemptions ran
    levels: list[int] = field(default_factory=list)  # exhaustive: schedules run per level
    stopped_by: str = ""  # "budget", "count", "failure", or "" when the strategy finished
    choice_points: int = 0  # most choice points seen in one run
    pct_steps: int = 0  # pct: the choice points its change points were drawn among
    tasks: int = 0  # most tasks seen at choice points in one run
    reduction: bool = False  # exhaustive: prefixes of a trace already expanded are pruned
    pruned: int = 0  # schedules within the bound not run: equivalent to ones run
    traces: set[int] = field(default_factory=set, repr=False)  # distinct traces (traces.py)
    seconds: float = 0.0

    @property
    def exhausted(self) -> bool:
        """Exhaustive: whether every schedule within the bound ran."""
        return self.strategy == "exhaustive" and self.complete_bound >= self.bound

    @property
    def complete(self) -> bool:
        """Whether the exploration did all it set out to: the whole bound
        (exhaustive), every planned run (pct, random)."""
        if self.strategy == "exhaustive":
            return self.exhausted
        return self.stopped_by != "budget"

    @property
    def first_failing(self) -> Failing | None:
        return self.failing[0] if self.failing else None

    @property
    def smallest_failing(self) -> Failing | None:
        """The smallest failing schedule of any group: the best start for ``shrink``."""
        return min((g.smallest for g in self.groups.values()), key=_size, default=None)

    def ordered_groups(self) -> list[Group]:
        """The groups, smallest schedule first."""
        return sorted(self.groups.values(), key=lambda g: _size(g.smallest))

    def guarantee(self) -> str:
        """What the runs so far promise, and what they do not, in plain words."""
        if self.strategy == "exhaustive":
            return self._exhaustive_guarantee()
        if self.strategy == "pct" and self.pct_steps:
            one = 1.0 / (max(self.tasks, 1) * self.pct_steps ** max(self.bound - 1, 0))
            found = 1.0 - (1.0 - one) ** self.schedules
            return (
                f"a bug of depth {self.bound} whose ordering points all fall within the "
                f"first {self.pct_steps} choice points where a task could go on (of "
                f"{self.choice_points} in the longest run), among {self.tasks} tasks, would "
                f"be found with probability >= {found:.3f} ({self.schedules} runs, "
                f">= {one:.4f} each); deeper bugs or later points are not covered"
                + self._stop_note()
            )
        return (
            f"{self.schedules} random schedules were run; random walks promise no bound"
            + self._stop_note()
        )

    def _exhaustive_guarantee(self) -> str:
        free = "switches where a task blocked or ended are free"
        if self.reduction:
            free += f"; {REDUCED}"
        if self.exhausted:
            return (
                f"complete to bound {self.bound}: every schedule with at most "
                f"{self.bound} preemption(s) was run ({free}); none with more"
            )
        running = self.complete_bound + 1
        if self.stopped_by == "failure":
            return (
                f"complete to bound {self.complete_bound}: every schedule with at most "
                f"{self.complete_bound} preemption(s) was run ({free}); bounds {running} "
                f"to {self.bound} were not run, since schedules with {self.complete_bound} "
                "already fail"
            )
        ran = self.levels[running] if running < len(self.levels) else 0
        done = (
            f"complete to bound {self.complete_bound} only: every schedule with at most "
            f"{self.complete_bound} preemption(s) was run ({free})"
            if self.complete_bound >= 0
            else "not complete even at bound 0"
        )
        rest = f"bounds {running + 1} to {self.bound}" if running < self.bound else ""
        return (
            f"{done}; NOT covered: the rest of bound {running} ({ran} of its schedules "
            f"ran before the {self.stopped_by or 'shard'} stopped it)"
            + (f" and {rest}" if rest else "")
        )

    def _stop_note(self) -> str:
        if self.stopped_by == "budget":
            return "; stopped by the budget before every planned run"
        return ""

    def summary(self) -> str:
        shard = f" (shard {self.shard[0] + 1}/{self.shard[1]})" if self.shard[1] > 1 else ""
        kinds = f" in {len(self.groups)} kind(s)" if self.failures else ""
        pruned = (
            f"{self.pruned} schedules pruned with those extending them, " if self.reduction else ""
        )
        return (
            f"{self.strategy} exploration{shard}: {self.schedules} schedules, "
            f"{len(self.traces)} distinct traces, {pruned}{len(self.outcomes)} distinct "
            "outcome(s), "
            f"{self.failures} failing{kinds}, {self.seconds:.1f} s; {self.guarantee()}."
        )


def _size(failing: Failing) -> tuple[int, int, int]:
    return failing.size


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
    deepen_past_failure: bool = False,
    reduction: bool = True,
) -> Exploration:
    """Runs ``run_once`` under the schedules of ``strategy``.

    ``bound`` is the preemption bound (exhaustive) or the bug depth (pct);
    ``count`` caps the number of runs (for exhaustive too, as a safety net);
    ``budget`` caps wall-clock seconds. Exhaustive search stops after the
    first level (preemption count) in which a schedule failed, unless
    ``deepen_past_failure``: deeper levels find the same failures with more
    preemptions. ``reduction`` (exhaustive only) prunes the switches of a
    choice point whose past is a trace already reached with as much of the
    bound left, and those of a preemption right after an idle step (see
    ``reduction``): every outcome within the bound is still reached, by
    fewer schedules. Raises ValueError for bad arguments.
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
    result.reduction = reduction and strategy == "exhaustive"
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
        fingerprint = policy.fingerprint()
        result.traces.add(trace_of(run.journal) if fingerprint is None else fingerprint)
        result.choice_points = max(result.choice_points, len(policy.choices))
        names = {name for choice in policy.choices for name in choice.candidates}
        result.tasks = max(result.tasks, len(names))
        if run.failure is None:
            return
        result.failures += 1
        schedule = trimmed(policy.schedule)
        failing = Failing(schedule, run.failure, run.outcome, policy.free[: len(schedule)])
        if len(result.failing) < keep_failing:
            result.failing.append(failing)
        group = result.groups.get(run.kind)
        if group is not None:
            group.count += 1
            if failing.size < group.smallest.size:
                group.smallest = failing
        elif len(result.groups) < MAX_GROUPS:
            result.groups[run.kind] = Group(failing)

    if strategy == "exhaustive":
        _exhaustive(run_once, result, record, out_of_time, deepen_past_failure)
    else:
        probe: RecordingPolicy | None = None
        if strategy == "pct":  # PCT needs the number of choice points: one plain run
            probe = ReplayPolicy()
            run_once(probe)
            result.pct_steps = max(1, sum(not free for free in probe.free))
        number = 0
        while not out_of_time():
            run_seed = seed * 1_000_003 + number
            number += 1
            if (number - 1) % total != index:
                continue
            policy: RecordingPolicy
            if strategy == "pct":
                policy = PCTPolicy(
                    seed=run_seed, depth=bound, steps=result.pct_steps, trace=TraceState()
                )
            else:
                policy = RandomWalkPolicy(seed=run_seed, trace=TraceState())
            record(policy, run_once(policy))
        if result.stopped_by == "count":
            result.stopped_by = ""  # the planned number of runs is the plan, not a cap
    result.seconds = clock() - started
    return result


def _exhaustive(
    run_once: Callable[[RecordingPolicy], Run],
    result: Exploration,
    record: Callable[[RecordingPolicy, Run], None],
    out_of_time: Callable[[], bool],
    deepen_past_failure: bool,
) -> None:
    """Iterative deepening over choice prefixes.

    A prefix ends with its last switch; its run continues with choice 0.
    The children of a run are its prefix extended by one more switch after
    the prefix's last one: a free switch stays in the level, a preemption
    goes to the next. So every schedule has one parent, and level ``k``
    holds exactly the schedules with ``k`` preemptions. Shards split the
    root's children, and each subtree stays in its root's shard.
    With ``result.reduction``, each choice point whose switches are tried
    is *expanded*, and its state's key (``reduction``) is kept with the
    preemptions spent before it and its passing task. A later choice point
    with a kept key that ``covers`` it is *pruned*: neither its switches nor
    any later one of its run are tried. A preemptive choice point right
    after an ``idle`` step of this run has its switches left out (the same
    switches one point earlier are tried). (The root run's points are not kept
    when shards split their switches: no one shard tries them all.)
    """
    index, total = result.shard
    # key -> (free, passing task, preemptions spent before it) of each expansion
    expanded: dict[Key, tuple[tuple[bool, str, int], ...]] = {}
    level: list[tuple[tuple[int, ...], int]] = [((), -1)]  # (prefix, owning shard)
    roots = 0
    # Pruned preemptions belong to the next level: counted only if it runs.
    pruned_deeper = 0
    for depth in range(result.bound + 1):
        result.levels.append(0)
        result.pruned += pruned_deeper
        pruned_deeper = 0
        deeper: list[tuple[tuple[int, ...], int]] = []
        stack = list(reversed(level))
        while stack:
            prefix, owner = stack.pop()
            if (owner != -1 or index == 0) and out_of_time():
                return
            policy = (
                ReducingPolicy(prefix=prefix)
                if result.reduction
                else ReplayPolicy(prefix=prefix, trace=TraceState())
            )
            run = run_once(policy)
            if owner != -1 or index == 0:  # every shard runs the root for its children
                record(policy, run)
                result.levels[depth] += 1
            children: list[tuple[tuple[int, ...], int]] = []
            spent = preemptions(policy.schedule[: len(prefix)], policy.free)
            # The root run's switches are split among shards: its prunings
            # count in the first shard only, as its run does.
            counted = owner != -1 or index == 0
            for position in range(len(prefix), len(policy.choices)):
                choice = policy.choices[position]
                if isinstance(policy, ReducingPolicy):
                    key, free, passing = policy.keys[position]
                    seen = expanded.get(key, ())
                    if any(covers(old, free, passing, spent) for old in seen):
                        same, later = _within(policy, position, depth < result.bound)
                        result.pruned += same * counted
                        pruned_deeper += later * counted
                        break
                    if owner != -1 or total == 1:
                        expanded[key] = (*seen, (free, passing, spent))
                skip = isinstance(policy, ReducingPolicy) and idle(policy, position)
                if skip and position - 1 >= len(prefix):
                    # the same switches one point earlier were just tried (``idle``)
                    if choice.free:
                        result.pruned += _switches(choice, depth < result.bound) * counted
                    else:
                        pruned_deeper += _switches(choice, depth < result.bound) * counted
                    spent += choice.preempts
                    continue
                for pick in range(1, len(choice.candidates)):
                    mine = owner
                    if owner == -1:
                        mine, roots = roots % total, roots + 1
                    if mine != index:
                        continue
                    child = (*policy.schedule[:position], pick)
                    if choice.free:
                        children.append((child, mine))
                    elif depth < result.bound:
                        deeper.append((child, mine))
                spent += choice.preempts
            stack.extend(reversed(children))  # depth first, earliest switch first
        result.complete_bound = depth
        level = deeper
        stop = bool(result.failures) and not deepen_past_failure and depth < result.bound
        if not level:
            if not stop:  # the next level would run: all of it was pruned
                result.pruned += pruned_deeper
            result.complete_bound = result.bound  # no schedule needs more preemptions
            return
        if stop:
            result.stopped_by = "failure"
            return


def _switches(choice: Choice, deeper: bool) -> int:
    """The switches of one choice point that the bound allows."""
    return len(choice.candidates) - 1 if choice.free or deeper else 0


def _within(policy: RecordingPolicy, start: int, deeper: bool) -> tuple[int, int]:
    """The switches from choice point ``start`` on that the bound allows:
    the schedules a pruning leaves out (those extending them aside), as
    (free ones, of this level; preemptions, of the next level)."""
    choices = policy.choices[start:]
    free = sum(len(choice.candidates) - 1 for choice in choices if choice.free)
    preempting = sum(len(choice.candidates) - 1 for choice in choices if not choice.free)
    return free, preempting if deeper else 0
