"""A big cluster's long-lived state is frozen out of the cyclic collector's
sight, and a new kernel gives it back, so a dropped cluster's cycles are
still collected; a small cluster freezes nothing."""

import gc
import weakref

import pytest

import PciRaceLibrary.cluster
from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.sim import Kernel


@pytest.fixture
def big(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two hosts count as a big cluster."""
    monkeypatch.setattr(PciRaceLibrary.cluster, "LONG_LIVED_HOSTS", 2)


@pytest.mark.usefixtures("big")
def test_a_run_freezes_what_it_leaves_and_a_new_kernel_unfreezes() -> None:
    cluster = Cluster()
    assert gc.get_freeze_count() > 0  # the build froze the cluster
    cluster.run_task(cluster.create_server("vm1", "host1"))
    assert gc.get_count()[0] < 700  # what the run left is out of the young generation
    Kernel()
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("big")
def test_a_dropped_cluster_in_a_cycle_is_collected_after_the_next_kernel() -> None:
    cluster = Cluster()
    # A task left waiting half-way: its coroutine's frame points back at the cluster.
    task = cluster.create_server("vm1", "host1", delays={"ComputeDriver.spawn": 5.0})
    cluster.run_task(task, timeout=1.0)
    assert not task.done
    del task
    gone = weakref.ref(cluster.kernel)
    del cluster
    gc.collect()
    assert gone() is not None  # frozen: kept, as the waiting task points back at it
    Kernel()
    gc.collect()
    assert gone() is None


@pytest.mark.usefixtures("big")
def test_a_dropped_cluster_whose_tasks_ended_is_freed_at_once() -> None:
    """No cycles: reference counting frees it, frozen or not (the cyclic GC's
    share of a small scenario, issue 13)."""
    cluster = Cluster()
    assert cluster.run_task(cluster.create_server("vm1", "host1"))
    gone = weakref.ref(cluster.kernel)
    del cluster
    assert gone() is None


def test_a_small_cluster_freezes_nothing() -> None:
    cluster = Cluster()
    cluster.run_task(cluster.create_server("vm1", "host1"))
    assert gc.get_freeze_count() == 0
