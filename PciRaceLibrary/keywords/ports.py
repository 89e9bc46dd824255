"""PortKeywords: neutron ports made before a boot, their bindings, and their
attach to and detach from a running server."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from ._base import LibraryComponent
from .arguments import NumaPolicy, VnicType


class PortKeywords(LibraryComponent):
    @keyword(tags=["Setup"])
    def create_port(
        self,
        name: str,
        network: str | None = None,
        vnic_type: VnicType = VnicType.NORMAL,
        *,
        numa_affinity_policy: NumaPolicy | None = None,
        trusted: bool | None = None,
    ) -> None:
        """Creates neutron port ``name``, which `Create Server` can boot with (``ports=name``).

        The port is on ``network`` (by default the topology's SR-IOV
        network) with ``vnic_type`` (see `VnicType`): an SR-IOV type makes the
        server ask for one PCI device with the network's physnet, as Nova's
        ``create_resource_requests`` does. ``numa_affinity_policy`` (see
        `NumaPolicy`) is the port's own PCI NUMA policy, over the flavor's.
        ``trusted`` asks for a device whose device_spec tags it ``trusted``
        (true) or not (false).

        Neutron answers at once: no virtual time passes. Fails, changing
        nothing, for a taken name, an unknown network or policy.

        | `Create Port` | p1 | network=network_2 | vnic_type=direct |
        | `Create Port` | p2 | vnic_type=vdpa | numa_affinity_policy=required |
        | `Create Server` | vm1 | ports=p1,p2 |
        """
        cluster = self.cluster
        cluster.create_port(
            name,
            network,
            VnicType(vnic_type).value,
            numa_affinity_policy=(
                None if numa_affinity_policy is None else NumaPolicy(numa_affinity_policy).value
            ),
            trusted=trusted,
        )
        logger.info(f"Port '{name}' ({VnicType(vnic_type).value}) created at {cluster.clock}.")

    @keyword(tags=["Query"])
    def get_port_bindings(self, server: str) -> dict[str, dict[str, str | None]]:
        """Returns each port of ``server``: its name -> ``host`` and binding profile keys.

        A port `Create Server` made itself is named by its id. The profile
        of an SR-IOV port names its own device (``pci_slot``,
        ``pci_vendor_info``, ``physical_network``, None for a device without
        a physnet tag, as Nova writes it); an unbound port has ``host`` None
        and no profile.

        | ${bindings} = | `Get Port Bindings` | vm1 |
        | Should Be Equal | ${bindings}[p1][host] | host1 |
        """
        return self.cluster.port_bindings(server)

    @keyword(tags=["Query"])
    def get_port(self, port: str) -> dict[str, str | None]:
        """Returns port ``port``: ``device`` (the server it is attached to, None
        if none), ``host`` and its binding profile keys.

        Unlike `Get Port Bindings` it names a port, not a server, so it also
        reads a port no server holds (after `Detach Interface`: no device,
        no host, no profile). ``port`` is a name `Create Port` gave, or a
        server's own port's id. Fails for a port that does not exist.

        | ${port} = | `Get Port` | p1 |
        | Should Be Equal | ${port}[device] | vm1 |
        """
        return self.cluster.port_binding_of(port)

    @keyword(tags=["Action"])
    def attach_interface(self, server: str, port: str, **delays: timedelta) -> None:
        """Starts attaching port ``port`` to ``server`` and returns at once.

        Nova's ``POST /servers/{id}/os-interface`` with a ``port_id``: the API
        calls the server's compute, which makes the port's PCI request (an
        SR-IOV port's, as at boot, with the flavor's or image's PCI NUMA
        policy where the port has none), claims a device for it under the
        host lock (``claimed``), binds the port to the server with the
        device's profile, plugs it, allocates the device and saves the request
        with the server. From then on the port is one of the server's, as a
        boot-time port is: audits keep its device and moves carry it.

        Nova's API waits for that call; like every action keyword this one
        returns at once, and the outcome is read afterwards. What the
        compute refuses leaves the port unattached and records the server's
        fault (`Server Fault Should Contain`):

        - no free device fits (NUMA policy included): Nova's
          ``InterfaceAttachPciClaimFailed`` (400); nothing is claimed.
        - the port has a ``device_id`` (in use): ``PortInUse`` (409), asked of
          neutron only after the claim, so an SR-IOV port's device stays
          ``claimed`` by the server and the next audit allocates it to it.
        - the driver's attach fails (an injected fault):
          ``InterfaceAttachFailed`` (500); the port is unbound, the device freed.

        Fails at once, changing nothing, for an unknown port (404), and
        unless the server is ``ACTIVE``, ``PAUSED`` or ``SHUTOFF`` with no
        task under way (409). ``delays`` name points of the operation (see
        `Delays and interleaving points`).

        | `Create Port` | p1 | vnic_type=direct |
        | `Attach Interface` | vm1 | p1 |
        | `Attach Interface` | vm2 | p2 | PciDevTracker.save#1=2 s |
        """
        cluster = self.cluster
        cluster.start("attach_interface", server, delays=self.delay_seconds(delays), port=port)
        logger.info(f"Attach of port '{port}' to '{server}' requested at {cluster.clock}.")

    @keyword(tags=["Action"])
    def detach_interface(self, server: str, port: str, **delays: timedelta) -> None:
        """Starts detaching port ``port`` from ``server`` and returns at once.

        Nova's ``DELETE /servers/{id}/os-interface/{port}``: the API casts to
        the server's compute (202), which unplugs the port, unbinds it
        (``device_id``, host and profile cleared), frees its PCI device
        and saves the server without the port's request. A port the server
        booted with can be detached too.

        A port that is not the server's, or whose device is not yet
        ``allocated``, is the compute's refusal after the 202
        (``PortNotFound``, ``InterfaceDetachFailed``): nothing changes but
        the server's fault. Fails at once, changing nothing, for a name no
        port has, and unless the server is ``ACTIVE``, ``PAUSED`` or
        ``SHUTOFF`` with no task under way (409).

        | `Detach Interface` | vm1 | p1 |
        """
        cluster = self.cluster
        cluster.start("detach_interface", server, delays=self.delay_seconds(delays), port=port)
        logger.info(f"Detach of port '{port}' from '{server}' requested at {cluster.clock}.")
