"""The scheduler: choose a destination and claim it in placement.

It keeps hosts whose compute service is up (ComputeFilter), skips ignored
hosts (an evacuation ignores its source), honours a requested host, and asks
placement whether the flavor fits: a pinned server's PCPU, or where the host
reports none its VCPU (the fallback query, see ``resource_request``). It
weighs by free RAM, most first, then by host name, so the choice is
deterministic. The PCI filter is off, as in Nova's
default and its regression test: PCI fit is only tested by the claim on the
compute host. A topology's ``enabled_filters: [PciPassthroughFilter]`` turns
it on, as Nova's PCI functional tests do: a host passes if the pools its
compute last saved (its free device rows) support the PCI requests.
The NUMATopologyFilter is on (Nova's NUMA tests enable it; its
default filter list does not): a server whose flavor asks for a NUMA topology
goes only where the host's saved cells and free devices fit it, as the
claim will fit it. It passes every host for a server without one.

The order is that of a sort of every host at the moment of the request, but
the sort is never made: placement keeps its providers in a heap by free RAM,
and the first claim usually succeeds. Only when a claim loses a race does the
rest of the order get computed, from the usage as it was at the request.
"""

from __future__ import annotations

from collections.abc import Callable

from ..sim import point
from .context import SERVICE_DOWN_TIME, Context
from .exception import NoValidHost
from .hardware import (
    Limits,
    numa_fit_failure,
    numa_fit_instance_to_host,
    numa_get_constraints,
)
from .objects import AVAILABLE, Flavor, Instance, InstancePCIRequest
from .pci_request import get_pci_requests_from_flavor, port_requests
from .pci_stats import PciDeviceStats
from .placement import UsageSnapshot
from .resource_request import resource_requests

# Nova's [scheduler]max_attempts: a build tries its host and at most two
# alternates.
MAX_ATTEMPTS = 3


async def select_destination(
    context: Context,
    instance: Instance,
    *,
    ignore_hosts: tuple[str, ...] = (),
    requested_host: str | None = None,
    flavor: Flavor | None = None,
) -> str:
    """Picks a host and adds the instance's allocation on it to placement,
    sized by ``flavor`` (a resize's new one; the instance's by default).

    For an evacuation the consumer keeps its source allocation too: placement
    then holds the doubled allocation. Raises NoValidHost.
    """
    hosts = await select_destinations(
        context, instance, ignore_hosts=ignore_hosts, requested_host=requested_host, flavor=flavor
    )
    return hosts[0]


async def select_destinations(
    context: Context,
    instance: Instance,
    *,
    ignore_hosts: tuple[str, ...] = (),
    requested_host: str | None = None,
    alternates: int = 0,
    flavor: Flavor | None = None,
) -> list[str]:
    """The chosen host, claimed in placement as ``select_destination`` does,
    then up to ``alternates`` other hosts that passed the filters at the
    request, in weighed order and not claimed: Nova's alternates, which a
    build that fails on its host is rescheduled to. A requested host has
    none. Raises NoValidHost."""
    await point("SchedulerClient.select_destinations")
    placement, db = context.placement, context.db
    requests = resource_requests(flavor or instance.flavor, instance.image_meta)
    requested_at = context.kernel.now
    pci_requests = request_spec_pci_requests(context, instance, flavor)
    pci_fits = _pci_filter(context, pci_requests)
    numa_fits = NUMATopologyFilter(context, instance, flavor or instance.flavor, pci_requests)

    def passes(host: str, rp_uuid: str) -> bool:
        node = db.compute_nodes.get(host)
        return (
            node is not None
            and node.uuid == rp_uuid
            and host not in ignore_hosts
            and (not requested_host or host == requested_host)
            and context.service_is_up(host)
            and not db.services[host].disabled  # ComputeFilter
            and placement.allocation_request(rp_uuid, requests) is not None
            and pci_fits(host)
            and numa_fits(host)
        )

    with placement.usage_snapshot() as snapshot:
        if requested_host:
            node = db.compute_nodes.get(requested_host)
            first = node.uuid if node and passes(requested_host, node.uuid) else None
        else:
            first = placement.first_by_free_ram(
                lambda rp_uuid: passes(placement.providers[rp_uuid].name, rp_uuid)
            )

        def weighed() -> list[tuple[str, str]]:
            """Every host as weighed at the request."""
            return weighed_hosts(
                context,
                requests,
                ignore_hosts=ignore_hosts,
                requested_host=requested_host,
                now=requested_at,
                snapshot=snapshot,
                pci_fits=pci_fits,
                host_filter=numa_fits,
            )

        def at_request(rp_uuid: str) -> bool:
            """Whether the provider passed the filters as ``weighed_hosts`` does."""
            host = placement.providers[rp_uuid].name
            node = db.compute_nodes.get(host)
            service = db.services.get(host)
            return (
                node is not None
                and service is not None
                and node.uuid == rp_uuid
                and host not in ignore_hosts
                and service.is_up(requested_at, SERVICE_DOWN_TIME)
                and not service.disabled  # ComputeFilter
                and placement.allocation_request(rp_uuid, requests, snapshot.usage(rp_uuid))
                is not None
                and pci_fits(host)
                and numa_fits(host)
            )

        def with_alternates(host: str) -> list[str]:
            """The first ``alternates`` other hosts of the order at the request
            (a requested host has none): a walk of placement's heap."""
            if not alternates or requested_host:
                return [host]
            best = placement.best_by_free_ram(at_request, alternates + 1, snapshot)
            others = [placement.providers[rp].name for rp in best]
            return [host, *[name for name in others if name != host][:alternates]]

        if first is not None:
            chosen = (placement.providers[first].name, first)
            # The host's first candidate, as passes() found it.
            resources = placement.allocation_request(first, requests)
            assert resources is not None
            if await placement.claim_resources(instance.uuid, first, resources):
                return with_alternates(chosen[0])
            # Lost a race for that host: the others, weighed as at the request,
            # each claiming the candidate it had then.
            for host, rp_uuid in weighed():
                resources = placement.allocation_request(rp_uuid, requests, snapshot.usage(rp_uuid))
                if (
                    (host, rp_uuid) != chosen
                    and resources is not None
                    and await placement.claim_resources(instance.uuid, rp_uuid, resources)
                ):
                    return with_alternates(host)
    wanted = f" on '{requested_host}'" if requested_host else ""
    raise NoValidHost(
        f"No valid host was found for '{instance.name}'{wanted}.{numa_fits.explain()}"
    )


