"""Named bug variants: each restores the pre-fix code path of one Nova bug.

Current Nova is the default :class:`Behaviour`. A variant is data: the bug
number, what it was, the fix, and which behaviour switches it turns back. The
model's code asks the behaviour (``if behaviour.finish_evacuation_locked``),
never the bug number, so adding a variant means adding a switch and an entry.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace

from ..errors import UnknownName


@dataclass(frozen=True)
class Behaviour:
    """Switches for code paths that changed when a bug was fixed.

    | =Switch= | =Current Nova= | =Pre-fix= |
    | finish_evacuation_locked | apply context, save host, drop context and set ``done`` under the host lock | same steps unlocked in the compute manager (bug 1896463) |
    | failed_schedule_sets_error | conductor sets the migration ``error`` on NoValidHost | it stays ``accepted`` (bug 1713783) |
    | force_up_checks_evacuations | forcing a compute up is refused while ``done`` evacuations from it remain | accepted (bug 1922053) |
    | move_claim_drop_locked | confirm and revert set the migration status and drop the claim in one lock hold | status saved first, the claim dropped in a later locked call (bug 1879878) |
    | audit_skips_moves_without_context | the audit passes over a tracked move whose instance has no migration context (a live migration) | the audit reads that context, raises and ends without saving its usage (bug 1849165) |
    | audit_keeps_unshelving | the audit counts a ``shelved_offloaded`` server whose unshelve is spawning (task ``spawning``) | it takes it for offloaded and drops its vCPU, RAM and disk usage (bug 2025480) |
    | start_up_skips_evacuating | start-up cleans up ``accepted``, ``pre-migrating`` and ``done`` evacuations and skips ``_init_instance`` for them | only ``accepted`` and ``done``; ``_init_instance`` runs on every instance of the host and errors one still rebuilding (bug 1764883) |
    | start_up_reads_deleted | start-up loads evacuated guests' instances with ``read_deleted='yes'`` | destroying the guest of a deleted instance lazy-loads its flavor, raises InstanceNotFound and the compute fails to start (bug 1794996) |
    | audit_counts_all_rebuild_states | the audit counts a move whose instance is in any rebuild task state | only ``rebuilding``: ``rebuild_block_device_mapping`` and ``rebuild_spawning`` drop the evacuation's usage on the destination (bug 1791075) |
    | build_claim_aborts_instance | a build claim aborted for a reschedule frees the devices on the instance itself | on the claim's copy: the instance keeps the freed device in its ``pci_devices`` on the next host (bug 1860555) |
    | audit_applies_incoming_context | the audit counts an instance of its host with an incoming move as the move's context has it (new NUMA topology and pinning) | as the source had it: the source's pinning raises CPUPinningInvalid, the audit ends, and a revert then fails to unpin (bug 1953359) |
    | resize_schedules_new_pci_requests | a resize to another flavor schedules with the new flavor's alias requests and the ports' own | with the old flavor's: the PCI and NUMA filters look for the devices the server has, not those it asks for (bugs 1983753, 1941005) |
    """  # noqa: E501

    finish_evacuation_locked: bool = True
    failed_schedule_sets_error: bool = True
    force_up_checks_evacuations: bool = True
    move_claim_drop_locked: bool = True
    audit_skips_moves_without_context: bool = True
    audit_keeps_unshelving: bool = True
    start_up_skips_evacuating: bool = True
    start_up_reads_deleted: bool = True
    audit_counts_all_rebuild_states: bool = True
    build_claim_aborts_instance: bool = True
    audit_applies_incoming_context: bool = True
    resize_schedules_new_pci_requests: bool = True


@dataclass(frozen=True)
class BugVariant:
    """A Nova bug whose pre-fix behaviour the model can restore."""

    bug: str
    title: str
    fix: str
    restores: dict[str, object]


VARIANTS: dict[str, BugVariant] = {
    variant.bug: variant
    for variant in (
        BugVariant(
            bug="1896463",
            title="evacuation races with update_available_resource and loses the "
            "destination PCI allocation",
            fix="7675964af8: set instance host and drop migration under lock",
            restores={"finish_evacuation_locked": False},
        ),
        BugVariant(
            bug="1922053",
            title="a compute forced up before its restart keeps 'done' evacuation records, "
            "so its guests are never cleaned up",
            fix="the API refuses to force a compute up while 'done' evacuations from it remain",
            restores={"force_up_checks_evacuations": False},
        ),
        BugVariant(
            bug="1879878",
            title="an audit between a confirmed or reverted migration's status and its "
            "dropped claim counts the move out, and the drop counts it out again",
            fix="a57800d382 and dc9c7a5ebf: drop_move_claim_at_source and _at_dest set the "
            "status and drop the claim under the host lock",
            restores={"move_claim_drop_locked": False},
        ),
        BugVariant(
            bug="1713783",
            title="failed evacuation leaves the migration 'accepted', so a source "
            "restart destroys the never-moved guest",
            fix="conductor sets the migration to 'error' on NoValidHost",
            restores={"failed_schedule_sets_error": False},
        ),
        BugVariant(
            bug="1849165",
            title="the destination's audit during a live migration reads the migration "
            "context the instance does not have, raises and saves no usage",
            fix="80385a22ee: don't populate resources for not-yet-migrated instances",
            restores={"audit_skips_moves_without_context": False},
        ),
        BugVariant(
            bug="2025480",
            title="the periodic audit during an unshelve's spawn takes the server, still "
            "shelved_offloaded, for removable and drops its resource claim",
            fix="f1dc4ec39b: do not untrack resources of a server being unshelved",
            restores={"audit_keeps_unshelving": False},
        ),
        BugVariant(
            bug="1764883",
            title="a source compute that starts while its evacuation is 'pre-migrating' "
            "errors the rebuilding server, and the evacuation fails",
            fix="c4988cdabf: start-up cleans up 'pre-migrating' evacuations too and skips "
            "_init_instance for every evacuation it found",
            restores={"start_up_skips_evacuating": False},
        ),
        BugVariant(
            bug="1794996",
            title="a source compute whose evacuated server was deleted fails to start: "
            "destroying the guest lazy-loads the deleted instance's flavor",
            fix="05cd8d1282: start-up reads the evacuated instances with read_deleted='yes' "
            "and leaves a deleted one's allocations alone",
            restores={"start_up_reads_deleted": False},
        ),
        BugVariant(
            bug="1791075",
            title="the audit counts only 'rebuilding' among the rebuild task states, so an "
            "evacuation spawning on the destination loses its vCPU and RAM usage there",
            fix="d8f7638d02: every rebuild task state counts as a move in the audit",
            restores={"audit_counts_all_rebuild_states": False},
        ),
        BugVariant(
            bug="1860555",
            title="a build claim aborted for a reschedule frees the PCI devices on a copy "
            "of the instance, which keeps naming them on the next host",
            fix="f8b98390dc: the build claim aborts on the instance itself (a move claim "
            "still aborts on its copy)",
            restores={"build_claim_aborts_instance": False},
        ),
        BugVariant(
            bug="1953359",
            title="an audit on the destination of a resize, after the source pointed the "
            "instance there and before finish_resize, counts it with the source's NUMA "
            "pinning: CPUPinningInvalid ends the audit and a revert then fails to unpin",
            fix="32c1044d86: the audit applies the migration context of incoming, "
            "in-progress migrations to the instances it counts",
            restores={"audit_applies_incoming_context": False},
        ),
        BugVariant(
            bug="1983753",
            title="a resize to a flavor asking for fewer or other alias devices is scheduled "
            "with the old flavor's PCI requests: a host with only what the new flavor asks "
            "for is no valid host",
            fix="a93092e0d5: the resize API makes RequestSpec.pci_requests from the new "
            "flavor, keeping the ports' requests",
            restores={"resize_schedules_new_pci_requests": False},
        ),
        BugVariant(
            bug="1941005",
            title="a resize from a flavor with a PCI alias to one without is scheduled with "
            "the old flavor's PCI requests: a host without such devices is no valid host",
            fix="a93092e0d5: the resize API makes RequestSpec.pci_requests from the new "
            "flavor, keeping the ports' requests",
            restores={"resize_schedules_new_pci_requests": False},
        ),
    )
}


def parse_bugs(bugs: str | Iterable[str] | None) -> tuple[str, ...]:
    """Bug numbers from ``"1896463, 1713783"`` or a list; sorted, no duplicates.

    Raises UnknownName for a bug the model has no variant for.
    """
    if bugs is None:
        return ()
    if isinstance(bugs, str):
        return _parse_text(bugs)
    return _parse(list(bugs))


# A suite starts the same few variants again and again, written the same way.
@functools.lru_cache(maxsize=64)
def _parse_text(bugs: str) -> tuple[str, ...]:
    return _parse(bugs.split(","))


def _parse(items: list[str]) -> tuple[str, ...]:
    found: set[str] = set()
    for item in items:
        bug = str(item).strip().removeprefix("#").removeprefix("bug-").strip()
        if not bug:
            continue
        if bug not in VARIANTS:
            raise UnknownName(
                f"No variant for bug '{bug}'. Known bugs: {', '.join(sorted(VARIANTS))}."
            )
        found.add(bug)
    return tuple(sorted(found))


def behaviour_for(bugs: Iterable[str]) -> Behaviour:
    """Current Nova with the pre-fix paths of ``bugs`` restored."""
    behaviour = Behaviour()
    names = {field.name for field in fields(Behaviour)}
    for bug in parse_bugs(bugs):
        changes = VARIANTS[bug].restores
        assert set(changes) <= names, f"variant {bug} names unknown switches"
        behaviour = replace(behaviour, **changes)  # type: ignore[arg-type]
    return behaviour
