"""The placement service: resource providers and allocations per consumer.

One provider per compute node (its uuid is the node's uuid), with the
inventory its driver reports (VCPU, PCPU where the host has dedicated CPUs,
MEMORY_MB, DISK_GB; see ``host_plan.placement_inventory``). The instance is
the consumer; during an evacuation it holds allocations on both the source and
the destination (the *doubled* allocation), until the source comes back or the
server is deleted. Calls pass the points of Nova's report client, because they
are HTTP requests where a green thread can lose the processor.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

from ..sim import Change, point

# Nova's default allocation ratios (initial_*_allocation_ratio); the libvirt
# driver reports PCPU at 1.0 always (update_provider_tree).
ALLOCATION_RATIOS = {"VCPU": 16.0, "PCPU": 1.0, "MEMORY_MB": 1.5, "DISK_GB": 1.0}


@dataclass
class ResourceProvider:
    uuid: str
    name: str
    inventory: dict[str, int]
    # The usage of the provider without allocations: each class of its
    # inventory at 0, as placement's usages list them. Never mutated.
    nothing_used: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.nothing_used = dict.fromkeys(self.inventory, 0)

    def capacity(self, resource_class: str) -> float:
        """Total times allocation ratio; 0 for a class without inventory."""
        return self.inventory.get(resource_class, 0) * ALLOCATION_RATIOS[resource_class]


class UsageSnapshot:
    """Every provider's usage as it was when the snapshot opened, readable
    while placement keeps changing: placement saves a provider's totals here
    before their first change (an undo log, so opening one costs nothing).
    Open from ``with`` to its end (see ``Placement.usage_snapshot``)."""

    def __init__(self, placement: Placement) -> None:
        self._placement = placement
        self.before: dict[str, dict[str, int]] = {}

    def __enter__(self) -> UsageSnapshot:
        self._placement._snapshots.append(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        placement = self._placement
        placement._snapshots = [s for s in placement._snapshots if s is not self]

    def usage(self, rp_uuid: str) -> dict[str, int]:
        if rp_uuid in self.before:
            return self.before[rp_uuid]
        return self._placement.used(rp_uuid)


@dataclass
class Placement:
    """Providers and each consumer's allocations: ``{consumer: {rp: {rc: n}}}``.

    Indexed, so that per-provider work is per-provider: each provider's
    consumers and usage totals, and a heap of providers by free RAM for the
    scheduler's weigher, all kept on every change. Allocations change only
    through the methods below; providers are registered once, before use.
    """

    providers: dict[str, ResourceProvider] = field(default_factory=dict)
    allocations: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    changed: Callable[[Change], None] = field(default=lambda change: None, repr=False)
    label: Callable[[str], str] = field(default=lambda consumer: consumer, repr=False)
    note: Callable[[str], None] = field(default=lambda detail: None, repr=False)
    _consumers: dict[str, dict[str, None]] = field(default_factory=dict, init=False, repr=False)
    _used: dict[str, dict[str, int]] = field(default_factory=dict, init=False, repr=False)
    # Each change bumps the provider's generation and pushes a fresh heap
    # entry (-free RAM, name, generation, uuid); older entries are stale.
    _generations: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _by_free_ram: list[tuple[float, str, int, str]] = field(
        default_factory=list, init=False, repr=False
    )
    _snapshots: list[UsageSnapshot] = field(default_factory=list, init=False, repr=False)

    def _journal(self, consumer: str, what: str, rp_uuid: str | None = None) -> None:
        """``+host2``: added on a provider, ``-host2``: removed, ``deleted``: all."""
        name = self.label(consumer)
        host = self.providers[rp_uuid].name if rp_uuid else None
        # Fields in order (object, name, field, old, new, host, address, owner):
        # keywords cost the named tuple's __new__ more.
        self.changed(Change("Placement", name, "", None, what, host, None, name))

    # -- reads ----------------------------------------------------------------

    def used(self, rp_uuid: str) -> dict[str, int]:
        """The provider's usage totals, kept as allocations change: each class
        of its inventory. Do not mutate."""
        return self._used.get(rp_uuid) or self.providers[rp_uuid].nothing_used

    def usage(self, rp_uuid: str) -> dict[str, int]:
        return dict(self.used(rp_uuid))

    def fits(
        self, rp_uuid: str, resources: dict[str, int], used: dict[str, int] | None = None
    ) -> bool:
        """Whether ``resources`` fit beside ``used`` (the provider's usage now)."""
        provider = self.providers[rp_uuid]
        used = self.used(rp_uuid) if used is None else used
        # A loop, not all() over a generator: the scheduler asks for every
        # host it passes, the claim once more.
        for rc, amount in resources.items():
            if used.get(rc, 0) + amount > provider.capacity(rc):
                return False
        return True

    def allocation_request(
        self, rp_uuid: str, requests: tuple[dict[str, int], ...], used: dict[str, int] | None = None
    ) -> dict[str, int] | None:
        """The first of a server's ``requests`` (``resource_requests``: the
        PCPU query, then the VCPU fallback) that fits the provider beside
        ``used`` (its usage now), or None: the host's first allocation
        candidate, which Nova's scheduler claims."""
        for resources in requests:
            if self.fits(rp_uuid, resources, used):
                return resources
        return None

    def request_for(self, rp_uuid: str, requests: tuple[dict[str, int], ...]) -> dict[str, int]:
        """The one of a server's ``requests`` the provider is asked for,
        whatever its usage: the first whose classes it has inventory of
        (PCPU where the host reports them, the VCPU fallback where it does
        not), else the first."""
        inventory = self.providers[rp_uuid].inventory
        for resources in requests:
            if all(rc in inventory for rc, amount in resources.items() if amount):
                return resources
        return requests[0]

    def free_ram(self, rp_uuid: str, used: dict[str, int] | None = None) -> float:
        used = self.used(rp_uuid) if used is None else used
        return self.providers[rp_uuid].capacity("MEMORY_MB") - used["MEMORY_MB"]

    def providers_of(self, consumer: str) -> list[str]:
        """Names of the providers ``consumer`` holds allocations on, sorted."""
        return sorted(self.providers[rp].name for rp in self.allocations.get(consumer, {}))

    def consumers_of(self, rp_uuid: str) -> list[str]:
        """Consumers holding an allocation on ``rp_uuid``, sorted."""
        return sorted(self._consumers.get(rp_uuid, {}))

    def first_by_free_ram(self, accept: Callable[[str], bool]) -> str | None:
        """The accepted provider with the most free RAM, ties by name, or None."""
        chosen = self.best_by_free_ram(accept, 1)
        return chosen[0] if chosen else None

    def best_by_free_ram(
        self, accept: Callable[[str], bool], count: int, snapshot: UsageSnapshot | None = None
    ) -> list[str]:
        """Up to ``count`` accepted providers, most free RAM first, ties by
        name, weighed by their usage when ``snapshot`` opened (now without one).

        Pops the heap until ``accept`` (which must not change placement) took
        ``count``, then pushes back what it popped that is still current, so a
        request costs the providers it passes over, not a sort of them all.
        The heap weighs providers changed since the snapshot by their usage
        now: those few are weighed from the snapshot and merged in.
        """
        self._weigh_new_providers()
        changed = sorted(
            (-self.free_ram(rp_uuid, used), self.providers[rp_uuid].name, rp_uuid)
            for rp_uuid, used in (snapshot.before.items() if snapshot else ())
        )
        heap, passed, chosen = self._by_free_ram, [], []

        def take(rp_uuid: str) -> bool:
            if accept(rp_uuid):
                chosen.append(rp_uuid)
            return len(chosen) >= count

        full = count <= 0
        while heap and not full:
            entry = heapq.heappop(heap)
            if entry[2] != self._generations[entry[3]]:
                continue  # stale: the provider changed since this entry
            passed.append(entry)
            while changed and not full and changed[0][:2] < entry[:2]:
                full = take(changed.pop(0)[2])
            if not full and not (snapshot and entry[3] in snapshot.before):
                full = take(entry[3])
        while changed and not full:
            full = take(changed.pop(0)[2])
        for entry in passed:
            heapq.heappush(heap, entry)
        return chosen

    def usage_snapshot(self) -> UsageSnapshot:
        """Keeps the usage of now readable until the ``with`` block ends (a
        class, not a generator: the scheduler opens one per request)."""
        return UsageSnapshot(self)

    # -- the report client's calls ---------------------------------------------

    async def claim_resources(self, consumer: str, rp_uuid: str, resources: dict[str, int]) -> bool:
        """Adds an allocation on ``rp_uuid`` to the consumer's existing ones;
        False when it does not fit. Raises AllocationConflict when placement
        answers 409 with a consumer generation conflict (injected there): the
        scheduler does not try another host for that, as in Nova."""
        await point("SchedulerReportClient.claim_resources")
        if not self.fits(rp_uuid, resources):
            return False
        parts = self.allocations.setdefault(consumer, {})
        if rp_uuid in parts:
            self._count(rp_uuid, parts[rp_uuid], -1)
        parts[rp_uuid] = dict(resources)
        self._consumers.setdefault(rp_uuid, {})[consumer] = None
        self._count(rp_uuid, resources, +1)
        self._journal(consumer, f"+{self.providers[rp_uuid].name}", rp_uuid)
        return True

    async def remove_provider_from_consumer(self, consumer: str, rp_uuid: str) -> None:
        """Removes the part of the consumer's allocation on one provider."""
        await point("SchedulerReportClient.remove_provider_tree_from_instance_allocation")
        parts = self.allocations.get(consumer)
        if parts is not None and rp_uuid in parts:
            self._release(consumer, rp_uuid, parts.pop(rp_uuid))
            self._journal(consumer, f"-{self.providers[rp_uuid].name}", rp_uuid)
            if not parts:
                del self.allocations[consumer]

    async def move_allocations(self, source: str, target: str) -> bool:
        """Gives everything ``source`` holds to ``target`` in one request, as
        Nova's report client does to hand a moving instance's allocation to
        its migration record and back; False if ``source`` holds nothing."""
        await point("SchedulerReportClient.move_allocations")
        parts = self.allocations.pop(source, None)
        if not parts:
            return False
        previous = self.allocations.pop(target, {})
        for rp_uuid, resources in previous.items():
            self._release(target, rp_uuid, resources)
        for rp_uuid in parts:
            consumers = self._consumers[rp_uuid]
            del consumers[source]
            consumers[target] = None
        self.allocations[target] = parts
        self._journal(source, f"moved to {self.label(target)}")
        return True

    async def delete_consumer(self, consumer: str) -> None:
        await point("SchedulerReportClient.delete_allocation_for_instance")
        parts = self.allocations.pop(consumer, None)
        if parts is not None:
            for rp_uuid, resources in parts.items():
                self._release(consumer, rp_uuid, resources)
            self._journal(consumer, "deleted")

    # -- the indexes -------------------------------------------------------------

    def _release(self, consumer: str, rp_uuid: str, resources: dict[str, int]) -> None:
        consumers = self._consumers[rp_uuid]
        del consumers[consumer]
        if not consumers:
            del self._consumers[rp_uuid]
        self._count(rp_uuid, resources, -1)

    def _count(self, rp_uuid: str, resources: dict[str, int], sign: int) -> None:
        """Adds ``sign`` x ``resources`` to the provider's totals and re-weighs it."""
        for snapshot in self._snapshots:
            snapshot.before.setdefault(rp_uuid, dict(self.used(rp_uuid)))
        used = self._used.setdefault(rp_uuid, dict(self.providers[rp_uuid].nothing_used))
        for resource_class, amount in resources.items():
            if amount or resource_class in used:  # a class without inventory only if used
                used[resource_class] = used.get(resource_class, 0) + sign * amount
        self._weigh(rp_uuid)

    def _weigh(self, rp_uuid: str) -> None:
        generation = self._generations[rp_uuid] = self._generations.get(rp_uuid, -1) + 1
        entry = (-self.free_ram(rp_uuid), self.providers[rp_uuid].name, generation, rp_uuid)
        heapq.heappush(self._by_free_ram, entry)
        if len(self._by_free_ram) > 2 * len(self._generations) + 64:
            # Mostly stale entries: keep the current one of each provider.
            self._by_free_ram = [e for e in self._by_free_ram if e[2] == self._generations[e[3]]]
            heapq.heapify(self._by_free_ram)

    def _weigh_new_providers(self) -> None:
        if len(self._generations) != len(self.providers):
            for rp_uuid in sorted(self.providers):
                if rp_uuid not in self._generations:
                    self._weigh(rp_uuid)
