"""An operation declared in a test alone, as a record and a coroutine, runs,
takes delays by point name, fails at its failure points, shows in the
libdoc table of points and can be explored; no module of the library knows it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from PciRaceLibrary import PciRaceLibrary
from PciRaceLibrary.cluster import Cluster, Operation, operations
from PciRaceLibrary.cluster.exception import InjectedFault
from PciRaceLibrary.cluster.objects import ACTIVE, Instance
from PciRaceLibrary.cluster.services import Services
from PciRaceLibrary.errors import ApiRefused, UnknownName
from PciRaceLibrary.explore import Run, explore
from PciRaceLibrary.sim import ChoicePolicy, Kind, point


async def polish(services: Services, instance: Instance, shine: str = "gloss") -> None:
    """The toy: reads the server's host's lock, saves a fault, may fail."""
    await point("Toy.prepare")
    async with services.computes[instance.host or ""].rt.locked("Toy.lock"):
        try:
            await point("Toy.work")
        except InjectedFault as exc:
            services.context.note(f"polish failed: {exc}")
            shine = "dull"
        instance.fault = f"polished ({shine})"
        await services.context.db.instance_save(instance, "fault")


TOY = Operation(
    name="polish",
    subject="server",
    points=("Toy.prepare", "Toy.lock", "Toy.work", "Instance.save"),
    failure_points=("Toy.work",),
    keywords=("Polish Server",),
    vm_states=(ACTIVE,),
    must_have_launched=True,
    run=polish,
)


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    operations.register(TOY)
    yield
    operations.unregister(TOY.name)


def built() -> Cluster:
    cluster = Cluster()
    cluster.run_task(cluster.create_server("vm1", "host1"))
    return cluster


def test_it_runs_and_takes_delays_by_short_point_name() -> None:
    cluster = built()
    task = cluster.start(
        "polish", "vm1", delays={"prepare": 1.5, "Instance.save": 0.5}, shine="wax"
    )
    assert task.name == "polish(vm1)"
    assert task.tag == ("polish", "vm1")
    assert cluster.run_task(task)
    assert cluster.now == 2.0
    assert cluster.server_fault("vm1") == "polished (wax)"
    delays = [(e.detail, e.duration) for e in cluster.kernel.journal if e.kind == Kind.DELAY]
    assert delays == [("Toy.prepare", 1.5), ("Instance.save", 0.5)]


def test_it_fails_at_its_failure_point_and_handles_it() -> None:
    cluster = built()
    cluster.inject_fault("Toy.work")
    cluster.run_task(cluster.start("polish", "vm1"))
    assert cluster.server_fault("vm1") == "polished (dull)"
    assert "Toy.work" in operations.failure_points()
    with pytest.raises(UnknownName, match=r"Valid points: .*Toy\.work"):
        cluster.inject_fault("Toy.prepare")


def test_its_preconditions_are_checked_before_anything_changes() -> None:
    cluster = built()
    before = cluster.snapshot()
    with pytest.raises(UnknownName, match="No point 'shine' in operation 'polish'"):
        cluster.start("polish", "vm1", delays={"shine": 1.0})
    assert cluster.snapshot() == before
    assert len(cluster.kernel.tasks) == 1  # the build only
    cluster.run_task(cluster.delete_server("vm1"))
    deleted = cluster.snapshot()
    with pytest.raises(ApiRefused, match=r"Cannot polish 'vm1': it is already deleted \(404\)\."):
        cluster.start("polish", "vm1")
    assert cluster.snapshot() == deleted


def test_it_shows_in_the_generated_table_of_points() -> None:
    intro = PciRaceLibrary().get_keyword_documentation("__intro__")
    points = "``Toy.prepare``, ``Toy.lock``, ``Toy.work``, ``Instance.save``"
    row = f"| polish | `Polish Server` | {points} |"
    assert row in intro
    operations.unregister(TOY.name)
    assert "| polish |" not in PciRaceLibrary().get_keyword_documentation("__intro__")


def test_it_can_be_explored_against_the_audit() -> None:
    def run_once(policy: ChoicePolicy | None) -> Run:
        cluster = built()
        cluster.kernel.policy = policy
        cluster.start("polish", "vm1")
        cluster.update_available_resource("host1")
        cluster.kernel.run_all()
        failure = None if cluster.server_fault("vm1") else "not polished"
        return Run(outcome=str(cluster.server_fault("vm1")), failure=failure,
                   journal=cluster.kernel.journal.entries())  # fmt: skip

    result = explore(run_once, "exhaustive", bound=2, count=1000)  # type: ignore[arg-type]
    assert result.exhausted
    assert result.schedules > 2
    assert result.failures == 0
    assert result.tasks == 2  # the toy and the audit raced at the choice points
