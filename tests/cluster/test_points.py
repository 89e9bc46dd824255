"""Every operation passes exactly the points listed for it, and names resolve."""

from __future__ import annotations

from pathlib import Path

import pytest

from PciRaceLibrary.cluster import Cluster, operations
from PciRaceLibrary.cluster.topology import load_topology
from PciRaceLibrary.errors import InvalidArgument, UnknownName
from PciRaceLibrary.keywords.cluster import SHIPPED
from PciRaceLibrary.sim import PointPass

from .moves import migrated

TOPOLOGIES = Path(__file__).resolve().parents[2] / "PciRaceLibrary" / "topologies"


def passed(cluster: Cluster) -> dict[str, set[str]]:
    """Operation -> points its tasks passed, from the journal and the tasks' tags."""
    operation_of = {task.name: task.tag.operation for task in cluster.kernel.tasks}
    found: dict[str, set[str]] = {}
    for entry in cluster.kernel.journal:
        if entry.kind == "point":
            found.setdefault(operation_of[entry.task], set()).add(entry.detail)
    return found


def scenarios() -> list[Cluster]:
    """Runs every operation on every path the model has."""
    out = []
    for bugs, version in ((None, "2.94"), ("1896463", "2.94"), (None, "latest")):
        c = Cluster(bugs=bugs, microversion=version)
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
    local = Cluster(microversion="2.94")  # a local delete while the host is down
    local.run_task(local.create_server("vm1", "host1"))
    local.stop_compute_service("host1")
    local.force_down_compute_service("host1")
    local.run_task(local.delete_server("vm1"))
    out.append(local)
    failed = Cluster(microversion="2.94")  # an evacuation whose rebuild fails after the claim
    failed.run_task(failed.create_server("vm1", "host1"))
    failed.stop_compute_service("host1")
    failed.force_down_compute_service("host1")
    failed.inject_fault("ComputeDriver.rebuild")
    failed.run_task(failed.evacuate("vm1"))
    out.append(failed)
    full = Cluster(
        microversion="2.94"
    )  # a build whose claim is refused: host1 has two VFs on physnet2
    for name in ("vm1", "vm2", "vm3"):
        full.run_task(full.create_server(name, "host1"))
    assert full.server_status("vm3") == "ERROR"
    out.append(full)
    building = Cluster(microversion="2.94")  # deleted while its build spawns: the claim is aborted
    building.create_server("vm1", "host1", delays={"ComputeDriver.spawn": 1})
    building.run_until(lambda: False, 0.5)
    building.run_task(building.delete_server("vm1"))
    building.kernel.run_all()
    assert building.pci_allocations("vm1") == {}
    out.append(building)
    powered = Cluster()  # stop and start a server
    powered.run_task(powered.create_server("vm1", "host1"))
    powered.run_task(powered.start("stop_server", "vm1"))
    assert powered.server_status("vm1") == "SHUTOFF"
    powered.run_task(powered.start("start_server", "vm1"))
    assert powered.server_status("vm1") == "ACTIVE"
    out.append(powered)
    return [
        *out,
        deleted_before_scheduling(),
        deleted_before_scheduling(heal_by_restart=True),
        *moves(),
        *live_migrations(),
        *shelved(),
        *suspended(),
        *interfaces(),
        *source_back_during_evacuation(),
    ]


def shelved() -> list[Cluster]:
    """Shelve and offload at once, unshelve elsewhere; shelve and keep, unshelve
    in place; shelve offload; an unshelve whose spawn fails."""
    c = Cluster()
    c.run_task(c.create_server("vm1", "host1"))
    c.run_task(c.start("shelve", "vm1"))
    c.run_task(c.start("unshelve", "vm1", host="host2"))
    assert (c.server_status("vm1"), c.server_host("vm1")) == ("ACTIVE", "host2")
    c.run_task(c.start("shelve", "vm1", offload=False))
    c.run_task(c.start("unshelve", "vm1"))
    c.run_task(c.start("shelve", "vm1", offload=False))
    c.run_task(c.start("shelve_offload", "vm1"))
    c.inject_fault("ComputeDriver.spawn")
    c.run_task(c.start("unshelve", "vm1"))
    assert (c.server_status("vm1"), c.server_host("vm1")) == ("SHELVED_OFFLOADED", None)
    return [c]


