"""Choice policies: who runs next at each choice point (see ``schedule``).

Every policy records what it chose and among how many candidates, so any run,
however it was chosen, can be written down and replayed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ReplayError
from ..sim import Task

# The point name of a free choice: which task runs after the running one
# blocked, slept or ended. Nobody is preempted there (CHESS counts it free).
FREE = "(next task)"


@dataclass
class Choice:
    """One choice point as it happened."""

    point: str  # FREE for a free choice
    candidates: tuple[str, ...]  # task names; [0] passes the point (free: runs by default)
    chosen: int
    nth: int = 1  # which pass of ``point`` by the passing task (free: its nth free choice)

    @property
    def free(self) -> bool:
        return self.point == FREE

    @property
    def preempts(self) -> bool:
        """Whether this choice switches away from a task that could go on."""
        return bool(self.chosen) and self.point != FREE


@dataclass
class RecordingPolicy:
    """Base: remembers every choice; subclasses decide."""

    choices: list[Choice] = field(default_factory=list)
    # task name -> its live pass counts, final once the run is over
    passes: dict[str, dict[str, int]] = field(default_factory=dict)
    nth: int = field(init=False, default=1)  # of the choice being decided
    # When set (an explorer's ``reduction.TraceState``), records the run's
    # footprints from its first choice point on, for its trace.
    trace: Any = None
    _free: dict[str, int] = field(init=False, default_factory=dict)

    def choose(self, point: str, candidates: Sequence[Task]) -> int:
        task = candidates[0]
        self.passes[task.name] = task.passes
        self.nth = task.passes.get(point, 1)
        return self._record(point, candidates)

    def choose_next(self, candidates: Sequence[Task]) -> int:
        name = candidates[0].name
        self.nth = self._free[name] = self._free.get(name, 0) + 1
        return self._record(FREE, candidates)

    def _record(self, point: str, candidates: Sequence[Task]) -> int:
        if self.trace is not None and not self.choices:
            self.trace.install(candidates[0].kernel)
        pick = self.decide(len(self.choices), point, candidates)
        names = tuple(candidate.name for candidate in candidates)
        self.choices.append(Choice(point, names, pick, self.nth))
        return pick

    def decide(self, position: int, point: str, candidates: Sequence[Task]) -> int:
        raise NotImplementedError

    def fingerprint(self) -> int | None:
        """The trace of the whole run (its journal so far), when traced."""
        if self.trace is None or self.trace.journal is None:
            return None
        return self.trace.feed()

    @property
    def schedule(self) -> tuple[int, ...]:
        return tuple(choice.chosen for choice in self.choices)

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(len(choice.candidates) for choice in self.choices)

    @property
    def free(self) -> tuple[bool, ...]:
        return tuple(choice.free for choice in self.choices)

    @property
    def preemptions(self) -> int:
        return sum(choice.preempts for choice in self.choices)


@dataclass
class ReplayPolicy(RecordingPolicy):
    """Follows ``prefix``, then lets the passing task go on (choice 0).

    Raises ReplayError when the prefix asks for a task that is not there: the
    schedule belongs to another scenario.
    """

    prefix: tuple[int, ...] = ()

    def decide(self, position: int, point: str, candidates: Sequence[Task]) -> int:
        if position >= len(self.prefix):
            return 0
        pick = self.prefix[position]
        if pick >= len(candidates):
            raise ReplayError(
                f"The schedule switches to candidate {pick} at choice point {position} "
                f"({point}), but only {len(candidates)} task(s) can run there: it was "
                "recorded on another scenario."
            )
        return pick


@dataclass
class RandomWalkPolicy(RecordingPolicy):
    """Picks uniformly among the candidates, from a seeded generator."""

    seed: int = 0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def decide(self, position: int, point: str, candidates: Sequence[Task]) -> int:
        return self.rng.randrange(len(candidates))


@dataclass
class PCTPolicy(RecordingPolicy):
    """Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010).

    Tasks get random distinct priorities when first seen; the highest-priority
    candidate runs, at every choice point. At ``depth - 1`` change points,
    drawn among the first ``steps`` points where a running task could go on,
    the running task drops below every other. A bug that needs ``depth``
    ordering constraints, all within those ``steps`` points, is found in one
    run with probability at least ``1 / (tasks * steps ** (depth - 1))``.
    """

    seed: int = 0
    depth: int = 2
    steps: int = 1
    rng: random.Random = field(init=False)
    priorities: dict[str, float] = field(init=False, default_factory=dict)
    change_points: set[int] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        count = max(0, self.depth - 1)
        self.change_points = set(self.rng.sample(range(max(self.steps, count)), count))
        self._lowest = 0.0
        self._step = 0  # choice points where a running task could go on, so far

    def _priority(self, name: str) -> float:
        if name not in self.priorities:
            self.priorities[name] = 1.0 + self.rng.random()
        return self.priorities[name]

    def decide(self, position: int, point: str, candidates: Sequence[Task]) -> int:
        if point != FREE:
            if self._step in self.change_points:
                self._lowest -= 1.0
                self.priorities[candidates[0].name] = self._lowest
            self._step += 1
        ranks = [self._priority(task.name) for task in candidates]
        return max(range(len(candidates)), key=lambda index: (ranks[index], -index))


Switch = tuple[str, str, int, str]  # (task, point or FREE, nth pass, task switched to)


@dataclass
class SwitchPolicy(RecordingPolicy):
    """Preempts at named events instead of choice-point positions, so that
    dropping one preemption does not shift what the others mean."""

    switches: frozenset[Switch] = frozenset()

    def decide(self, position: int, point: str, candidates: Sequence[Task]) -> int:
        task = candidates[0]
        for index, other in enumerate(candidates[1:], start=1):
            if (task.name, point, self.nth, other.name) in self.switches:
                return index
        return 0


def switches_of(choices: Sequence[Choice]) -> frozenset[Switch]:
    """The switches of a run (preemptions and free ones) as named events."""
    return frozenset(
        (c.candidates[0], c.point, c.nth, c.candidates[c.chosen]) for c in choices if c.chosen
    )
