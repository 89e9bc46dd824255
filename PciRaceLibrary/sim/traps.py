"""The only awaitables that hand control back to the kernel.

Model code awaits :func:`point`, :func:`sleep`, ``Lock.acquire`` or
``Event.wait``; each yields one small request object to the kernel's runner,
which decides whether the task continues at once or waits. Anything else a
coroutine yields (an ``asyncio`` future, say) is rejected by the kernel.
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from .locks import Event, Lock

# Requests are named tuples: immutable, and made several times faster than
# frozen dataclasses, which counts for the lock and sleep traps every claim
# and audit makes.


class PointTrap(NamedTuple):
    name: str


class SleepTrap(NamedTuple):
    seconds: float
    reason: str


class AcquireTrap(NamedTuple):
    lock: Lock


class WaitTrap(NamedTuple):
    event: Event


@types.coroutine
def trap(request: object) -> Any:
    """Yields ``request`` to the kernel and returns what the kernel sends back."""
    return (yield request)


async def point(name: str) -> None:
    """Passes the named interleaving point ``name`` (``Class.method``).

    Applies any delay or fault injected for it, and is where an exploration
    policy may switch to another runnable task. Without either it costs
    nothing and does not yield the processor.
    """
    trap_ = _POINT_TRAPS.get(name)
    if trap_ is None:
        trap_ = _POINT_TRAPS[name] = PointTrap(name)
    await trap(trap_)


# One PointTrap per point name, made once: traps are immutable, and a model
# run passes the same few dozen points thousands of times.
_POINT_TRAPS: dict[str, PointTrap] = {}


async def sleep(seconds: float, reason: str = "sleep") -> None:
    """Waits ``seconds`` of virtual time.

    Raises ValueError if ``seconds`` is negative.
    """
    if seconds < 0:
        raise ValueError(f"Cannot sleep a negative time: {seconds} seconds.")
    await trap(SleepTrap(float(seconds), reason))
