"""Bug 1849165 through the cluster's Python API: the audits during a live
migration's ``pre_live_migration`` (Nova's regression test runs them from
inside it), before and after the fix."""

from __future__ import annotations

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.sim import Kind

TYPE_ERROR = "TypeError: argument of type 'NoneType' is not iterable"


def reproduce(bugs: str | None) -> Cluster:
    """Live migrate vm1 (no host) and run every compute's audit while the
    destination prepares; then let the migration finish."""
    cluster = Cluster(bugs=bugs)
    assert cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.live_migrate("vm1", delays={"ComputeDriver.pre_live_migration": 1})
    audits = [cluster.update_available_resource(host) for host in cluster.hosts]
    assert cluster.run_until(lambda: all(audit.done for audit in audits), 5)
    assert cluster.now == 0.0  # the audits ran while pre_live_migration waits
    return cluster


def finish(cluster: Cluster) -> Cluster:
    cluster.kernel.run_all()
    assert cluster.migrations_of("vm1")[-1]["status"] == "completed"
    assert (cluster.server_status("vm1"), cluster.server_host("vm1")) == ("ACTIVE", "host2")
    return cluster


def assert_pre_fix_outcome(cluster: Cluster) -> None:
    """What went wrong before the fix: the destination's audit raised, its
    usage was never saved, and the migration went on regardless."""
    assert cluster.audit_failures("host1") == []
    failures = cluster.audit_failures("host2")
    assert len(failures) == 1
    assert failures[0].startswith(TYPE_ERROR)
    assert cluster.resource_usage("host2")["vcpus"] == 0  # the incoming move uncounted
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"]}  # the claim unsaved
    finish(cluster)
    assert cluster.resource_usage("host2")["vcpus"] == 0  # vm1 runs there, uncounted


def test_before_the_fix_the_destination_audit_raises_and_saves_nothing() -> None:
    cluster = reproduce("1849165")
    assert_pre_fix_outcome(cluster)
    notes = [(e.task, e.detail) for e in cluster.kernel.journal if e.kind == Kind.NOTE]
    assert (
        "audit(host2)",
        f"Error updating resources for node host2: {TYPE_ERROR} (the migration of 'vm1' "
        "through 'host2' has no migration context)",
    ) in notes
    audit = [e.detail for e in cluster.kernel.journal
             if e.task == "audit(host2)" and e.kind == Kind.POINT]  # fmt: skip
    assert audit[-1] == "PciDevTracker.clean_usage"  # ended before saving anything
    assert cluster.check_invariants(usage=False) == []  # the accounting of devices is not hurt


def test_with_the_fix_the_audit_counts_the_incoming_migration() -> None:
    cluster = reproduce(None)
    assert cluster.audit_failures("host2") == []
    assert cluster.resource_usage("host2")["vcpus"] == 1
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"], "host2": ["0000:02:00.1"]}
    finish(cluster)
    assert cluster.resource_usage("host2")["vcpus"] == 1
    assert cluster.check_invariants() == []


def test_the_pre_fix_assertions_fail_on_current_nova() -> None:
    """The suite detects the bug: its pre-fix assertions do not hold without it."""
    with pytest.raises(AssertionError, match=r"assert 0 == 1"):
        assert_pre_fix_outcome(reproduce(None))


@pytest.mark.parametrize("bugs", ["1849165", None])
def test_without_a_live_migration_no_audit_fails(bugs: str | None) -> None:
    cluster = Cluster(bugs=bugs)
    cluster.run_task(cluster.create_server("vm1", "host1"))
    for host in cluster.hosts:
        assert cluster.run_task(cluster.update_available_resource(host))
    assert cluster.audit_failures("host1") == cluster.audit_failures("host2") == []
