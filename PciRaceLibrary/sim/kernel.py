"""The deterministic kernel: tasks, virtual clock, run queue, delays and faults.

One heap holds every task that will run: ``(wake_at, seq, task)``. A task that
becomes runnable now is pushed with ``wake_at = now``; a delayed one with its
wake-up time. ``seq`` comes from one counter, so tasks runnable at the same
virtual time run in the order they became runnable (spawn order for new
tasks), and timelines repeat byte for byte.

A task runs until it blocks: on a delay or sleep, on a lock another task holds,
or on an event. Passing a point without delay does not yield, unless a choice
policy (the explorer's) decides to switch to another task runnable now.

A *daemon* task (a timer that loops forever) runs like any other, but is not
unfinished work: ``run_all`` ends when every other task has finished and no
daemon is due at the current virtual time, and a run without a timeout stops
there too. Daemons alone never move the clock of such a run.
"""

from __future__ import annotations

import gc
import heapq
import inspect
import itertools
import time
import weakref
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from ..errors import Deadlock, RunawayError, TaskCrashed
from .journal import Change, Journal, Kind, format_time
from .locks import Event, Lock
from .traps import AcquireTrap, PointTrap, SleepTrap, WaitTrap

# The kinds every task journals, looked up once: an enum member's look-up on
# its class costs several times a plain attribute's, on every entry.
_SPAWN, _END, _SLEEP, _DELAY = Kind.SPAWN, Kind.END, Kind.SLEEP, Kind.DELAY
_ACQUIRE, _RELEASE, _WAIT = Kind.ACQUIRE, Kind.RELEASE, Kind.WAIT

RUNNABLE = "runnable"
SLEEPING = "sleeping"
BLOCKED = "blocked"
DONE = "done"
CRASHED = "crashed"
CANCELLED = "cancelled"


@dataclass
class Injection:
    """A delay (seconds) and/or fault at a point, for ``times`` passes or forever."""

    delay: float = 0.0
    fault: Callable[[], BaseException] | None = None
    times: int | None = None

    def take(self) -> bool:
        """Uses one pass; False once the count is spent."""
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


class PointPass(NamedTuple):
    """Where a task-own delay applies: every pass of ``point`` (``nth`` None)
    or only its ``nth`` pass by that task."""

    point: str
    nth: int | None = None

    def __str__(self) -> str:
        return self.point if self.nth is None else f"{self.point}#{self.nth}"


class ChoicePolicy(Protocol):
    """Chooses which task runs at a choice point.

    ``candidates[0]`` is the task passing ``point``; the rest are the tasks
    runnable at the same virtual time, in the order they would run. Returns
    the index of the task to run next.
    """

    def choose(self, point: str, candidates: Sequence[Task]) -> int: ...


# A policy may also define ``choose_next(candidates) -> int``: which of the
# tasks runnable now runs after the running one blocked, slept or ended
# (``candidates[0]`` is the one the default order runs). Switching there
# preempts nobody, so an explorer counts it free, as CHESS does.


