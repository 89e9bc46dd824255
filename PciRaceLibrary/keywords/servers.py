"""ServerKeywords: create, evacuate, delete and rebuild servers; wait for them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from ..cluster import STATUSES
from ..errors import ApiRefused, InvalidArgument
from ._base import LibraryComponent
from .arguments import VnicType
from .checks import check_migration_status

_SETTLED = ("ACTIVE", "ERROR")


class ServerKeywords(LibraryComponent):
    @keyword(tags=["Action", "Wait"])
    def create_server_with_direct_port(
        self,
        name: str,
        host: str | None = None,
        timeout: timedelta | None = None,
        *,
        flavor: str | None = None,
        image: str | None = None,
        **delays: timedelta,
    ) -> None:
        """Creates server ``name`` with one SR-IOV direct port and waits until it is ``ACTIVE``.

        The port is on the topology's SR-IOV network, so the build claims one
        VF on the chosen host. Without ``host`` the scheduler picks one (the
        host with most free RAM, ties by name). ``flavor`` names one of the
        topology's flavors (see `Clusters and topology files`); without it
        the server gets the default flavor, ``m1.small`` in the built-in
        cluster. ``image`` names one of the topology's images, whose NUMA
        and PCI NUMA properties count with the flavor's extra specs (see
        `Clusters and topology files`); without it, the default image.
        ``delays`` name points of the build (see `Delays and
        interleaving points`); other tasks progress while it builds.

        Fails at once, changing nothing, for an unknown host, flavor or
        image, or a flavor and image that disagree as Nova refuses. A build
        that fails on its compute (the claim refused, the spawn failed)
        is rescheduled, as Nova does: the scheduler's alternates, at most two
        more hosts (Nova's ``max_attempts`` of 3), are tried in turn; a
        requested ``host`` has none. Fails if the server ends in ``ERROR``
        (for instance no free VF on any host tried) or is not ``ACTIVE``
        within ``timeout`` of virtual time (see `Timeouts`).

        | `Create Server With Direct Port` | vm1 | host=host1 |
        | `Create Server With Direct Port` | vm2 | flavor=m1.medium |
        | `Create Server With Direct Port` | vm3 | ComputeDriver.spawn=2 s |
        | `Create Server With Direct Port` | vm4 | flavor=numa.big | image=pci-preferred |
        """
        self._create(name, host, "direct", None, timeout, delays, flavor, image=image)

    def _create(  # noqa: PLR0917 - the keywords' own arguments, passed through
        self,
        name: str,
        host: str | None,
        vnic_type: str,
        network: str | None,
        timeout: timedelta | None,
        delays: dict[str, timedelta],
        flavor: str | None,
        ports: tuple[str, ...] = (),
        *,
        image: str | None = None,
    ) -> None:
        cluster = self.cluster
        converted = self.delay_seconds(delays)
        seconds = self.seconds(timeout, converted)  # refused before anything starts
        task = cluster.create_server(
            name,
            host,
            network=network,
            vnic_type=vnic_type,
            flavor=flavor,
            ports=ports,
            image=image,
            delays=converted,
        )
        cluster.run_until(lambda: task.done or cluster.server_status(name) in _SETTLED, seconds)
        if cluster.starting_steps:
            return  # a racing step of an exploration: the build runs with the others
        status = cluster.server_status(name)
        if status != "ACTIVE":
            raise AssertionError(
                f"Server '{name}' should be ACTIVE within {self.timestr(seconds)} "
                f"but is {status} at {cluster.clock}{self._fault(name)}."
            )
        logger.info(
            f"Server '{name}' is ACTIVE on '{cluster.server_host(name)}' at {cluster.clock}."
        )

    @keyword(tags=["Action", "Wait"])
    def create_server(
        self,
        name: str,
        host: str | None = None,
        vnic_type: VnicType | None = None,
        network: str | None = None,
        timeout: timedelta | None = None,
        *,
        flavor: str | None = None,
        ports: str | None = None,
        image: str | None = None,
        **delays: timedelta,
    ) -> None:
        """Creates server ``name`` with a port of ``vnic_type`` or ``ports``; waits for ``ACTIVE``.

        Like `Create Server With Direct Port`, for the other port types:
        ``normal`` (the default) needs no PCI device, ``direct``, ``macvtap``
        and ``virtio-forwarder`` take a VF, ``direct-physical`` a whole PF
        (its VFs become unavailable), ``vdpa`` a vDPA device and
        ``remote-managed`` a VF tagged so. The port is on ``network``, by
        default the topology's SR-IOV network; the device must match its
        physnet.

        ``ports`` instead names ports made with `Create Port`, comma-separated
        (``p1,p2``), as a boot with port ids does: the server gets those and
        no other. ``flavor`` names one of the topology's flavors; without it,
        the default flavor. Its ``pci_passthrough:alias`` extra spec asks for
        devices too (see `Clusters and topology files`): the flavor's requests
        and every SR-IOV port's are claimed together, all or nothing. An alias
        ``[pci]alias`` does not define is refused at once (400). ``image``
        names one of the topology's images (the default image without it).

        | `Create Server` | web1 | host=host2 |
        | `Create Server` | vm2 | vnic_type=direct-physical | host=host1 |
        | `Create Server` | vm3 | vnic_type=direct | network=network_1 | flavor=m1.medium |
        | `Create Server` | vm4 | ports=p1,p2 | flavor=two-vfs |
        """
        chosen = tuple(port.strip() for port in ports.split(",")) if ports else ()
        if chosen and (vnic_type is not None or network is not None):
            raise InvalidArgument(
                "Give either 'ports' or 'vnic_type' and 'network' (a new port), not both."
            )
        if ports is not None and not all(chosen):
            raise InvalidArgument(
                f"Argument 'ports' must name ports, comma-separated, got '{ports}'."
            )
        kind = VnicType(vnic_type or VnicType.NORMAL).value
        self._create(name, host, kind, network, timeout, delays, flavor, chosen, image=image)

    @keyword(tags=["Action"])
    def evacuate_server_with_direct_port(
        self,
        server: str,
        target_host: str | None = None,
        *,
        force: bool = False,
        microversion: str | None = None,
        **delays: timedelta,
    ) -> None:
        """Starts evacuating ``server``, which has a direct port, and returns at once.

        Like `Evacuate Server`, and first checks that ``server`` really has
        an SR-IOV direct port (a PCI request), so the scenario moves a PCI
        device. ``delays`` name points of the evacuation, for example
        ``ComputeDriver.rebuild=0.5 s`` or ``drop_migration_context=1 s``.

        | `Evacuate Server With Direct Port` | vm1 | ComputeDriver.rebuild=0.5 s | drop_migration_context=1 s |
        """  # noqa: E501
        if not self.cluster.server_requests_pci(server):
            raise ApiRefused(
                f"Server '{server}' has no direct port to evacuate with; "
                "use 'Evacuate Server' for servers without one."
            )
        self.evacuate_server(server, target_host, force=force, microversion=microversion, **delays)

    @keyword(tags=["Action"])
    def evacuate_server(
        self,
        server: str,
        target_host: str | None = None,
        *,
        force: bool = False,
        microversion: str | None = None,
        **delays: timedelta,
    ) -> None:
        """Starts evacuating ``server`` from its failed host and returns at once.

        This is Nova's ``evacuate`` server action: it answers before the work
        is done, so the evacuation runs while later keywords run the kernel
        (`Run Periodic Update Available Resource`, `Wait Until Server Has`).
        Without ``target_host`` the scheduler picks a host other than the
        source.

        From microversion 2.95 the evacuated server ends ``SHUTOFF``, as Nova
        stops it on the destination before the evacuation finishes; with an
        older ``microversion`` (here, or in `Start Cluster`) it ends as it was
        (``ACTIVE``). ``force=True`` with ``target_host`` skips the scheduler
        and claims that host in placement directly, at microversions 2.29 to
        2.67 only (see `Microversions`).

        Fails at once, changing nothing, where Nova's API refuses: the source
        compute service is still up (use `Stop Compute Service` and `Force
        Down Compute Service` first), ``target_host`` is the server's own
        host, ``force`` outside its microversions or without a host, or the
        server is deleted or was never placed on a host.

        | `Evacuate Server` | vm1 |
        | `Evacuate Server` | vm1 | microversion=2.94 | # ends ACTIVE |
        | `Evacuate Server` | vm1 | host2 | force=True | microversion=2.67 |
        """
        cluster = self.cluster
        cluster.evacuate(
            server,
            target_host,
            delays=self.delay_seconds(delays),
            force=force,
            microversion=microversion,
        )
        target = f" to '{target_host}'" if target_host else ""
        logger.info(f"Evacuation of '{server}'{target} requested at {cluster.clock}.")

    @keyword(tags=["Action"])
    def live_migrate_server(
        self,
        server: str,
        target_host: str | None = None,
        *,
        force: bool = False,
        microversion: str | None = None,
        **delays: timedelta,
    ) -> None:
        """Starts live migrating ``server`` and returns at once; its guest runs on meanwhile.

        This is Nova's ``os-migrateLive`` server action. The API sets task
        ``migrating`` (status ``MIGRATING``); the conductor makes a
        ``live-migration`` record (``accepted``), hands the server's
        placement allocation on its host to that record, has the scheduler
        claim a destination (``target_host`` if given, else any host but the
        source), asks the destination to check itself, which claims the VFs
        of the server's SR-IOV ports there, and binds the ports there,
        inactive. The source then runs the migration: ``queued``,
        ``preparing``, ``running``; once the guest has moved, the
        destination's port bindings become active, the source frees its
        VFs, the destination allocates its own and records the server on it,
        the source runs its audit and the record becomes ``completed``, its
        allocation on the source deleted. Wait for that with `Wait Until
        Migration Status Is`: `Wait Until Server Has` with ``host=`` and
        ``status=ACTIVE`` holds a few steps earlier. The destination counts
        the server's vCPU, RAM and disk from its next audit on, as in Nova
        (`Resource Usage On Host Should Be`).

        A server with a NUMA topology migrates as libvirt's NUMA-aware live
        migration does: the destination's check makes a move claim, fitting
        the topology to its cells with the PCI requests and their NUMA
        policies and pinning its CPUs there at once, and claims the VFs on
        those cells; the server takes that topology when the guest has moved
        (`NUMA Placement Of Server Should Be`) and the source's audit frees
        its pinning. A destination whose cells cannot take it refuses the
        check: the conductor tries another host, or the record goes
        ``error`` with the server ``ACTIVE`` on its host. A rollback drops
        the destination's claim.

        ``force=True`` with ``target_host`` skips the scheduler and claims
        that host in placement directly (microversions 2.30 to 2.67).

        Fails at once, changing nothing, where Nova's API refuses: the
        server is not ``ACTIVE`` or ``PAUSED``, has a task under way, never
        ran or is deleted, ``target_host`` is unknown, ``force`` is misused.
        The conductor's refusals come after the API answered, as from
        microversion 2.34 (the model always answers so): the source or the
        named host down, the server's own host as target, no host whose
        checks pass. They leave the record ``error`` and the server
        ``ACTIVE`` on its host with the reason as its fault; a failure the
        conductor does not expect (the destination's VFs do not fit) leaves
        it ``ERROR``. A failure after the conductor (`Inject Failure` at
        ``ComputeDriver.pre_live_migration`` or ``ComputeDriver.live_migration``)
        rolls back: record ``failed``, server ``ACTIVE`` on its source,
        allocation, port bindings and destination VFs given back.

        ``delays`` name points of the live migration (see `Delays and
        interleaving points`), for example ``ComputeDriver.live_migration=2 s``.

        | `Live Migrate Server` | vm1 |
        | `Live Migrate Server` | vm1 | host2 |
        | `Live Migrate Server` | vm1 | host2 | force=True | microversion=2.30 |
        | `Wait Until Migration Status Is` | vm1 | completed |
        """
        cluster = self.cluster
        cluster.live_migrate(
            server,
            target_host,
            delays=self.delay_seconds(delays),
            force=force,
            microversion=microversion,
        )
        target = f" to '{target_host}'" if target_host else ""
        logger.info(f"Live migration of '{server}'{target} requested at {cluster.clock}.")

    @keyword(tags=["Action"])
    def stop_server(self, server: str, **delays: timedelta) -> None:
        """Starts stopping ``server`` and returns at once; it ends ``SHUTOFF``.

        Nova's ``os-stop`` action: the API sets task ``powering-off`` and casts
        to the server's compute, which powers the guest off. Sent to a stopped
        compute, the cast is never consumed and the server stays
        ``powering-off`` (an evacuation can still move it, bug 1978983). Fails
        unless the server is ``ACTIVE`` or ``ERROR`` with no task under way.
        """
        self.cluster.start("stop_server", server, delays=self.delay_seconds(delays))
        logger.info(f"Stop of '{server}' requested at {self.cluster.clock}.")

    @keyword(tags=["Action"])
    def start_server(self, server: str, **delays: timedelta) -> None:
        """Starts powering ``server`` on and returns at once; it ends ``ACTIVE``.

        Nova's ``os-start`` action. Fails unless the server is ``SHUTOFF``
        with no task under way.
        """
        self.cluster.start("start_server", server, delays=self.delay_seconds(delays))
        logger.info(f"Start of '{server}' requested at {self.cluster.clock}.")

    @keyword(tags=["Action"])
    def suspend_server(self, server: str, **delays: timedelta) -> None:
        """Starts suspending ``server`` and returns at once; it ends ``SUSPENDED``.

        Nova's ``suspend`` action: the API sets task ``suspending`` and casts
        to the server's compute, whose driver saves the guest's memory. The
        server stays on its host and keeps what it holds there: its PCI
        devices, its usage, its placement allocation and its ports' bindings;
        the audit goes on counting it. An injected failure at
        ``ComputeDriver.suspend`` sets it ``ERROR`` with a fault (see
        `Inject Failure`). Fails unless the server is ``ACTIVE`` with no task
        under way.

        ``delays`` name points of the suspend (see `Delays and interleaving
        points`), for example ``ComputeDriver.suspend=2 s``.

        | `Suspend Server` | vm1 |
        | `Wait Until Server Has` | vm1 | status=SUSPENDED |
        """
        self.cluster.start("suspend", server, delays=self.delay_seconds(delays))
        logger.info(f"Suspend of '{server}' requested at {self.cluster.clock}.")

    @keyword(tags=["Action"])
    def resume_server(self, server: str, **delays: timedelta) -> None:
        """Starts resuming ``server`` and returns at once; it ends ``ACTIVE``.

        Nova's ``resume`` action: the API sets task ``resuming`` and casts to
        the server's compute, whose driver restores the guest where it was
        suspended, with the devices it kept. An injected failure at
        ``ComputeDriver.resume`` sets it ``ERROR`` with a fault. Fails unless
        the server is ``SUSPENDED`` with no task under way.

        | `Resume Server` | vm1 |
        | `Resume Server` | vm1 | ComputeDriver.resume=1 s |
        """
        self.cluster.start("resume", server, delays=self.delay_seconds(delays))
        logger.info(f"Resume of '{server}' requested at {self.cluster.clock}.")

    @keyword(tags=["Action"])
    def delete_server(self, server: str, **delays: timedelta) -> None:
        """Starts deleting ``server`` and returns at once.

        The compute host destroys the guest and frees its PCI devices; if
        that host's service is down, Nova's API deletes the server locally
        and what it held there is only freed when the service comes back
        (`Start Compute Service`). Fails if the server is already deleted.
        """
        cluster = self.cluster
        cluster.delete_server(server, delays=self.delay_seconds(delays))
        logger.info(f"Deletion of '{server}' requested at {cluster.clock}.")

    @keyword(tags=["Action"])
    def rebuild_server(self, server: str, *, image: str | None = None, **delays: timedelta) -> None:
        """Starts rebuilding ``server`` in place and returns at once.

        A rebuild keeps the server on its host with the devices it holds.
        Fails if the server is deleted or not ``ACTIVE``, ``SHUTOFF`` or
        ``ERROR``. As in Nova, the API does not check the host: a rebuild
        sent to a stopped compute is never consumed.

        ``image`` names another of the topology's images; the server keeps
        it after. As Nova's API, the rebuild is refused (400) if the new
        image with the server's flavor asks for another guest NUMA topology
        than its old one did, since the rebuild claims nothing.

        | `Rebuild Server` | vm1 |
        | `Rebuild Server` | vm1 | image=pci-preferred |
        """
        cluster = self.cluster
        cluster.rebuild_server(server, image=image, delays=self.delay_seconds(delays))
        logger.info(f"Rebuild of '{server}' requested at {cluster.clock}.")

    @keyword(tags=["Wait"])
    def wait_until_server_is_active(self, server: str, timeout: timedelta | None = None) -> None:
        """Runs the cluster until ``server`` is ``ACTIVE``, at most ``timeout``.

        Returns at once, moving no time, if it already is. Other tasks
        progress meanwhile. See `Timeouts`.
        """
        self.wait_until_server_has(server, status="ACTIVE", timeout=timeout)

    @keyword(tags=["Wait"])
    def wait_until_server_has(
        self,
        server: str,
        host: str | None = None,
        status: str | None = None,
        timeout: timedelta | None = None,
    ) -> None:
        """Runs the cluster until ``server`` has the given ``host`` and ``status``.

        ``status`` is Nova's API status: ``ACTIVE``, ``BUILD``, ``REBUILD``,
        ``MIGRATING``, ``ERROR``, ``SHUTOFF``, ``SUSPENDED``, ``SHELVED``,
        ``SHELVED_OFFLOADED`` or ``DELETED`` (case-insensitive). Give at
        least one of ``host`` and ``status``. Returns at once, moving no time,
        if the server already has them; fails if it does not within
        ``timeout`` of virtual time (see `Timeouts`).

        | `Wait Until Server Has` | vm1 | host=host2 | status=ACTIVE | timeout=30 s |
        """
        cluster = self.cluster
        cluster.server_status(server)  # an unknown name fails before time moves
        if host is None and status is None:
            raise InvalidArgument("Give 'host', 'status' or both to wait for.")
        if host is not None:
            cluster.check_host(host)
        wanted = status.upper() if status else None
        if wanted is not None and wanted not in _STATUSES:
            raise InvalidArgument(
                f"No server status '{status}'. Valid statuses: {', '.join(_STATUSES)}."
            )

        def has() -> bool:
            return (host is None or cluster.server_host(server) == host) and (
                wanted is None or cluster.server_status(server) == wanted
            )

        goal = ", ".join(
            part for part in (host and f"host {host}", wanted and f"status {wanted}") if part
        )
        self._wait(has, timeout, f"Server '{server}' should have {goal}", server)

    @keyword(tags=["Wait"])
    def wait_until_migration_status_is(
        self, server: str, status: str, timeout: timedelta | None = None
    ) -> None:
        """Runs the cluster until the latest migration record of ``server`` has ``status``.

        Evacuation records go ``accepted`` → ``pre-migrating`` → ``done``,
        and ``completed`` once the source host has cleaned up; a failed
        evacuation ends ``failed`` or ``error``. A cold migration or resize
        goes ``pre-migrating`` → ``migrating`` → ``post-migrating`` →
        ``finished`` (the server in ``VERIFY_RESIZE``), then ``confirming`` →
        ``confirmed`` or ``reverting`` → ``reverted``. Live migration records go
        ``accepted`` → ``queued`` → ``preparing`` → ``running`` →
        ``completed``; ``error`` when the conductor refused, ``failed`` after
        a rollback. See `Timeouts`.
        """
        check_migration_status(status)
        cluster = self.cluster
        cluster.server_status(server)  # an unknown name fails before time moves

        def latest() -> str | None:
            records = cluster.migrations_of(server)
            return records[-1]["status"] if records else None

        self._wait(
            lambda: latest() == status,
            timeout,
            f"Latest migration of '{server}' should be '{status}'",
            server,
            found=lambda: f"it is '{latest()}'" if latest() else "it has no migration",
        )

    # -- helpers ---------------------------------------------------------------------

    def _wait(
        self,
        done: Callable[[], bool],
        timeout: timedelta | None,
        goal: str,
        server: str,
        found: Callable[[], str] | None = None,
    ) -> None:
        cluster = self.cluster
        seconds = self.seconds(timeout)
        started = cluster.clock
        if cluster.run_until(done, seconds):
            logger.info(f"{goal}: true at {cluster.clock} (waited from {started}).")
            return
        now = found() if found else self._server_now(server)
        raise AssertionError(
            f"{goal} within {self.timestr(seconds)} (from {started}), but at {cluster.clock} {now}."
        )

    def _server_now(self, server: str) -> str:
        cluster = self.cluster
        host = cluster.server_host(server) or "no host"
        why = ""
        if cluster.stopped_by_evacuation(server):
            why = (
                ": its evacuation stopped it, as Nova does from microversion 2.95; "
                "microversion 2.94 keeps an evacuated server active"
            )
        return f"it is {cluster.server_status(server)} on {host}{self._fault(server)}{why}"

    def _fault(self, server: str) -> str:
        fault = self.cluster.server_fault(server)
        return f" (fault: {fault})" if fault else ""


_STATUSES = STATUSES
