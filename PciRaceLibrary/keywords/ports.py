"""PortKeywords: neutron ports made before a boot, and their bindings."""

from __future__ import annotations

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
        ``pci_vendor_info``, ``physical_network``); an unbound port has
        ``host`` None and no profile.

        | ${bindings} = | `Get Port Bindings` | vm1 |
        | Should Be Equal | ${bindings}[p1][host] | host1 |
        """
        return self.cluster.port_bindings(server)
