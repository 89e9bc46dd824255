"""Bug 1953359 through the cluster's Python API: Nova's reproducer
(test_resize_dedicated_policy_race_on_dest_bug_1953359) step by step."""

from __future__ import annotations

from pathlib import Path

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.topology import load_topology

TOPOLOGY = Path(__file__).resolve().parents[2] / "acceptance" / "topologies" / "pinned_hosts.yaml"
PIN_ERROR = "CPUPinningInvalid: CPU set to pin [0] must be a subset of free CPU set [1]"
UNPIN_ERROR = "CPUUnpinningInvalid: CPU set to unpin [1] must be a subset of pinned CPU set [0]"


def migrate_racing_the_destination_audit(bugs: str | None) -> Cluster:
    """vm1 pinned to pCPU 0 of host1, vm2 to pCPU 0 of host2; vm1 cold-migrated
    to host2 (its claim pins pCPU 1), host2's audit running while the cast
    of finish_resize waits 1 s: vm1 is on host2 then, its context not applied."""
    cluster = Cluster(load_topology(TOPOLOGY), bugs=bugs)
    for name, host in (("vm1", "host1"), ("vm2", "host2")):
        assert cluster.run_task(cluster.create_server(name, host, vnic_type="normal"), 60)
        assert cluster.numa_placement(name) == {"host": host, "cells": [0], "pinned": [0]}
    cluster.start("migrate", "vm1", delays={"ComputeAPI.finish_resize": 1.0})
    assert cluster.run_task(cluster.update_available_resource("host2"), 60)
    assert cluster.run_until(lambda: cluster.server_status("vm1") == "VERIFY_RESIZE", 60)
    assert cluster.numa_placement("vm1") == {"host": "host2", "cells": [0], "pinned": [1]}
    return cluster


def revert(cluster: Cluster) -> None:
    task = cluster.start("revert_resize", "vm1")
    assert cluster.run_task(task, 60)
    cluster.kernel.run_all()


def test_before_the_fix_the_audit_fails_and_the_revert_errors_the_server() -> None:
    cluster = migrate_racing_the_destination_audit("1953359")
    assert cluster.audit_failures("host2") == [PIN_ERROR]
    revert(cluster)
    assert cluster.server_status("vm1") == "ERROR"
    assert cluster.instance("vm1").fault == f"reverting on 'host2' failed: {UNPIN_ERROR}"
    assert cluster.migrations_of("vm1")[-1]["status"] == "error"


def test_with_the_fix_the_audit_counts_the_new_pinning_and_the_revert_succeeds() -> None:
    cluster = migrate_racing_the_destination_audit(None)
    assert cluster.audit_failures("host2") == []
    assert cluster.pinned_cpus("host2") == [0, 1]
    revert(cluster)
    assert cluster.server_status("vm1") == "ACTIVE"
    assert cluster.numa_placement("vm1") == {"host": "host1", "cells": [0], "pinned": [0]}
    assert cluster.pinned_cpus("host1") == cluster.pinned_cpus("host2") == [0]
    assert cluster.check_invariants() == []


def pre_fix_outcome(bugs: str | None) -> None:
    """The reproducer's pre-fix assertions (acceptance/bug_1953359.robot)."""
    cluster = migrate_racing_the_destination_audit(bugs)
    assert cluster.audit_failures("host2") == [PIN_ERROR]
    revert(cluster)
    assert cluster.server_status("vm1") == "ERROR"


def test_the_pre_fix_assertions_hold_before_the_fix_and_fail_on_current_nova() -> None:
    """The suite detects the bug: its pre-fix outcome is not current Nova's."""
    pre_fix_outcome("1953359")
    with pytest.raises(AssertionError):
        pre_fix_outcome(None)


def test_without_the_race_both_variants_agree() -> None:
    for bugs in ("1953359", None):
        cluster = Cluster(load_topology(TOPOLOGY), bugs=bugs)
        for name, host in (("vm1", "host1"), ("vm2", "host2")):
            assert cluster.run_task(cluster.create_server(name, host, vnic_type="normal"), 60)
        cluster.start("migrate", "vm1")
        assert cluster.run_until(lambda c=cluster: c.server_status("vm1") == "VERIFY_RESIZE", 60)
        assert cluster.run_task(cluster.update_available_resource("host2"), 60)
        assert cluster.audit_failures("host2") == []
        revert(cluster)
        assert cluster.server_status("vm1") == "ACTIVE"
        assert cluster.check_invariants() == []


def test_the_reproducer_repeats_byte_for_byte() -> None:
    journals = []
    for _ in range(2):
        cluster = migrate_racing_the_destination_audit("1953359")
        revert(cluster)
        journals.append([str(entry) for entry in cluster.kernel.journal])
    assert journals[0] == journals[1]
