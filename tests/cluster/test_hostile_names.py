"""Task, server and host names with spaces, parentheses, quotes, non-ASCII and
HTML characters work end to end: the model, the explorer's reproducer and the
timeline read journal fields, never parse its sentences."""

from __future__ import annotations

import html

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.topology import (
    HostSpec,
    Topology,
    default_topology,
    fake_driver_devices,
)
from PciRaceLibrary.explore import ReplayPolicy, Run, explore, reproduce_with_delays
from PciRaceLibrary.report import render_timeline
from PciRaceLibrary.sim import ChoicePolicy

SOURCE, DEST = "rack (a) 'one'", 'hôte <b>&"2"</b> end 1'
SERVER = "web end 1 (ß) <i>"


def topology() -> Topology:
    base = default_topology()
    hosts = tuple(HostSpec(name, fake_driver_devices(name)) for name in (SOURCE, DEST))
    return Topology("hostile", hosts, base.networks, sriov_network=base.sriov_network)


def race(delays: dict[str, dict[str, float]] | None = None):  # type: ignore[no-untyped-def]
    def run_once(policy: ChoicePolicy | None) -> Run:
        cluster = Cluster(topology(), bugs="1896463", microversion="2.94")
        cluster.run_task(cluster.create_server(SERVER, SOURCE))
        cluster.stop_compute_service(SOURCE)
        cluster.force_down_compute_service(SOURCE)
        cluster.kernel.policy = policy
        given = delays or {}
        cluster.evacuate(SERVER, delays=given.get(f"evacuate({SERVER})", {}))
        cluster.update_available_resource(DEST, delays=given.get(f"audit({DEST})", {}))
        cluster.kernel.run_all()
        held = len(cluster.pci_allocations(SERVER).get(DEST, []))
        failure = None if held == 1 else f"{SERVER} holds {held} on {DEST}"
        return Run(
            outcome=f"held {held}", failure=failure, journal=cluster.kernel.journal.entries()
        )

    return run_once


def test_the_race_is_found_and_reproduced_by_delays_with_hostile_names() -> None:
    result = explore(race(), "exhaustive", bound=2, count=10_000)
    assert result.exhausted
    assert result.failures == 7  # as with host1, host2 and vm1
    failing = result.smallest_failing
    assert failing is not None
    policy = ReplayPolicy(prefix=failing.schedule)
    target = race()(policy)
    found = reproduce_with_delays(policy.choices, target, lambda delays: race(delays)(None))
    assert found is not None
    assert found.exact
    assert set(found.delays) <= {f"evacuate({SERVER})", f"audit({DEST})"}


@pytest.mark.parametrize("name", [SOURCE, DEST, SERVER])
def test_the_timeline_escapes_every_name(name: str) -> None:
    failing = explore(race(), bound=2, count=10_000).smallest_failing
    assert failing is not None
    page = render_timeline(race()(ReplayPolicy(prefix=failing.schedule)).journal)
    assert html.escape(name, quote=False) in page or html.escape(name) in page
    if "<" in name:
        assert name not in page


def test_frees_are_found_by_fields_whatever_the_names() -> None:
    run = race({f"evacuate({SERVER})": {"ComputeDriver.rebuild": 0.5,
                                         "drop_migration_context": 1.0},
                f"audit({DEST})": {"get_in_progress_and_error": 2.0}})(None)  # fmt: skip
    changes = [entry.change for entry in run.journal if entry.change]
    frees = [c for c in changes if c.object == "PciDevice" and c.new == "available"]
    assert {(c.host, c.address, c.owner) for c in frees if c.owner} == {
        (DEST, "0000:02:00.1", SERVER)
    }
