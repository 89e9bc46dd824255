"""What a server's flavor and image ask of placement: Nova's ``ResourceRequest``.

Every place that claims, moves or checks an allocation asks here
(``resource_requests``), so that a build, an evacuation, a resize to a new
flavor, a live migration, an unshelve, the accounting checker and the
placement keywords agree on what a server holds. The scheduler may ask
placement more than once for one server (its allocation candidate queries),
so the answer is a tuple of requests in the order the scheduler asks them,
and each host gives the first that fits it (``Placement.allocation_request``).

Since Train (``nova/scheduler/utils.py``, ``ResourceRequest.from_request_spec``
and ``_translate_pinning_policies``) a server with dedicated CPUs (the
flavor's ``hw:cpu_policy=dedicated`` or the image's ``hw_cpu_policy``) asks
for PCPU instead of VCPU. Hosts configured as before Train report no PCPU,
so the scheduler (``nova/scheduler/manager.py``, ``select_destinations``)
asks placement a second time, with the translation off, for the old VCPU
allocation, unless ``[workarounds]disable_fallback_pcpu_query`` is set (it
is not by default). It merges both answers: each host's first candidate is
the PCPU one where the host could give it, else the VCPU one; the
NUMATopologyFilter then weeds out hosts without the free pinned CPUs.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from .hardware import cpu_policy_constraint
from .numa import DEDICATED
from .objects import Flavor
from .topology import ImageSpec

if TYPE_CHECKING:
    from .placement import Placement

# Nova's [workarounds]disable_fallback_pcpu_query default.
DISABLE_FALLBACK_PCPU_QUERY = False


@functools.lru_cache(maxsize=256)
def resource_requests(
    flavor: Flavor,
    image: ImageSpec | None = None,
    *,
    disable_fallback_pcpu_query: bool = DISABLE_FALLBACK_PCPU_QUERY,
) -> tuple[dict[str, int], ...]:
    """The allocation candidate queries a server of ``flavor`` booted from
    ``image`` makes, in the scheduler's order: the translated request (PCPU
    for dedicated CPUs, else VCPU, then MEMORY_MB and DISK_GB), and for
    dedicated CPUs the VCPU fallback unless it is disabled. Remembered per
    pair; the dicts are shared, so do not mutate them."""
    legacy = {"VCPU": flavor.vcpus, "MEMORY_MB": flavor.memory_mb, "DISK_GB": flavor.disk_gb}
    if (not flavor.extra_specs and (image is None or not image.properties)) or (
        cpu_policy_constraint(flavor, image) != DEDICATED
    ):
        return (legacy,)
    # _translate_pinning_policies: VCPU -> PCPU, as many as the flavor's vCPUs.
    pinned = {"PCPU": flavor.vcpus, "MEMORY_MB": flavor.memory_mb, "DISK_GB": flavor.disk_gb}
    return (pinned,) if disable_fallback_pcpu_query else (pinned, legacy)


def forced_move_resources(
    placement: Placement,
    consumer: str,
    source_rp: str | None,
    dest_rp: str,
    requests: tuple[dict[str, int], ...],
) -> dict[str, int]:
    """What a move forced to a host (past the scheduler) claims there, as
    ``claim_resources_on_destination`` (``nova/scheduler/utils.py``) does:
    a copy of what ``consumer`` holds on the source provider (PCPU for a
    pinned server on a host that reports them, VCPU on one that does not).
    Where it holds nothing there (Nova would refuse the move; the model
    has always claimed the flavor), the request the destination is asked
    for (``Placement.request_for``)."""
    held = placement.allocations.get(consumer, {}).get(source_rp or "")
    if held:
        return dict(held)
    return placement.request_for(dest_rp, requests)
