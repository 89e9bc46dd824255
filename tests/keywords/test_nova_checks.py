"""The checks Nova's tests make: placement usage and allocations, port binding,
migration lists. Keywords are called as Robot calls them; messages are pinned."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from PciRaceLibrary import PciRaceLibrary
from PciRaceLibrary.errors import InvalidArgument, UnknownName

FLAVOR = {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
NUMA_HOSTS = Path(__file__).resolve().parents[2] / "acceptance" / "topologies" / "numa_hosts.yaml"
VF = {"pci_vendor_info": "fake-vendor_id:fake-product_id", "physical_network": "physnet2"}


def _normal(name: str) -> str:
    return name.lower().replace("_", "").replace(" ", "")


def call(library: PciRaceLibrary, name: str, *args: object, **kwargs: object) -> object:
    """Calls a keyword by its Robot name, the way Robot's dynamic API does."""
    method = next(kw for kw in library.get_keyword_names() if _normal(kw) == _normal(name))
    return library.run_keyword(method, args, kwargs)


def fails(message: str) -> pytest.RaisesContext[AssertionError]:
    return pytest.raises(AssertionError, match=f"^{re.escape(message)}$")


def refused(error: type[Exception], message: str) -> pytest.RaisesContext[Exception]:
    return pytest.raises(error, match=f"^{re.escape(message)}$")


@pytest.fixture
def library() -> PciRaceLibrary:
    """vm1 with a direct port on host1, web1 with a normal port on host1."""
    library = PciRaceLibrary()
    call(library, "Start Cluster")
    call(library, "Create Server With Direct Port", "vm1", host="host1")
    call(library, "Create Server", "web1", host="host1", vnic_type="normal")
    return library


def evacuate(library: PciRaceLibrary) -> None:
    """Evacuates vm1 from host1 and runs it to its claim on host2, where its
    rebuild then takes 2 s."""
    call(library, "Stop Compute Service", "host1")
    call(library, "Force Down Compute Service", "host1")
    delay = {"ComputeDriver.rebuild": timedelta(seconds=2)}
    call(library, "Evacuate Server With Direct Port", "vm1", **delay)
    call(library, "Wait Until Migration Status Is", "vm1", "pre-migrating")


# -- placement usage ---------------------------------------------------------------


def test_usage_passes_for_any_subset_of_classes(library: PciRaceLibrary) -> None:
    call(library, "Placement Usage On Host Should Be", "host1", VCPU=2, MEMORY_MB=1024, DISK_GB=2)
    call(library, "Placement Usage On Host Should Be", "host1", MEMORY_MB=1024)
    call(library, "Placement Usage On Host Should Be", "host2", VCPU=0)


def test_usage_failure_pairs_expected_and_found_at_the_time(library: PciRaceLibrary) -> None:
    with fails(
        "Placement usage on 'host1' differs at t=0.000s: VCPU should be 1 but is 2; "
        "DISK_GB should be 1 but is 2."
    ):
        call(library, "Placement Usage On Host Should Be", "host1", DISK_GB=1, VCPU=1)
    with fails("host2 must be empty"):
        call(
            library, "Placement Usage On Host Should Be", "host2", VCPU=1,
            message="host2 must be empty",
        )  # fmt: skip


def test_get_usage_lists_every_class(library: PciRaceLibrary) -> None:
    assert call(library, "Get Placement Usage", "host2") == {"VCPU": 0, "MEMORY_MB": 0,
                                                             "DISK_GB": 0}  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, InvalidArgument, "Give the usage to check as resource class=amount, as in VCPU=1; "
         "valid resource classes: VCPU, PCPU, MEMORY_MB, DISK_GB."),
        ({"VGPU": 1}, InvalidArgument,
         "No resource class 'VGPU'. Valid resource classes: VCPU, PCPU, MEMORY_MB, DISK_GB."),
        ({"vcpu": 1}, InvalidArgument,
         "No resource class 'vcpu'. Valid resource classes: VCPU, PCPU, MEMORY_MB, DISK_GB."),
        ({"VCPU": -1}, InvalidArgument, "Amount of VCPU must be 0 or more, got -1."),
    ],
)  # fmt: skip
def test_usage_refuses_bad_arguments(
    library: PciRaceLibrary, kwargs: dict[str, int], error: type[Exception], message: str
) -> None:
    with refused(error, message):
        call(library, "Placement Usage On Host Should Be", "host1", **kwargs)


def test_usage_of_an_unknown_host(library: PciRaceLibrary) -> None:
    with refused(UnknownName, "No host 'host9'. Known hosts: host1, host2."):
        call(library, "Placement Usage On Host Should Be", "host9", VCPU=1)
    with refused(UnknownName, "No host 'host9'. Known hosts: host1, host2."):
        call(library, "Get Placement Usage", "host9")


