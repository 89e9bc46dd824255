"""ClusterKeywords: start a cluster, stop, force down and start compute services."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from robot.api import logger
from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from ..cluster import Cluster
from ..cluster import topology as topologies
from ..cluster.variants import VARIANTS
from ..report.tables import render_state
from ._base import LibraryComponent


class ClusterKeywords(LibraryComponent):
    @keyword(tags=["Setup"])
    def start_cluster(
        self,
        topology: str | None = None,
        bugs: str = "",
        microversion: str = "latest",
        *,
        allow_resize_to_same_host: bool = False,
    ) -> None:
        """Starts a fresh fake cluster, replacing any running one.

        | =Argument= | =Description= |
        | ``topology`` | A YAML topology file, or the name of one shipped with the library: ``three_hosts``, ``small_host2``, ``dense``, ``two_physnets`` (see `Clusters and topology files`). Without it, the built-in default: ``host1`` and ``host2`` with the six devices of Nova's fake PCI driver each. |
        | ``bugs`` | Comma-separated Nova bug numbers whose pre-fix code paths to restore, one or several (see `Bug variants` and `Get Known Bugs`). Empty means current Nova; an unknown number fails, listing the known ones. |
        | ``microversion`` | The compute API microversion of the suite's requests, ``2.1`` to ``2.104`` or ``latest`` (the default). From ``2.95`` an evacuated server ends ``SHUTOFF``; ``2.94`` keeps it ``ACTIVE`` (see `Microversions`). |
        | ``allow_resize_to_same_host`` | Nova's option of that name: a `Resize Server` may then stay on the server's host. A cold migration always moves (the libvirt driver cannot migrate to its own host). |

        The virtual clock starts at 0. The topology and the variants are
        recorded in the suite's metadata, so report.html shows what was
        signed off.

        | `Start Cluster` |
        | `Start Cluster` | bugs=1896463 |
        | `Start Cluster` | bugs=1896463,1791075 |
        | `Start Cluster` | three_hosts |
        | `Start Cluster` | two_physnets |
        | `Start Cluster` | ${CURDIR}/my_cluster.yaml |
        """  # noqa: E501
        spec = topologies.load_topology(_topology_file(topology)) if topology else (
            topologies.default_topology()
        )  # fmt: skip
        cluster = Cluster(
            spec,
            bugs,
            kernel=self.library.new_kernel(),
            microversion=microversion,
            allow_resize_to_same_host=allow_resize_to_same_host,
        )
        self.library.replace_cluster(cluster)
        described = cluster.describe()
        self._record_metadata(described)
        logger.info(f"Started cluster {described} at {cluster.clock}.")

    @keyword(tags=["Query"])
    def get_known_bugs(self) -> dict[str, str]:
        """Returns the Nova bugs whose pre-fix code paths `Start Cluster` can
        restore, as a dictionary of bug number to a one-line description.

        Needs no running cluster. Logs the bugs as a table with each fix and
        the behaviour switches it turns back (see `Bug variants`). Any of the
        numbers, several at once, go to ``bugs=`` of `Start Cluster`.

        | ${bugs} = | `Get Known Bugs` |
        | Dictionary Should Contain Key | ${bugs} | 1896463 |
        | `Start Cluster` | bugs=1896463,1791075 |
        """
        rows = [
            {
                "bug": bug,
                "what goes wrong": variant.title,
                "fix": variant.fix,
                "restores": ", ".join(sorted(variant.restores)),
            }
            for bug, variant in sorted(VARIANTS.items())
        ]
        logger.info(render_state({"Known bugs": rows}, title="Bug variants"), html=True)
        return {bug: variant.title for bug, variant in sorted(VARIANTS.items())}

    def _record_metadata(self, described: str) -> None:
        """Adds the cluster ``described`` to the suite's metadata."""
        seen = self.library.suite_clusters
        if described in seen:
            return  # the metadata says so already: no call, no log line per test
        try:
            builtin = BuiltIn()
            seen.add(described)
            builtin.set_suite_metadata("Clusters", "\n\n".join(sorted(seen)))
        except RobotNotRunningError:
            pass  # used from plain Python: there is no suite to annotate

    @keyword(tags=["Setup"])
    def stop_compute_service(self, host: str) -> None:
        """Stops the compute service process on ``host``.

        Its in-memory resource tracker is lost; the service still *looks* up
        to Nova until 60 seconds of virtual time pass without a heartbeat,
        so evacuating at once needs `Force Down Compute Service` too, as in
        Nova's own tests. Fails if an operation is running on that compute.
        """
        self.cluster.stop_compute_service(host)
        logger.info(f"Stopped compute service on '{host}' at {self.clock}.")

    @keyword(tags=["Setup"])
    def disable_compute_service(self, host: str) -> None:
        """Disables the compute service on ``host``: the scheduler no longer
        picks it (Nova's ComputeFilter); what runs there goes on."""
        self.cluster.disable_compute_service(host)
        logger.info(f"Disabled compute service on '{host}' at {self.clock}.")

    @keyword(tags=["Setup"])
    def enable_compute_service(self, host: str) -> None:
        """Enables the compute service on ``host`` again for the scheduler."""
        self.cluster.enable_compute_service(host)
        logger.info(f"Enabled compute service on '{host}' at {self.clock}.")

    @keyword(tags=["Setup"])
    def force_up_compute_service(self, host: str) -> None:
        """Clears the forced-down flag of the compute service on ``host``.

        Fails, as Nova's API does (400), while evacuation records from that
        host are still ``done``: its compute has not restarted and cleaned up
        the evacuated guests yet (bug 1922053; ``bugs=1922053`` restores the
        pre-fix acceptance). `Start Compute Service` moves them to
        ``completed``.
        """
        self.cluster.force_up_compute_service(host)
        logger.info(f"Forced up compute service on '{host}' at {self.clock}.")

    @keyword(tags=["Setup"])
    def force_down_compute_service(self, host: str) -> None:
        """Marks the compute service on ``host`` forced down, as an operator does
        before evacuating its servers."""
        self.cluster.force_down_compute_service(host)
        logger.info(f"Forced down compute service on '{host}' at {self.clock}.")

    @keyword(tags=["Setup"])
    def start_compute_service(
        self,
        host: str,
        timeout: timedelta | None = None,
        *,
        clean_hypervisor: bool = False,
        **delays: timedelta,
    ) -> None:
        """Starts the compute service on ``host`` and runs its start-up to completion.

        Start-up is Nova's ``init_host``: guests evacuated away are destroyed,
        their evacuation records become ``completed`` and their placement
        allocations on this host are removed; then the start-up audit frees
        the PCI devices they held here. Finally the forced-down flag is
        cleared. Other tasks progress meanwhile. ``delays`` name points of
        the start-up (see `Delays and interleaving points`).
        ``clean_hypervisor=True`` starts a host whose guests are gone (a
        reinstalled hypervisor): there is nothing of the evacuated servers to
        destroy, and the records are ``completed`` all the same.

        Fails if the service is running, if start-up does not finish within
        ``timeout`` (see `Timeouts`), or if start-up fails and the process
        exits, as before the fix of bug 1794996 (the service is then stopped
        again and still forced down).
        """
        cluster = self.cluster
        converted = self.delay_seconds(delays)
        seconds = self.seconds(timeout, converted)  # refused before anything starts
        task = cluster.start_compute_service(
            host, delays=converted, clean_hypervisor=clean_hypervisor
        )
        if not cluster.run_task(task, seconds):
            raise AssertionError(
                f"Compute service on '{host}' should finish starting within "
                f"{self.timestr(seconds)}, but at {cluster.clock} it still waits"
                f"{' for ' + task.waiting_for if task.waiting_for else ''}."
            )
        failure = cluster.start_failure(host)
        if failure is not None:
            raise AssertionError(
                f"Compute service on '{host}' should start, but its start-up failed at "
                f"{cluster.clock}: {failure}; the process exited, and the service is "
                "stopped and still forced down."
            )
        logger.info(f"Started compute service on '{host}'; start-up done at {cluster.clock}.")

    @keyword(tags=["Query"])
    def get_virtual_time(self) -> float:
        """Returns the cluster's virtual clock, in seconds since `Start Cluster`.

        | ${now} = | `Get Virtual Time` |
        | Should Be Equal As Numbers | ${now} | 1.5 |
        """
        return self.cluster.now


SHIPPED = Path(__file__).resolve().parents[1] / "topologies"


def _topology_file(topology: str | Path) -> Path:
    """A shipped topology by name (``three_hosts``), else the path as given."""
    topology = str(topology)
    shipped = SHIPPED / f"{topology}.yaml"
    if "/" not in topology and "\\" not in topology and shipped.is_file():
        return shipped
    return Path(topology)
