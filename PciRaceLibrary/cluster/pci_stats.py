"""PCI pools (Nova's ``PciDeviceStats``): free devices grouped by their properties.

Pool order matters, because a request takes devices from the first pools that
fit: pools are kept stably sorted by their number of keys (VF pools carry
``parent_ifname`` and so come after PF pools); a pool emptied by a claim is
removed and, when a device comes back, re-created at the end. So after a
wrongful free the next server may get a different VF than a fresh host gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .objects import PF, VDPA, InstancePCIRequest, PciDevice


@dataclass
class Pool:
    key: dict[str, str]
    devices: list[PciDevice] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.devices)


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
    key["address"] = device.parent_addr or device.address
    if device.parent_ifname:
        key["parent_ifname"] = device.parent_ifname
    key["remote_managed"] = "true" if device.remote_managed else "false"
    return key


def _spec_matches(wanted: list[tuple[str, str]], pool: Pool) -> bool:
    """Whether ``pool`` has every (key, lower-cased value) of ``wanted``."""
    key = pool.key
    # A loop, not all() over a generator: a boot tests every pool of its host.
    for name, value in wanted:  # noqa: SIM110
        if name not in key or key[name].lower() != value:
            return False
    return True


class PciDeviceStats:
    """The pools of one host's free devices."""

    def __init__(self, devices: Iterable[PciDevice] = ()) -> None:
        # What adding each device in turn gives, grouped in one pass: pools in
        # order of their first device, stably sorted by number of keys.
        grouped: dict[tuple[tuple[str, str], ...], Pool] = {}
        seen: set[int] = set()
        for device in devices:
            if id(device) in seen:
                continue
            seen.add(id(device))
            key = pool_key(device)
            pool = grouped.get(signature := tuple(key.items()))
            if pool is None:
                grouped[signature] = pool = Pool(key)
            pool.devices.append(device)
        self.pools: list[Pool] = sorted(grouped.values(), key=lambda pool: len(pool.key))

    def add_device(self, device: PciDevice) -> None:
        key = pool_key(device)
        for pool in self.pools:
            if pool.key == key:
                if not any(member is device for member in pool.devices):
                    pool.devices.append(device)
                return
        # Where a stable sort by number of keys would put a pool appended last.
        size = len(key)
        at = next((n for n, pool in enumerate(self.pools) if len(pool.key) > size), None)
        self.pools.insert(len(self.pools) if at is None else at, Pool(key, [device]))

    def remove_device(self, device: PciDevice) -> None:
        key = pool_key(device)  # a device's pool key never changes
        for pool in self.pools:
            if pool.key == key:
                for n, member in enumerate(pool.devices):
                    if member is device:
                        del pool.devices[n]
                        if not pool.devices:
                            self.pools.remove(pool)
                        return
                return

    def free_devices(self) -> list[PciDevice]:
        return [device for pool in self.pools for device in pool.devices]

    def _filter(self, request: InstancePCIRequest) -> list[Pool]:
        spec = request.spec[0] if request.spec else {}
        # Lower-cased once per request, not once per pool.
        wanted = [(key, str(value).lower()) for key, value in spec.items()]
        pools = [pool for pool in self.pools if _spec_matches(wanted, pool)]
        wanted_type = spec.get("dev_type")
        if wanted_type != PF:
            pools = [pool for pool in pools if pool.key["dev_type"] != PF]
        if wanted_type != VDPA:
            pools = [pool for pool in pools if pool.key["dev_type"] != VDPA]
        if str(spec.get("remote_managed", "false")).lower() != "true":
            pools = [pool for pool in pools if pool.key["remote_managed"] != "true"]
        return pools

    def support_requests(self, requests: Iterable[InstancePCIRequest]) -> bool:
        """Tests whether ``requests`` fit, on a copy (the claim's fit test)."""
        requests = list(requests)
        if len(requests) == 1:
            # One request fits when its pools hold enough devices: what taking
            # them from a copy would find, without making the copy.
            return sum(pool.count for pool in self._filter(requests[0])) >= requests[0].count
        trial = PciDeviceStats()
        # A pool's key never changes once made: a copy shares it, and copies
        # only the list of devices a trial takes from.
        trial.pools = [Pool(pool.key, list(pool.devices)) for pool in self.pools]
        return trial._take(requests) is not None  # a throwaway: nothing to restore

    def consume_requests(self, requests: Iterable[InstancePCIRequest]) -> list[PciDevice] | None:
        """Takes devices for ``requests`` out of the pools; None if they do not fit.

        Nothing is taken unless every request fits.
        """
        snapshot = [Pool(pool.key, list(pool.devices)) for pool in self.pools]
        chosen = self._take(requests)
        if chosen is None:
            self.pools = snapshot
        return chosen

    def _take(self, requests: Iterable[InstancePCIRequest]) -> list[PciDevice] | None:
        """Takes devices for each request in turn; None at the first that does
        not fit, leaving what the ones before took out of the pools."""
        chosen: list[PciDevice] = []
        for request in requests:
            pools = self._filter(request)
            if sum(pool.count for pool in pools) < request.count:
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
