"""PCI pools (Nova's ``PciDeviceStats``): free devices grouped by their properties.

Pool order matters, because a request takes devices from the first pools that
fit: pools are kept stably sorted by their number of keys (VF pools carry
``parent_ifname`` and so come after PF pools); a pool emptied by a claim is
removed and, when a device comes back, re-created at the end. So after a
wrongful free the next server may get a different VF than a fresh host gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .objects import PF, STANDALONE, VDPA, InstancePCIRequest, PciDevice

if TYPE_CHECKING:
    from .numa import InstanceNUMACell, NUMATopology

# Nova's fields.PCINUMAAffinityPolicy; a request without one reads as legacy.
REQUIRED, LEGACY, PREFERRED, SOCKET = "required", "legacy", "preferred", "socket"


@dataclass
class Pool:
    key: dict[str, str]
    devices: list[PciDevice] = field(default_factory=list)
    # The key's values lower-cased, as specs are matched: a key never changes.
    lowered: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.lowered = {name: value.lower() for name, value in self.key.items()}

    @classmethod
    def made(cls, parts: tuple[dict[str, str], dict[str, str]], devices: list[PciDevice]) -> Pool:
        """A pool of ``devices`` whose (key, lowered key) are ``parts``, made
        already: neither is derived again."""
        pool = object.__new__(cls)
        pool.key, pool.lowered = parts
        pool.devices = devices
        return pool

    def copy(self) -> Pool:
        """A pool with the same key (a key never changes, nor its lowered
        copy) and a list of its own of the same devices."""
        return Pool.made((self.key, self.lowered), list(self.devices))

    @property
    def count(self) -> int:
        return len(self.devices)


def _signature(device: PciDevice) -> tuple:
    """What ``device`` is pooled by: with ``parent_addr or address`` and
    ``parent_ifname or None``, devices of equal signatures have equal pool
    keys, so devices are grouped before any key dict is made, and the dicts
    of a signature seen before are shared."""
    # Attribute by attribute, not an attrgetter: the interpreter's own reads
    # of slots cost a fifth of the attrgetter's generic ones.
    return (device.vendor_id, device.product_id, device.numa_node, device.dev_type,
            device.physnet, device.trusted, device.live_migratable, device.remote_managed,
            device.parent_addr or device.address, device.parent_ifname or None)  # fmt: skip


# (key, lowered key) per signature: every cluster built from one topology (a
# robot test's, an explorer's schedule) asks for the same few again. Keys are
# never changed, so pools share them. Bounded: a big cluster's keys name its
# hosts' addresses and interfaces, so the table starts over when full rather
# than holding them all.
_PARTS: dict[tuple, tuple[dict[str, str], dict[str, str]]] = {}
_PARTS_KEPT = 512


# (spec signature, ids of the pool keys in order) -> the positions of the
# pools that match and of those ``_narrow`` keeps, and the keys (see
# ``PciDeviceStats._match``). Bounded as ``_PARTS`` is.
_MATCHES: dict[tuple, tuple[list[int], list[int], list[dict[str, str]]]] = {}
_MATCHES_KEPT = 1024


def _pool_parts(signature: tuple, device: PciDevice) -> tuple[dict[str, str], dict[str, str]]:
    """The (key, lowered key) of ``device``, whose signature is ``signature``."""
    parts = _PARTS.get(signature)
    if parts is None:
        key = pool_key(device)
        parts = key, {name: value.lower() for name, value in key.items()}
        if len(_PARTS) >= _PARTS_KEPT:
            _PARTS.clear()
        _PARTS[signature] = parts
    return parts


def pool_key(device: PciDevice) -> dict[str, str]:
    """The properties a device is pooled by (nova-model 1.5 step 1)."""
    key = {
        "vendor_id": device.vendor_id,
        "product_id": device.product_id,
        "numa_node": str(device.numa_node),
        "dev_type": device.dev_type,
    }
    if device.physnet is not None:
        key["physical_network"] = device.physnet
    for tag in ("trusted", "live_migratable"):
        value = getattr(device, tag)
        if value is not None:
            key[tag] = "true" if value else "false"
    key["address"] = device.parent_addr or device.address
    if device.parent_ifname:
        key["parent_ifname"] = device.parent_ifname
    # Nova's _ensure_remote_managed_tag: network devices only, 'false' unless tagged.
    if device.remote_managed or device.dev_type != STANDALONE:
        key["remote_managed"] = "true" if device.remote_managed else "false"
    return key


def _key_size(pool: Pool) -> int:
    return len(pool.key)


def _lowered(spec: dict[str, str | None]) -> tuple[tuple[str, str | None], ...]:
    """A spec's (key, lower-cased value) pairs: lower-cased once per request.
    None stays None: it asks for a pool without that tag."""
    return tuple(
        (key, None if value is None else str(value).lower()) for key, value in spec.items()
    )


def _spec_matches(wanted: tuple[tuple[str, str | None], ...], pool: Pool) -> bool:
    """Whether ``pool`` has every (key, lower-cased value) of ``wanted``; a
    wanted None matches a pool without the tag, as Nova compares them."""
    key = pool.lowered
    # A loop, not all() over a generator: a boot tests every pool of its host.
    for name, value in wanted:  # noqa: SIM110
        if key.get(name) != value:
            return False
    return True


def _true(value: object) -> bool:
    return str(value).lower() in ("true", "1", "yes", "on", "y", "t")


class PciDeviceStats:
    """The pools of one host's free devices."""

    def __init__(
        self, devices: Iterable[PciDevice] = (), numa_topology: NUMATopology | None = None
    ) -> None:
        # The host's cells: the socket policy reads their sockets.
        self.numa_topology = numa_topology
        # What adding each device in turn gives, grouped in one pass: pools in
        # order of their first device, stably sorted by number of keys.
        grouped: dict[tuple, list[PciDevice]] = {}
        devices = list(devices)
        for device in dict(zip(map(id, devices), devices, strict=True)).values():  # each once
            members = grouped.get(signature := _signature(device))
            if members is None:
                grouped[signature] = [device]
            else:
                members.append(device)
        pools = [
            Pool.made(_pool_parts(signature, members[0]), members)
            for signature, members in grouped.items()
        ]
        self.pools: list[Pool] = sorted(pools, key=_key_size)
        self._matching: dict[tuple, tuple[list[Pool], list[Pool]]] = {}

    @classmethod
    def of_pools(cls, pools: list[Pool], numa_topology: NUMATopology | None) -> PciDeviceStats:
        """The stats whose pools are ``pools``, made and in order already (a
        new host's tracker, from its PciLayout)."""
        stats = cls.__new__(cls)
        stats.numa_topology = numa_topology
        stats.pools = pools
        stats._matching = {}
        return stats

    def add_device(self, device: PciDevice) -> None:
        parts = _pool_parts(_signature(device), device)
        key = parts[0]
        for pool in self.pools:
            if pool.key == key:
                if not any(member is device for member in pool.devices):
                    pool.devices.append(device)
                return
        # Where a stable sort by number of keys would put a pool appended last.
        size = len(key)
        at = next((n for n, pool in enumerate(self.pools) if len(pool.key) > size), None)
        self.pools.insert(len(self.pools) if at is None else at, Pool.made(parts, [device]))
        self._matching.clear()

    def remove_device(self, device: PciDevice) -> None:
        key = _pool_parts(_signature(device), device)[0]  # a device's pool key never changes
        for pool in self.pools:
            if pool.key == key:
                for n, member in enumerate(pool.devices):
                    if member is device:
                        del pool.devices[n]
                        if not pool.devices:
                            self.pools.remove(pool)
                            self._matching.clear()
                        return
                return

    def free_devices(self) -> list[PciDevice]:
        return [device for pool in self.pools for device in pool.devices]

    def free_per_numa_node(self) -> dict[int, int]:
        """Free devices per NUMA node (the fit's cell order reads them)."""
        counts: dict[int, int] = {}
        for pool in self.pools:
            node = pool.devices[0].numa_node if pool.devices else None
            if node is not None:
                counts[node] = counts.get(node, 0) + pool.count
        return counts

    def matching_per_numa_node(self, requests: Iterable[InstancePCIRequest]) -> dict[int, int]:
        """Free devices per NUMA node that one of ``requests`` could take
        but for its NUMA policy (a refusal's message names them)."""
        matching: dict[int, PciDevice] = {}
        for request in requests:
            for pool in self._filter(request) or []:
                matching.update((id(device), device) for device in pool.devices)
        counts: dict[int, int] = {}
        for device in matching.values():
            counts[device.numa_node] = counts.get(device.numa_node, 0) + 1
        return counts

    def _filter(
        self, request: InstancePCIRequest, numa_cells: Sequence[InstanceNUMACell] | None = None
    ) -> list[Pool] | None:
        """The pools that may serve ``request``, in the order to take from;
        None when too few devices pass a step, as Nova's ``_filter_pools``:
        pools matching any of the request's specs (an alias's entries are
        ORed), those the NUMA policy allows, less PFs, vDPA and remote-managed
        devices no spec asks for, and, when every spec says so, the devices
        that are (not) live-migratable."""
        specs = request.spec or [{}]
        # Which pools match, and which of those the key-only steps after the
        # NUMA one keep, depends on pool keys only: kept until a pool comes or
        # goes, so a boot's fit test and claim scan a host's pools once.
        try:
            signature = tuple([tuple(spec.items()) for spec in specs])
            cached = self._matching.get(signature)
        except TypeError:  # an unhashable spec value: match afresh
            signature, cached = None, None
        if cached is None:
            cached = self._match(specs, signature)
            if signature is not None:
                self._matching[signature] = cached
        matched, narrowed = cached
        if not _holds(matched, request.count):
            return None
        if not numa_cells:
            return narrowed  # the NUMA step keeps every pool then
        pools = self._filter_for_numa_cells(matched, request, numa_cells)
        if not _holds(pools, request.count):
            return None
        return _narrow(pools, specs)

    def _match(
        self, specs: list[dict[str, str]], signature: tuple | None
    ) -> tuple[list[Pool], list[Pool]]:
        """The pools matching any of ``specs``, and those of them the
        key-only steps keep (``_narrow``). Both depend only on the specs and
        the pool keys in order; keys are shared by every host and cluster
        built from one topology (``_pool_parts``), so the answer is kept in
        ``_MATCHES`` by the keys' identities: each test's fresh cluster then
        does not match its pools again (a tenth of a boot's cost)."""
        pools = self.pools
        keys = tuple([id(pool.key) for pool in pools])  # a list: one frame, not one a pool
        found = _MATCHES.get((signature, keys)) if signature is not None else None
        if found is None:
            wanted = [_lowered(spec) for spec in specs]
            matched = [p for p in pools if any(_spec_matches(w, p) for w in wanted)]
            narrowed = _narrow(matched, specs)
            if signature is None:
                return matched, narrowed
            at = {id(pool): n for n, pool in enumerate(pools)}
            # The entry holds the keys themselves: while it lives, no other
            # dict can take their ids.
            found = (
                [at[id(pool)] for pool in matched],
                [at[id(pool)] for pool in narrowed],
                [pool.key for pool in pools],
            )
            if len(_MATCHES) >= _MATCHES_KEPT:
                _MATCHES.clear()
            _MATCHES[signature, keys] = found
        return [pools[n] for n in found[0]], [pools[n] for n in found[1]]

    def _filter_for_numa_cells(
        self,
        pools: list[Pool],
        request: InstancePCIRequest,
        numa_cells: Sequence[InstanceNUMACell] | None,
    ) -> list[Pool]:
        """The pools whose NUMA node the request's policy accepts for an
        instance on ``numa_cells`` (host cell ids); every pool when the
        instance has no NUMA topology. Strictest first: pools on the cells;
        for ``socket``, on the cells' sockets; then also pools with no NUMA
        node (``legacy`` stops here); ``preferred`` at last takes every pool,
        those on the cells first. ``required`` never goes past the first."""
        if not numa_cells:
            return pools
        policy = request.numa_policy or LEGACY
        cell_ids = {str(cell.id) for cell in numa_cells}
        on_cells = [pool for pool in pools if pool.key["numa_node"] in cell_ids]
        if policy == REQUIRED or _holds(on_cells, request.count):
            return on_cells
        if policy == SOCKET:
            return self._filter_for_socket_affinity(pools, numa_cells)
        cell_ids.add("None")
        near = [pool for pool in pools if pool.key["numa_node"] in cell_ids]
        if policy == LEGACY or _holds(near, request.count):
            return near
        return sorted(pools, key=lambda pool: pool.key["numa_node"] not in cell_ids)

    def _filter_for_socket_affinity(
        self, pools: list[Pool], numa_cells: Sequence[InstanceNUMACell]
    ) -> list[Pool]:
        """Pools on any host cell of a socket the instance's cells are on;
        none when a host cell has no socket."""
        host_cells = self.numa_topology.cells if self.numa_topology is not None else ()
        if not host_cells or any(cell.socket is None for cell in host_cells):
            return []
        wanted = {cell.id for cell in numa_cells}
        sockets = {cell.socket for cell in host_cells if cell.id in wanted}
        allowed = {str(cell.id) for cell in host_cells if cell.socket in sockets}
        return [pool for pool in pools if pool.key["numa_node"] in allowed]

    def support_requests(
        self,
        requests: Iterable[InstancePCIRequest],
        numa_cells: Sequence[InstanceNUMACell] | None = None,
    ) -> bool:
        """Tests whether ``requests`` fit, on a copy (the claim's fit test);
        with ``numa_cells``, as their NUMA policies allow."""
        requests = list(requests)
        if len(requests) == 1:
            # One request fits when its pools hold enough devices: what taking
            # them from a copy would find, without making the copy.
            pools = self._filter(requests[0], numa_cells)
            return pools is not None and _holds(pools, requests[0].count)
        trial = PciDeviceStats(numa_topology=self.numa_topology)
        # A pool's key never changes once made: a copy shares it, and copies
        # only the list of devices a trial takes from.
        trial.pools = [pool.copy() for pool in self.pools]
        trial._matching = {}
        return trial._take(requests, numa_cells) is not None  # a throwaway: nothing to restore

    def consume_requests(
        self,
        requests: Iterable[InstancePCIRequest],
        numa_cells: Sequence[InstanceNUMACell] | None = None,
    ) -> list[PciDevice] | None:
        """Takes devices for ``requests`` out of the pools; None if they do not
        fit (on ``numa_cells`` as the requests' NUMA policies allow).

        Nothing is taken unless every request fits.
        """
        requests = list(requests)
        if len(requests) == 1:
            # One request takes nothing unless it fits (``_take`` tests first):
            # no snapshot to restore.
            return self._take(requests, numa_cells)
        snapshot = [pool.copy() for pool in self.pools]
        chosen = self._take(requests, numa_cells)
        if chosen is None:
            self.pools = snapshot
            self._matching.clear()  # the cache names the pools taken from
        return chosen

    def _take(
        self,
        requests: Iterable[InstancePCIRequest],
        numa_cells: Sequence[InstanceNUMACell] | None,
    ) -> list[PciDevice] | None:
        """Takes devices for each request in turn; None at the first that does
        not fit, leaving what the ones before took out of the pools."""
        chosen: list[PciDevice] = []
        for request in requests:
            pools = self._filter(request, numa_cells)
            if pools is None or not _holds(pools, request.count):
                return None
            needed = request.count
            for pool in pools:
                while needed and pool.devices:
                    device = pool.devices[-1]  # Nova pops from the end
                    self.remove_device(device)
                    self._remove_dependants(device)
                    chosen.append(device)
                    needed -= 1
        return chosen

    def _remove_dependants(self, device: PciDevice) -> None:
        # A PF in use takes its VFs out of the pools; a VF in use, its PF.
        if device.is_parent:
            for child in device.child_devices:
                self.remove_device(child)
        elif device.parent_device is not None:
            self.remove_device(device.parent_device)


def _narrow(pools: list[Pool], specs: list[dict[str, str]]) -> list[Pool]:
    """Nova's last steps of ``_filter_pools``: less PFs, vDPA and
    remote-managed devices no spec asks for, and, when every spec says so,
    the devices that are (not) live-migratable."""
    if all(spec.get("dev_type") != PF for spec in specs):
        pools = [pool for pool in pools if pool.key["dev_type"] != PF]
    if all(spec.get("dev_type") != VDPA for spec in specs):
        pools = [pool for pool in pools if pool.key["dev_type"] != VDPA]
    if not any(_true(spec.get("remote_managed")) for spec in specs):
        pools = [pool for pool in pools if not _true(pool.key.get("remote_managed"))]
    for wanted in ("true", "false"):
        if all(spec.get("live_migratable") == wanted for spec in specs):
            pools = [pool for pool in pools if pool.key.get("live_migratable") == wanted]
    return pools


def _holds(pools: list[Pool], count: int) -> bool:
    """Whether ``pools`` hold at least ``count`` devices: counted only as far
    as needed, as a boot tests its host's pools three times."""
    for pool in pools:
        count -= len(pool.devices)
        if count <= 0:
            return True
    return count <= 0
