"""Writes an example page of the report package, to look at in a browser.

Usage: python scripts/preview_timeline.py /tmp/report-preview/page.html

The page holds the timeline of bug 1896463's race (evacuation against the
host2 audit) as the kernel journals it, the cluster state after it, and a
second timeline with every other kind of journal entry (lock waits, a policy
switch, a fault, a crash, a cancel, a sleep, a folded run of points). The
journals come from the real kernel; only the Nova steps are stand-ins.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PciRaceLibrary.errors import TaskCrashed  # noqa: E402
from PciRaceLibrary.report import render_state, render_timeline  # noqa: E402
from PciRaceLibrary.sim import Entry, Kernel, Lock, Task, point, sleep  # noqa: E402


def bug_1896463() -> list[Entry]:
    """The canonical race: the audit frees the evacuated server's VF on host2."""
    kernel = Kernel()
    lock = Lock("lock[host2]")
    kernel.note("state", "Service host1 forced_down False -> True")

    async def evacuate() -> None:
        await point("Instance.save")
        kernel.note("state", "Instance vm1 task_state None -> rebuilding")
        await point("Migration.create")
        kernel.note("state", "Migration vm1 evacuation accepted")
        await point("ComputeTaskAPI.rebuild_instance")
        await point("Migration.get_by_instance_and_status")
        await point("SchedulerClient.select_destinations")
        kernel.note("state", "Placement vm1 +host2")
        await point("ComputeAPI.rebuild_instance")
        async with lock:
            await point("Migration.save")
            kernel.note("state", "Migration vm1 evacuation accepted -> pre-migrating")
            await point("PciDevice.claim")
            kernel.note("state", "PciDevice host2 0000:02:00.1 available -> claimed (vm1)")
            await point("Instance.save")
            await point("PciDevice.allocate")
            kernel.note("state", "PciDevice host2 0000:02:00.1 claimed -> allocated (vm1)")
            await point("PciDevTracker.save")
        await point("Instance.save")
        await point("NeutronAPI.update_port")
        await point("ComputeDriver.rebuild")
        await point("Instance.save")
        kernel.note("state", "Instance vm1 host host1 -> host2")
        await point("Instance.drop_migration_context")
        await point("Migration.save")
        kernel.note("state", "Migration vm1 evacuation pre-migrating -> done")

    async def audit() -> None:
        async with lock:
            await point("InstanceList.get_by_host_and_node")
            await point("MigrationList.get_in_progress_and_error")
            await point("PciDevTracker.clean_usage")
            kernel.note("state", "PciDevice host2 0000:02:00.1 allocated -> available (vm1)")
            kernel.note("state", "PciDevice host2 0000:02:00.0 unavailable -> available")
            await point("PciDevTracker.save")

    kernel.spawn(
        evacuate(),
        "evacuate(vm1)",
        delays={"ComputeDriver.rebuild": 0.5, "Instance.drop_migration_context": 1.0},
    )
    kernel.spawn(
        audit(),
        "audit(host2)",
        delays={"MigrationList.get_in_progress_and_error": 2.0},
    )
    kernel.run_all()
    return list(kernel.journal)


class _SwitchOnce:
    """Switches to the next runnable task the first time ``at`` is passed."""

    def __init__(self, at: str) -> None:
        self.at = at
        self.done = False

    def choose(self, point: str, candidates: Sequence[Task]) -> int:
        if point == self.at and not self.done and len(candidates) > 1:
            self.done = True
            return 1
        return 0


def every_kind() -> list[Entry]:
    """Lock waits, a switch, a fault, a crash, a cancel, a sleep, many points."""
    kernel = Kernel(policy=_SwitchOnce("Instance.get_by_uuid"))
    lock = Lock("lock[host1]")

    async def holder() -> None:
        async with lock:
            await point("Instance.get_by_uuid")  # the policy switches to the audit here
            await point("Migration.save")
            await sleep(1.0, "waiting for RPC")
            try:
                await point("NeutronAPI.update_port")
            except RuntimeError:
                kernel.note("note", "port update failed; retried")
            await point("NeutronAPI.update_port")

    async def waiter() -> None:
        for index in range(24):
            await point(f"PciDevice.check_{index:02d}")
        async with lock:
            await point("PciDevTracker.clean_usage")
        raise ValueError("instance <vm2> vanished")

    async def idle() -> None:
        await sleep(10.0)

    kernel.inject_fault(
        "NeutronAPI.update_port", lambda: RuntimeError("connection reset"), times=1
    )
    kernel.spawn(holder(), "rebuild(vm1)")
    kernel.spawn(waiter(), "audit(host1)")
    idler = kernel.spawn(idle(), "periodic<task> & co")
    try:
        kernel.run_all()
    except TaskCrashed:
        pass
    kernel.cancel(idler)
    return list(kernel.journal)


STATE = {
    "Hosts": [
        {"host": "host1", "service": "down", "forced_down": True},
        {"host": "host2", "service": "up", "forced_down": False},
    ],
    "Servers": [{"server": "vm1", "host": "host2", "status": "ACTIVE", "task": None}],
    "Migrations": [
        {"server": "vm1", "type": "evacuation", "source": "host1", "dest": "host2",
         "status": "done"},
    ],  # fmt: skip
    "PCI devices": [
        {"host": "host1", "address": "0000:01:00.0", "type": "PF",
         "status": "unavailable", "instance": None},
        {"host": "host1", "address": "0000:01:00.1", "type": "VF",
         "status": "allocated", "instance": "vm1"},
        {"host": "host2", "address": "0000:02:00.0", "type": "PF",
         "status": "available", "instance": None},
        {"host": "host2", "address": "0000:02:00.1", "type": "VF",
         "status": "available", "instance": None},
    ],  # fmt: skip
    "Placement": [{"consumer": "vm1", "providers": ["host1", "host2"]}],
    "Errors": [],
}


def page() -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        "<title>PciRaceLibrary report preview</title></head>"
        '<body style="margin:12px">'
        + render_timeline(bug_1896463(), title="Timeline: bug 1896463 (evacuation vs audit)")
        + '<div style="height:16px"></div>'
        + render_state(STATE, title="Cluster state at t=2.000s")
        + '<div style="height:16px"></div>'
        + render_timeline(every_kind(), title="Timeline: every kind of entry")
        + "</body></html>"
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: preview_timeline.py OUTPUT.html\n")
        return 2
    target = Path(argv[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
