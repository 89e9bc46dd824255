"""DelayKeywords: delays and failures injected at points, for every task."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from ..errors import InvalidArgument
from ._base import LibraryComponent


class DelayKeywords(LibraryComponent):
    @keyword(tags=["Timing"])
    def inject_delay(self, point: str, delay: timedelta, times: int | None = None) -> None:
        """Delays every task that passes ``point`` by ``delay`` of virtual time.

        Unlike a delay given to one operation keyword, this applies to every
        task, started before or after, ``times`` times in all or, without
        ``times``, until `Clear Injected Delays` or the next `Start Cluster`.
        ``point`` is a full ``Class.method`` name or its unique short name
        among all points of the model (see `Delays and interleaving points`).

        | `Inject Delay` | ComputeDriver.rebuild | 500 ms |
        | `Inject Delay` | Instance.save | 1 s | times=2 |
        """
        seconds = delay.total_seconds()
        full = self.cluster.inject_delay(point, seconds, times)
        count = "always" if times is None else f"{times} time(s)"
        logger.info(f"Every task waits {self.timestr(seconds)} at {full}, {count}.")

    @keyword(tags=["Timing"])
    def inject_failure(self, point: str, times: int = 1) -> None:
        """Makes the next ``times`` passes of ``point`` fail, in any task.

        The failure is an unexpected error at that call, as if the hypervisor
        raised; the operation handles it as Nova does (an evacuation whose
        rebuild fails ends with its migration ``failed`` and the server in
        ``ERROR``). Points that can fail: ``ResourceTracker.rebuild_claim``
        and ``ComputeDriver.rebuild`` (see `Delays and interleaving
        points`); another name fails and lists them.

        | `Inject Failure` | ComputeDriver.rebuild |
        """
        if times < 1:
            raise InvalidArgument(f"Failure count at '{point}' must be at least 1, got {times}.")
        self.cluster.inject_fault(point, times)
        logger.info(f"The next {times} pass(es) of '{point}' fail.")

    @keyword(tags=["Timing"])
    def clear_injected_delays(self) -> None:
        """Removes every delay and failure injected with `Inject Delay` or `Inject Failure`.

        Delays given to operation keywords stay with their operations.
        """
        self.cluster.clear_injections()
        logger.info(f"Injected delays cleared at {self.clock}.")
