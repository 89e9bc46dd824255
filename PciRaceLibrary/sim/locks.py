"""Fair FIFO lock (Nova's ``COMPUTE_RESOURCE_SEMAPHORE``) and a one-shot event.

Both learn their kernel when first awaited, so model code can create them
before any kernel runs. Releasing never yields, as an eventlet semaphore's
release does not: the next waiter becomes the owner at once and runnable at
the current virtual time, so nobody can barge in ahead of it (fairness, Nova
bug 1864122).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from .traps import AcquireTrap, WaitTrap, trap

if TYPE_CHECKING:
    from .kernel import Kernel, Task


class Lock:
    """A fair lock named after what it guards, e.g. ``lock[host2]``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.owner: Task | None = None
        self.waiters: deque[Task] = deque()
        self._kernel: Kernel | None = None

    def __repr__(self) -> str:
        owner = f" held by {self.owner.name}" if self.owner else " free"
        return f"<Lock {self.name}{owner}, {len(self.waiters)} waiting>"

    @property
    def locked(self) -> bool:
        return self.owner is not None

    async def acquire(self) -> None:
        await trap(AcquireTrap(self))

    def release(self) -> None:
        """Hands the lock to the longest waiter, or frees it.

        Raises RuntimeError if the current task does not hold it.
        """
        if self._kernel is None or self.owner is None:
            raise RuntimeError(f"Cannot release {self.name}: it is not held.")
        self._kernel.release(self)

    async def __aenter__(self) -> Lock:
        await self.acquire()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.release()


class Event:
    """A flag that tasks can wait for; once set it stays set."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.is_set = False
        self.waiters: deque[Task] = deque()
        self._kernel: Kernel | None = None

    def __repr__(self) -> str:
        return f"<Event {self.name} {'set' if self.is_set else 'clear'}>"

    async def wait(self) -> None:
        if not self.is_set:
            await trap(WaitTrap(self))

    def set(self) -> None:
        if self.is_set:
            return
        self.is_set = True
        if self._kernel is not None:
            self._kernel.wake_all(self)
