"""Long-lived model state is frozen out of the cyclic collector's sight, and
a new kernel gives it back, so a dropped cluster's cycles are still collected."""

import gc
import weakref

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.sim import Kernel


def test_a_run_freezes_what_it_leaves_and_a_new_kernel_unfreezes() -> None:
    cluster = Cluster()
    assert gc.get_freeze_count() > 0  # the build froze the cluster
    cluster.run_task(cluster.create_server("vm1", "host1"))
    assert gc.get_count()[0] < 700  # what the run left is out of the young generation
    Kernel()
    assert gc.get_freeze_count() == 0


def test_a_dropped_cluster_is_collected_after_the_next_kernel() -> None:
    cluster = Cluster()
    cluster.run_task(cluster.create_server("vm1", "host1"))
    gone = weakref.ref(cluster.kernel)
    del cluster
    gc.collect()
    assert gone() is not None  # frozen: kept, as the kernel's tasks point back at it
    Kernel()
    gc.collect()
    assert gone() is None