# -- placement allocations -----------------------------------------------------------


def test_allocations_by_pairs_or_flavor(library: PciRaceLibrary) -> None:
    call(library, "Placement Allocations Should Be", "vm1", host1="VCPU:1,MEMORY_MB:512,DISK_GB:1")
    call(
        library, "Placement Allocations Should Be", "vm1", host1=" DISK_GB:1, VCPU:1,MEMORY_MB:512"
    )
    call(library, "Placement Allocations Should Be", "vm1", host1="flavor")
    call(library, "Placement Allocations Should Be", "vm1", host1="Flavor")


def test_allocations_are_compared_whole(library: PciRaceLibrary) -> None:
    with fails(
        "Placement allocations of 'vm1' differ at t=0.000s: 'host1' should hold VCPU:1 but "
        "holds VCPU:1,MEMORY_MB:512,DISK_GB:1."
    ):
        call(library, "Placement Allocations Should Be", "vm1", host1="VCPU:1")
    with fails(
        "Placement allocations of 'vm1' differ at t=0.000s: 'host1' should hold nothing but "
        "holds VCPU:1,MEMORY_MB:512,DISK_GB:1; 'host2' should hold VCPU:1,MEMORY_MB:512,DISK_GB:1 "
        "but holds nothing."
    ):
        call(library, "Placement Allocations Should Be", "vm1", host2="flavor")


def test_a_zero_amount_is_no_allocation(library: PciRaceLibrary) -> None:
    call(library, "Placement Allocations Should Be", "vm1", host1="flavor", host2="VCPU:0")


def test_the_evacuation_doubles_the_allocation(library: PciRaceLibrary) -> None:
    evacuate(library)
    call(library, "Placement Allocations Should Be", "vm1", host1="flavor", host2="flavor")
    assert call(library, "Get Placement Allocations", "vm1") == {"host1": FLAVOR, "host2": FLAVOR}
    call(library, "Wait Until Migration Status Is", "vm1", "done")
    with fails(
        "Placement allocations of 'vm1' differ at t=2.000s: 'host1' should hold nothing but "
        "holds VCPU:1,MEMORY_MB:512,DISK_GB:1."
    ):
        call(library, "Placement Allocations Should Be", "vm1", host2="flavor")
    call(library, "Start Compute Service", "host1")
    call(library, "Placement Allocations Should Be", "vm1", host2="flavor")


def test_the_migration_consumer_of_an_evacuation_holds_nothing(library: PciRaceLibrary) -> None:
    with refused(UnknownName, "No migration of 'vm1', so no migration consumer."):
        call(library, "Get Placement Allocations", "vm1", consumer="migration")
    evacuate(library)
    call(library, "Placement Allocations Should Be", "vm1", consumer="migration")
    assert call(library, "Get Placement Allocations", "vm1", consumer="migration") == {}
    with fails(
        "Placement allocations of the migration of 'vm1' differ at t=0.000s: 'host1' should "
        "hold VCPU:1,MEMORY_MB:512,DISK_GB:1 but holds nothing."
    ):
        call(
            library, "Placement Allocations Should Be", "vm1", consumer="migration", host1="flavor"
        )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Allocation for 'host1' must be 'flavor' or resource class:amount pairs separated "
         "by commas, like VCPU:1,MEMORY_MB:512, got ''."),
        ("VCPU", "Allocation for 'host1' must be 'flavor' or *"),
        ("VCPU:1,", "Allocation for 'host1' must be 'flavor' or *"),
        ("VCPU:1:2", "Allocation for 'host1' must be 'flavor' or *"),
        ("VGPU:1", "No resource class 'VGPU' in the allocation for 'host1'. "
         "Valid resource classes: VCPU, PCPU, MEMORY_MB, DISK_GB."),
        ("VCPU:-1", "Amount of VCPU in the allocation for 'host1' must be 0 or more, got -1."),
        ("VCPU:one", "Amount of VCPU in the allocation for 'host1' must be a whole number "
         "such as 2, got 'one'."),
        ("VCPU:1,VCPU:2", "Resource class 'VCPU' is given twice in the allocation for 'host1'."),
    ],
)  # fmt: skip
def test_allocations_refuse_malformed_specs(
    library: PciRaceLibrary, value: str, message: str
) -> None:
    head, _, _ = message.partition("*")
    pattern = re.escape(head) + (".*" if "*" in message else "") + "$"
    with pytest.raises(InvalidArgument, match=f"^{pattern}"):
        call(library, "Placement Allocations Should Be", "vm1", host1=value)


