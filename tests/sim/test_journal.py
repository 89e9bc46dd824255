"""The journal's storage: what it keeps costs the garbage collector nothing,
what it hands out reads as before, and the kernel runs without the collector."""

from __future__ import annotations

import gc

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.sim import Change, Entry, Journal, Kernel, Kind
from PciRaceLibrary.sim.traps import point


def test_stored_entries_are_let_go_by_the_garbage_collector() -> None:
    journal = Journal()
    journal.record(1.0, "task", Kind.POINT, "Instance.save")
    journal.record(1.0, "task", Kind.STATE, change=Change("Instance", "vm1", "host", "a", "b"))
    gc.collect()
    gc.collect()  # an entry is let go once the collector has let go of its change
    # Plain tuples of text and numbers, once the collector has looked at them:
    # a big run's millions of entries are not walked by every collection.
    assert [gc.is_tracked(stored) for stored in journal._stored] == [False, False]
    # Read back, they are the typed entries, the change's sentence rendered.
    point, state = journal
    assert point == Entry(1.0, "task", Kind.POINT, "Instance.save")
    assert point.kind is Kind.POINT
    assert state.change == Change("Instance", "vm1", "host", "a", "b")
    assert state.detail == "Instance vm1 host a -> b"
    assert journal.of_kind(Kind.STATE) == [state]
    assert journal.since(1) == [state] == [journal[1]]


def test_the_kernel_runs_without_the_cyclic_collector_and_gives_it_back() -> None:
    kernel = Kernel()
    seen = []

    async def task() -> None:
        seen.append(gc.isenabled())
        await point("Bare.step")

    kernel.spawn(task(), "task")
    assert gc.isenabled()
    kernel.run_all()
    assert seen == [False]
    assert gc.isenabled()


def test_a_scenario_leaves_no_cycles_for_the_collector_while_it_runs() -> None:
    """What makes pausing the collector during runs safe: boots and audits
    leave their garbage to reference counting."""
    cluster = Cluster()
    gc.collect()
    collecting = gc.isenabled()
    gc.disable()
    try:
        for n in range(4):
            cluster.create_server(f"vm{n}", f"host{n % 2 + 1}", vnic_type="normal")
        cluster.kernel.run_all()
        for host in cluster.hosts:
            cluster.run_task(cluster.update_available_resource(host))
        assert gc.collect() == 0
    finally:
        if collecting:
            gc.enable()
