"""ShelveKeywords: shelve, shelve offload and unshelve servers, as Nova's API does."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from ._base import LibraryComponent


class ShelveKeywords(LibraryComponent):
    @keyword(tags=["Action"])
    def shelve_server(self, server: str, *, offload: bool = True, **delays: timedelta) -> None:
        """Starts shelving ``server`` and returns at once; it ends ``SHELVED_OFFLOADED``.

        Nova's ``shelve`` server action: the API sets task ``shelving`` and
        casts to the server's compute, which powers the guest off and
        snapshots it. With Nova's default ``[DEFAULT]shelved_offload_time =
        0`` the compute offloads the server right away: it unbinds the ports,
        destroys the guest, deletes the server's placement allocation, frees
        its vCPU, RAM, disk and PCI devices in the resource tracker and
        clears its host. The server then holds nothing anywhere.

        ``offload=False`` stands for a compute with ``shelved_offload_time =
        -1``: the server stops at ``SHELVED`` on its host and keeps its
        devices and allocation there, until `Shelve Offload Server` or
        `Unshelve Server`. (A positive ``shelved_offload_time``, offloading
        later from a periodic task, is not modelled.)

        Like every action keyword it answers as Nova's API answers 202; wait
        with `Wait Until Server Has` (``status=SHELVED_OFFLOADED`` or
        ``status=SHELVED``). ``delays`` name points of the operation (see
        `Delays and interleaving points`).

        Fails at once, changing nothing, unless the server is ``ACTIVE``,
        ``SHUTOFF`` or ``SUSPENDED`` (Nova also allows paused servers) with no
        task under way, as Nova's API answers 409.

        | `Shelve Server` | vm1 |
        | `Wait Until Server Has` | vm1 | status=SHELVED_OFFLOADED |
        | `Shelve Server` | vm2 | offload=False | ComputeDriver.snapshot=2 s |
        """
        cluster = self.cluster
        cluster.start("shelve", server, delays=self.delay_seconds(delays), offload=offload)
        kept = "" if offload else " (kept on its host, not offloaded)"
        logger.info(f"Shelve of '{server}'{kept} requested at {cluster.clock}.")

    @keyword(tags=["Action"])
    def shelve_offload_server(self, server: str, **delays: timedelta) -> None:
        """Starts offloading the ``SHELVED`` ``server`` from its host and returns at once.

        Nova's ``shelveOffload`` server action, for a server that
        `Shelve Server` left on its host (``offload=False``): the compute
        unbinds the ports, destroys the guest, deletes the placement
        allocation, frees the server's vCPU, RAM, disk and PCI devices and
        clears its host; it ends ``SHELVED_OFFLOADED``. Wait with
        `Wait Until Server Has`.

        Fails at once, changing nothing, unless the server is ``SHELVED``
        with no task under way (409).

        | `Shelve Server` | vm1 | offload=False |
        | `Wait Until Server Has` | vm1 | status=SHELVED |
        | `Shelve Offload Server` | vm1 |
        """
        cluster = self.cluster
        cluster.start("shelve_offload", server, delays=self.delay_seconds(delays))
        logger.info(f"Shelve offload of '{server}' requested at {cluster.clock}.")

    @keyword(tags=["Action"])
    def unshelve_server(
        self,
        server: str,
        host: str | None = None,
        *,
        microversion: str | None = None,
        **delays: timedelta,
    ) -> None:
        """Starts unshelving ``server`` and returns at once; it ends ``ACTIVE``.

        Nova's ``unshelve`` server action. A ``SHELVED`` server is powered
        on where it is. A ``SHELVED_OFFLOADED`` one is scheduled again
        (conductor ``unshelve_instance``), claimed on the chosen compute as
        at build time (vCPU, RAM, disk and, for its SR-IOV port's PCI
        request, a free VF), its ports bound to the new device, and spawned.
        Until that spawn ends the server is on its new host, still
        ``SHELVED_OFFLOADED``, in task ``spawning``: the window of bug
        2025480 (see `Bug variants`).

        ``host`` asks for that compute (the scheduler's filters still apply),
        from microversion 2.91 (the cluster's, see `Start Cluster`, or
        ``microversion`` for this request) and for an offloaded server only.
        Nova refuses it from 2.77 to 2.90 (400); before 2.77 Nova ignores
        the request body, which this library refuses too rather than
        unshelve elsewhere.

        If no host fits, the server stays ``SHELVED_OFFLOADED`` with no task.
        If the claim is refused or the spawn fails (`Inject Failure`), it is
        back to ``SHELVED_OFFLOADED`` with no host, no devices and no
        allocation, and its fault says why; its ports keep the binding the
        spawn gave them, as Nova leaves them.

        Fails at once, changing nothing, unless the server is ``SHELVED`` or
        ``SHELVED_OFFLOADED`` with no task under way (409), or for a ``host``
        as said above.

        | `Unshelve Server` | vm1 |
        | `Unshelve Server` | vm1 | host2 |
        | `Unshelve Server` | vm1 | ComputeDriver.spawn=1 s |
        | `Wait Until Server Has` | vm1 | host=host2 | status=ACTIVE |
        """
        cluster = self.cluster
        cluster.start(
            "unshelve",
            server,
            delays=self.delay_seconds(delays),
            host=host,
            microversion=microversion,
        )
        target = f" to '{host}'" if host else ""
        logger.info(f"Unshelve of '{server}'{target} requested at {cluster.clock}.")
