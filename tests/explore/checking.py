"""A checker of the footprints the model records (``explore/footprints``):
runs a scenario under a policy that, at each choice point, compares the
cluster's whole shared state with the last choice point's and asserts that
what changed lies within what the blocks run meanwhile declared, and that
choice points with equal trace keys have equal states."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PciRaceLibrary.explore import Run
from PciRaceLibrary.explore.footprints import ALL
from PciRaceLibrary.explore.policies import RecordingPolicy
from PciRaceLibrary.explore.reduction import ReducingPolicy, TraceState
from PciRaceLibrary.sim import Event, Lock, Task

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


class Checked:
    """Wraps ``run_once`` for ``explore``: each run is checked; ``escaped``
    collects every change outside a footprint, ``conflicts`` every key whose
    states differ."""

    def __init__(self, run_once: Callable[[RecordingPolicy], Run]) -> None:
        self.run_once = run_once
        self.states: dict[object, dict[str, object]] = {}
        self.escaped: list[str] = []
        self.conflicts: list[str] = []

    def __call__(self, policy: RecordingPolicy) -> Run:
        checking = CheckingPolicy(prefix=getattr(policy, "prefix", ()))
        _declaring(checking.check, checking)
        run = self.run_once(checking)
        self.escaped.extend(checking.escaped)
        for position, ((key, _, _), state) in enumerate(
            zip(checking.keys, checking.states, strict=True)
        ):
            if self.states.setdefault(key, state) != state:
                self.conflicts.append(f"choice {position}: equal keys, other states")
        policy.choices[:] = checking.choices
        policy.passes.update(checking.passes)
        return run

    def problems(self) -> str:
        return "; ".join(sorted(set(self.escaped))[:10] + sorted(set(self.conflicts))[:5])
