"""The scheduler: choose a destination and claim it in placement.

It keeps hosts whose compute service is up (ComputeFilter), skips ignored
hosts (an evacuation ignores its source), honours a requested host, and asks
placement whether the flavor fits. It weighs by free RAM, most first, then by
host name, so the choice is deterministic. The PCI filter is off, as in Nova's
default and its regression test: PCI fit is only tested by the claim on the
compute host.
"""

from __future__ import annotations

from ..sim import point
from .context import Context
from .exception import NoValidHost
from .objects import Instance
from .placement import flavor_resources


async def select_destination(
    context: Context,
    instance: Instance,
    *,
    ignore_hosts: tuple[str, ...] = (),
    requested_host: str | None = None,
) -> str:
    """Picks a host and adds the instance's allocation on it to placement.

    For an evacuation the consumer keeps its source allocation too: placement
    then holds the doubled allocation. Raises NoValidHost.
    """
    await point("SchedulerClient.select_destinations")
    placement = context.placement
    resources = flavor_resources(instance.flavor)
    candidates = []
    for host, node in sorted(context.db.compute_nodes.items()):
        if host in ignore_hosts or (requested_host and host != requested_host):
            continue
        if not context.service_is_up(host) or not placement.fits(node.uuid, resources):
            continue
        free_ram = (
            placement.providers[node.uuid].capacity("MEMORY_MB")
            - placement.usage(node.uuid)["MEMORY_MB"]
        )
        candidates.append((-free_ram, host, node.uuid))
    for _, host, rp_uuid in sorted(candidates):
        if await placement.claim_resources(instance.uuid, rp_uuid, resources):
            return host
    wanted = f" on '{requested_host}'" if requested_host else ""
    raise NoValidHost(f"No valid host was found for '{instance.name}'{wanted}.")
