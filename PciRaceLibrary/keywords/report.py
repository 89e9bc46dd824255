"""ReportKeywords: the journal as a timeline and the state as tables, in log.html."""

from __future__ import annotations

from robot.api import logger
from robot.api.deco import keyword

from ..report import render_state, render_timeline
from ._base import LibraryComponent


class ReportKeywords(LibraryComponent):
    @keyword(tags=["Report"])
    def log_timeline(self, title: str = "Timeline") -> None:
        """Draws everything the cluster did so far as a lane chart in the log.

        One lane per task (an evacuation, the audit on a host, ...), time
        running left to right: every point passed is a labelled mark,
        injected delays are bars, lock holds and waits are shaded, and state
        changes of PCI devices, servers and migrations are annotated. The
        full journal follows as a table. See `Reading failures`.
        """
        cluster = self.cluster
        logger.info(
            render_timeline(cluster.kernel.journal, title=f"{title} at {cluster.clock}"), html=True
        )

    @keyword(tags=["Report"])
    def log_cluster_state(self, title: str = "Cluster state") -> None:
        """Logs tables of hosts and services, servers, migrations, PCI devices
        (status and owner) and placement allocations as they are now."""
        cluster = self.cluster
        logger.info(
            render_state(cluster.snapshot(), title=f"{title} at {cluster.clock}"), html=True
        )
