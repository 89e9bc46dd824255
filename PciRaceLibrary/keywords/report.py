"""ReportKeywords: the journal as a timeline and the state as tables, in log.html."""

from __future__ import annotations

from fnmatch import fnmatchcase

from robot.api import logger
from robot.api.deco import keyword

from ..errors import InvalidArgument
from ..report import bounded_state, render_state, render_timeline
from ._base import LibraryComponent

STATE_ROWS = 500  # per table: a big cluster's state stays a page, not megabytes


class ReportKeywords(LibraryComponent):
    @keyword(tags=["Report"])
    def log_timeline(self, title: str = "Timeline", tasks: str = "") -> None:
        """Draws everything the cluster did so far: the race as a short table, then a lane chart.

        The table comes first: the steps that matter (lock waits and holds,
        the audit's database reads, changes of PCI devices, migrations and
        servers, injected delays), one column per task, in the order they
        happened, with the frees of PCI devices in red. The chart below has
        one lane per task (an evacuation, the audit on a host, ...); events
        run left to right in journal order, grouped in bands of virtual time,
        so even a schedule where everything happens at t=0 reads in order.
        Delays are bars, lock holds and waits are shaded, preemptions of an
        exploration are arrows between lanes, and each keyword step is
        flagged on the ``cluster`` lane. The full journal follows, folded.
        See `Reading failures`.

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
        (status and owner) and placement allocations as they are now.

        A table of more than 500 rows (a cluster of hundreds of hosts) keeps
        the rows about the hosts and servers the scenario touched, 500 at
        most, and its heading says how many of how many are shown."""
        cluster = self.cluster
        state: dict = cluster.snapshot()
        big = {section: rows for section, rows in state.items() if len(rows) > STATE_ROWS}
        if big:
            hosts, servers = cluster.touched()
            cut = iter(bounded_state(big, hosts=hosts, servers=servers, limit=STATE_ROWS).items())
            state = dict(next(cut) if section in big else (section, rows)
                         for section, rows in state.items())  # fmt: skip
        logger.info(render_state(state, title=f"{title} at {cluster.clock}"), html=True)
