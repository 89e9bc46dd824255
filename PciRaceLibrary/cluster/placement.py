"""The placement service: resource providers and allocations per consumer.

One provider per compute node (its uuid is the node's uuid). The instance is
the consumer; during an evacuation it holds allocations on both the source and
the destination (the *doubled* allocation), until the source comes back or the
server is deleted. Calls pass the points of Nova's report client, because they
are HTTP requests where a green thread can lose the processor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..sim import Change, point
from .topology import FlavorSpec

# Nova's default allocation ratios (initial_*_allocation_ratio).
ALLOCATION_RATIOS = {"VCPU": 16.0, "MEMORY_MB": 1.5, "DISK_GB": 1.0}


def flavor_resources(flavor: FlavorSpec) -> dict[str, int]:
    return {"VCPU": flavor.vcpus, "MEMORY_MB": flavor.memory_mb, "DISK_GB": flavor.disk_gb}


@dataclass
class ResourceProvider:
    uuid: str
    name: str
    inventory: dict[str, int]

    def capacity(self, resource_class: str) -> float:
        return self.inventory[resource_class] * ALLOCATION_RATIOS[resource_class]


@dataclass
class Placement:
    """Providers and each consumer's allocations: ``{consumer: {rp: {rc: n}}}``."""

    providers: dict[str, ResourceProvider] = field(default_factory=dict)
    allocations: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    changed: Callable[[Change], None] = field(default=lambda change: None, repr=False)
    label: Callable[[str], str] = field(default=lambda consumer: consumer, repr=False)

    def _journal(self, consumer: str, what: str, rp_uuid: str | None = None) -> None:
        """``+host2``: added on a provider, ``-host2``: removed, ``deleted``: all."""
        name = self.label(consumer)
        host = self.providers[rp_uuid].name if rp_uuid else None
        self.changed(Change("Placement", name, new=what, host=host, owner=name))

    def usage(self, rp_uuid: str) -> dict[str, int]:
        used = dict.fromkeys(ALLOCATION_RATIOS, 0)
        for parts in self.allocations.values():
            for resource_class, amount in parts.get(rp_uuid, {}).items():
                used[resource_class] += amount
        return used

    def fits(self, rp_uuid: str, resources: dict[str, int]) -> bool:
        provider = self.providers[rp_uuid]
        used = self.usage(rp_uuid)
        return all(used[rc] + amount <= provider.capacity(rc) for rc, amount in resources.items())

    def providers_of(self, consumer: str) -> list[str]:
        """Names of the providers ``consumer`` holds allocations on, sorted."""
        return sorted(self.providers[rp].name for rp in self.allocations.get(consumer, {}))

    async def claim_resources(self, consumer: str, rp_uuid: str, resources: dict[str, int]) -> bool:
        """Adds an allocation on ``rp_uuid`` to the consumer's existing ones."""
        await point("SchedulerReportClient.claim_resources")
        if not self.fits(rp_uuid, resources):
            return False
        self.allocations.setdefault(consumer, {})[rp_uuid] = dict(resources)
        self._journal(consumer, f"+{self.providers[rp_uuid].name}", rp_uuid)
        return True

    async def remove_provider_from_consumer(self, consumer: str, rp_uuid: str) -> None:
        """Removes the part of the consumer's allocation on one provider."""
        await point("SchedulerReportClient.remove_provider_tree_from_instance_allocation")
        parts = self.allocations.get(consumer)
        if parts is not None and rp_uuid in parts:
            del parts[rp_uuid]
            self._journal(consumer, f"-{self.providers[rp_uuid].name}", rp_uuid)
            if not parts:
                del self.allocations[consumer]

    async def delete_consumer(self, consumer: str) -> None:
        await point("SchedulerReportClient.delete_allocation_for_instance")
        if self.allocations.pop(consumer, None) is not None:
            self._journal(consumer, "deleted")
