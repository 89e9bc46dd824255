"""What Nova's ``nova/virt/hardware.py`` derives from a flavor (and image).

So far: the PCI NUMA affinity policy a flavor asks for. The policy decides
which host NUMA cells a server's PCI devices may come from (see
``pci_stats``); the alias and port requests built from a flavor carry it.
"""

from __future__ import annotations

from ..errors import ApiRefused
from .objects import Flavor

# Nova's fields.PCINUMAAffinityPolicy.ALL
PCI_NUMA_POLICIES = ("required", "legacy", "preferred", "socket")
PCI_NUMA_POLICY_SPEC = "hw:pci_numa_affinity_policy"


def pci_numa_policy_constraint(flavor: Flavor, image_policy: str | None = None) -> str | None:
    """The policy the flavor's ``hw:pci_numa_affinity_policy`` (or the image's
    ``hw_pci_numa_affinity_policy``) asks for; None if neither does.

    Nova refuses a flavor and an image that ask for different policies, and a
    policy it does not know."""
    flavor_policy = dict(flavor.extra_specs).get(PCI_NUMA_POLICY_SPEC)
    if flavor_policy and image_policy and flavor_policy != image_policy:
        raise ApiRefused(
            f"Flavor '{flavor.name}' asks for PCI NUMA affinity policy '{flavor_policy}' and "
            f"the image for '{image_policy}'; they must agree (400)."
        )
    policy = flavor_policy or image_policy
    if policy and policy not in PCI_NUMA_POLICIES:
        raise ApiRefused(
            f"PCI NUMA affinity policy '{policy}' is not one of "
            f"{', '.join(PCI_NUMA_POLICIES)} (400)."
        )
    return policy
