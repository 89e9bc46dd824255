"""Every operation passes exactly the points listed for it, and names resolve."""

from __future__ import annotations

import pytest

from PciRaceLibrary.cluster import OPERATION_POINTS, Cluster, points_of
from PciRaceLibrary.cluster.points import resolve_delays
from PciRaceLibrary.errors import UnknownName
from PciRaceLibrary.sim import PointPass

OPERATION = {
    "create": "create",
    "evacuate": "evacuate",
    "rebuild": "rebuild",
    "delete": "delete",
    "audit": "update_available_resource",
    "start": "start",
}


def passed(cluster: Cluster) -> dict[str, set[str]]:
    """Operation -> points its tasks passed, from the journal."""
    found: dict[str, set[str]] = {}
    for entry in cluster.kernel.journal:
        if entry.kind == "point":
            operation = OPERATION[entry.task.split("(")[0]]
            found.setdefault(operation, set()).add(entry.detail)
    return found


def scenarios() -> list[Cluster]:
    """Runs every operation on every path the model has."""
    out = []
    for bugs in (None, "1896463"):
        c = Cluster(bugs=bugs)
        c.run_task(c.create_server("vm1", "host1"))
        c.stop_compute_service("host1")
        c.force_down_compute_service("host1")
        c.evacuate("vm1", delays={"ComputeDriver.rebuild": 0.5, "drop_migration_context": 1})
        c.run_task(c.update_available_resource("host2", delays={"get_in_progress_and_error": 2}))
        c.kernel.run_all()
        c.run_task(c.rebuild_server("vm1"))
        c.run_task(c.start_compute_service("host1"))
        c.run_task(c.update_available_resource("host2"))
        c.run_task(c.delete_server("vm1"))
        out.append(c)
    local = Cluster()  # a local delete while the host is down
    local.run_task(local.create_server("vm1", "host1"))
    local.stop_compute_service("host1")
    local.force_down_compute_service("host1")
    local.run_task(local.delete_server("vm1"))
    out.append(local)
    failed = Cluster()  # an evacuation whose rebuild fails after the claim
    failed.run_task(failed.create_server("vm1", "host1"))
    failed.stop_compute_service("host1")
    failed.force_down_compute_service("host1")
    failed.inject_fault("ComputeDriver.rebuild")
    failed.run_task(failed.evacuate("vm1"))
    out.append(failed)
    full = Cluster()  # a build whose claim is refused: host1 has two VFs on physnet2
    for name in ("vm1", "vm2", "vm3"):
        full.run_task(full.create_server(name, "host1"))
    assert full.server_status("vm3") == "ERROR"
    out.append(full)
    building = Cluster()  # deleted while its build spawns: the claim is aborted
    building.create_server("vm1", "host1", delays={"ComputeDriver.spawn": 1})
    building.run_until(lambda: False, 0.5)
    building.run_task(building.delete_server("vm1"))
    building.kernel.run_all()
    assert building.pci_allocations("vm1") == {}
    out.append(building)
    return [*out, deleted_before_scheduling(), deleted_before_scheduling(heal_by_restart=True)]


def deleted_before_scheduling(heal_by_restart: bool = False) -> Cluster:
    """Deleted while the conductor had not yet scheduled the evacuation: the
    destination allocation outlives the server until host2's audit heals it
    (the periodic one, or the start-up one after a restart)."""
    c = Cluster()
    c.run_task(c.create_server("vm1", "host1"))
    c.stop_compute_service("host1")
    c.force_down_compute_service("host1")
    c.evacuate("vm1", delays={"ComputeTaskAPI.rebuild_instance": 1})
    c.run_task(c.delete_server("vm1"))
    c.kernel.run_all()
    assert c.placement_hosts("vm1") == ["host2"]
    if heal_by_restart:
        c.stop_compute_service("host2")
        c.run_task(c.start_compute_service("host2"))
    else:
        c.run_task(c.update_available_resource("host2"))
    assert c.placement_hosts("vm1") == []
    return c


def test_operations_pass_only_listed_points_and_every_listed_point_is_passed() -> None:
    seen: dict[str, set[str]] = {}
    for cluster in scenarios():
        for operation, names in passed(cluster).items():
            unlisted = names - set(OPERATION_POINTS[operation])
            assert not unlisted, f"{operation} passes unlisted points {unlisted}"
            seen.setdefault(operation, set()).update(names)
    for operation, listed in OPERATION_POINTS.items():
        never = set(listed) - seen.get(operation, set())
        assert not never, f"{operation} lists points no scenario passes: {never}"


def test_short_names_resolve_when_unique_and_fail_listing_the_valid_ones() -> None:
    assert resolve_delays("evacuate", {"drop_migration_context": 1, "Instance.save#2": 2}) == {
        PointPass("Instance.drop_migration_context"): 1.0,
        PointPass("Instance.save", 2): 2.0,
    }
    with pytest.raises(UnknownName, match=r"'save' is ambiguous in operation 'evacuate'"):
        resolve_delays("evacuate", {"save": 1})
    with pytest.raises(UnknownName) as error:
        resolve_delays("update_available_resource", {"spawn": 1})
    assert ", ".join(points_of("update_available_resource")) in str(error.value)
    with pytest.raises(UnknownName, match="Known operations: "):
        points_of("teleport")
