"""ReportKeywords: the journal as a timeline and the state as tables, in log.html."""

from __future__ import annotations

from fnmatch import fnmatchcase

from robot.api import logger
from robot.api.deco import keyword

from ..errors import InvalidArgument
from ..report import render_state, render_timeline
from ._base import LibraryComponent


class ReportKeywords(LibraryComponent):
    @keyword(tags=["Report"])
    def log_timeline(self, title: str = "Timeline", tasks: str = "") -> None:
        """Draws everything the cluster did so far as a lane chart in the log.

        One lane per task (an evacuation, the audit on a host, ...), time
        running left to right: every point passed is a labelled mark,
        injected delays are bars, lock holds and waits are shaded, state
        changes of PCI devices, servers and migrations are annotated, and
        each keyword step is flagged on the ``cluster`` lane. The full
        journal follows as a table. See `Reading failures`.

        ``tasks`` keeps only some lanes: comma-separated task names or
        patterns, as in ``evacuate(*), audit(host2)``; the ``cluster`` lane
        always stays.

        | `Log Timeline` |
        | `Log Timeline` | tasks=evacuate(*), audit(host2) |
        """
        cluster = self.cluster
        entries = list(cluster.kernel.journal)
        if tasks.strip():
            patterns = [p.strip() for p in tasks.split(",") if p.strip()]
            names = {entry.task for entry in entries}
            unmatched = [p for p in patterns if not any(fnmatchcase(n, p) for n in names)]
            if unmatched:
                known = ", ".join(sorted(names - {"-"})) or "none"
                raise InvalidArgument(
                    f"No task matches {', '.join(repr(p) for p in unmatched)}. Tasks: {known}."
                )
            entries = [
                e for e in entries if e.task == "-" or any(fnmatchcase(e.task, p) for p in patterns)
            ]
        title = f"{title} at {cluster.clock}"
        logger.info(render_timeline(entries, title=title), html=True)

    @keyword(tags=["Report"])
    def log_cluster_state(self, title: str = "Cluster state") -> None:
        """Logs tables of hosts and services, servers, migrations, PCI devices
        (status and owner) and placement allocations as they are now."""
        cluster = self.cluster
        logger.info(
            render_state(cluster.snapshot(), title=f"{title} at {cluster.clock}"), html=True
        )