def suspended() -> list[Cluster]:
    """Suspend and resume; a suspend and a resume whose driver call fails."""
    c = Cluster()
    c.run_task(c.create_server("vm1", "host1"))
    c.run_task(c.start("suspend", "vm1"))
    c.run_task(c.start("resume", "vm1"))
    c.inject_fault("ComputeDriver.suspend")
    c.run_task(c.start("suspend", "vm1"))
    assert c.server_status("vm1") == "ERROR"
    failing = Cluster()
    failing.run_task(failing.create_server("vm1", "host1"))
    failing.run_task(failing.start("suspend", "vm1"))
    failing.inject_fault("ComputeDriver.resume")
    failing.run_task(failing.start("resume", "vm1"))
    assert failing.server_status("vm1") == "ERROR"
    return [c, failing]


def interfaces() -> list[Cluster]:
    """An SR-IOV port attached and detached; an attach whose driver fails."""
    c = Cluster()
    c.run_task(c.create_server("vm1", "host1"))
    c.create_port("p1", "network_2", "direct")
    c.run_task(c.start("attach_interface", "vm1", port="p1"))
    c.run_task(c.start("detach_interface", "vm1", port="p1"))
    c.inject_fault("ComputeDriver.attach_interface")
    c.run_task(c.start("attach_interface", "vm1", port="p1"))
    assert c.pci_allocations("vm1") == {"host1": ["0000:02:00.1"]}
    return [c]


def moves() -> list[Cluster]:
    """Cold migrations and resizes confirmed, reverted, refused and failing."""
    out = []
    for bugs in (None, "1879878"):
        confirmed = migrated(bugs)
        confirmed.run_task(confirmed.start("confirm_resize", "vm1"))
        reverted = migrated(bugs, flavor="m1.medium")
        reverted.run_task(reverted.start("revert_resize", "vm1"))
        deleted = migrated(bugs)  # a delete confirms the resize first
        deleted.run_task(deleted.start("delete", "vm1"))
        out += [confirmed, reverted, deleted]
    stopped = Cluster()  # a stopped server is stopped again after its revert
    stopped.run_task(stopped.create_server("vm1", "host1"))
    stopped.run_task(stopped.start("stop_server", "vm1"))
    stopped.run_task(stopped.start("migrate", "vm1"))
    stopped.run_task(stopped.start("revert_resize", "vm1"))
    assert stopped.server_status("vm1") == "SHUTOFF"
    out.append(stopped)
    for operation, arguments in (("migrate", {}), ("resize", {"flavor": "m1.medium"})):
        # A refused claim is retried on an alternate host.
        refused = Cluster(topology=load_topology(SHIPPED / "three_hosts.yaml"))
        refused.run_task(refused.create_server("vm1", "host1"))
        refused.inject_fault("ResourceTracker.resize_claim")
        refused.run_task(refused.start(operation, "vm1", **arguments))
        assert refused.server_status("vm1") == "VERIFY_RESIZE"
        out.append(refused)
        for point in ("ComputeDriver.finish_migration", "ComputeDriver.migrate_disk_and_power_off"):
            failing = Cluster()
            failing.run_task(failing.create_server("vm1", "host1"))
            failing.inject_fault(point)
            failing.run_task(failing.start(operation, "vm1", **arguments))
            assert failing.server_status("vm1") == "ERROR"
            out.append(failing)
    return out


def live_migrations() -> list[Cluster]:
    """A live migration that skips a host whose check refuses, then
    completes; one the hypervisor fails, rolled back."""
    skipping = Cluster(load_topology(TOPOLOGIES / "three_hosts.yaml"))
    skipping.run_task(skipping.create_server("vm1", "host1"))
    skipping.inject_fault("ComputeDriver.check_can_live_migrate_destination")
    skipping.run_task(skipping.live_migrate("vm1"))
    assert skipping.server_host("vm1") == "host3"
    rolled_back = Cluster()
    rolled_back.run_task(rolled_back.create_server("vm1", "host1"))
    rolled_back.inject_fault("ComputeDriver.live_migration")
    rolled_back.run_task(rolled_back.live_migrate("vm1", "host2"))
    assert rolled_back.migrations_of("vm1")[-1]["status"] == "failed"
    # A pinned server: the destination's move claim, then a rollback drops it.
    numa_hosts = Path(__file__).resolve().parents[2] / "acceptance" / "topologies"
    pinned = Cluster(load_topology(numa_hosts / "numa_hosts.yaml"))
    pinned.run_task(pinned.create_server("vm1", "host1", flavor="pinned.required"))
    pinned.inject_fault("ComputeDriver.live_migration")
    pinned.run_task(pinned.live_migrate("vm1", "host2"))
    assert pinned.migrations_of("vm1")[-1]["status"] == "failed"
    return [skipping, rolled_back, pinned]


