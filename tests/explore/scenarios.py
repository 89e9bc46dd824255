"""Ready-made scenarios for pytest and benchmarks: ``run_once`` callables.

Each returns ``run_once(policy) -> Run`` for ``explore``; called with
``policy=None`` it is a plain run, which is how a delays-only reproducer is
checked. ``delays`` (task name -> point -> seconds) go to the racing tasks.
"""

from __future__ import annotations

from collections.abc import Callable

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.explore import Run
from PciRaceLibrary.sim import ChoicePolicy, Kernel

Delays = dict[str, dict[str, float]]
RunOnce = Callable[[ChoicePolicy | None], Run]

THIRD_OPERATIONS = ("create", "delete")


def evacuation_vs_audit(bugs: str | None = None, delays: Delays | None = None) -> RunOnce:
    """vm1 on host1, host1 down; the evacuation of vm1 and host2's audit start
    together and run to the end. Fails unless vm1 holds one device on host2
    and the accounting is consistent."""
    return _race(bugs, delays, None)


def evacuation_vs_audit_and(
    third: str, bugs: str | None = None, delays: Delays | None = None
) -> RunOnce:
    """As ``evacuation_vs_audit`` with a third racing task: ``create`` (vm2
    built on host2) or ``delete`` (vm1 deleted; the check follows one more
    audit of host2, which frees what a delete racing a move leaves behind).
    With three tasks a switch may pick either other task, which plain delays
    must imitate.

    Raises ValueError for another ``third``.
    """
    if third not in THIRD_OPERATIONS:
        raise ValueError(
            f"No third operation '{third}'. Valid operations: {', '.join(THIRD_OPERATIONS)}."
        )
    return _race(bugs, delays, third)


def _race(bugs: str | None, delays: Delays | None, third: str | None) -> RunOnce:
    delays = delays or {}

    def run_once(policy: ChoicePolicy | None) -> Run:
        cluster = Cluster(bugs=bugs, kernel=Kernel(policy=None), microversion="2.94")
        cluster.run_task(cluster.create_server("vm1", "host1"))
        cluster.stop_compute_service("host1")
        cluster.force_down_compute_service("host1")
        cluster.kernel.policy = policy  # the set-up runs alone; the race starts here
        cluster.evacuate("vm1", delays=delays.get("evacuate(vm1)", {}))
        cluster.update_available_resource("host2", delays=delays.get("audit(host2)", {}))
        if third == "create":
            cluster.create_server("vm2", "host2", delays=delays.get("create(vm2)", {}))
        elif third == "delete":
            cluster.delete_server("vm1", delays=delays.get("delete(vm1)", {}))
        try:
            cluster.kernel.run_all()
        except BaseException:
            cluster.kernel.close()  # a refused replay: close the unfinished tasks
            raise
        if third == "delete":  # a delete racing a move may leak until the next audit frees it
            cluster.kernel.policy = None
            cluster.run_task(cluster.update_available_resource("host2"))
        # The race is about devices: an audit inside the evacuation also leaves
        # host2's vCPU/RAM count short until its next run, in current Nova too,
        # so usage is compared only where the next audit ran (the delete case).
        problems = cluster.check_invariants(usage=third == "delete")
        if third != "delete":
            held = len(cluster.pci_allocations("vm1").get("host2", []))
            if held != 1 and not any("'vm1' on 'host2'" in problem for problem in problems):
                problems.insert(0, f"Server 'vm1' should hold 1 PCI device(s) on 'host2' "
                                   f"but holds {held}.")  # fmt: skip
        failure = "; ".join(problems) or None
        return Run(
            outcome=_outcome(cluster), failure=failure, journal=cluster.kernel.journal.entries()
        )

    return run_once


def _outcome(cluster: Cluster) -> str:
    parts = []
    for server in cluster.servers:
        allocations = cluster.pci_allocations(server)
        held = " ".join(f"{host}={len(found)}" for host, found in allocations.items())
        records = cluster.migrations_of(server)
        last = f" {records[-1]['status']}" if records else ""
        parts.append(f"{server}: {cluster.server_status(server)} {held or 'no PCI'}{last}")
    return "; ".join(parts)
