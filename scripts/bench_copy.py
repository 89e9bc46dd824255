"""Prints what a copy of a quiescent cluster costs beside the alternatives.

Usage: python scripts/bench_copy.py

(1) the explorer's set-up, a server on a fenced host ("Server On Failed
    Host"): ``copy.deepcopy`` against ``ClusterTemplate.copy``;
(2) fresh clusters of a few topologies: building one (``Cluster(topology)``)
    against copying a template of a fresh one.

Figures are taken in turns (one batch of each, again and again) and the best
of each kept: a machine shared with other work slows both alike.
"""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import devices_72, roomy_topology

from PciRaceLibrary.cluster import Cluster, ClusterTemplate
from PciRaceLibrary.cluster.topology import Topology, default_topology, load_topology

TOPOLOGIES = Path(__file__).resolve().parents[1] / "PciRaceLibrary" / "topologies"


def paired(first: Callable[[], object], second: Callable[[], object], number: int) -> list[float]:
    """Best seconds per call of each, batches taken in turns."""
    best = [float("inf"), float("inf")]
    for _ in range(15):
        for n, call in enumerate((first, second)):
            start = time.perf_counter()
            for _ in range(number):
                call()
            best[n] = min(best[n], (time.perf_counter() - start) / number)
    return best


def failed_host() -> Cluster:
    cluster = Cluster(microversion="2.94")
    assert cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    return cluster


def main() -> None:
    cluster = failed_host()
    template = ClusterTemplate(cluster)
    deep, copied = paired(lambda: copy.deepcopy(cluster), template.copy, 50)
    print(f"explorer set-up: deepcopy {deep * 1e3:.3f} ms, template copy {copied * 1e3:.3f} ms "
          f"= {deep / copied:.1f}x faster")  # fmt: skip
    topologies: list[tuple[str, Topology]] = [
        ("default (2 hosts)", default_topology()),
        ("dense.yaml", load_topology(TOPOLOGIES / "dense.yaml")),
        ("10 hosts x 72 PCI", roomy_topology(10, devices_72)),
        ("100 hosts x 72 PCI", roomy_topology(100, devices_72)),
    ]
    for name, topology in topologies:
        fresh = ClusterTemplate(Cluster(topology))
        number = max(1, 200 // len(topology.hosts))
        built, copied = paired(lambda t=topology: Cluster(t), fresh.copy, number)
        print(f"fresh {name:20} build {built * 1e3:8.3f} ms, template copy "
              f"{copied * 1e3:8.3f} ms = copy / build {copied / built:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
