"""Copies of a quiescent cluster (``Cluster.clone``, ``ClusterTemplate``):
equal to the cluster copied, in every table, the journal and the clock, and
independent of it and of each other."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from PciRaceLibrary.cluster import Cluster, ClusterTemplate
from PciRaceLibrary.cluster.topology import load_topology

from .test_bug_1896463 import DELAYED_AUDIT, DELAYED_EVACUATION, JOURNALS
from .test_invariants import apply, settle, steps

TOPOLOGIES = sorted((Path(__file__).parents[2] / "PciRaceLibrary" / "topologies").glob("*.yaml"))


def state(cluster: Cluster) -> str:
    """Everything a test can read of a cluster: tables, journal, clock, invariants."""
    return "\n".join(
        [cluster.clock, repr(cluster.snapshot()), cluster.kernel.journal.text(),
         repr(cluster.check_invariants()), cluster.describe()]
    )  # fmt: skip


def indexes(cluster: Cluster) -> list[object]:
    """The tables' own indexes, which a snapshot does not show."""
    db = cluster.db
    return [
        db.instances.created, db.instances.by_host, db.instances.by_node,
        db.migrations.by_instance, db.migrations.by_host, db.migrations.by_uuid,
        db.pci_devices.by_node, db.pci_devices.by_instance, db.ports.by_host,
        [db.instances.on_host(host) for host in cluster.hosts],
    ]  # fmt: skip


def failed_host(bugs: str | None = None) -> Cluster:
    """The explorer's usual set-up: a server on a host that is then fenced."""
    cluster = Cluster(bugs=bugs, microversion="2.94")
    assert cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    return cluster


def race(cluster: Cluster) -> Cluster:
    """The canonical reproducer's race on ``cluster`` (a failed_host), to its end."""
    cluster.evacuate("vm1", delays=DELAYED_EVACUATION)
    cluster.update_available_resource("host2", delays=DELAYED_AUDIT)
    assert cluster.kernel.run_all()
    return cluster


@pytest.mark.parametrize("path", [None, *TOPOLOGIES], ids=lambda p: p.stem if p else "default")
def test_a_copy_of_a_fresh_cluster_equals_a_fresh_build(path: Path | None) -> None:
    topology = load_topology(path) if path else None
    built = Cluster(topology)
    copied = built.clone()
    assert state(copied) == state(Cluster(topology)) == state(built)
    assert indexes(copied) == indexes(built)
    assert copied.kernel is not built.kernel
    assert copied.db is not built.db


@pytest.mark.parametrize(
    ("bugs", "name"), [("1896463", "canonical_1896463_pre_fix"), (None, "canonical_1896463_fixed")]
)
def test_the_canonical_race_on_copies_gives_the_pinned_journal(bugs: str | None, name: str) -> None:
    template = ClusterTemplate(failed_host(bugs))
    for _ in range(3):  # every copy, not just the first
        cluster = race(template.copy())
        recorded = (JOURNALS / f"{name}.journal").read_text(encoding="utf-8")
        assert cluster.kernel.journal.text() + "\n" == recorded


def test_a_race_on_a_copy_leaves_the_original_and_other_copies_alone() -> None:
    original = failed_host("1896463")
    before, template = state(original), ClusterTemplate(original)
    first, second = template.copy(), template.copy()
    race(first)
    assert state(first) != before
    assert state(original) == state(second) == state(template.copy()) == before
    assert state(race(second)) == state(first)  # a copy behaves as the first did
    assert state(race(failed_host("1896463"))) == state(first)  # and as a fresh build


def test_a_copy_keeps_the_creation_order_of_many_servers() -> None:
    cluster = Cluster()
    for name in ("vm3", "vm1", "vm2"):
        assert cluster.run_task(cluster.create_server(name, "host1", vnic_type="normal"))
    copied = cluster.clone()
    assert [row.name for row in copied.db.instances.on_host("host1")] == ["vm3", "vm1", "vm2"]
    assert indexes(copied) == indexes(cluster)
    deep = copy.deepcopy(cluster)  # deepcopy rebuilds the tables the same way
    assert indexes(deep) == indexes(cluster)


def test_only_a_quiescent_cluster_is_copied() -> None:
    cluster = failed_host()
    cluster.evacuate("vm1")
    with pytest.raises(ValueError, match=r"quiescent.*evacuate\(vm1\)"):
        cluster.clone()
    cluster.kernel.run_all()
    cluster.start_periodic_audits(60)
    with pytest.raises(ValueError, match=r"running: periodic\(audit\)"):
        cluster.clone()
    cluster.kernel.close()


def test_the_usual_set_up_takes_the_fast_way() -> None:
    """Pickled, not deepcopied: a field pickle cannot store (a lambda, a
    closure) would make every explored schedule's copy six times slower."""
    assert ClusterTemplate(failed_host())._cluster is None
    assert ClusterTemplate(race(failed_host()))._cluster is None


def test_an_injected_fault_is_copied_too() -> None:
    """A fault is a lambda, which pickle cannot store: the template deepcopies."""
    cluster = failed_host()
    cluster.inject_fault("ComputeDriver.rebuild")
    copied = cluster.clone()
    assert ClusterTemplate(cluster)._cluster is not None  # the slow way, still a copy
    assert set(copied.kernel.injections) == {"ComputeDriver.rebuild"}
    copied.evacuate("vm1")
    copied.kernel.run_all()
    assert "injected failure at ComputeDriver.rebuild" in copied.kernel.journal.text()
    assert cluster.kernel.injections["ComputeDriver.rebuild"].times == 1  # not spent here


def test_a_copy_goes_on_counting_where_the_original_stands() -> None:
    """The kernel's sequence and the uuids go on from the copied numbers."""
    cluster = failed_host()
    copied = cluster.clone()
    for one in (cluster, copied):
        assert one.run_task(one.create_server("vm2", "host2"))
    assert state(copied) == state(cluster)
    assert copied.instance("vm2").uuid == cluster.instance("vm2").uuid


@settings(max_examples=25, deadline=None)
@given(st.lists(steps(), max_size=8), st.lists(steps(), min_size=1, max_size=6))
def test_a_copy_behaves_as_the_cluster_it_copies(before: list, after: list) -> None:
    """Any settled history, copied, then any further steps: the copy and the
    original write the same, and the template stays as it was."""
    original = Cluster(microversion="2.94")
    for step in before:
        apply(original, step)
        if step.gap:
            original.run_until(lambda: False, step.gap)
    settle(original)
    template = ClusterTemplate(original)
    settled = state(original)
    copied = template.copy()
    assert state(copied) == settled
    for cluster in (original, copied):
        for step in after:
            apply(cluster, step)
        settle(cluster)
    assert state(copied) == state(original)
    assert indexes(copied) == indexes(original)
    assert state(template.copy()) == settled