class Task:
    """A coroutine the kernel runs, with its own delays and journal name.

    ``tag`` is whatever the spawner wants to know the task by (the cluster
    keeps its operation and subject there); the kernel never looks at it.
    A ``daemon`` is not counted as unfinished work (see the module doc).
    """

    def __init__(  # noqa: PLR0917 - the kernel's own constructor call
        self,
        kernel: Kernel,
        coro: Coroutine[Any, Any, Any],
        name: str,
        index: int,
        delays: dict[PointPass, Injection],
        tag: object = None,
        daemon: bool = False,
    ) -> None:
        # Weak: the kernel holds its tasks, and a dropped kernel with its
        # cluster should be freed by reference counting, not the cyclic GC.
        self._kernel = weakref.ref(kernel)
        self.coro: Coroutine[Any, Any, Any] | None = coro
        self.name = name
        self.tag = tag
        self.daemon = daemon
        self.index = index
        self.delays = delays
        # The points named by ``delays``: a pass elsewhere builds no key.
        self.delayed_points = frozenset(where.point for where in delays)
        self.state = RUNNABLE
        self.waiting_for = ""
        self.result: Any = None
        self.error: BaseException | None = None
        self.passes: dict[str, int] = {}  # point -> times this task passed it
        self.blocked_on: Lock | Event | None = None
        self._entry: list[Any] | None = None

    def __repr__(self) -> str:
        waiting = f" {self.waiting_for}" if self.waiting_for else ""
        return f"<Task {self.name} {self.state}{waiting} {format_time(self.kernel.now)}>"

    @property
    def kernel(self) -> Kernel:
        kernel = self._kernel()
        assert kernel is not None, "a task outlived its kernel"
        return kernel

    def __getstate__(self) -> dict[str, Any]:
        # A copy (pickle, deepcopy) holds the kernel, weakly again once rebuilt.
        return {**self.__dict__, "_kernel": self._kernel()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._kernel = weakref.ref(state["_kernel"])

    @property
    def done(self) -> bool:
        return self.state in (DONE, CRASHED, CANCELLED)


class Kernel:
    """Runs tasks cooperatively in virtual time. Knows nothing of Nova.

    ``guard_seconds`` is the wall-clock budget of one ``run_until`` call, a
    guard against runaway loops in model code; ``policy`` chooses at points
    (exploration), ``None`` keeps the default order.
    """

    def __init__(self, *, guard_seconds: float = 30.0, policy: ChoicePolicy | None = None) -> None:
        gc.unfreeze()  # a new cluster: what the last froze may be garbage now (freeze_long_lived)
        self.now = 0.0
        self.journal = Journal()
        self.tasks: list[Task] = []
        self.policy = policy
        self.guard_seconds = guard_seconds
        self.current: Task | None = None
        self._last_run: Task | None = None  # what the wall-clock guard names
        self.injections: dict[str, Injection] = {}
        self._heap: list[list[Any]] = []
        self._seq = itertools.count()
        self._steps = 0
        # Whether what each run leaves is frozen (freeze_long_lived): set for
        # big clusters, whose state outweighs the garbage a freeze delays.
        self.long_lived = False
        self.unfinished = 0  # tasks not yet done, daemons aside: run_all's test, no scan
        self._model: weakref.ref[Any] | None = None

    @property
    def model(self) -> Any:
        """What an explorer records footprints on (explore/footprints), or None."""
        return None if self._model is None else self._model()

    @model.setter
    def model(self, model: Any) -> None:
        # Weak: the model (a cluster) holds its kernel; a strong link back made
        # every dropped cluster a cycle for the cyclic GC to find and free.
        self._model = None if model is None else weakref.ref(model)

    def __getstate__(self) -> dict[str, Any]:
        """What a copy (pickle, deepcopy) keeps: the counter as the number it
        stands at, as a counter itself cannot be pickled (Python 3.14), and
        the model itself, as a weak reference cannot be either."""
        state = self.__dict__.copy()
        state["_seq"] = start = next(self._seq)
        self._seq = itertools.count(start)
        state["_model"] = self.model
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._seq = itertools.count(state["_seq"])
        self.model = state["_model"]

    # -- spawning and injecting ------------------------------------------------

    def spawn(
        self,
        coro: Coroutine[Any, Any, Any],
        name: str,
        *,
        delays: dict[PointPass, float] | None = None,
        tag: object = None,
        daemon: bool = False,
    ) -> Task:
        """Creates a task runnable now, after those already runnable now.

        ``delays`` maps points (every pass, or the n-th pass only) to seconds
        this task waits there; a ``daemon`` is not waited for by ``run_all``.
        Raises ValueError for a negative delay.
        """
        own = {}
        for where, seconds in (delays or {}).items():
            try:
                _check_delay(str(where), seconds)
            except ValueError:
                coro.close()  # never started: close it, so Python does not warn
                raise
            own[where] = Injection(delay=float(seconds))
        task = Task(self, coro, name, len(self.tasks), own, tag, daemon)
        self.tasks.append(task)
        self.unfinished += not daemon
        self.journal.record(self.now, name, _SPAWN, name)
        self._schedule(task, self.now, None)
        return task

    def inject_delay(self, point: str, seconds: float, times: int | None = None) -> None:
        """Delays every task at ``point`` by ``seconds``, ``times`` times or always.

        Raises ValueError for a negative delay or count.
        """
        _check_delay(point, seconds)
        if times is not None and times < 0:
            raise ValueError(f"Delay count at '{point}' cannot be negative: {times}.")
        current = self.injections.get(point)
        fault = current.fault if current else None
        self.injections[point] = Injection(float(seconds), fault, times)

    def inject_fault(
        self,
        point: str,
        fault: Callable[[], BaseException],
        times: int | None = 1,
    ) -> None:
        """Makes the next ``times`` passes of ``point`` raise ``fault()``."""
        self.injections[point] = Injection(0.0, fault, times)

    def clear_injections(self) -> None:
        """Removes every global delay and fault (task-own delays stay)."""
        self.injections.clear()

    def note(self, detail: str) -> None:
        """Journals why the model did something, for the current task."""
        self.journal.record(self.now, self._who(), Kind.NOTE, detail)

    def mark_step(self, detail: str) -> None:
        """Journals a step of whoever drives the kernel (a keyword call)."""
        self.journal.record(self.now, self._who(), Kind.STEP, detail)

    def record_change(self, change: Change) -> None:
        """Journals a state change of the model, for the current task."""
        self.journal.record_change(self.now, self._who(), change)

    def _who(self) -> str:
        current = self.current
        return "-" if current is None else current.name

    # -- running ---------------------------------------------------------------

    def run_until(self, done: Callable[[], bool], timeout: float | None = None) -> bool:
        """Runs tasks until ``done()`` holds (True), or all are idle or ``timeout``
        seconds of virtual time pass (False; the clock then stands at the
        deadline). Without a timeout the run stops once only daemons are
        left and none is due now (they never finish).

        Raises Deadlock naming each blocked task and what it waits for,
        TaskCrashed if a task raised an unhandled exception, and RunawayError
        if the wall-clock guard runs out.
        """
        if timeout is not None and timeout < 0:
            raise ValueError(f"Timeout cannot be negative: {timeout} seconds.")
        try:
            with cyclic_gc_paused():
                return self._run_until(done, None if timeout is None else self.now + timeout)
        finally:
            if self.long_lived:
                freeze_long_lived()

    def _run_until(self, done: Callable[[], bool], deadline: float | None) -> bool:
        started = time.monotonic()
        while not done():
            if deadline is None and self.idle:
                return False  # only daemons are left, and they loop forever
            entry = self._peek()
            if entry is None:
                self._raise_if_blocked()  # blocked tasks, nothing left to wake them
                if deadline is not None:
                    self.now = max(self.now, deadline)  # an idle wait costs its timeout
                return False
            if deadline is not None and entry[0] > deadline:
                self.now = deadline
                return False
            self._step()
            self._steps += 1
            if self._steps % 256 == 0 and time.monotonic() - started > self.guard_seconds:
                raise RunawayError(self._runaway())
        return True

    def run_task(self, task: Task, timeout: float | None = None) -> bool:
        """Runs until ``task`` finishes, others progressing meanwhile."""
        return self.run_until(lambda: task.done, timeout)

    def run_all(self, timeout: float | None = None) -> bool:
        """Runs until every task has finished, daemons aside (see ``idle``)."""
        return self.run_until(lambda: self.idle, timeout)

    @property
    def quiescent(self) -> bool:
        """Whether every task, daemons too, has finished and no timer is
        pending: all the state is then in the objects the tasks changed."""
        return all(task.done for task in self.tasks) and self._peek() is None

    @property
    def idle(self) -> bool:
        """Whether every task but the daemons has finished and no daemon is
        due now: a daemon due now runs first (a timer's tick that falls on
        this instant fires, and what it starts is work again)."""
        if self.unfinished:
            return False
        entry = self._peek()  # only daemons are left in the heap
        return entry is None or entry[0] > self.now

    def cancel(self, task: Task) -> None:
        """Stops ``task`` where it waits, running its clean-up (lock releases).

        Raises RuntimeError when a task tries to cancel itself.
        """
        if task.done:
            return
        if task is self.current:
            raise RuntimeError(f"Task '{task.name}' cannot cancel itself.")
        self._unschedule(task)
        if task.blocked_on is not None:
            task.blocked_on.waiters.remove(task)
            task.blocked_on = None
        previous, self.current = self.current, task
        try:
            task.coro.close()  # runs finally blocks: `async with lock` releases
        finally:
            self.current = previous
        task.state = CANCELLED
        self.unfinished -= not task.daemon
        task.waiting_for = ""
        self.journal.record(self.now, task.name, Kind.CANCEL, task.name)

    def close(self) -> None:
        """Cancels every unfinished task, as when a cluster is replaced."""
        for task in self.tasks:
            self.cancel(task)

    # -- used by Lock and Event ------------------------------------------------

    def release(self, lock: Lock) -> None:
        if self.current is None and lock.owner and _closing(lock.owner):
            return  # an abandoned task being garbage-collected: nothing to hand over
        if lock.owner is not self.current:
            holder = lock.owner.name if lock.owner else "nobody"
            who = self.current.name if self.current else "the kernel"
            raise RuntimeError(f"'{who}' cannot release {lock.name}: it is held by '{holder}'.")
        self.journal.record(self.now, lock.owner.name, _RELEASE, lock.name)
        if lock.waiters:
            # Hand over directly, so nobody can take the lock between release
            # and the waiter's wake-up: that is what makes the lock fair.
            waiter = lock.waiters.popleft()
            lock.owner = waiter
            self.journal.record(self.now, waiter.name, _ACQUIRE, lock.name)
            self._schedule(waiter, self.now, None)
        else:
            lock.owner = None

    def wake_all(self, event: Event) -> None:
        while event.waiters:
            self._schedule(event.waiters.popleft(), self.now, None)

    # -- internals -------------------------------------------------------------

    def _schedule(self, task: Task, wake_at: float, value: Any) -> None:
        entry = [wake_at, next(self._seq), task, value, True]
        task._entry = entry
        task.blocked_on = None
        task.state = RUNNABLE if wake_at <= self.now else SLEEPING
        if task.state == RUNNABLE:
            task.waiting_for = ""
        heapq.heappush(self._heap, entry)

    def _unschedule(self, task: Task) -> None:
        if task._entry is not None:
            task._entry[4] = False  # lazily dropped when it reaches the top
            task._entry = None

    def _peek(self) -> list[Any] | None:
        while self._heap and not self._heap[0][4]:
            heapq.heappop(self._heap)
        return self._heap[0] if self._heap else None

    def _step(self) -> None:
        entry = heapq.heappop(self._heap)
        if self.policy is not None and hasattr(self.policy, "choose_next"):
            entry = self._choose_next(entry)
        wake_at, _, task, value, _ = entry
        task._entry = None
        self.now = max(self.now, wake_at)
        next_task: Task | None = task
        while next_task is not None:
            next_task, value = self._run(next_task, value)

    def _run(self, task: Task, value: Any) -> tuple[Task | None, Any]:
        """Runs ``task`` until it blocks. Returns a task to run next at once
        (chosen by the policy) with the value to send it, or ``(None, None)``."""
        task.state = RUNNABLE
        task.waiting_for = ""
        self.current = self._last_run = task
        throw: BaseException | None = None
        try:
            while True:
                try:
                    if throw is not None:
                        request, throw = task.coro.throw(throw), None
                    else:
                        request = task.coro.send(value)
                except StopIteration as stop:
                    task.state, task.result = DONE, stop.value
                    task.coro = None  # finished: nothing left in it for the GC to scan
                    self.unfinished -= not task.daemon
                    self.journal.record(self.now, task.name, _END, task.name)
                    return None, None
                except Exception as exc:
                    task.state, task.error = CRASHED, exc
                    self.unfinished -= not task.daemon
                    self.journal.record(
                        self.now, task.name, Kind.CRASH, f"{type(exc).__name__}: {exc}"
                    )
                    raise TaskCrashed(
                        f"Task '{task.name}' crashed at {format_time(self.now)}: "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
                value = None
                if isinstance(request, PointTrap):
                    outcome = self._pass_point(task, request.name)
                    if isinstance(outcome, BaseException):
                        throw = outcome
                        continue
                    if outcome is not None:
                        return outcome
                    if task._entry is not None:  # it waits in the heap, however briefly
                        return None, None
                elif isinstance(request, SleepTrap):
                    self._sleep(task, request.seconds, request.reason)
                    return None, None
                elif isinstance(request, AcquireTrap):
                    if not self._acquire(task, request.lock):
                        return None, None
                elif isinstance(request, WaitTrap):
                    if not self._wait(task, request.event):
                        return None, None
                else:
                    task.coro.close()
                    task.state = CRASHED
                    self.unfinished -= not task.daemon
                    raise TaskCrashed(
                        f"Task '{task.name}' yielded {request!r}, which the kernel "
                        "does not understand; await only point(), sleep(), "
                        "Lock.acquire() or Event.wait() (asyncio calls do not "
                        "work here)."
                    )
        finally:
            self.current = None

    def _pass_point(self, task: Task, name: str) -> BaseException | tuple[Task, Any] | None:
        count = task.passes[name] = task.passes.get(name, 0) + 1
        self.journal.record_point(self.now, task.name, name)
        # A task's delay at "Class.method#3" holds only its third pass. Most
        # passes are of points the task has no delay at: no keys built then.
        injection = None
        if name in task.delayed_points:
            injection = task.delays.get(PointPass(name, count)) or task.delays.get(PointPass(name))
        if injection is None or not injection.take():
            # Global delays and faults are rare: no look-up while there are none.
            injection = self.injections.get(name) if self.injections else None
            if injection is not None and not injection.take():
                injection = None
        if injection is not None and injection.fault is not None:
            fault = injection.fault()
            self.journal.record(self.now, task.name, Kind.FAULT, f"{name}: {fault}")
            return fault
        if injection is not None and injection.delay > 0:
            self._sleep(task, injection.delay, name, kind=_DELAY)
            return None
        if self.policy is not None:
            return self._choose(task, name)
        return None

    def _choose(self, task: Task, name: str) -> tuple[Task, Any] | None:
        ready = sorted(
            (entry for entry in self._heap if entry[4] and entry[0] <= self.now),
            key=lambda entry: entry[1],
        )
        if not ready or self.policy is None:
            return None
        candidates = [task] + [entry[2] for entry in ready]
        pick = self.policy.choose(name, candidates)
        if pick == 0:
            return None
        chosen_entry = ready[pick - 1]
        chosen, value = chosen_entry[2], chosen_entry[3]
        self._unschedule(chosen)
        self.journal.record(self.now, task.name, Kind.SWITCH, name, target=chosen.name)
        self._schedule(task, self.now, None)
        return chosen, value

    def _choose_next(self, entry: list[Any]) -> list[Any]:
        """Lets the policy pick which task runnable at ``entry``'s time runs
        next, when the running task has blocked or ended (a free switch)."""
        due = max(self.now, entry[0])
        ready = sorted(
            (other for other in self._heap if other[4] and other[0] <= due),
            key=lambda other: (other[0], other[1]),
        )
        if not ready:
            return entry
        pick = self.policy.choose_next([entry[2]] + [other[2] for other in ready])  # type: ignore[union-attr]
        if pick == 0:
            return entry
        chosen = ready[pick - 1]
        chosen[4] = False  # lazily dropped from the heap; run from a copy
        heapq.heappush(self._heap, entry)  # the default task waits its turn again
        return [*chosen[:4], True]

    def _sleep(self, task: Task, seconds: float, reason: str, kind: Kind = _SLEEP) -> None:
        self.journal.record(self.now, task.name, kind, reason, seconds)
        task.waiting_for = f"{kind} until {format_time(self.now + seconds)}"
        self._schedule(task, self.now + seconds, None)

    def _acquire(self, task: Task, lock: Lock) -> bool:
        lock._kernel = self
        if lock.owner is None:
            lock.owner = task
            self.journal.record(self.now, task.name, _ACQUIRE, lock.name)
            return True
        if lock.owner is task:
            raise RuntimeError(f"Task '{task.name}' already holds {lock.name}.")
        lock.waiters.append(task)
        task.blocked_on = lock
        task.state = BLOCKED
        task.waiting_for = f"{lock.name} held by '{lock.owner.name}'"
        self.journal.record(self.now, task.name, _WAIT, lock.name)
        return False

    def _wait(self, task: Task, event: Event) -> bool:
        event._kernel = self
        if event.is_set:
            return True
        event.waiters.append(task)
        task.blocked_on = event
        task.state = BLOCKED
        task.waiting_for = f"event {event.name}"
        self.journal.record(self.now, task.name, _WAIT, event.name)
        return False

    def _runaway(self) -> str:
        """The guard's sentence: the task that ran last (the loop runs one
        step at a time, so the runaway is the one it keeps stepping) and how
        many others wait; naming them all would bury it."""
        task = self._last_run
        others = self.unfinished - (task is not None and not task.done and not task.daemon)
        running = f"task '{task.name}' was running" if task else "no task ran"
        return (
            f"The kernel ran longer than its wall-clock guard of {self.guard_seconds:g} "
            f"seconds at {format_time(self.now)}: {running}, and {others} other "
            f"unfinished task(s) waited."
        )

    def _raise_if_blocked(self) -> None:
        blocked = [task for task in self.tasks if task.state == BLOCKED]
        if not blocked:
            return
        waits = "; ".join(f"'{task.name}' waits for {task.waiting_for}" for task in blocked)
        raise Deadlock(f"Deadlock at {format_time(self.now)}: {waits}.")


def cyclic_gc_paused() -> _CyclicGcPaused:
    """Pauses Python's cyclic garbage collector inside the ``with`` block (if
    it ran).

    A model run makes long-lived objects (rows, journal entries) and garbage
    that reference counting frees: boots and audits leave no cycles behind.
    Collecting meanwhile walked the young objects again and again and, on a
    cluster of 10,000 hosts, the whole heap now and then: a third of a boot.
    What cycles a run does leave are collected after it, as usual.
    """
    return _CyclicGcPaused()


class _CyclicGcPaused:
    # A class, not a generator-based context manager: every run takes one.
    def __enter__(self) -> None:
        self.collecting = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc_info: object) -> None:
        if self.collecting:
            gc.enable()


def freeze_long_lived() -> None:
    """Moves every object alive now out of the cyclic collector's sight
    (``gc.freeze``) until the next kernel is made (``gc.unfreeze``).

    What a big cluster's build and each run leave behind is the model's
    long-lived state (hosts, devices, pools, rows, journal entries). Left in
    sight, every full collection scanned all of it again: at 10,000 hosts
    and 100,000 boots, a third of the boot. Not for small clusters: there
    freezing made a two-host scenario a third slower (measured when each
    dropped cluster was a cycle; reference counting now frees a cluster
    whose tasks ended, see ``Kernel.model``). Safe because freezing frees
    nothing early and only delays: a cycle that became garbage while frozen
    (an abandoned task, an earlier cluster dropped since) waits until the
    next kernel unfreezes it and a full collection runs before the next
    freeze. A run that starts one big cluster after another (each freezing
    right after its build) may keep such cycles until it ends; reference
    counting frees everything else, dropped clusters included. Both calls
    move whole generation lists: constant time.
    """
    gc.freeze()


def _check_delay(point: str, seconds: float) -> None:
    if seconds < 0:
        raise ValueError(f"Delay at '{point}' cannot be negative: {seconds} seconds.")


def _closing(task: Task) -> bool:
    """Whether ``task``'s coroutine runs although the kernel is not running it:
    Python is closing it (garbage collection of an abandoned kernel)."""
    return task.coro is not None and inspect.getcoroutinestate(task.coro) == inspect.CORO_RUNNING
