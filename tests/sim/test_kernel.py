"""The kernel: virtual time, ordering, delays, locks, events, deadlock, guard."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from PciRaceLibrary.errors import Deadlock, RunawayError, TaskCrashed
from PciRaceLibrary.sim import Event, Kernel, Lock, PointPass, Task, point, sleep


def trace(kernel: Kernel) -> list[tuple[float, str, str, str]]:
    return [(e.time, e.task, e.kind, e.detail) for e in kernel.journal]


def points(kernel: Kernel) -> list[tuple[float, str, str]]:
    return [(e.time, e.task, e.detail) for e in kernel.journal if e.kind == "point"]


async def walk(*names: str) -> None:
    for name in names:
        await point(name)


def test_points_cost_no_time_and_do_not_yield() -> None:
    kernel = Kernel()
    kernel.spawn(walk("A.one", "A.two"), "a")
    kernel.spawn(walk("B.one", "B.two"), "b")
    assert kernel.run_all()
    assert kernel.now == 0
    assert [(t, p) for _, t, p in points(kernel)] == [
        ("a", "A.one"), ("a", "A.two"), ("b", "B.one"), ("b", "B.two"),
    ]  # fmt: skip


def test_delays_move_virtual_time_and_order_wakeups() -> None:
    kernel = Kernel()
    kernel.spawn(walk("A.one", "A.two"), "a", delays={PointPass("A.one"): 2.0})
    kernel.spawn(walk("B.one", "B.two"), "b", delays={PointPass("B.two"): 0.5})
    assert kernel.run_all()
    assert kernel.now == 2.0
    assert [(t, task, p) for t, task, p in points(kernel)] == [
        (0.0, "a", "A.one"), (0.0, "b", "B.one"), (0.0, "b", "B.two"),
        (2.0, "a", "A.two"),
    ]  # fmt: skip


def test_ties_run_in_the_order_tasks_became_runnable() -> None:
    kernel = Kernel()
    order: list[str] = []

    async def wake(name: str, after: float) -> None:
        await sleep(after)
        order.append(name)

    # c and a wake at t=1; c went to sleep first, so it runs first.
    kernel.spawn(wake("c", 1.0), "c")
    kernel.spawn(wake("b", 0.5), "b")
    kernel.spawn(wake("a", 1.0), "a")
    kernel.run_all()
    assert order == ["b", "c", "a"]


def test_global_delay_with_count_and_clearing() -> None:
    kernel = Kernel()
    kernel.inject_delay("X.call", 1.0, times=2)
    for name in ("t1", "t2", "t3"):
        kernel.spawn(walk("X.call"), name)
    kernel.run_all()
    assert kernel.now == 1.0
    delayed = [e.task for e in kernel.journal if e.kind == "delay"]
    assert delayed == ["t1", "t2"]
    kernel.inject_delay("X.call", 5.0)
    kernel.clear_injections()
    kernel.spawn(walk("X.call"), "t4")
    kernel.run_all()
    assert kernel.now == 1.0


def test_negative_delays_are_refused() -> None:
    kernel = Kernel()
    with pytest.raises(ValueError, match="cannot be negative"):
        kernel.inject_delay("X.call", -1)
    with pytest.raises(ValueError, match="cannot be negative"):
        kernel.spawn(walk("X.call"), "t", delays={PointPass("X.call"): -0.1})


def test_injected_fault_raises_in_the_task() -> None:
    kernel = Kernel()
    seen: list[str] = []

    async def guarded() -> None:
        try:
            await point("X.call")
        except KeyError as error:
            seen.append(str(error))
        await point("X.call")  # the fault was for one pass only

    kernel.inject_fault("X.call", lambda: KeyError("boom"), times=1)
    kernel.spawn(guarded(), "t")
    kernel.run_all()
    assert seen == ["'boom'"]


def test_fair_lock_hands_over_in_fifo_order() -> None:
    kernel = Kernel()
    lock = Lock("lock[h]")
    order: list[str] = []

    async def hold(name: str, seconds: float) -> None:
        async with lock:
            order.append(name)
            await sleep(seconds)

    kernel.spawn(hold("first", 1.0), "first")
    kernel.spawn(hold("second", 1.0), "second")
    kernel.spawn(hold("third", 1.0), "third")
    kernel.run_all()
    assert order == ["first", "second", "third"]
    assert kernel.now == 3.0
    handovers = [(e.time, e.task) for e in kernel.journal if e.kind == "acquire"]
    assert handovers == [(0.0, "first"), (1.0, "second"), (2.0, "third")]


def test_lock_is_handed_over_directly_so_no_newcomer_barges_in() -> None:
    kernel = Kernel()
    lock = Lock("lock[h]")
    order: list[str] = []

    async def holder() -> None:
        async with lock:
            await sleep(1.0)
        order.append("holder released")

    async def waiter() -> None:
        async with lock:
            order.append("waiter")

    async def newcomer() -> None:
        await sleep(1.0)
        async with lock:
            order.append("newcomer")

    kernel.spawn(holder(), "holder")
    kernel.spawn(waiter(), "waiter")
    kernel.spawn(newcomer(), "newcomer")
    kernel.run_all()
    assert order.index("waiter") < order.index("newcomer")


def test_event_wakes_every_waiter() -> None:
    kernel = Kernel()
    event = Event("ready")
    woken: list[tuple[str, float]] = []

    async def waiter(name: str) -> None:
        await event.wait()
        woken.append((name, kernel.now))

    async def setter() -> None:
        await sleep(2.0)
        event.set()

    kernel.spawn(waiter("a"), "a")
    kernel.spawn(waiter("b"), "b")
    kernel.spawn(setter(), "setter")
    kernel.run_all()
    assert woken == [("a", 2.0), ("b", 2.0)]


def test_run_until_timeout_leaves_the_clock_at_the_deadline() -> None:
    kernel = Kernel()
    kernel.spawn(walk("X.call"), "slow", delays={PointPass("X.call"): 10.0})
    assert kernel.run_until(lambda: False, timeout=3.0) is False
    assert kernel.now == 3.0
    assert kernel.run_until(lambda: kernel.tasks[0].done, timeout=30.0)
    assert kernel.now == 10.0
    assert kernel.run_until(lambda: False, timeout=5.0) is False  # idle: costs the timeout
    assert kernel.now == 15.0


def test_deadlock_names_each_blocked_task_and_what_it_waits_for() -> None:
    kernel = Kernel()
    one, two = Lock("lock[a]"), Lock("lock[b]")

    async def take(first: Lock, second: Lock) -> None:
        async with first:
            await sleep(1.0)
            async with second:
                pass

    kernel.spawn(take(one, two), "left")
    kernel.spawn(take(two, one), "right")
    with pytest.raises(Deadlock) as error:
        kernel.run_all()
    assert str(error.value) == (
        "Deadlock at t=1.000s: 'left' waits for lock[b] held by 'right'; "
        "'right' waits for lock[a] held by 'left'."
    )


def test_wall_clock_guard_stops_a_runaway_task() -> None:
    kernel = Kernel(guard_seconds=0.05)

    async def forever() -> None:
        while True:
            await sleep(0)

    kernel.spawn(forever(), "spinner")
    with pytest.raises(RunawayError, match=r"wall-clock guard of 0\.05 seconds"):
        kernel.run_all()


def test_a_crashing_task_is_reported_with_its_name() -> None:
    kernel = Kernel()

    async def broken() -> None:
        await point("X.call")
        raise ZeroDivisionError("division by zero")

    kernel.spawn(broken(), "broken")
    with pytest.raises(TaskCrashed, match=r"Task .broken. crashed at t=0\.000s: ZeroDivisionError"):
        kernel.run_all()


def test_cancel_runs_clean_up_and_frees_the_lock() -> None:
    kernel = Kernel()
    lock = Lock("lock[h]")

    async def hold() -> None:
        async with lock:
            await sleep(100.0)

    holder = kernel.spawn(hold(), "holder")
    kernel.run_until(lambda: lock.locked)
    kernel.cancel(holder)
    assert not lock.locked
    assert holder.done
    kernel.close()


class FirstOther:
    """A policy that always switches to the first other runnable task."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def choose(self, point: str, candidates: Sequence[Task]) -> int:
        self.calls.append((point, [task.name for task in candidates]))
        return 1


def test_policy_is_asked_only_when_another_task_is_runnable_now() -> None:
    policy = FirstOther()
    kernel = Kernel(policy=policy)
    kernel.spawn(walk("A.one", "A.two"), "a")
    kernel.spawn(walk("B.one"), "b", delays={PointPass("B.one"): 1.0})
    kernel.run_all()
    # a passes A.one while b is runnable (not yet started): a switch; after b
    # sleeps, a runs alone and is never asked again.
    assert policy.calls == [("A.one", ["a", "b"])]
    switches = [(e.detail, e.target) for e in kernel.journal if e.kind == "switch"]
    assert switches == [("A.one", "b")]


def test_same_program_gives_the_same_journal() -> None:
    def program() -> str:
        kernel = Kernel()
        lock = Lock("lock[h]")

        async def worker(name: str, pause: float) -> None:
            await point("W.start")
            async with lock:
                await sleep(pause)
            await point("W.end")

        for n, pause in enumerate((0.3, 0.1, 0.2)):
            kernel.spawn(worker(f"w{n}", pause), f"w{n}")
        kernel.run_all()
        return kernel.journal.text()

    assert program() == program()
