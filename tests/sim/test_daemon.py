"""Daemon tasks: timers that loop forever run, but are not work to wait for."""

from __future__ import annotations

import pytest

from PciRaceLibrary.errors import Deadlock
from PciRaceLibrary.sim import Event, Kernel, point, sleep


async def ticker(kernel: Kernel, every: float, seen: list[float]) -> None:
    while True:
        seen.append(kernel.now)
        await sleep(every, "tick")


async def work(seconds: float) -> None:
    await point("Work.start")
    await sleep(seconds)
    await point("Work.end")


def test_run_all_ends_when_only_daemons_are_left() -> None:
    kernel = Kernel()
    seen: list[float] = []
    timer = kernel.spawn(ticker(kernel, 10, seen), "ticker", daemon=True)
    kernel.spawn(work(25), "work")
    assert kernel.unfinished == 1
    assert kernel.run_all()
    assert kernel.now == 25
    assert seen == [0, 10, 20]  # it ran while the work did, and is still there
    assert not timer.done
    assert kernel.run_all()  # nothing but the daemon: done at once
    assert kernel.now == 25


def test_a_run_without_timeout_stops_when_only_daemons_are_left() -> None:
    kernel = Kernel()
    seen: list[float] = []
    kernel.spawn(ticker(kernel, 10, seen), "ticker", daemon=True)
    assert kernel.run_until(lambda: False) is False
    assert (kernel.now, seen) == (0, [0])  # due now, so it ran; alone it moves no time
    kernel.spawn(work(15), "work")
    assert kernel.run_until(lambda: False) is False
    assert (kernel.now, seen) == (15, [0, 10])


def test_a_daemon_due_when_the_work_ends_runs_before_run_all_returns() -> None:
    kernel = Kernel()
    seen: list[float] = []
    kernel.spawn(work(20), "work")
    kernel.spawn(ticker(kernel, 10, seen), "ticker", daemon=True)
    assert kernel.run_all()
    assert (kernel.now, seen) == (20, [0, 10, 20])
    assert not kernel.idle or kernel.run_all()


def test_a_run_with_timeout_lets_daemons_run_to_the_deadline() -> None:
    kernel = Kernel()
    seen: list[float] = []
    kernel.spawn(ticker(kernel, 10, seen), "ticker", daemon=True)
    assert kernel.run_until(lambda: False, 35) is False
    assert (kernel.now, seen) == (35, [0, 10, 20, 30])
    assert kernel.run_until(lambda: len(seen) == 6, 100)
    assert kernel.now == 50


def test_cancelling_or_closing_a_daemon_leaves_the_count_of_unfinished_work() -> None:
    kernel = Kernel()
    timer = kernel.spawn(ticker(kernel, 10, []), "ticker", daemon=True)
    other = kernel.spawn(ticker(kernel, 10, []), "other", daemon=True)
    kernel.spawn(work(5), "work")
    kernel.cancel(timer)
    assert (timer.state, kernel.unfinished) == ("cancelled", 1)
    kernel.close()
    assert other.state == "cancelled"
    assert kernel.unfinished == 0


def test_a_daemon_that_returns_is_done_without_counting() -> None:
    kernel = Kernel()

    async def once() -> None:
        await sleep(1)

    task = kernel.spawn(once(), "once", daemon=True)
    kernel.spawn(work(3), "work")
    assert kernel.run_all()
    assert task.done
    assert kernel.unfinished == 0


def test_blocked_work_is_a_deadlock_without_daemons_and_waits_its_timeout_with_one() -> None:
    kernel = Kernel()
    never = Event("never")
    kernel.spawn(never.wait(), "waiter")
    with pytest.raises(Deadlock, match="'waiter' waits for event never"):
        kernel.run_all()
    # A daemon may still set the event, so the kernel cannot call it a deadlock:
    # the run waits its timeout instead.
    kernel.spawn(ticker(kernel, 10, []), "ticker", daemon=True)
    assert kernel.run_all(30) is False
    assert kernel.now == 30
