"""Bug 1764883: the source compute starts while its evacuation is ``pre-migrating``."""

from __future__ import annotations

import pytest

from PciRaceLibrary.cluster import Cluster


def reproduce(bugs: str | None) -> Cluster:
    """Nova's regression test: the source starts once the destination claimed,
    before the destination saves ``rebuilding``."""
    cluster = Cluster(bugs=bugs, microversion="2.94")
    assert cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    evacuation = cluster.evacuate("vm1", delays={"Instance.save#2": 1.0})
    assert cluster.run_until(lambda: cluster.migrations_of("vm1")[-1]["status"] == "pre-migrating")
    assert cluster.run_task(cluster.start_compute_service("host1"))
    assert cluster.run_task(evacuation)
    return cluster


def historical_outcome(cluster: Cluster) -> None:
    """What Nova's test asserted before the fix: ERROR, still on the source."""
    assert cluster.server_status("vm1") == "ERROR"
    assert cluster.server_host("vm1") == "host1"
    assert [m["status"] for m in cluster.migrations_of("vm1")] == ["failed"]


def test_before_the_fix_the_start_up_errors_the_evacuating_server() -> None:
    cluster = reproduce("1764883")
    historical_outcome(cluster)
    erred = [e for e in cluster.kernel.journal if e.task == "start(host1)" and
             e.detail.endswith("vm_state active -> error")]  # fmt: skip
    assert len(erred) == 1
    assert cluster.start_failure("host1") is None  # the service itself starts


def test_with_the_fix_one_done_record_and_the_server_on_the_destination() -> None:
    cluster = reproduce(None)
    assert cluster.server_status("vm1") == "ACTIVE"
    assert cluster.server_host("vm1") == "host2"
    assert [m["status"] for m in cluster.migrations_of("vm1")] == ["done"]
    cluster.run_task(cluster.update_available_resource("host1"))
    assert cluster.check_invariants() == []


def test_the_pre_fix_assertions_fail_on_current_nova() -> None:
    """The suite detects the bug: its historical outcome does not hold today."""
    with pytest.raises(AssertionError):
        historical_outcome(reproduce(None))


@pytest.mark.parametrize("bugs", ["1764883", None])
def test_a_start_up_after_the_evacuation_is_the_same_in_both(bugs: str | None) -> None:
    """Not a sequence bug: a source that starts after the record is ``done``
    finds the server on host2 and leaves it alone either way."""
    cluster = Cluster(bugs=bugs, microversion="2.94")
    assert cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    assert cluster.run_task(cluster.evacuate("vm1"))
    assert cluster.run_task(cluster.start_compute_service("host1"))
    assert cluster.server_status("vm1") == "ACTIVE"
    assert [m["status"] for m in cluster.migrations_of("vm1")] == ["completed"]
