"""PCI requests from a flavor's aliases (Nova's ``nova/pci/request.py``).

The topology's ``[pci]alias`` entries are grouped by name, as Nova's
``get_alias_from_config`` does: entries of one name are ORed (one request
whose spec lists each entry's vendor, product and device type). A flavor's
``pci_passthrough:alias`` (``a1:2,a2:1``) becomes one request per alias,
with ``alias_name`` set and a fresh ``request_id`` each time the requests
are made: at boot, and again in every move claim. A request's NUMA policy is
the flavor's (or image's) constraint at boot, else the alias's (``legacy`` by
default); a move claim and the resize API make them with the alias's only, as
Nova's ``_move_claim`` and ``API.resize`` call ``get_pci_requests_from_flavor``
without a policy.
"""

from __future__ import annotations

from collections.abc import Callable

from .exception import PciRequestAliasNotDefined
from .objects import Flavor, InstancePCIRequest
from .topology import ALIAS_SPEC, PciAlias

Aliases = dict[str, tuple[str, list[dict[str, str]]]]


def get_alias_from_config(aliases: tuple[PciAlias, ...]) -> Aliases:
    """Alias name -> (numa_policy, specs), specs in the order of the entries.

    The loader already refused entries of one name that differ in policy or
    device type, as Nova raises PciInvalidAlias for them."""
    grouped: Aliases = {}
    for alias in aliases:
        spec = {"vendor_id": alias.vendor_id, "product_id": alias.product_id}
        if alias.device_type:
            spec["dev_type"] = alias.device_type
        if alias.live_migratable is not None:
            spec["live_migratable"] = "true" if alias.live_migratable else "false"
        grouped.setdefault(alias.name, (alias.numa_policy, []))[1].append(spec)
    return grouped


def translate_alias_to_requests(
    alias_spec: str,
    aliases: tuple[PciAlias, ...],
    new_request_id: Callable[[], str],
    affinity_policy: str | None = None,
) -> list[InstancePCIRequest]:
    """One request per ``name:count`` of ``alias_spec``.

    Raises PciRequestAliasNotDefined for a name no alias has."""
    known = get_alias_from_config(aliases)
    requests = []
    for item in alias_spec.split(","):
        name, count = (part.strip() for part in item.split(":"))
        if name not in known:
            raise PciRequestAliasNotDefined(f"PCI alias {name} is not defined")
        numa_policy, specs = known[name]
        requests.append(
            InstancePCIRequest(
                count=int(count),
                spec=[dict(spec) for spec in specs],
                request_id=new_request_id(),
                alias_name=name,
                numa_policy=affinity_policy or numa_policy,
            )
        )
    return requests


def get_pci_requests_from_flavor(
    flavor: Flavor,
    aliases: tuple[PciAlias, ...],
    new_request_id: Callable[[], str],
    affinity_policy: str | None = None,
) -> list[InstancePCIRequest]:
    """The requests the flavor's ``pci_passthrough:alias`` asks for (none without it)."""
    alias_spec = dict(flavor.extra_specs).get(ALIAS_SPEC)
    if not alias_spec:
        return []
    return translate_alias_to_requests(alias_spec, aliases, new_request_id, affinity_policy)


def is_live_migratable(request: InstancePCIRequest) -> bool:
    """Nova's ``InstancePCIRequest.is_live_migratable``: every spec asks for
    live-migratable devices."""
    return all(spec.get("live_migratable") == "true" for spec in request.spec)


def port_requests(requests: list[InstancePCIRequest]) -> list[InstancePCIRequest]:
    """The requests of neutron ports (``source`` NEUTRON_PORT: no alias name)."""
    return [request for request in requests if request.alias_name is None]
