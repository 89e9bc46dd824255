"""PCI device transitions and the tracker: claim, allocate, free; PF/VF exclusivity."""

from __future__ import annotations

import pytest

from PciRaceLibrary.cluster.exception import PciDeviceInvalidStatus
from PciRaceLibrary.cluster.objects import (
    InstancePCIRequest,
    PciDevice,
)
from PciRaceLibrary.cluster.pci_tracker import PciDevTracker
from PciRaceLibrary.cluster.topology import fake_driver_devices


def rows(host: str = "host1") -> list[PciDevice]:
    return [PciDevice.from_spec(1, host, spec) for spec in fake_driver_devices(host)]


def tracker() -> tuple[PciDevTracker, list[str]]:
    notes: list[str] = []
    return PciDevTracker("host1", 1, rows(), lambda change: notes.append(change.sentence())), notes


def statuses(pci: PciDevTracker) -> dict[str, str]:
    return {device.address: device.status for device in pci.devices}


def vf_request(physnet: str = "physnet2") -> InstancePCIRequest:
    spec = {"dev_type": "type-VF", "physical_network": physnet}
    return InstancePCIRequest(1, [spec], "req-1", requester_id="port-1")


def test_vf_claim_makes_its_pf_unclaimable_and_allocate_unavailable() -> None:
    pci, notes = tracker()
    vf, pf = pci.device("0000:02:00.1"), pci.device("0000:02:00.0")
    vf.claim("vm1")
    assert (vf.status, pf.status) == ("claimed", "unclaimable")
    vf.allocate("vm1")
    assert (vf.status, pf.status) == ("allocated", "unavailable")
    freed = vf.free("vm1")
    assert {d.address for d in freed} == {"0000:02:00.0", "0000:02:00.1"}
    assert (vf.status, pf.status, vf.instance_uuid) == ("available", "available", None)
    assert "PciDevice host1 0000:02:00.1 available -> claimed (vm1)" in notes


def test_pf_claim_makes_its_vfs_unclaimable_and_frees_them_back() -> None:
    pci, _ = tracker()
    pf, vf = pci.device("0000:03:00.0"), pci.device("0000:03:00.1")
    pf.claim("vm1")
    assert vf.status == "unclaimable"
    with pytest.raises(
        PciDeviceInvalidStatus, match=r"0000:03:00\.1 on 'host1': it is unclaimable"
    ):
        vf.claim("vm2")
    pf.allocate("vm1")
    assert vf.status == "unavailable"
    pf.free()
    assert (pf.status, vf.status) == ("available", "available")


def test_invalid_transitions_are_refused() -> None:
    pci, _ = tracker()
    vf = pci.device("0000:02:00.1")
    with pytest.raises(PciDeviceInvalidStatus, match="it is available, not claimed or allocated"):
        vf.free()
    vf.claim("vm1")
    with pytest.raises(PciDeviceInvalidStatus, match="not available or claimed by vm2"):
        vf.allocate("vm2")
    with pytest.raises(PciDeviceInvalidStatus, match="belongs to vm1"):
        vf.free("vm2")
    pf = pci.device("0000:02:00.0")
    pf.status = "available"  # as if the rows disagreed
    with pytest.raises(PciDeviceInvalidStatus, match=r"its VF 0000:02:00\.1 is claimed"):
        pf.claim("vm3")


def test_tracker_claims_vfs_of_the_requested_physnet_until_none_is_left() -> None:
    pci, _ = tracker()
    first = pci.claim_instance("vm1", [vf_request()])
    second = pci.claim_instance("vm2", [vf_request()])
    assert first
    assert second
    assert {first[0].address, second[0].address} == {"0000:02:00.1", "0000:03:00.1"}
    assert pci.claim_instance("vm3", [vf_request()]) is None
    assert pci.claim_instance("vm4", [vf_request("physnet1")])[0].address == "0000:01:00.1"
    pci.allocate_instance("vm1")
    assert pci.allocations["vm1"] == first
    assert [d.address for d in pci.free_instance("vm1")] == [first[0].address]
    assert pci.claim_instance("vm5", [vf_request()]) is not None


def test_clean_usage_frees_only_what_the_audit_did_not_see() -> None:
    pci, _ = tracker()
    pci.claim_instance("vm1", [vf_request()])
    pci.allocate_instance("vm1")
    pci.claim_instance("vm2", [vf_request()])
    pci.allocate_instance("vm2")
    assert pci.clean_usage({"vm2"}) == ["vm1"]
    assert "vm1" not in pci.allocations
    assert "vm2" in pci.allocations
    assert sum(status == "available" for status in statuses(pci).values()) == 4


def test_tracker_rebuilds_claims_and_allocations_from_rows() -> None:
    devices = rows()
    devices[3].status, devices[3].instance_uuid = "allocated", "vm1"  # 0000:02:00.1
    devices[2].status = "unavailable"  # its PF
    pci = PciDevTracker("host1", 1, devices, lambda note: None)
    assert [d.address for d in pci.allocations["vm1"]] == ["0000:02:00.1"]
    assert pci.clean_usage(set()) == ["vm1"]
    assert pci.device("0000:02:00.0").status == "available"


def pool_counts(pci: PciDevTracker) -> dict[tuple[str, str], int]:
    return {(pool.key["address"], pool.key["dev_type"]): pool.count for pool in pci.stats.pools}


def test_pools_count_free_devices_and_follow_claims_and_frees() -> None:
    pci, _ = tracker()
    assert len(pci.stats.free_devices()) == 6
    assert sum(pool_counts(pci).values()) == 6
    claimed = pci.claim_instance("vm1", [vf_request()])
    assert claimed
    vf = claimed[0]
    # The VF and its PF both leave the pools: one VF in use costs two devices.
    assert len(pci.stats.free_devices()) == 4
    assert (vf.parent_addr, "type-VF") not in pool_counts(pci)
    assert (vf.parent_addr, "type-PF") not in pool_counts(pci)
    pci.allocate_instance("vm1")
    assert len(pci.free_devices()) == 4
    pci.free_instance("vm1")
    assert len(pci.stats.free_devices()) == 6
    assert len(pci.free_devices()) == 6


def test_a_pf_request_takes_the_pf_and_its_vf_out_of_the_pools() -> None:
    pci, _ = tracker()
    spec = {"dev_type": "type-PF", "physical_network": "physnet1"}
    taken = pci.claim_instance("vm1", [InstancePCIRequest(1, [spec], "req-pf")])
    assert [d.address for d in taken or []] == ["0000:01:00.0"]
    assert pci.device("0000:01:00.1").status == "unclaimable"
    assert len(pci.stats.free_devices()) == 4
    assert pci.claim_instance("vm2", [vf_request("physnet1")]) is None
    assert not pci.support_requests([vf_request("physnet1")])
    assert pci.support_requests([vf_request("physnet2")])
