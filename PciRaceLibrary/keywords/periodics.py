"""PeriodicKeywords: run the resource audit of one compute or of all of them."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from ._base import LibraryComponent


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
            unfinished = ", ".join(task.name for task in tasks if not task.done)
            raise AssertionError(
                f"Periodic audits started at {started} should finish within "
                f"{self.timestr(seconds)}, but at {cluster.clock} these still run: {unfinished}."
            )
        logger.info(
            f"Audits of {', '.join(hosts) or 'no running compute'} ran from {started} "
            f"to {cluster.clock}."
        )


def _for(waiting_for: str) -> str:
    return f" for {waiting_for}" if waiting_for else ""
