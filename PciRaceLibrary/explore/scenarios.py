"""Ready-made scenarios for pytest and benchmarks: ``run_once`` callables."""

from __future__ import annotations

from collections.abc import Callable

from ..cluster import Cluster
from ..sim import ChoicePolicy, Kernel
from .explorer import Run


def evacuation_vs_audit(
    bugs: str | None = None, delays: dict[str, dict[str, float]] | None = None
) -> Callable[[ChoicePolicy | None], Run]:
    """vm1 on host1, host1 down; the evacuation of vm1 and host2's audit start
    together and run to the end. Fails unless vm1 holds one device on host2
    and the accounting is consistent. ``delays`` (task -> point -> seconds)
    turn a schedule into plain delays."""
    delays = delays or {}

    def run_once(policy: ChoicePolicy | None) -> Run:
        cluster = Cluster(bugs=bugs, kernel=Kernel(policy=None))
        cluster.run_task(cluster.create_server("vm1", "host1"))
        cluster.stop_compute_service("host1")
        cluster.force_down_compute_service("host1")
        cluster.kernel.policy = policy  # the set-up runs alone; the race starts here
        cluster.evacuate("vm1", delays=delays.get("evacuate(vm1)", {}))
        cluster.update_available_resource("host2", delays=delays.get("audit(host2)", {}))
        try:
            cluster.kernel.run_all()
        except BaseException:
            cluster.kernel.close()  # a refused replay: close the unfinished tasks
            raise
        allocations = cluster.pci_allocations("vm1")
        problems = cluster.check_invariants()
        outcome = (
            f"host1={len(allocations.get('host1', []))} host2={len(allocations.get('host2', []))}"
            f" {cluster.migrations_of('vm1')[-1]['status']}"
        )
        failure = "; ".join(problems) or None
        return Run(outcome=outcome, failure=failure, journal=cluster.kernel.journal.text())

    return run_once