def weighed_hosts(
    context: Context,
    requests: tuple[dict[str, int], ...],
    *,
    ignore_hosts: tuple[str, ...] = (),
    requested_host: str | None = None,
    now: float,
    snapshot: UsageSnapshot | None = None,
    pci_fits: Callable[[str], bool] = lambda host: True,
    host_filter: Callable[[str], bool] | None = None,
) -> list[tuple[str, str]]:
    """Every host that passes the filters at ``now``, with its provider, in
    weighed order: the sort of all hosts, for a lost race and for tests.
    ``snapshot`` gives placement usage as it was; by default it is now;
    ``pci_fits`` is the PciPassthroughFilter, ``host_filter`` a further
    filter (the NUMATopologyFilter). ``requests`` are the server's
    allocation candidate queries (``resource_requests``); a host passes
    placement if one of them fits."""
    placement = context.placement
    candidates = []
    for host, node in sorted(context.db.compute_nodes.items()):
        if host in ignore_hosts or (requested_host and host != requested_host):
            continue
        service = context.db.services[host]
        if not service.is_up(now, SERVICE_DOWN_TIME) or service.disabled:  # ComputeFilter
            continue
        used = snapshot.usage(node.uuid) if snapshot else placement.used(node.uuid)
        if placement.allocation_request(node.uuid, requests, used) is None or not pci_fits(host):
            continue
        if host_filter is not None and not host_filter(host):
            continue
        candidates.append((-placement.free_ram(node.uuid, used), host, node.uuid))
    return [(host, rp_uuid) for _, host, rp_uuid in sorted(candidates)]


def request_spec_pci_requests(
    context: Context, instance: Instance, flavor: Flavor | None
) -> list[InstancePCIRequest]:
    """``RequestSpec.pci_requests``, what both filters test: the instance's,
    or for a resize to another flavor the new flavor's alias requests and
    the ports' own, as Nova's resize API makes them (without the flavor's or
    image's PCI NUMA affinity policy, as the move claim does). Before the
    fix of bugs 1983753 and 1941005 the resize kept the old flavor's."""
    requests = instance.pci_requests
    if (
        flavor is not None
        and flavor != instance.flavor
        and context.behaviour.resize_schedules_new_pci_requests
    ):
        aliases = get_pci_requests_from_flavor(flavor, context.topology.pci_aliases, str)
        requests = aliases + port_requests(instance.pci_requests)
    return requests


def _pci_filter(context: Context, requests: list[InstancePCIRequest]) -> Callable[[str], bool]:
    """PciPassthroughFilter, when the topology enables it: whether a host's
    saved pools support ``requests``, without taking anything."""
    if "PciPassthroughFilter" not in context.topology.enabled_filters or not requests:
        return lambda host: True

    def fits(host: str) -> bool:
        node = context.db.compute_nodes[host]
        rows = context.db.stored_pci_devices(node.id)
        return PciDeviceStats(d for d in rows if d.status == AVAILABLE).support_requests(requests)

    return fits


class NUMATopologyFilter:
    """Nova's NUMATopologyFilter for ``instance`` asking for ``flavor``'s
    NUMA topology: a host passes when its saved cells, with the free devices
    of its saved rows, fit the topology and the request spec's PCI requests; a
    host without cells fails such an instance. Every host passes an
    instance whose flavor asks for no NUMA topology. ``refusals`` keeps why
    each host failed, for the NoValidHost message (Nova logs it)."""

    def __init__(
        self,
        context: Context,
        instance: Instance,
        flavor: Flavor,
        pci_requests: list[InstancePCIRequest],
    ) -> None:
        self.context, self.instance, self.pci_requests = context, instance, pci_requests
        self.requested = numa_get_constraints(flavor, instance.image_meta)
        self.refusals: dict[str, str] = {}

    def __call__(self, host: str) -> bool:
        if self.requested is None:
            return True
        node = self.context.db.compute_nodes.get(host)
        if node is None or node.numa_topology is None:
            self.refusals[host] = (
                f"'{host}' reports no NUMA topology and '{self.instance.name}' asks for one."
            )
            return False
        rows = self.context.db.stored_pci_devices(node.id)
        stats = PciDeviceStats((d for d in rows if d.status == AVAILABLE), node.numa_topology)
        requests = self.pci_requests
        fitted = numa_fit_instance_to_host(
            node.numa_topology, self.requested, limits=Limits(), pci_requests=requests,
            pci_stats=stats,
        )  # fmt: skip
        if fitted is None:
            self.refusals[host] = numa_fit_failure(
                self.instance.name, host, node.numa_topology, self.requested, requests, stats
            )
            return False
        return True

    def explain(self) -> str:
        """The refusals, one sentence per host, sorted by host; empty if none."""
        return "".join(
            f" NUMATopologyFilter: {self.refusals[host]}" for host in sorted(self.refusals)
        )