def source_back_during_evacuation() -> list[Cluster]:
    """The source starts while the conductor has not read the record yet (it
    completes it; the destination's claim creates another), and, before the
    fix of bug 1764883, while the destination rebuilds (start-up errors the
    server)."""
    out = []
    cases = ((None, "ComputeTaskAPI.rebuild_instance"), ("1764883", "ComputeDriver.rebuild"))
    for bugs, point in cases:
        c = Cluster(bugs=bugs, microversion="2.94")
        c.run_task(c.create_server("vm1", "host1"))
        c.stop_compute_service("host1")
        c.force_down_compute_service("host1")
        evacuation = c.evacuate("vm1", delays={point: 1})
        c.run_task(c.start_compute_service("host1"))
        c.run_task(evacuation)
        assert c.server_status("vm1") == ("ACTIVE" if bugs is None else "ERROR")
        out.append(c)
    return out


def deleted_before_scheduling(heal_by_restart: bool = False) -> Cluster:
    """Deleted while the conductor had not yet scheduled the evacuation: the
    destination allocation outlives the server until host2's audit heals it
    (the periodic one, or the start-up one after a restart)."""
    c = Cluster(microversion="2.94")
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
            unlisted = names - set(operations.get(operation).points)
            assert not unlisted, f"{operation} passes unlisted points {unlisted}"
            seen.setdefault(operation, set()).update(names)
    for record in operations.all_operations():
        operation, listed = record.name, record.points
        never = set(listed) - seen.get(operation, set())
        assert not never, f"{operation} lists points no scenario passes: {never}"


def test_short_names_resolve_when_unique_and_fail_listing_the_valid_ones() -> None:
    evacuate = operations.get("evacuate")
    assert evacuate.resolve_delays({"drop_migration_context": 1, "Instance.save#2": 2}) == {
        PointPass("Instance.drop_migration_context"): 1.0,
        PointPass("Instance.save", 2): 2.0,
    }
    with pytest.raises(UnknownName, match=r"'save' is ambiguous in operation 'evacuate'"):
        evacuate.resolve_delays({"save": 1})
    audit = operations.get("update_available_resource")
    with pytest.raises(UnknownName) as error:
        audit.resolve_delays({"spawn": 1})
    assert ", ".join(audit.unique_points) in str(error.value)
    with pytest.raises(UnknownName, match="Known operations: "):
        operations.get("teleport")


@pytest.mark.parametrize("bad", ["Instance.save#0", "Instance.save#x", "Instance.save#²"])
def test_a_pass_must_be_a_whole_number_from_one(bad: str) -> None:
    with pytest.raises(UnknownName, match="after '#' give the pass to delay"):
        operations.get("evacuate").resolve_delays({bad: 1})


@pytest.mark.parametrize("seconds", [-0.5, float("inf"), float("nan")])
def test_a_delay_must_be_a_finite_time_from_zero(seconds: float) -> None:
    with pytest.raises(InvalidArgument, match="Delay 'drop_migration_context' "):
        operations.get("evacuate").resolve_delays({"drop_migration_context": seconds})


def test_every_task_carries_its_operation_and_subject() -> None:
    cluster = Cluster(microversion="2.94")
    cluster.run_task(cluster.create_server("web end (1)", "host1"))
    cluster.run_task(cluster.update_available_resource("host1"))
    tags = [(task.name, task.tag.operation, task.tag.subject) for task in cluster.kernel.tasks]
    assert tags == [
        ("create(web end (1))", "create", "web end (1)"),
        ("audit(host1)", "update_available_resource", "host1"),
    ]
