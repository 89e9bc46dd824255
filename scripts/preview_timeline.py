"""Writes the timeline and state tables of bug 1896463's race to an HTML page.

Usage: python scripts/preview_timeline.py OUTPUT.html

Both variants of the canonical reproducer run on the real cluster; the page
shows what ``Log Timeline`` and ``Log Cluster State`` put into log.html, for a
look in a browser without running Robot Framework.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.report import render_state, render_timeline


def canonical(bugs: str | None) -> Cluster:
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


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"]
    for bugs, title in (("1896463", "Before the fix"), (None, "Current Nova")):
        cluster = canonical(bugs)
        parts.append(render_timeline(cluster.kernel.journal, title=f"{title}: timeline"))
        parts.append(render_state(cluster.snapshot(), title=f"{title}: state at {cluster.clock}"))
    parts.append("</body></html>")
    Path(sys.argv[1]).write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
