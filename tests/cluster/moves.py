"""Ready-made move scenarios for the cluster tests (cold migration and resize)."""

from __future__ import annotations

from PciRaceLibrary.cluster import Cluster


def migrated(
    bugs: str | None = None, *, flavor: str | None = None, **cluster_args: object
) -> Cluster:
    """vm1 built on host1 with a direct port, then migrated (or resized to
    ``flavor``) to host2 and left in VERIFY_RESIZE."""
    cluster = Cluster(bugs=bugs, **cluster_args)  # type: ignore[arg-type]
    cluster.run_task(cluster.create_server("vm1", "host1"))
    if flavor is None:
        cluster.run_task(cluster.start("migrate", "vm1"))
    else:
        cluster.run_task(cluster.start("resize", "vm1", flavor=flavor))
    assert cluster.server_status("vm1") == "VERIFY_RESIZE", cluster.server_fault("vm1")
    return cluster


def vcpus(cluster: Cluster) -> dict[str, int]:
    """Each host's tracked vCPU usage, as Nova's regression test reads it."""
    return {host: cluster.resource_usage(host)["vcpus"] for host in cluster.hosts}
