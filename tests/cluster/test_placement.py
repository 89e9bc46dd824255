"""Placement's consumers: a move hands an allocation to its migration and back."""

from __future__ import annotations

from PciRaceLibrary.cluster.placement import Placement, ResourceProvider
from PciRaceLibrary.sim import Kernel


def _run(kernel: Kernel, coro) -> object:
    task = kernel.spawn(coro, "call")
    kernel.run_until(lambda: task.done)
    return task.result


def _placement() -> Placement:
    placement = Placement()
    for name in ("host1", "host2"):
        inventory = {"VCPU": 4, "MEMORY_MB": 4096, "DISK_GB": 40}
        placement.providers[f"rp-{name}"] = ResourceProvider(f"rp-{name}", name, inventory)
    return placement


def test_move_allocations_hands_every_part_to_the_target_and_keeps_usage() -> None:
    kernel, placement = Kernel(), _placement()
    small = {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
    assert _run(kernel, placement.claim_resources("vm1", "rp-host1", small))
    assert _run(kernel, placement.move_allocations("vm1", "migration-1"))
    assert placement.allocations == {"migration-1": {"rp-host1": small}}
    assert placement.consumers_of("rp-host1") == ["migration-1"]
    assert placement.usage("rp-host1") == small
    # And back: the revert of a resize.
    assert _run(kernel, placement.move_allocations("migration-1", "vm1"))
    assert placement.consumers_of("rp-host1") == ["vm1"]
    assert placement.usage("rp-host1") == small


def test_move_allocations_replaces_what_the_target_held_and_refuses_an_empty_source() -> None:
    kernel, placement = Kernel(), _placement()
    small = {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
    big = {"VCPU": 2, "MEMORY_MB": 1024, "DISK_GB": 2}
    _run(kernel, placement.claim_resources("migration-1", "rp-host1", small))
    _run(kernel, placement.claim_resources("vm1", "rp-host2", big))
    assert _run(kernel, placement.move_allocations("migration-1", "vm1"))
    assert placement.allocations == {"vm1": {"rp-host1": small}}
    assert placement.usage("rp-host2") == {"VCPU": 0, "MEMORY_MB": 0, "DISK_GB": 0}
    assert not _run(kernel, placement.move_allocations("migration-1", "vm1"))
    assert placement.allocations == {"vm1": {"rp-host1": small}}
