"""PeriodicKeywords: run the resource audit of one compute or of all of them,
or let a timer start it on every compute every interval."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from ..errors import InvalidArgument
from ._base import LibraryComponent
from .arguments import Invalid, describe, to_timedelta

_INTERVAL = timedelta(seconds=60)  # Nova's update_resources_interval unset


class PeriodicKeywords(LibraryComponent):
    @keyword(tags=["Run"])
    def run_periodic_update_available_resource(
        self, host: str, timeout: timedelta | None = None, **delays: timedelta
    ) -> None:
        """Runs the periodic resource audit of ``host`` to completion.

        This is Nova's ``update_available_resource``: under the host lock it
        reads the hypervisor's devices, the instances on the host, then the
        in-progress migrations, and frees every PCI device that no instance
        or migration it saw accounts for. Other tasks (an evacuation started
        before) progress meanwhile, so ``delays`` on its points widen the
        window between the two reads, for example
        ``get_in_progress_and_error=2 s`` (see `Delays and interleaving points`).

        Fails if the compute service on ``host`` is stopped, or if the audit
        does not finish within ``timeout`` of virtual time (see `Timeouts`).

        | `Run Periodic Update Available Resource` | host2 | get_in_progress_and_error=2 s |
        """
        cluster = self.cluster
        converted = self.delay_seconds(delays)
        seconds = self.seconds(timeout, converted)  # refused before anything starts
        task = cluster.update_available_resource(host, delays=converted)
        started = cluster.clock
        if not cluster.run_task(task, seconds):
            raise AssertionError(
                f"The audit of '{host}' started at {started} should finish within "
                f"{self.timestr(seconds)}, but at {cluster.clock} it still waits"
                f"{_for(task.waiting_for)}."
            )
        logger.info(f"Audit of '{host}' ran from {started} to {cluster.clock}.")

    @keyword(tags=["Run"])
    def run_periodics(self, timeout: timedelta | None = None, **delays: timedelta) -> None:
        """Runs the resource audit of every running compute to completion.

        The audits start together, in host order, as the periodic tasks of
        separate compute processes would; ``delays`` apply to each of them.
        Stopped computes are skipped. Fails if they do not all finish within
        ``timeout`` of virtual time (see `Timeouts`).
        """
        cluster = self.cluster
        converted = self.delay_seconds(delays)
        seconds = self.seconds(timeout, converted)
        hosts = [host for host in cluster.hosts if cluster.service_running(host)]
        tasks = [cluster.update_available_resource(host, delays=converted) for host in hosts]
        started = cluster.clock
        if not cluster.run_until(lambda: all(task.done for task in tasks), seconds):
            unfinished = _some([task.name for task in tasks if not task.done])
            raise AssertionError(
                f"Periodic audits started at {started} should finish within "
                f"{self.timestr(seconds)}, but at {cluster.clock} these still run: {unfinished}."
            )
        logger.info(
            f"Audits of {_some(hosts) or 'no running compute'} ran from {started} "
            f"to {cluster.clock}."
        )

    @keyword(tags=["Timing"])
    def start_periodic_audits(
        self,
        interval: timedelta = _INTERVAL,
        offset: timedelta | None = None,
        offsets: str = "",
        **delays: timedelta,
    ) -> None:
        """Starts a timer that runs the resource audit of each running compute every ``interval``.

        In a real cloud each compute runs ``update_available_resource`` on
        its own every ``[DEFAULT] update_resources_interval`` (60 seconds
        when unset), so long operations overlap audits nobody asked for.
        While the timer runs, every run and wait keyword lets it fire as it
        moves the clock: at each tick of a host the timer starts that host's
        audit, as `Run Periodic Update Available Resource` would, as its own
        task and lane on the timeline (``audit(host2)``). The timer itself
        is the lane ``periodic(audit)``.

        | =Argument= | =Description= |
        | ``interval`` | Time between two ticks of a host: 60 seconds (Nova's default) or any time from 1 ms. |
        | ``offset`` | When each host's first tick comes after now, from 0 to ``interval``; one ``interval`` by default. |
        | ``offsets`` | The first tick of some hosts, as ``host:time`` pairs separated by commas (``host1:0 s, host2:30 s``); other hosts get ``offset``. |
        | ``delays`` | Delays at the audit's points for every audit the timer starts, as in `Run Periodic Update Available Resource`. |

        Without ``offset`` and ``offsets`` every host's first audit comes
        one ``interval`` after this keyword, then one every ``interval``.
        Hosts due at the same instant start their audits in the topology's
        host order, and an audit starts after the tasks already runnable
        at that instant. A tick is skipped, with a note on the timeline,
        when the host's compute service is stopped (the periodic task runs
        in the compute process) or when the audit the timer started at
        that host's previous tick still runs (Nova's periodic tasks never
        overlap themselves); the next tick comes on time.

        The timer never ends, so it is not work to wait for: `Run Until
        Idle` ends when every operation has finished, whatever the timer.
        It belongs to the cluster, so `Start Cluster` drops it; `Stop
        Periodic Audits` stops it.

        Fails, with nothing started, if the timer already runs, or for an
        interval, offset, host or point it cannot take.

        | `Start Periodic Audits` | | | # host1, host2 at t=60, 120, ... |
        | `Start Periodic Audits` | interval=60 s | offsets=host1:0 s, host2:30 s | # host1 at t=0, 60, ... host2 at t=30, 90, ... |
        | `Start Periodic Audits` | offset=45 s | get_in_progress_and_error=15 s | # slow audits at t=45, 105, ... |
        """  # noqa: E501
        cluster = self.cluster
        converted = self.delay_seconds(delays)
        timer = cluster.start_periodic_audits(
            interval.total_seconds(),
            _parse_offsets(offsets),
            offset=None if offset is None else offset.total_seconds(),
            delays=converted,
        )
        logger.info(f"Periodic audits started at {cluster.clock}: {timer.describe()}.")

    @keyword(tags=["Timing"])
    def stop_periodic_audits(self) -> None:
        """Stops the timer of `Start Periodic Audits`; audits it started run on to their end.

        Fails if the timer does not run.

        | `Stop Periodic Audits` |
        """
        cluster = self.cluster
        timer = cluster.stop_periodic_audits()
        logger.info(
            f"Periodic audits stopped at {cluster.clock}: {timer.started} audit(s) started, "
            f"{timer.skipped} tick(s) skipped."
        )


def _parse_offsets(text: str) -> dict[str, float]:
    """``host1:0 s, host2:30 s`` as host -> seconds. Raises InvalidArgument
    for an entry that is not ``host:time``, a time that does not convert or
    a host given twice; hosts are checked by the cluster."""
    found: dict[str, float] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        host, colon, time = (part.strip() for part in entry.partition(":"))
        if not colon or not host:
            raise InvalidArgument(
                f"Argument 'offsets' must list host:time pairs such as "
                f"'host1:0 s, host2:30 s', got {describe(entry)}."
            )
        converted = to_timedelta(time)
        if isinstance(converted, Invalid):
            raise InvalidArgument(converted.sentence(f"The audit offset of {describe(host)}"))
        if host in found:
            raise InvalidArgument(
                f"The audit offset of {describe(host)} is given twice; give it once."
            )
        found[host] = converted.total_seconds()
    return found


def _for(waiting_for: str) -> str:
    return f" for {waiting_for}" if waiting_for else ""


def _some(names: list[str], shown: int = 10) -> str:
    """Names joined, the first ``shown`` of many and how many more: a message
    about a cluster of thousands of hosts stays one line."""
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown} more"
