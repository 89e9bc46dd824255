"""What a server's flavor and image ask of placement: Nova's ``ResourceRequest``.

Every place that claims, moves or checks an allocation asks here
(``resource_requests``), so that a build, an evacuation, a resize to a new
flavor, a live migration, an unshelve, the accounting checker and the
placement keywords agree on what a server holds. Nova builds the request in
``nova/scheduler/utils.py`` (``ResourceRequest.from_request_spec``); the
scheduler may ask placement more than once for one server (its allocation
candidate queries), so the answer is a tuple of requests in the order the
scheduler asks them, and each host gives the first that fits it
(``Placement.allocation_request``).
"""

from __future__ import annotations

import functools

from .objects import Flavor
from .topology import ImageSpec


@functools.lru_cache(maxsize=256)
def resource_requests(flavor: Flavor, image: ImageSpec | None = None) -> tuple[dict[str, int], ...]:
    """The allocation candidate queries a server of ``flavor`` booted from
    ``image`` makes, in the scheduler's order: VCPU, MEMORY_MB and DISK_GB
    of the flavor. Remembered per pair; the dicts are shared, so do not
    mutate them."""
    return ({"VCPU": flavor.vcpus, "MEMORY_MB": flavor.memory_mb, "DISK_GB": flavor.disk_gb},)