def test_allocations_refuse_unknown_names_and_consumers(library: PciRaceLibrary) -> None:
    with refused(UnknownName, "No host 'host9'. Known hosts: host1, host2."):
        call(library, "Placement Allocations Should Be", "vm1", host9="flavor")
    with refused(UnknownName, "No server 'vm9'. Known servers: vm1, web1."):
        call(library, "Placement Allocations Should Be", "vm9", host1="flavor")
    with refused(
        InvalidArgument, "Argument 'consumer' must be 'server' or 'migration', got 'instance'."
    ):
        call(library, "Placement Allocations Should Be", "vm1", consumer="instance")


def test_flavor_means_pcpu_where_the_host_reports_it_and_vcpu_elsewhere() -> None:
    """A pinned server asks PCPU of a host with cpu_dedicated_set and VCPU
    of one without (the scheduler's fallback): ``flavor`` follows the host."""
    library = PciRaceLibrary()
    call(library, "Start Cluster", str(NUMA_HOSTS))
    call(library, "Create Server", "vm1", host="host1", flavor="pinned.two", vnic_type="normal")
    call(library, "Placement Allocations Should Be", "vm1", host1="flavor")
    call(library, "Placement Allocations Should Be", "vm1", host1="PCPU:2,MEMORY_MB:1024,DISK_GB:1")
    with fails(
        "Placement allocations of 'vm1' differ at t=0.000s: 'host1' should hold "
        "VCPU:2,MEMORY_MB:1024,DISK_GB:1 but holds PCPU:2,MEMORY_MB:1024,DISK_GB:1; 'host3' "
        "should hold VCPU:2,MEMORY_MB:1024,DISK_GB:1 but holds nothing."
    ):
        call(
            library, "Placement Allocations Should Be", "vm1",
            host1="VCPU:2,MEMORY_MB:1024,DISK_GB:1", host3="flavor",
        )  # fmt: skip
    call(library, "Placement Usage On Host Should Be", "host1", VCPU=0, PCPU=2)
    assert call(library, "Get Placement Usage", "host1") == {
        "VCPU": 0, "PCPU": 2, "MEMORY_MB": 1024, "DISK_GB": 1,
    }  # fmt: skip
    # host3 reports no PCPU: it uses none, and the getter lists none.
    call(library, "Placement Usage On Host Should Be", "host3", PCPU=0)
    with fails("Placement usage on 'host3' differs at t=0.000s: PCPU should be 2 but is 0."):
        call(library, "Placement Usage On Host Should Be", "host3", PCPU=2)
    assert "PCPU" not in call(library, "Get Placement Usage", "host3")  # type: ignore[operator]


# -- port binding ----------------------------------------------------------------------


def test_port_binding_checks_the_keys_given(library: PciRaceLibrary) -> None:
    call(library, "Port Binding Should Be", "vm1", host="host1", pci_slot="0000:02:00.1")
    call(library, "Port Binding Should Be", "vm1", pci_slot="0000:02:00.1".upper(), **VF)
    call(library, "Port Binding Should Be", "web1", host="host1", pci_slot="")
    assert call(library, "Get Port Binding", "vm1") == {
        "host": "host1", "pci_slot": "0000:02:00.1", **VF,
    }  # fmt: skip
    assert call(library, "Get Port Binding", "web1") == {"host": "host1"}


def test_port_binding_moves_with_the_evacuation(library: PciRaceLibrary) -> None:
    evacuate(library)
    call(library, "Port Binding Should Be", "vm1", host="host2", pci_slot="0000:02:00.1")
    with fails(
        "Port binding of 'vm1' differs at t=0.000s: host should be 'host1' but is 'host2'; "
        "physical_network should be 'physnet1' but is 'physnet2'."
    ):
        call(library, "Port Binding Should Be", "vm1", physical_network="physnet1", host="host1")


def test_port_binding_of_an_unbound_port(library: PciRaceLibrary) -> None:
    call(library, "Delete Server", "vm1")
    call(library, "Wait Until Server Has", "vm1", status="DELETED")
    call(library, "Port Binding Should Be", "vm1", host="", pci_slot="")
    assert call(library, "Get Port Binding", "vm1") == {"host": None}
    with fails("Port binding of 'vm1' differs at t=0.000s: host should be 'host1' but is absent."):
        call(library, "Port Binding Should Be", "vm1", host="host1")
    with fails(
        "Port binding of 'web1' differs at t=0.000s: pci_slot should be '0000:02:00.1' but is "
        "absent."
    ):
        call(library, "Port Binding Should Be", "web1", pci_slot="0000:02:00.1")
    with fails("Port binding of 'vm2' differs at t=0.000s: pci_slot should be absent but is "
               "'0000:03:00.1'."):  # fmt: skip
        call(library, "Create Server With Direct Port", "vm2", host="host1")
        call(library, "Port Binding Should Be", "vm2", pci_slot="")


