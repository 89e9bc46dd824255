"""From a failing schedule to an ordinary test: the same interleaving by delays.

A preemption at point ``P`` of task ``A`` lets the other runnable tasks run
until they block, then ``A`` goes on. A delay at that pass of ``P`` for ``A``
(``Class.method#n`` when ``A`` passes ``P`` more than once) does the same in
plain virtual time: ``A`` sleeps, the others run until they block, ``A``
wakes. So each preemption becomes a ``Class.method=<delay>`` argument of the
step that started ``A``; later preemptions get longer delays, so they happen
in the same order (``switch_delays``).

That is enough for two racing tasks. With three, a switch may pick the
second other task, or a task that was never preempted must wait its turn;
``reproduce_with_delays`` starts from ``switch_delays``, compares the plain
run's ``interleaving`` with the schedule's, and repairs the first difference
with one more measured delay, until they are equal event for event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from ..sim import Entry, PointPass
from .explorer import Run
from .policies import Choice

STEP = 0.5  # seconds of virtual time between consecutive preemptions


def switch_delays(
    choices: Sequence[Choice],
    passes: Mapping[str, Mapping[str, int]] | None = None,
    step: float = STEP,
) -> dict[str, dict[str, float]]:
    """Task name -> {point: seconds} reproducing the preemptions in ``choices``.

    ``passes`` (task -> point -> total passes in the run) tells which points a
    task passes more than once; those get ``#n`` to delay the n-th pass only.
    """
    passes = passes or {}
    delays: dict[str, dict[str, float]] = {}
    switches = [choice for choice in choices if choice.preempts]
    for number, choice in enumerate(switches, start=1):
        task = choice.candidates[0]
        total = passes.get(task, {}).get(choice.point, choice.nth)
        where = PointPass(choice.point, None if total <= 1 else choice.nth)
        delays.setdefault(task, {}).setdefault(str(where), round(step * number, 3))
    return delays


def describe_switches(choices: Iterable[Choice]) -> list[str]:
    """One line per switch, for logs and failure messages."""
    return [
        (
            f"at choice point {position}: '{choice.candidates[choice.chosen]}' runs "
            f"before '{choice.candidates[0]}' (free: the running task blocked or ended)"
            if choice.free
            else f"at choice point {position}: '{choice.candidates[0]}' at {choice.point} "
            f"yields to '{choice.candidates[choice.chosen]}'"
        )
        for position, choice in enumerate(choices)
        if choice.chosen
    ]


def robot_arguments(delays: dict[str, float]) -> list[str]:
    """``Class.method=0.5 s`` arguments for a keyword call."""
    return [f"{point}={_seconds(seconds)}" for point, seconds in sorted(delays.items())]


def robot_test(
    *,
    name: str,
    documentation: str,
    settings: Sequence[str],
    body: Sequence[Sequence[str]],
    keywords_section: str = "",
) -> str:
    """A complete ``.robot`` file with one test case; ``body`` rows are keyword
    calls as lists of cells. Long rows and the documentation continue on
    ``...`` lines, so the file passes robocop's default line length."""
    doc = _words(documentation)
    lines = ["*** Settings ***", f"Documentation    {doc[0]}"]
    lines += [f"...    {chunk}" for chunk in doc[1:]]
    lines += [*settings, "", "", "*** Test Cases ***", name]
    lines += [f"    [Documentation]    {doc[0]}", *(f"    ...    {chunk}" for chunk in doc[1:])]
    for cells in body:
        lines += _wrapped(cells[0], list(cells[1:]))
    text = "\n".join(lines) + "\n"
    if keywords_section.strip():
        text += "\n\n" + keywords_section.strip() + "\n"
    return text


LINE = 100  # robocop's default limit is 120; keep a margin


def _wrapped(first: str, cells: list[str]) -> list[str]:
    """``first`` and its cells on one indented line, or continued with ``...``."""
    line = "    " + "    ".join([first, *cells])
    if len(line) <= LINE:
        return [line]
    lines, current = [], "    " + first
    for cell in cells:
        if len(current) + 4 + len(cell) > LINE and current.strip() not in ("", "..."):
            lines.append(current)
            current = "    ..."
        current += "    " + cell
    return [*lines, current]


