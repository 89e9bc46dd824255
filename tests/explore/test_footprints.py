"""The footprints the model records are complete: between two choice points,
every change of the cluster's state lies within what the blocks run there
declared; and choice points whose trace keys are equal have equal states
(what state caching assumes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from PciRaceLibrary.explore import explore
from PciRaceLibrary.explore.footprints import ALL
from PciRaceLibrary.explore.reduction import ReducingPolicy, TraceState
from PciRaceLibrary.sim import Event, Lock, Task

from .scenarios import evacuation_vs_audit, evacuation_vs_audit_and

# Links out of a host's objects to what is shared (dumped elsewhere) or journaled.
_LINKS = {"context", "kernel", "db", "placement", "_placement", "compute_rpcapi"}
_LINKS |= {"compute_task_api", "_fp", "_fp_host", "lock", "_endpoints", "services"}


def _plain(value: object, depth: int = 0) -> object:
    """``value`` as nested tuples of plain values, links to shared objects left out."""
    if depth > 12:
        return "..."
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, (Lock, Event, Task)):
        return f"{type(value).__name__} {value.name}"
    if isinstance(value, dict) or (hasattr(value, "keys") and hasattr(value, "items")):
        items = dict.items(value) if isinstance(value, dict) else value.items()
        return tuple(sorted((repr(k), _plain(v, depth + 1)) for k, v in items))
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v, depth + 1) for v in value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(repr(v) for v in value))
    attributes = getattr(value, "__dict__", None)
    if attributes is None:
        return repr(value)
    return (
        type(value).__name__.removeprefix("Recording"),
        tuple(
            (name, _plain(member, depth + 1))
            for name, member in sorted(attributes.items())
            if name not in _LINKS
        ),
    )


def dump(cluster) -> dict[str, object]:
    """The cluster's shared state, by the resource that names it (footprints.py)."""
    context = cluster.context
    db, placement = context.db, context.placement
    host_of_node = {node.id: host for host, node in dict.items(db.compute_nodes)}
    state: dict[str, list] = {}

    def add(resource: str, value: object) -> None:
        state.setdefault(resource, []).append(_plain(value))

    for uuid, row in dict.items(db.instances):
        add(f"server {uuid}", row)
    for row in dict.values(db.migrations):
        add(f"server {row.instance_uuid}", row)
    for (node, _), row in dict.items(db.pci_devices):
        add(f"host {host_of_node[node]}", row)
    for host, row in dict.items(db.compute_nodes):
        add(f"host {host}", row)
    for host, row in dict.items(db.services):
        add(f"host {host}", row)
    for port_id, row in dict.items(db.ports):
        add(f"port {port_id}", row)
    for host, compute in cluster.services.computes.items():
        add(f"host {host}", compute)
    add("placement", (dict(placement.providers), dict(placement.allocations), placement._used))
    add("ids", (context._uuids, db._migration_ids, len(dict.keys(db.instances))))
    add("names", (dict(db.names), dict(db.port_names), dict(db.networks)))
    add("context", (set(context.stopped_by_evacuation), context.audit_failures))
    return {resource: tuple(values) for resource, values in state.items()}


@dataclass
class CheckingPolicy(ReducingPolicy):
    """A replay that, at each choice point, compares the state with the last
    one's and the change with what the blocks run meanwhile declared."""

    states: list[dict[str, object]] = field(default_factory=list)
    escaped: list[str] = field(default_factory=list)
    check: TraceState = field(default_factory=TraceState)  # shares the policy's recorder
    _declared: set[str] = field(default_factory=set)

    def decide(self, position: int, point: str, candidates: Sequence[Task]) -> int:
        kernel = candidates[0].kernel
        self.check.install(kernel)
        self.check.feed()  # the blocks since the last choice point
        now = dump(kernel.model)
        if self.states and ALL not in self._declared:
            changed = {r for r in now.keys() | self.states[-1].keys()
                       if now.get(r) != self.states[-1].get(r)}  # fmt: skip
            for resource in sorted(changed - self._declared):
                self.escaped.append(f"choice {position} ({point}): {resource} changed")
        self.states.append(now)
        self._declared = set()
        return super().decide(position, point, candidates)


def _declaring(trace: TraceState, policy: CheckingPolicy) -> None:
    def noted(index: int, touched: set[str] | None) -> None:
        policy._declared |= touched or set()

    trace.noted = noted


SCENARIOS = {
    "evacuation-audit": evacuation_vs_audit(None),
    "evacuation-audit-1896463": evacuation_vs_audit("1896463"),
    "with-create": evacuation_vs_audit_and("create"),
    "with-delete": evacuation_vs_audit_and("delete"),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_change_lies_within_the_footprints_and_equal_keys_have_equal_states(name) -> None:
    run_once = SCENARIOS[name]
    states: dict[object, dict[str, object]] = {}
    escaped: list[str] = []

    def checked(policy):
        checking = CheckingPolicy(prefix=policy.prefix)
        _declaring(checking.check, checking)
        run = run_once(checking)
        escaped.extend(checking.escaped)
        for (key, _, _), state in zip(checking.keys, checking.states, strict=True):
            assert states.setdefault(key, state) == state, f"{name}: equal keys, other states"
        policy.choices[:] = checking.choices
        policy.passes.update(checking.passes)
        return run

    result = explore(checked, bound=1, count=100_000, reduction=False)
    assert result.schedules > 20
    assert not escaped, "; ".join(sorted(set(escaped))[:10])
