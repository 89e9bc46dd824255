"""Prints how fast the fake cluster runs: figures, never pass/fail.

Usage: python scripts/bench.py [--quick]

1. The canonical reproducer of bug 1896463 through the Python API (runs/s).
2. The same scenario through Robot Framework keywords, with hundreds of seconds
   of injected virtual delays per test (wall ms per test).
3. A cluster of N hosts with one server each: build, a full round of audits,
   and an evacuation racing the destination's audit (wall ms per scenario).
4. Per-host work stays per-host: the audit of a host holding 10 servers in a
   small and a large cluster, and the boot of a late server against an early
   one (wall ms, and their ratio: near 1 when no step scans the whole cluster).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import robot

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.topology import (
    HostSpec,
    Topology,
    default_topology,
    fake_driver_devices,
)


def canonical(bugs: str | None) -> Cluster:
    cluster = Cluster(bugs=bugs)
    cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    cluster.evacuate("vm1", delays={"ComputeDriver.rebuild": 0.5, "drop_migration_context": 1.0})
    audit = cluster.update_available_resource("host2", delays={"get_in_progress_and_error": 2.0})
    cluster.run_task(audit)
    cluster.kernel.run_all()
    return cluster


def bench_python(runs: int) -> None:
    for bugs in ("1896463", None):
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            canonical(bugs)
            times.append(time.perf_counter() - started)
        mean = statistics.fmean(times)
        print(
            f"canonical reproducer, {bugs or 'current Nova':>12}: {mean * 1000:6.2f} ms/run, "
            f"{1 / mean:7.0f} runs/s (median {statistics.median(times) * 1000:.2f} ms, {runs} runs)"
        )


SUITE = """\
*** Settings ***
Library    PciRaceLibrary    timeout=10 min

*** Test Cases ***
"""

CASE = """\
Race {n}
    Start Cluster    bugs=1896463    microversion=2.94
    Create Server With Direct Port    vm1    host=host1    ComputeDriver.spawn=100 s
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Server With Direct Port    vm1    ComputeDriver.rebuild=50 s    drop_migration_context=100 s
    Run Periodic Update Available Resource    host2    get_in_progress_and_error=200 s
    Wait Until Server Has    vm1    host=host2    status=ACTIVE    timeout=5 min
    PCI Allocation On Host Should Be    vm1    host2    0
