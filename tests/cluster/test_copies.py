"""Copies of records share no mutable state with their source.

The model relies on it (``cluster/objects.py``): a task that loaded a record
keeps the old values until it loads again, whatever others save meanwhile,
and a row is changed only by the database's writes. ``clone`` copies field by
field, so a field added later without being copied there would share its list
or dict between the row and the loaded object. These tests catch that: every
field of each sample is set, every mutable value reachable from a copy is
checked to be its own, and mutating all of them leaves the source unchanged.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from PciRaceLibrary.cluster.db import Database
from PciRaceLibrary.cluster.numa import (
    InstanceNUMACell,
    InstanceNUMATopology,
    NUMACell,
    NUMATopology,
)
from PciRaceLibrary.cluster.objects import (
    ACTIVE,
    ALLOCATED,
    PF,
    REBUILDING,
    VF,
    ComputeNode,
    DeviceRef,
    Flavor,
    Instance,
    InstancePCIRequest,
    Migration,
    MigrationContext,
    PciDevice,
    Port,
)
from PciRaceLibrary.cluster.topology import DeviceSpec
from PciRaceLibrary.sim import Kernel

# Fields a sample may leave unset: a row's links to its PF and VFs, which
# only the PCI tracker's live devices have, and ``row`` drops.
UNSET_ALLOWED = {"parent_device", "child_devices", "on_change"}

SENTINEL = "mutated-in-the-copy"


def request(n: int) -> InstancePCIRequest:
    return InstancePCIRequest(
        count=1,
        spec=[{"physical_network": "physnet2", "remote_managed": "False"}],
        request_id=f"request-{n}",
        requester_id=f"port-{n}",
        alias_name=f"alias-{n}",
        numa_policy="preferred",
    )


def context() -> MigrationContext:
    return MigrationContext(
        migration_id=1,
        old_pci_devices=[DeviceRef(1, "0000:02:00.1", "request-1")],
        new_pci_devices=[DeviceRef(2, "0000:02:00.1", "request-1")],
        old_pci_requests=[request(1)],
        new_pci_requests=[request(2)],
        old_numa_topology=numa_topology(0),
        new_numa_topology=numa_topology(1),
    )


def numa_topology(pcpu: int) -> InstanceNUMATopology:
    cell = InstanceNUMACell(0, frozenset(), frozenset({0}), 512, "dedicated", ((0, pcpu),))
    return InstanceNUMATopology((cell,))


def instance() -> Instance:
    flavor = Flavor("m1.small", 1, 512, 1, (("hw:cpu_policy", "shared"),))
    return Instance(
        uuid="uuid-vm1",
        name="vm1",
        flavor=flavor,
        vm_state=ACTIVE,
        task_state=REBUILDING,
        host="host1",
        node="host1",
        compute_id=1,
        launched_on="host1",
        launched=True,
        pci_requests=[request(1)],
        pci_devices=[DeviceRef(1, "0000:02:00.1", "request-1")],
        migration_context=context(),
        ports=["port-1"],
        deleted=False,
        updated_at=1.0,
        fault="no valid host",
        old_flavor=flavor,
        new_flavor=Flavor("m1.large", 2, 1024, 2),
        old_vm_state=ACTIVE,
        numa_topology=numa_topology(0),
    )


def migration() -> Migration:
    return Migration(
        1, "uuid-mig1", "uuid-vm1", "evacuation", "accepted", "host1", "host1",
        "host2", "host2", 2, "m1.small", "m1.small", False, 1.0, 2.0,
    )  # fmt: skip


def port() -> Port:
    return Port(
        id="port-1",
        network="network_2",
        vnic_type="direct",
        device_id="uuid-vm1",
        numa_affinity_policy="required",
        name="p1",
        trusted=True,
        binding_host_id="host1",
        binding_profile={"pci_slot": "0000:02:00.1", "physical_network": "physnet2"},
        inactive_bindings={"host2": {"pci_slot": "0000:02:00.1"}},
    )


def device(address: str, dev_type: str, parent: str | None) -> PciDevice:
    return PciDevice(
        1, "host1", address, dev_type, parent, "8086", "154d", 0, "physnet2", "eth0",
        False, ALLOCATED, "uuid-vm1", "request-1", True, False,
    )  # fmt: skip


def linked_vf() -> PciDevice:
    """A live VF of the PCI tracker, linked to its PF and journaling changes."""
    pf = device("0000:02:00.0", PF, None)
    vf = device("0000:02:00.1", VF, pf.address)
    pf.child_devices.append(vf)
    vf.parent_device = pf
    vf.on_change = lambda *_: None
    return vf


def compute_node() -> ComputeNode:
    cell = NUMACell(0, frozenset({0}), frozenset({1}), 1024, 0, 1, 512, frozenset({1}))
    return ComputeNode(1, "uuid-node1", "host1", 8, 8192, 100, 1, 512, 1, NUMATopology((cell,)))


# (what is copied, how): each way the model copies a record.
COPIES: list[tuple[Callable[[], Any], Callable[[Any], Any]]] = [
    (instance, Instance.clone),
    (migration, Migration.clone),
    (port, Port.clone),
    (linked_vf, PciDevice.row),
    (context, MigrationContext.clone),
    (lambda: request(1), InstancePCIRequest.clone),
    (compute_node, ComputeNode.clone),
]
IDS = [make.__name__ if make.__name__ != "<lambda>" else "request" for make, _ in COPIES]


def mutable_parts(value: object, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every list, dict and unfrozen record reachable from ``value``, with
    where it is (frozen records and tuples are looked into, not yielded)."""
    if isinstance(value, list):
        yield path, value
        for n, item in enumerate(value):
            yield from mutable_parts(item, f"{path}[{n}]")
    elif isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from mutable_parts(item, f"{path}[{key!r}]")
    elif isinstance(value, tuple):
        for n, item in enumerate(value):
            yield from mutable_parts(item, f"{path}[{n}]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        if not type(value).__dataclass_params__.frozen:  # type: ignore[attr-defined]
            yield path, value
        for spec in dataclasses.fields(value):
            if spec.name != "parent_device":  # a link up: its parts are the PF's
                yield from mutable_parts(getattr(value, spec.name), f"{path}.{spec.name}")


def unset_fields(value: object) -> list[str]:
    """Fields left None or empty anywhere in the sample: they would test nothing."""
    return [
        f"{path}.{spec.name}"
        for path, part in mutable_parts(value)
        if dataclasses.is_dataclass(part)
        for spec in dataclasses.fields(part)
        if spec.name not in UNSET_ALLOWED and getattr(part, spec.name) in (None, [], {})
    ]


def shared(source: object, copied: object) -> list[str]:
    """Where ``copied`` holds a mutable object that ``source`` holds too."""
    mine = {id(part) for _, part in mutable_parts(source)}
    return [path for path, part in mutable_parts(copied) if id(part) in mine]


def mutate_all(value: object) -> None:
    """Changes every list, dict and record field reachable from ``value``."""
    for _, part in list(mutable_parts(value)):
        if isinstance(part, list):
            part.append(SENTINEL)
        elif isinstance(part, dict):
            part[SENTINEL] = SENTINEL
        else:
            for spec in dataclasses.fields(part):
                if not isinstance(getattr(part, spec.name), (list, dict)):
                    setattr(part, spec.name, SENTINEL)


@pytest.mark.parametrize(("make", "copy_of"), COPIES, ids=IDS)
def test_samples_set_every_field(make: Callable[[], Any], copy_of: Callable[[Any], Any]) -> None:
    assert unset_fields(make()) == []


@pytest.mark.parametrize(("make", "copy_of"), COPIES, ids=IDS)
def test_copy_shares_no_mutable_value(
    make: Callable[[], Any], copy_of: Callable[[Any], Any]
) -> None:
    source = make()
    copied = copy_of(source)
    assert copied == source
    assert copied is not source
    assert shared(source, copied) == []


@pytest.mark.parametrize(("make", "copy_of"), COPIES, ids=IDS)
def test_mutating_a_copy_leaves_its_source(
    make: Callable[[], Any], copy_of: Callable[[Any], Any]
) -> None:
    source = make()
    before = copy.deepcopy(source)
    mutate_all(copy_of(source))
    assert source == before


def test_row_drops_the_links() -> None:
    row = linked_vf().row()
    assert (row.parent_device, row.child_devices, row.on_change) == (None, [], None)


def test_fields_an_instance_copies_are_its_own() -> None:
    """``copy_of`` (what a save writes) copies each field as ``clone`` does."""
    source = instance()
    for spec in dataclasses.fields(Instance):
        value = source.copy_of(spec.name)
        assert value == getattr(source, spec.name)
        assert shared(source, value) == [], spec.name


def test_a_saved_instance_and_its_row_share_nothing() -> None:
    """After a save of every field, changing the saved object (or the row)
    does not change the other: the next load sees only what was saved."""
    db = Database(Kernel())
    saved = instance()
    db.instances[saved.uuid] = Instance(saved.uuid, saved.name, saved.flavor)
    fields = [spec.name for spec in dataclasses.fields(Instance) if spec.name != "deleted"]
    db.write_instance(saved, *fields)
    row = db.instances[saved.uuid]
    assert shared(saved, row) == []
    before = copy.deepcopy(row)
    mutate_all(saved)
    assert row == before


def test_applying_a_migration_context_copies_its_requests() -> None:
    source = instance()
    source.apply_migration_context()
    assert source.migration_context is not None
    assert shared(source.migration_context, source.pci_requests) == []
    source.revert_migration_context()
    assert shared(source.migration_context, source.pci_requests) == []


def test_from_spec_and_row_set_every_field_as_the_constructor_does() -> None:
    """``from_spec`` and ``row`` fill a bare object field by field (for speed):
    a field added to PciDevice and left out of either makes them differ from
    the dataclass constructor here."""
    spec = DeviceSpec(
        "0000:02:00.1", VF, "0000:02:00.0", "8086", "154d", "physnet2", 1, "eth0",
        True, True, False,
    )  # fmt: skip
    built = PciDevice(
        7, "host1", spec.address, spec.dev_type, spec.parent, spec.vendor_id,
        spec.product_id, spec.numa_node, spec.physnet, spec.parent_ifname,
        spec.remote_managed, trusted=spec.trusted, live_migratable=spec.live_migratable,
    )  # fmt: skip
    made = PciDevice.from_spec(7, "host1", spec)
    for name in (spec.name for spec in dataclasses.fields(PciDevice)):
        assert getattr(made, name) == getattr(built, name), name
    source = linked_vf()
    row = source.row()
    for name in (spec.name for spec in dataclasses.fields(PciDevice)):
        expected = {"parent_ref": None, "child_devices": [], "on_change": None}.get(
            name, getattr(source, name)
        )
        assert getattr(row, name) == expected, name
