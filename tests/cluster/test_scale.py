"""Per-host work stays per-host: counted, never timed.

An audit of one host, ``check_invariants`` of one host and a boot through the
scheduler run exactly as many Python calls and lines, and read exactly as
many rows, in a cluster of 10 hosts as in one of 1,000 with a server on
every host. A Python loop over the cluster would run a line per host or per
server and show here. (Work inside one C call, a heap's sift or a sort, is
not counted: keep such calls off the hosts and servers of the cluster.)
"""

from __future__ import annotations

import gc
import sys
from collections import Counter
from collections.abc import Callable
from functools import cache
from types import FrameType

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.db import Database
from PciRaceLibrary.cluster.scheduler import select_destinations
from PciRaceLibrary.cluster.topology import HostSpec, Topology, default_topology
from PciRaceLibrary.errors import RunawayError
from PciRaceLibrary.sim import Kernel, sleep

from .test_indexes import CLAIM, reference_order, topology

# The database reads an audit or a check makes, whose rows are counted.
READS = (
    "instance_list_by_host_and_node",
    "instance_list_by_host",
    "migration_list_in_progress",
    "migration_list_evacuations_from",
    "pci_devices_by_compute_node",
    "stored_pci_devices",
    "peek_pci_devices",
    "peek_pci_devices_of_instance",
    "peek_instances_on",
    "peek_ports_bound_to",
    "peek_migrations_of",
)


@cache
def populated(hosts: int) -> Cluster:
    """``hosts`` roomy hosts, a server on each and ten more on host1 (half
    with a direct port), audited once so that later audits change nothing."""
    base = default_topology()
    specs = tuple(
        HostSpec(f"host{n}", base.hosts[0].devices, vcpus=16, memory_mb=32768)
        for n in range(1, hosts + 1)
    )
    cluster = Cluster(Topology(f"{hosts} hosts", specs, base.networks))
    for n, host in enumerate(cluster.hosts):
        cluster.create_server(f"vm{n}", host, vnic_type="normal")
    for n in range(10):
        cluster.create_server(f"mine{n}", "host1", vnic_type="direct" if n < 2 else "normal")
    assert cluster.kernel.run_all()
    cluster.run_task(cluster.update_available_resource("host1"))
    return cluster


def counted(cluster: Cluster, action: Callable[[], object]) -> tuple[int, Counter[str]]:
    """Python calls and lines ``action`` runs, and rows each database read returned."""
    rows: Counter[str] = Counter()
    db = cluster.db
    for name in READS:
        original = getattr(Database, name)

        def wrapper(*args: object, _original: Callable[..., object] = original,
                    _name: str = name, **kwargs: object) -> object:  # fmt: skip
            result = _original(db, *args, **kwargs)
            if hasattr(result, "__await__"):
                return _awaited(result, rows, _name)
            rows[_name] += len(result)  # type: ignore[arg-type]
            return result

        setattr(db, name, wrapper)
    steps = 0

    def trace(frame: FrameType, event: str, arg: object) -> object:
        nonlocal steps
        steps += 1  # a call, or a line run: each turn of a Python loop
        return trace

    # No collection while tracing: garbage of earlier tests (unfinished
    # coroutines closing) would add its lines to the count.
    gc.collect()
    gc.disable()
    # A big cluster freezes what each run leaves (a few lines, however big):
    # the same calls at any size, counted apart from the model's work.
    long_lived, cluster.kernel.long_lived = cluster.kernel.long_lived, False
    sys.settrace(trace)
    try:
        action()
    finally:
        sys.settrace(None)
        gc.enable()
        cluster.kernel.long_lived = long_lived
        for name in READS:
            delattr(db, name)
    return steps, rows


async def _awaited(coro: object, rows: Counter[str], name: str) -> object:
    result = await coro  # type: ignore[misc]
    rows[name] += len(result)
    return result


@pytest.mark.parametrize(
    "action",
    [
        lambda c: c.run_task(c.update_available_resource("host1")),
        lambda c: c.check_invariants("host1"),
        lambda c: c.free_pci_devices("host1"),
        lambda c: c.pci_allocations("mine0"),
    ],
    ids=["audit of host1", "check_invariants(host1)", "free devices", "PCI allocations"],
)
def test_per_host_work_is_the_same_among_10_and_1000_hosts(
    action: Callable[[Cluster], object],
) -> None:
    small = counted(populated(10), lambda: action(populated(10)))
    large = counted(populated(1000), lambda: action(populated(1000)))
    assert small[1]  # it reads rows, and the same ones
    assert large == small


def test_a_boot_through_the_scheduler_costs_the_same_among_10_and_1000_hosts() -> None:
    def boot(cluster: Cluster) -> Callable[[], object]:
        name = f"late{len(cluster.db.names)}"
        return lambda: cluster.run_task(cluster.create_server(name, vnic_type="normal"))

    # Twice: the first boot after the build weighs every provider once.
    counts = [
        [counted(cluster, boot(cluster))[0] for _ in range(2)]
        for cluster in (populated(10), populated(1000))
    ]
    # Nearly equal, not equal: the heap drops its stale entries every so many
    # changes, and when that falls in the counted boot depends on what ran
    # before in the process. A loop over the hosts would add a line per host
    # (the old scheduler ran 1,870 against 18,700).
    small, large = counts[0][1], counts[1][1]
    assert large <= small * 1.05, (small, large)


def test_alternates_follow_the_order_at_the_request_while_placement_changes() -> None:
    """The scheduler picks host2 and waits at its claim; meanwhile host5 fills
    below host3. The alternates are those of the request (host5, host3), not
    of now (host3, host5)."""
    cluster = Cluster(topology([4096, 8192, 6144, 5120, 7168]))
    cluster.run_task(cluster.create_server("vm0", "host1", vnic_type="normal"))
    instance = cluster.instance("vm0").clone()
    instance.uuid, instance.name = "consumer-a", "a"
    order = reference_order(cluster)
    assert order == ["host2", "host5", "host3", "host4", "host1"]
    chosen: list[str] = []

    async def schedule() -> None:
        chosen.extend(await select_destinations(cluster.context, instance, alternates=2))

    cluster.kernel.inject_delay(CLAIM, 1.0, times=1)
    task = cluster.kernel.spawn(schedule(), "schedule a")
    cluster.run_until(lambda: False, 0.5)
    for n in range(4):
        cluster.run_task(cluster.create_server(f"fill{n}", "host5", vnic_type="normal"))
    assert reference_order(cluster)[:3] == ["host2", "host3", "host5"]
    assert cluster.run_task(task)
    assert chosen == order[:3]


def test_the_wall_clock_guard_names_the_runaway_task_and_counts_the_others() -> None:
    kernel = Kernel(guard_seconds=0.05)

    async def forever() -> None:
        while True:
            await sleep(0)  # a point without a delay would not give the kernel back

    async def waiting() -> None:
        await sleep(1000.0)

    for n in range(5):
        kernel.spawn(waiting(), f"waiter{n}")
    kernel.spawn(forever(), "spinner")
    with pytest.raises(RunawayError) as error:
        kernel.run_all()
    message = str(error.value)
    assert message.startswith("The kernel ran longer than its wall-clock guard of 0.05 seconds")
    assert message.endswith(": task 'spinner' was running, and 5 other unfinished task(s) waited.")
    assert "waiter" not in message