def _words(text: str, width: int = 70) -> list[str]:
    """Documentation cut into chunks of words, one ``...`` line each."""
    chunks, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            chunks.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    chunks = [*chunks, current] if current else chunks
    return chunks or ["-"]


def _seconds(seconds: float) -> str:
    return f"{seconds:g} s"


# -- verified delays: repair the mapping until the interleaving is the same ----------------


@dataclass(frozen=True)
class Step:
    """One event of a run where it takes effect: a point a task was stopped at
    (by a switch or a delay) counts when the task goes on, not when it arrived."""

    task: str
    kind: str
    detail: str
    nth: int  # occurrence of (task, kind, detail): the pass, for points
    time: float  # virtual time it takes effect
    arrived: float  # virtual time it was journaled

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.task, self.kind, self.detail, self.nth)


def interleaving(journal: Iterable[Entry]) -> list[Step]:
    """The order in which the tasks of a run took effect, times aside.

    Two runs with equal keys (``Step.key``) interleaved the same way, whether
    a policy switched tasks or delays made them sleep: switches and delays are
    left out, and a point where a task was stopped is placed where it went on.
    """
    steps: list[Step] = []
    held: dict[str, tuple[Step, bool]] = {}  # task -> its last point, stopped there?
    counts: dict[tuple[str, str, str], int] = {}
    for entry in journal:
        time, task, kind, detail = entry.time, entry.task, entry.kind.value, entry.detail
        if kind == "spawn":
            continue
        if kind in ("delay", "switch"):
            if task in held:
                held[task] = (held[task][0], True)
            continue
        for other in [name for name, (_, stopped) in held.items() if not stopped]:
            if other != task:  # a point passed without stopping took effect at once
                steps.append(held.pop(other)[0])
        if task in held:
            point, stopped = held.pop(task)
            steps.append(replace(point, time=time) if stopped else point)
        counts[(task, kind, detail)] = nth = counts.get((task, kind, detail), 0) + 1
        step = Step(task, kind, detail, nth, time, time)
        if kind == "point":
            held[task] = (step, False)
        else:
            steps.append(step)
    steps.extend(point for point, _ in held.values())
    return steps


def _divergence(found: Sequence[Step], wanted: Sequence[Step]) -> int | None:
    """The first position where ``found`` differs from ``wanted``, or None."""
    for position, (one, other) in enumerate(zip(found, wanted, strict=False)):
        if one.key != other.key:
            return position
    return None if len(found) == len(wanted) else min(len(found), len(wanted))


Delays = dict[str, dict[str, float]]
_Stops = dict[str, dict[tuple[str, int], float]]  # task -> (point, pass) -> seconds


@dataclass(frozen=True)
class Reproduction:
    """Delays that reproduce a schedule without a policy, and the proof run."""

    delays: Delays  # task -> {"Class.method" or "Class.method#n": seconds}
    run: Run
    exact: bool  # the same interleaving event for event; else the same outcome only
    runs: int  # plain runs spent finding it


def reproduce_with_delays(
    choices: Sequence[Choice],
    target: Run,
    run_plain: Callable[[Delays], Run],
    *,
    step: float = STEP,
    limit: int = 40,
) -> Reproduction | None:
    """Finds ``Class.method=<delay>`` delays that make a plain run (no policy)
    interleave as ``target``, the run of the schedule ``choices``.

    Starts from ``switch_delays`` (one delay per preemption) and runs it with
    ``run_plain(delays)``. While the interleaving differs, it repairs the
    first difference: the task that went on too early is stopped at the point
    it had just passed, long enough (measured on a run) for what the target
    runs before it to happen. A task that was never preempted may need one
    too: a third task must not start before its turn. Outcomes and failures
    are compared with their virtual times (``t=2.050s``) masked. Falls back to
    the same outcome and failure when no exact match is found in ``limit``
    runs; returns None when not even that is reached.
    """
    search = _Search(target, run_plain, step, limit)
    for stops in (_stops_of(choices, step), {}):
        found = search.converge(stops)
        if found is not None or search.runs >= limit:
            return found or search.fallback
    return search.fallback


def _untimed(run: Run) -> tuple[str | None, str | None]:
    return run.kind


