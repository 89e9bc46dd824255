"""Pools are grouped by a device signature, and a signature's key is shared
between clusters: both must give exactly the pools ``pool_key`` gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from PciRaceLibrary.cluster.objects import PciDevice
from PciRaceLibrary.cluster.pci_stats import PciDeviceStats, pool_key

ADDRESSES = ("0000:01:00.0", "0000:01:00.1", "0000:01:00.2", "0000:02:00.0")

FIELDS = {
    "address": st.sampled_from(ADDRESSES),
    "dev_type": st.sampled_from(("type-PF", "type-VF", "type-PCI", "vdpa")),
    "parent_addr": st.sampled_from((None, "", ADDRESSES[0], ADDRESSES[3])),
    "vendor_id": st.sampled_from(("8086", "15B3")),
    "numa_node": st.sampled_from((0, 1)),
    "physnet": st.sampled_from((None, "", "physnet1", "PhysNet1")),
    "parent_ifname": st.sampled_from((None, "", "ens1")),
    "remote_managed": st.booleans(),
    "trusted": st.sampled_from((None, False, True)),
    "live_migratable": st.sampled_from((None, False, True)),
}
BASE = {"compute_node_id": 1, "host": "host1", "product_id": "154d"}


@st.composite
def devices(draw: st.DrawFn, max_size: int) -> list[PciDevice]:
    """Devices that differ from a first one in a field or two: devices of
    one pool, and of pools whose keys are nearly equal."""
    first = {name: draw(values) for name, values in FIELDS.items()}
    rows = []
    for _ in range(draw(st.integers(0, max_size))):
        changed = draw(st.sets(st.sampled_from(sorted(FIELDS)), max_size=2))
        fields = {**first, **{name: draw(FIELDS[name]) for name in changed}}
        rows.append(PciDevice(**BASE, **fields))
    return rows


def reference_pools(rows: list[PciDevice]) -> list[tuple[dict[str, str], list[PciDevice]]]:
    """What adding each device in turn by its ``pool_key`` gives."""
    pools: list[tuple[dict[str, str], list[PciDevice]]] = []
    for device in rows:
        key = pool_key(device)
        same = next((pool for pool in pools if pool[0] == key), None)
        if same is None:
            pools.append((key, [device]))
        elif not any(member is device for member in same[1]):
            same[1].append(device)
    return sorted(pools, key=lambda pool: len(pool[0]))


@settings(max_examples=300, deadline=None)
@given(devices(max_size=8))
def test_pools_are_the_pools_of_their_keys(rows: list[PciDevice]) -> None:
    for _ in range(2):  # the second build reads the shared keys
        stats = PciDeviceStats(rows)
        got = [(pool.key, pool.devices) for pool in stats.pools]
        assert got == reference_pools(rows)
        for pool in stats.pools:
            assert pool.lowered == {name: value.lower() for name, value in pool.key.items()}


@settings(max_examples=100, deadline=None)
@given(devices(max_size=6), devices(max_size=6))
def test_added_devices_join_the_pools_of_their_keys(
    first: list[PciDevice], then: list[PciDevice]
) -> None:
    stats = PciDeviceStats(first)
    for device in then:
        stats.add_device(device)
    assert [(pool.key, pool.devices) for pool in stats.pools] == reference_pools(first + then)
