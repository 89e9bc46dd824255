"""MoveKeywords: cold migration and resize, confirmed or reverted."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from ._base import LibraryComponent


class MoveKeywords(LibraryComponent):
    @keyword(tags=["Action"])
    def migrate_server(
        self,
        server: str,
        host: str | None = None,
        *,
        microversion: str | None = None,
        **delays: timedelta,
    ) -> None:
        """Starts a cold migration of ``server`` and returns at once.

        Nova's ``migrate`` server action: the conductor hands the server's
        allocation on its host to the migration record, the scheduler picks
        and claims another host (``host`` if given, from microversion 2.56),
        the destination claims the server's PCI devices, the source powers
        the guest off and the destination starts it. The server then waits
        in ``VERIFY_RESIZE`` for `Confirm Resize` or `Revert Resize`, with
        devices, usage and placement on both hosts. A claim the destination
        refuses is retried on the scheduler's alternate hosts.

        Fails at once, changing nothing, where Nova's API refuses: a server
        that is not ``ACTIVE`` or ``SHUTOFF`` or has a task under way, a
        ``host`` that is unknown or its own, a source compute that is down.
        ``delays`` name points of the migration (see `Delays and
        interleaving points`).

        | `Migrate Server` | vm1 |
        | `Wait Until Server Has` | vm1 | host=host2 | status=VERIFY_RESIZE |
        | `Migrate Server` | vm1 | host3 | ComputeDriver.finish_migration=1 s |
        """
        cluster = self.cluster
        cluster.start(
            "migrate",
            server,
            delays=self.delay_seconds(delays),
            host=host,
            microversion=microversion,
        )
        target = f" to '{host}'" if host else ""
        logger.info(f"Migration of '{server}'{target} requested at {cluster.clock}.")

    @keyword(tags=["Action"])
    def resize_server(self, server: str, flavor: str, **delays: timedelta) -> None:
        """Starts resizing ``server`` to ``flavor`` and returns at once.

        Like `Migrate Server`, with the flavor's vCPUs, RAM and disk claimed
        on the destination; the server takes the new flavor when the resize
        finishes and waits in ``VERIFY_RESIZE``. It moves to another host
        unless the cluster allows resizing on the same host
        (`Start Cluster` ``allow_resize_to_same_host=True``). Fails at once
        for an unknown flavor, the server's own flavor, or what `Migrate
        Server` refuses.

        | `Resize Server` | vm1 | m1.medium |
        """
        cluster = self.cluster
        cluster.start("resize", server, delays=self.delay_seconds(delays), flavor=flavor)
        logger.info(f"Resize of '{server}' to {flavor} requested at {cluster.clock}.")

    @keyword(tags=["Action"])
    def confirm_resize(self, server: str, **delays: timedelta) -> None:
        """Starts confirming the resize or cold migration of ``server`` and returns at once.

        The API sets the migration ``confirming``; the source destroys its
        guest, marks the migration ``confirmed`` and drops the old flavor's
        usage and devices under its host lock (Nova's fix of bug 1879878),
        and deletes what the migration held in placement. The server ends
        ``ACTIVE`` (``SHUTOFF`` if it was stopped before the move). Fails at
        once unless the server is in ``VERIFY_RESIZE`` with a finished
        migration and its source compute is up.

        | `Confirm Resize` | vm1 |
        | `Wait Until Migration Status Is` | vm1 | confirmed |
        """
        cluster = self.cluster
        cluster.start("confirm_resize", server, delays=self.delay_seconds(delays))
        logger.info(f"Confirmation of the resize of '{server}' requested at {cluster.clock}.")

    @keyword(tags=["Action"])
    def revert_resize(self, server: str, **delays: timedelta) -> None:
        """Starts reverting the resize or cold migration of ``server`` and returns at once.

        The API sets task ``resize_reverting`` and the migration
        ``reverting``; the destination destroys its guest, marks the migration
        ``reverted`` and drops the new side's usage and devices under its host
        lock, then the source takes the server back with its old flavor,
        devices and placement allocation. Fails at once unless the server is
        in ``VERIFY_RESIZE`` with a finished migration.

        | `Revert Resize` | vm1 |
        | `Wait Until Server Has` | vm1 | host=host1 | status=ACTIVE |
        """
        cluster = self.cluster
        cluster.start("revert_resize", server, delays=self.delay_seconds(delays))
        logger.info(f"Revert of the resize of '{server}' requested at {cluster.clock}.")