"""  # noqa: E501


def bench_robot(tests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        suite = Path(tmp) / "delays.robot"
        suite.write_text(SUITE + "".join(CASE.format(n=n) for n in range(tests)), encoding="utf-8")
        started = time.perf_counter()
        rc = robot.run(str(suite), outputdir=tmp, console="none", log="NONE", report="NONE")
        elapsed = time.perf_counter() - started
    print(
        f"Robot suite, {tests} tests with 350 s of virtual delays each: rc={rc}, "
        f"{elapsed * 1000 / tests:.1f} ms wall per test (whole run {elapsed:.2f} s)"
    )


def big_topology(hosts: int) -> Topology:
    names = [f"host{n}" for n in range(1, hosts + 1)]
    base = default_topology()
    return Topology(
        name=f"{hosts} hosts",
        hosts=tuple(HostSpec(name, fake_driver_devices(name)) for name in names),
        networks=base.networks,
        sriov_network=base.sriov_network,
    )


def bench_scale(hosts: int) -> None:
    topology = big_topology(hosts)
    started = time.perf_counter()
    cluster = Cluster(topology)
    built = time.perf_counter()
    tasks = [cluster.create_server(f"vm{n}", host.name) for n, host in enumerate(topology.hosts)]
    cluster.kernel.run_all()
    booted = time.perf_counter()
    assert all(task.done for task in tasks)
    audits = [cluster.update_available_resource(host.name) for host in topology.hosts]
    cluster.kernel.run_all()
    audited = time.perf_counter()
    assert all(task.done for task in audits)
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    cluster.evacuate("vm0", "host2", delays={"drop_migration_context": 1.0})
    cluster.run_task(cluster.update_available_resource("host2"))
    cluster.kernel.run_all()
    raced = time.perf_counter()
    problems = cluster.check_invariants()
    checked = time.perf_counter()
    print(
        f"{hosts:>5} hosts: build {1000 * (built - started):7.1f} ms, "
        f"{hosts} boots {1000 * (booted - built):7.1f} ms, "
        f"{hosts} audits {1000 * (audited - booted):7.1f} ms "
        f"({1000 * (audited - booted) / hosts:.3f} ms/audit), "
        f"evacuation vs audit {1000 * (raced - audited):6.2f} ms, "
        f"invariants {1000 * (checked - raced):6.1f} ms ({len(problems)} violations)"
    )


SERVERS_PER_HOST = 10


def roomy_topology(hosts: int) -> Topology:
    """``hosts`` fake-driver hosts with room for dozens of servers each."""
    base = big_topology(hosts)
    return Topology(
        name=f"{hosts} roomy hosts",
        hosts=tuple(
            HostSpec(host.name, host.devices, vcpus=16, memory_mb=32768) for host in base.hosts
        ),
        networks=base.networks,
        sriov_network=base.sriov_network,
    )


def populated(hosts: int, servers: int) -> Cluster:
    """A cluster of ``hosts`` with ``servers`` booted round-robin on requested
    hosts: the first two per host with a direct port (the fake driver has two
    physnet2 VFs), the rest with a normal port, as PCI capacity runs out."""
    cluster = Cluster(roomy_topology(hosts))
    boot_round_robin(cluster, 0, servers)
    return cluster


def boot_round_robin(cluster: Cluster, first: int, end: int) -> None:
    """Boots vm<first>..vm<end - 1> on requested hosts, in batches (each kernel
    run stays far below the kernel's wall-clock guard)."""
    names = cluster.hosts
    for n in range(first, end):
        vnic_type = "direct" if n < 2 * len(names) else "normal"
        cluster.create_server(f"vm{n}", names[n % len(names)], vnic_type=vnic_type)
        if n % 500 == 499 or n == end - 1:
            assert cluster.kernel.run_all()


def timed(action: Callable[[], object], runs: int) -> float:
    """Median wall seconds of ``action`` over ``runs`` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def audit_cost(servers: int, runs: int) -> float:
    cluster = populated(servers // SERVERS_PER_HOST, servers)
    assert sum(row.host == "host1" for row in cluster.db.instances.values()) == SERVERS_PER_HOST
    audit = cluster.update_available_resource
    cluster.run_task(audit("host1"))  # settles usage: later audits change nothing
    return timed(lambda: cluster.run_task(audit("host1")), runs)


def bench_audit(small: int, large: int, runs: int) -> None:
    costs = [audit_cost(servers, runs) for servers in (small, large)]
    print(
        f"audit of a host with {SERVERS_PER_HOST} servers: {costs[0] * 1000:.3f} ms among "
        f"{small} servers, {costs[1] * 1000:.3f} ms among {large}: "
        f"ratio {costs[1] / costs[0]:.2f} (goal < 1.5)"
    )


def bench_boots(hosts: int, early: int, late: int, runs: int) -> None:
    """Boots through the scheduler (no host requested) at two cluster sizes;
    the servers between them go to requested hosts, which is cheaper."""
    cluster = populated(hosts, early - 1)

    def boot() -> None:
        task = cluster.create_server(f"vm{len(cluster.db.names)}", vnic_type="normal")
        assert cluster.run_task(task)

    costs = [timed(boot, runs)]
    boot_round_robin(cluster, len(cluster.db.names), late - 1)
    costs.append(timed(boot, runs))
    print(
        f"boot through the scheduler, {hosts} hosts: server {early} {costs[0] * 1000:.3f} ms, "
        f"server {late} {costs[1] * 1000:.3f} ms: ratio {costs[1] / costs[0]:.2f}"
    )


def main() -> None:
    quick = "--quick" in sys.argv
    bench_python(20 if quick else 200)
    bench_robot(5 if quick else 50)
    for hosts in (10, 100) if quick else (10, 100, 1000):
        bench_scale(hosts)
    bench_audit(1000, 4000 if quick else 20000, runs=20 if quick else 50)
    bench_boots(100 if quick else 500, 100, 2000 if quick else 10000, runs=5 if quick else 10)


if __name__ == "__main__":
    main()
