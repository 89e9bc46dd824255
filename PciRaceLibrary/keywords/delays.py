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

        The failure is the error Nova meets at that call, and the operation
        handles it as Nova does:

        | =Point= | =Failure= | =Outcome= |
        | ``SchedulerReportClient.claim_resources`` | placement answers 409 with a consumer generation conflict | nobody retries: a build ends ``ERROR`` holding nothing; an evacuation's migration is ``error`` and the server ``ERROR`` on its source |
        | ``ResourceTracker.instance_claim`` | the claim is refused (``ComputeResourcesUnavailable``) | the build ends ``ERROR``, its allocation given back |
        | ``ResourceTracker.rebuild_claim`` | the claim is refused | migration ``failed``, the server stays as it was on its source |
        | ``ComputeDriver.spawn`` | the hypervisor fails the build | claim aborted, ports unbound, ``ERROR`` |
        | ``ComputeDriver.rebuild`` | the hypervisor fails the rebuild | migration ``failed``, the server ``ERROR`` on its source, the destination device left to its next audit |

        Another name fails and lists the points that can fail.

        | `Inject Failure` | ComputeDriver.rebuild |
        | `Inject Failure` | SchedulerReportClient.claim_resources | times=2 |
        """  # noqa: E501
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
