"""Writes the report package's output to HTML pages, to look at in a browser.

Usage: python scripts/preview_timeline.py OUTPUT.html

Both variants of bug 1896463's canonical reproducer run on the real cluster
(evacuation of vm1 from host1 against the audit on host2, with the delays of
Nova's regression test); the page shows the timeline and state tables that
``Log Timeline`` and ``Log Cluster State`` put into log.html for each. Then
come three tasks (a creation of vm2 on host2 joins the race): once with the
same delays, and once as the explorer's failing schedule, where everything
happens at t=0 and only the order tells. A last timeline comes from the bare
kernel and holds every other kind of journal entry (lock waits, a policy
switch, a fault, a crash, a cancel, a sleep, a folded run of points), so each
symbol can be checked without Robot Framework.

Besides OUTPUT.html (everything), each fragment gets a page of its own,
OUTPUT-<name>.html, for screenshots. Keep the output out of the repository.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.errors import TaskCrashed
from PciRaceLibrary.explore import ReplayPolicy, decode
from PciRaceLibrary.report import render_state, render_timeline
from PciRaceLibrary.sim import Entry, Kernel, Lock, Task, point, sleep
from tests.explore.scenarios import evacuation_vs_audit_and

VARIANTS = (("1896463", "before", "Bug 1896463 restored"), (None, "fixed", "Current Nova"))
CANONICAL_DELAYS = {
    "evacuate(vm1)": {"ComputeDriver.rebuild": 0.5, "drop_migration_context": 1.0},
    "audit(host2)": {"get_in_progress_and_error": 2.0},
}
# A failing schedule the exhaustive explorer finds for three tasks (bound 2).
EXPLORED = "PCR1:12=1,16=1:08c2"


def canonical(bugs: str | None) -> Cluster:
    """The canonical reproducer, run until every task has finished."""
    cluster = Cluster(bugs=bugs)
    cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    cluster.evacuate("vm1", delays={"ComputeDriver.rebuild": 0.5, "drop_migration_context": 1.0})
    cluster.run_task(
        cluster.update_available_resource("host2", delays={"get_in_progress_and_error": 2.0})
    )
    cluster.kernel.run_all()
    return cluster


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
                kernel.note("port update failed; retried")
            await point("NeutronAPI.update_port")

    async def waiter() -> None:
        for index in range(24):
            await point(f"PciDevice.check_{index:02d}")
        async with lock:
            await point("PciDevTracker.clean_usage")
        raise ValueError("instance <vm2> vanished")

    async def idle() -> None:
        await sleep(10.0)

    kernel.inject_fault("NeutronAPI.update_port", lambda: RuntimeError("connection reset"), times=1)
    kernel.spawn(holder(), "rebuild(vm1)")
    kernel.spawn(waiter(), "audit(host1)")
    idler = kernel.spawn(idle(), "periodic<task> & co")
    with contextlib.suppress(TaskCrashed):  # the crash is what the chart shows
        kernel.run_all()
    kernel.cancel(idler)
    return list(kernel.journal)


def fragments() -> list[tuple[str, str]]:
    """Named HTML fragments, as the report keywords log them."""
    parts = []
    for bugs, name, title in VARIANTS:
        cluster = canonical(bugs)
        parts.append(
            (
                f"timeline_{name}",
                render_timeline(cluster.kernel.journal, title=f"{title}: timeline"),
            )
        )
        parts.append(
            (
                f"state_{name}",
                render_state(cluster.snapshot(), title=f"{title}: state at {cluster.clock}"),
            )
        )
    three = evacuation_vs_audit_and("create", "1896463", CANONICAL_DELAYS)(None)
    parts.append(
        ("timeline_three", render_timeline(three.journal, title="Three tasks, with delays"))
    )
    explored = evacuation_vs_audit_and("create", "1896463")(ReplayPolicy(prefix=decode(EXPLORED)))
    parts.append(
        (
            "timeline_explored",
            render_timeline(explored.journal, title=f"Three tasks, explored schedule {EXPLORED}"),
        )
    )
    parts.append(("timeline_every_kind", render_timeline(every_kind(), title="Every kind")))
    return parts


def page(body: str) -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        "<title>PciRaceLibrary report preview</title></head>"
        f'<body style="margin:12px">{body}</body></html>'
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    target = Path(argv[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    parts = fragments()
    body = '<div style="height:16px"></div>'.join(html for _, html in parts)
    target.write_text(page(body), encoding="utf-8")
    for name, html in parts:
        target.with_name(f"{target.stem}-{name}.html").write_text(page(html), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