def _stops_of(choices: Sequence[Choice], step: float) -> _Stops:
    """One stop per preemption, later preemptions longer (``switch_delays``)."""
    stops: _Stops = {}
    for number, choice in enumerate((c for c in choices if c.preempts), start=1):
        points = stops.setdefault(choice.candidates[0], {})
        points.setdefault((choice.point, choice.nth), round(step * number, 3))
    return stops


class _Search:
    """Plain runs towards the target's interleaving, counted against a limit."""

    def __init__(
        self, target: Run, run_plain: Callable[[Delays], Run], step: float, limit: int
    ) -> None:
        self.target = target
        self.wanted = interleaving(target.journal)
        self.run_plain = run_plain
        self.step = step
        self.limit = limit
        self.runs = 0
        self.fallback: Reproduction | None = None
        self.counts: dict[tuple[str, str], int] = {}  # (task, point) -> passes in the target
        for item in self.wanted:
            if item.kind == "point":
                self.counts[(item.task, item.detail)] = item.nth

    def render(self, stops: _Stops) -> Delays:
        """Stops as delay arguments: ``#n`` only where the task passes the point again."""
        return {
            task: {
                str(
                    PointPass(point, None if self.counts.get((task, point), nth) <= 1 else nth)
                ): seconds
                for (point, nth), seconds in sorted(points.items())
            }
            for task, points in sorted(stops.items())
            if points
        }

    def same_outcome(self, run: Run) -> bool:
        """Equal outcome and failure, virtual times aside: a check that says
        when it failed ran later in the plain run, which spends delays."""
        return _untimed(run) == _untimed(self.target)

    def attempt(self, stops: _Stops) -> tuple[Run, list[Step]]:
        self.runs += 1
        run = self.run_plain(self.render(stops))
        if self.fallback is None and self.same_outcome(run):
            self.fallback = Reproduction(self.render(stops), run, exact=False, runs=self.runs)
        return run, interleaving(run.journal)

    def converge(self, stops: _Stops) -> Reproduction | None:
        """Repairs ``stops`` until the interleaving is the target's; None when
        a repair is impossible, makes no progress or the limit is reached."""
        run, found = self.attempt(stops)
        position = _divergence(found, self.wanted)
        tried: set[tuple[int, tuple[str, str, str, int]]] = set()
        while position is not None and self.runs < self.limit:
            if position < len(found):
                # The same place may need several tasks held back (a free switch
                # to a third task), but the same task there twice is no progress.
                tried.add((position, found[position].key))
            repaired = self.repair(stops, found, position)
            if repaired is None:
                return None
            stops, run, found = repaired
            progress = _divergence(found, self.wanted)
            if progress is not None and (
                progress < position
                or (progress < len(found) and (progress, found[progress].key) in tried)
            ):
                return None
            position = progress
        if position is None and self.same_outcome(run):
            return Reproduction(self.render(stops), run, exact=True, runs=self.runs)
        return None

    def repair(
        self, stops: _Stops, found: list[Step], position: int
    ) -> tuple[_Stops, Run, list[Step]] | None:
        """Stops the task that went on too early at ``position`` at the point
        it had just passed, until what the target runs before it has run."""
        if position >= len(found):
            return None
        point = found[position]
        if point.kind != "point":  # it went on from its last point too soon
            mine = [item for item in found[:position] if item.task == point.task]
            if not mine or mine[-1].kind != "point":
                return None  # it went on after a lock or a wake-up: no point to delay
            point = mine[-1]
        where = next((i for i, item in enumerate(self.wanted) if item.key == point.key), 0)
        if where == 0:
            return None
        before = self.wanted[where - 1].key  # what runs just before the task goes on
        key = (point.detail, point.nth)
        trial = {task: dict(points) for task, points in stops.items()}
        own = trial.setdefault(point.task, {})
        own[key] = own.get(key, 0.0) + 100 * self.step  # long enough to measure
        _, probe = self.attempt(trial)
        index = next((i for i, item in enumerate(probe) if item.key == before), None)
        if index is None:
            return None
        due = probe[index].time
        later = [item.time for item in probe[index + 1 :] if item.time > due]
        gap = (later[0] - due) / 2 if later else self.step
        margin = max(0.001, round(min(self.step / 10, gap), 3))
        own[key] = round(max(due - point.arrived, 0.0) + margin, 3)
        run, steps = self.attempt(trial)
        return trial, run, steps