def test_port_binding_refuses_bad_arguments(library: PciRaceLibrary) -> None:
    with refused(
        InvalidArgument,
        "Give the binding to check as key=value, as in host=host2; "
        "valid keys: host, pci_slot, pci_vendor_info, physical_network.",
    ):
        call(library, "Port Binding Should Be", "vm1")
    with refused(
        InvalidArgument,
        "No port binding key 'binding:host_id'. "
        "Valid keys: host, pci_slot, pci_vendor_info, physical_network.",
    ):
        call(library, "Port Binding Should Be", "vm1", **{"binding:host_id": "host1"})
    with refused(UnknownName, "No host 'host9'. Known hosts: host1, host2."):
        call(library, "Port Binding Should Be", "vm1", host="host9")
    with refused(UnknownName, "No server 'vm9'. Known servers: vm1, web1."):
        call(library, "Get Port Binding", "vm9")


# -- migrations ------------------------------------------------------------------------


def test_migrations_are_compared_whole_and_in_order(library: PciRaceLibrary) -> None:
    call(library, "Migrations Should Be", "vm1")
    assert call(library, "Get Migrations", "vm1") == []
    evacuate(library)
    call(library, "Migrations Should Be", "vm1", "evacuation host1 host2 pre-migrating")
    call(library, "Wait Until Migration Status Is", "vm1", "done")
    call(library, "Migrations Should Be", "vm1", "evacuation  host1 -> host2  done")
    assert call(library, "Get Migrations", "vm1") == [
        {"id": "1", "type": "evacuation", "status": "done", "source": "host1", "dest": "host2"}
    ]
    with fails(
        "Migrations of 'vm1' differ at t=2.000s: expected evacuation host1 -> host2 completed; "
        "found evacuation host1 -> host2 done."
    ):
        call(library, "Migrations Should Be", "vm1", "evacuation host1 host2 completed")
    with fails(
        "Migrations of 'vm1' differ at t=2.000s: expected none; "
        "found evacuation host1 -> host2 done."
    ):
        call(library, "Migrations Should Be", "vm1")
    with fails("Only one evacuation"):
        call(
            library, "Migrations Should Be", "vm1", "evacuation host1 host2 done",
            "evacuation host2 - error", message="Only one evacuation",
        )  # fmt: skip
    call(library, "Start Compute Service", "host1")
    call(library, "Migrations Should Be", "vm1", "evacuation host1 -> host2 completed")


@pytest.mark.parametrize(
    ("records", "error", "message"),
    [
        (("evacuation host1 host2",), InvalidArgument,
         "Migration 1 must be type, source, destination and status, as in "
         "'evacuation host1 host2 done', got 'evacuation host1 host2'."),
        (("evacuation host1 host2 done", "evacuation"), InvalidArgument,
         "Migration 2 must be type, source, destination and status, as in "
         "'evacuation host1 host2 done', got 'evacuation'."),
        (("evacuate host1 host2 done",), InvalidArgument,
         "No migration type 'evacuate' (migration 1). "
         "Valid types: migration, resize, live-migration, evacuation."),
        (("evacuation host1 host2 finished-ish",), InvalidArgument,
         "No migration status 'finished-ish' (migration 1). Valid statuses: accepted, "
         "pre-migrating, migrating, post-migrating, finished, confirming, confirmed, "
         "reverting, reverted, done, completed, failed, error, cancelled, queued, "
         "preparing, running."),
        (("evacuation host1 host9 done",), UnknownName,
         "No host 'host9'. Known hosts: host1, host2."),
    ],
)  # fmt: skip
def test_migrations_refuse_malformed_records(
    library: PciRaceLibrary, records: tuple[str, ...], error: type[Exception], message: str
) -> None:
    with refused(error, message):
        call(library, "Migrations Should Be", "vm1", *records)


def test_migrations_of_an_unknown_server(library: PciRaceLibrary) -> None:
    with refused(UnknownName, "No server 'vm9'. Known servers: vm1, web1."):
        call(library, "Migrations Should Be", "vm9")
    with refused(UnknownName, "No server 'vm9'. Known servers: vm1, web1."):
        call(library, "Get Migrations", "vm9")


# -- all of them ---------------------------------------------------------------------


def test_checks_and_getters_never_move_time(library: PciRaceLibrary) -> None:
    evacuate(library)
    cluster = library.running_cluster
    assert cluster is not None
    before, journal = cluster.now, len(cluster.kernel.journal)
    call(library, "Placement Usage On Host Should Be", "host2", VCPU=1)
    call(library, "Get Placement Usage", "host2")
    call(library, "Placement Allocations Should Be", "vm1", host1="flavor", host2="flavor")
    call(library, "Get Placement Allocations", "vm1")
    call(library, "Port Binding Should Be", "vm1", host="host2")
    call(library, "Get Port Binding", "vm1")
    call(library, "Migrations Should Be", "vm1", "evacuation host1 host2 pre-migrating")
    call(library, "Get Migrations", "vm1")
    assert (cluster.now, len(cluster.kernel.journal)) == (before, journal)
