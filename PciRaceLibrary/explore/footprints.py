"""Footprints: what each atomic block of a run touches, recorded from the model.

An atomic block is the code a task runs from one yield (a point, a lock, a
sleep, a wait) to the next. Two blocks of different tasks commute when
neither touches what the other touches, so the reduction and the trace
count (``reduction``, ``traces``) need every block's footprint. They are
recorded while a footprint-recording policy runs, by swapping the classes of
the cluster's shared objects for recording subclasses (``install``): the
model's code is unchanged and costs nothing more when nobody records.

Resources, named finely enough to prune and coarsely enough to be complete:

- ``server <uuid>``: an instance row, the migrations of that instance, the
  ports and placement consumers are not in it (see below);
- ``host <name>``: everything of one host: its compute manager (driver,
  guests, service queue), resource tracker, PCI tracker and pools, its
  compute node and service rows, its PCI device rows, and which instance,
  migration and port rows name it (the tables' per-host indexes). A task
  inside any method of a host's compute manager or resource tracker touches
  that host in every block it runs there (its *scope*), since those objects
  are reached through attributes no table sees;
- ``port <id>``; ``placement`` (one resource: the scheduler weighs all
  providers at once); ``ids`` (the counters of uuids, migration ids and
  creation order); ``names`` (server and port names); ``context`` (what the
  context notes: servers an evacuation stopped, audit failures);
- ``lock <name>``: journaled by the kernel, not recorded here.

Every touch counts as a read and a write: reads that commute with reads are
not worth the risk of a write reached through a row a read handed out.
``tests/explore/test_footprints.py`` checks the scheme: every block's actual
change of the cluster's state lies within its footprint, and choice points
with equal trace keys have equal states.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

ALL = "*"
ENTER, LEAVE = 0, 1
Group = tuple[int, str, set[str]]  # (journal length then, task name, resources touched)
Scope = tuple[int, str, int, str]  # (journal length then, task name, ENTER or LEAVE, host)


class Recorder:
    """The touches of a run, grouped by task and by the journal's length
    when they happened: a touch belongs to its task's next journal entry (the
    block it is in ends with a yield, which is journaled), so consecutive
    touches by one task at one length form one group."""

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel
        # the journal's stored rows: their count is the journal's length
        self.rows = getattr(kernel.journal, "_stored", kernel.journal)
        self.groups: list[Group] = []
        self.scopes: list[Scope] = []  # tasks entering and leaving hosts
        self.start = len(kernel.journal)  # entries before this were not recorded
        self.host_of_node: dict[int, str] = {}
        self.injected = frozenset(kernel.injections)  # faults and delays count their passes
        self._length = -1
        self._task: object = None
        self._group: set[str] = set()

    def touch(self, resource: str) -> None:
        length, task = len(self.rows), self.kernel.current
        if length != self._length or task is not self._task:
            self._length, self._task, self._group = length, task, set()
            self.groups.append((length, task.name if task else "-", self._group))
        self._group.add(resource)

    def enter(self, host: str) -> None:
        self.touch(f"host {host}")
        self.scopes.append((len(self.rows), _name(self.kernel), ENTER, f"host {host}"))

    def leave(self, host: str) -> None:
        self.touch(f"host {host}")
        self.scopes.append((len(self.rows), _name(self.kernel), LEAVE, f"host {host}"))


def _name(kernel: Any) -> str:
    return kernel.current.name if kernel.current else "-"


def install(kernel: Any) -> Recorder | None:
    """Starts recording the footprints of ``kernel``'s cluster, if it has one
    (``kernel.model``) and it is not recorded yet; None when there is nothing
    to record (a toy scenario) or the cluster is not made of the classes
    recorded here (a model changed since): the trace then falls back to the
    journal's own fields, which is sound and prunes next to nothing."""
    existing = getattr(kernel, "footprints", None)
    if existing is not None:
        return existing
    cluster = getattr(kernel, "model", None)
    if cluster is None:
        return None
    try:
        recorder = _record(kernel, cluster)
    except (AttributeError, KeyError, TypeError):
        return None
    kernel.footprints = recorder
    return recorder


def _record(kernel: Any, cluster: Any) -> Recorder:
    recorder = Recorder(kernel)
    context = cluster.context
    db = context.db
    shared = (db, db.instances, db.migrations, db.pci_devices, db.ports, context.placement)
    if any(type(obj).__name__ not in _RECORDING for obj in (*shared, context)):
        raise KeyError("a class the recorder does not know")
    recorder.host_of_node = {node.id: host for host, node in db.compute_nodes.items()}
    for obj in shared:
        _swap(obj, recorder)
    db.compute_nodes = _Keyed(db.compute_nodes, recorder, "host ")
    db.services = _Keyed(db.services, recorder, "host ")
    db.names = _Keyed(db.names, recorder, "names")
    db.port_names = _Keyed(db.port_names, recorder, "names")
    db.networks = _Keyed(db.networks, recorder, "names")
    placement = context.placement
    placement.providers = _Keyed(placement.providers, recorder, "placement")
    placement.allocations = _Keyed(placement.allocations, recorder, "placement")
    context.stopped_by_evacuation = _Set(context.stopped_by_evacuation, recorder)
    _swap(context, recorder)
    for compute in cluster.services.computes.values():
        _swap_host(compute, compute.host, recorder)
        _swap_host(compute.rt, compute.host, recorder)
    return recorder


# -- recording subclasses ---------------------------------------------------------

_SUBCLASSES: dict[type, type] = {}


def _swap(obj: Any, recorder: Recorder) -> None:
    base = type(obj)
    sub = _SUBCLASSES.get(base)
    if sub is None:
        sub = _SUBCLASSES[base] = _RECORDING[base.__name__](base)
    obj.__class__ = sub
    obj._fp = recorder


def _table(
    base: type,
    row_resource: Callable[[Any, Any, Any], list[str]],
    everything: Callable[[Any], str] = lambda table: ALL,
) -> type:
    """A dict table whose row accesses touch ``row_resource(table, key, row)``
    and whose whole-table reads and writes touch ``everything(table)``."""

    def touch_row(self, key, row=None):
        fp = self._fp
        if row is None:
            row = dict.get(self, key)
        for resource in row_resource(self, key, row):
            fp.touch(resource)

    def touching_all(method):
        def touched(self, *args, **kwargs):
            self._fp.touch(everything(self))
            return method(self, *args, **kwargs)

        touched.__name__ = method.__name__
        return touched

    class Recording(base):
        def __getitem__(self, key):
            row = dict.__getitem__(self, key)
            touch_row(self, key, row)
            return row

        def get(self, key, default=None):
            touch_row(self, key)
            return dict.get(self, key, default)

        def __contains__(self, key):
            touch_row(self, key)
            return dict.__contains__(self, key)

        def __setitem__(self, key, row):
            touch_row(self, key)
            touch_row(self, key, row)
            base.__setitem__(self, key, row)

        def setdefault(self, key, default=None):
            touch_row(self, key)
            return base.setdefault(self, key, default)

        def pop(self, key, *default):
            touch_row(self, key)
            return base.pop(self, key, *default)

        def __delitem__(self, key):
            touch_row(self, key)
            base.__delitem__(self, key)

        # Whole-table reads and writes touch everything, then do the table's own.
        update = touching_all(base.update)
        clear = touching_all(base.clear)
        __iter__ = touching_all(base.__iter__)
        keys = touching_all(base.keys)
        values = touching_all(base.values)
        items = touching_all(base.items)
        __len__ = touching_all(base.__len__)

    Recording.__name__ = f"Recording{base.__name__}"
    return Recording


def _instance_rows(base: type) -> type:
    def resources(table, uuid, row):
        hosts = [] if row is None or row.host is None else [f"host {row.host}"]
        return [f"server {uuid}", *hosts]

    sub = _table(base, resources)

    class RecordingInstances(sub):
        def __setitem__(self, uuid, row):
            if not dict.__contains__(self, uuid):
                self._fp.touch("ids")  # the creation order
            sub.__setitem__(self, uuid, row)

        def moved(self, row, host, node):
            self._fp.touch(f"host {host}")
            self._fp.touch(f"host {row.host}")
            base.moved(self, row, host, node)

        def on_host(self, host):
            return _listed(self, host, base.on_host(self, host))

        def on_node(self, host, node):
            return _listed(self, host, base.on_node(self, host, node))

    return RecordingInstances


def _listed(table, host, rows):
    table._fp.touch(f"host {host}")
    for row in rows:
        table._fp.touch(f"server {row.uuid}")
    return rows


def _migration_rows(base: type) -> type:
    def resources(table, id_, row):
        if row is None:
            return [ALL]  # a look-up of a row that is not there: who made it matters
        hosts = [f"host {host}" for host in (row.source_compute, row.dest_compute) if host]
        return [f"server {row.instance_uuid}", *hosts]

    sub = _table(base, resources)

    class RecordingMigrations(sub):
        def of_instance(self, instance_uuid):
            self._fp.touch(f"server {instance_uuid}")
            return base.of_instance(self, instance_uuid)

        def touching(self, host):
            rows = base.touching(self, host)
            self._fp.touch(f"host {host}")
            for row in rows:
                self._fp.touch(f"server {row.instance_uuid}")
            return rows

    return RecordingMigrations


def _device_rows(base: type) -> type:
    def resources(table, key, row):
        return [f"host {table._fp.host_of_node.get(key[0], ALL)}"]

    sub = _table(base, resources)

    class RecordingDevices(sub):
        def __setitem__(self, key, row):
            old = dict.get(self, key)
            for owner in {old and old.instance_uuid, row.instance_uuid} - {None}:
                self._fp.touch(f"server {owner}")  # the per-instance index
            sub.__setitem__(self, key, row)

    return RecordingDevices


def _port_rows(base: type) -> type:
    def resources(table, port_id, row):
        host = row.binding_host_id if row is not None else None
        device = row.device_id if row is not None else None
        return [
            f"port {port_id}",
            *([f"host {host}"] if host else []),
            *([f"server {device}"] if device else []),  # what ports_of_device reads
        ]

    return _table(base, resources)


def _database(base: type) -> type:
    class RecordingDatabase(base):
        def write_new_migration(self, migration):
            self._fp.touch("ids")
            return base.write_new_migration(self, migration)

        def stored_pci_devices(self, compute_node_id):
            self._fp.touch(f"host {self._fp.host_of_node.get(compute_node_id, ALL)}")
            return base.stored_pci_devices(self, compute_node_id)

        def peek_pci_devices_of_instance(self, instance_uuid):
            self._touch_devices_of(instance_uuid)
            return base.peek_pci_devices_of_instance(self, instance_uuid)

        def pci_devices_of(self, instance):
            self._touch_devices_of(instance.uuid)
            return base.pci_devices_of(self, instance)

        def ports_of_device(self, instance_uuid):
            rows = base.ports_of_device(self, instance_uuid)
            return self._ports_read(f"server {instance_uuid}", rows)

        def _touch_devices_of(self, instance_uuid):
            self._fp.touch(f"server {instance_uuid}")
            for key in self.pci_devices.by_instance.get(instance_uuid, {}):
                self._fp.touch(f"host {self._fp.host_of_node.get(key[0], ALL)}")

        def peek_ports_bound_to(self, host):
            return self._ports_read(f"host {host}", base.peek_ports_bound_to(self, host))

        def _ports_read(self, index_key, rows):
            """An index read of ports: the key read by, then each port found."""
            self._fp.touch(index_key)
            for row in rows:
                self._fp.touch(f"port {row.id}")
            return rows

    return RecordingDatabase


def _whole(base: type, resource: str, names: tuple[str, ...]) -> type:
    """A class whose methods ``names`` (every public one when empty) touch
    ``resource`` when called (async ones when they start: their points come
    after, in the same block)."""
    members = names or tuple(
        name
        for name, _ in inspect.getmembers(base, inspect.isfunction)
        if not name.startswith("__") and not _static(base, name)
    )
    attributes = {name: _touching(getattr(base, name), resource) for name in members}
    return type(f"Recording{base.__name__}", (base,), attributes)


def _touching(method: Callable[..., Any], resource: str) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def wrapped_async(self, *args, **kwargs):
            self._fp.touch(resource)
            return await method(self, *args, **kwargs)

        return wrapped_async
    if inspect.isgeneratorfunction(method):  # a context manager's generator
        return method

    @functools.wraps(method)
    def wrapped(self, *args, **kwargs):
        self._fp.touch(resource)
        return method(self, *args, **kwargs)

    return wrapped


_RECORDING: dict[str, Callable[[type], type]] = {
    "InstanceTable": _instance_rows,
    "MigrationTable": _migration_rows,
    "PciDeviceTable": _device_rows,
    "PortTable": _port_rows,
    "Database": _database,
    "Placement": lambda base: _whole(base, "placement", ()),
    "Context": lambda base: type(
        "RecordingContext",
        (base,),
        {
            "new_uuid": _touching(base.new_uuid, "ids"),
            "audit_failed": _touching(base.audit_failed, "context"),
        },
    ),
}


# -- host scopes --------------------------------------------------------------------

_HOST_SUBCLASSES: dict[type, type] = {}


def _swap_host(obj: Any, host: str, recorder: Recorder) -> None:
    """Every method of ``obj`` touches ``host``: a sync one when called, an
    async one in every block it runs (the task enters the host's scope)."""
    base = type(obj)
    sub = _HOST_SUBCLASSES.get(base)
    if sub is None:
        attributes = {}
        for name, member in inspect.getmembers(base, inspect.isfunction):
            if name.startswith("__") or _static(base, name):
                continue
            attributes[name] = _scoped(member)
        sub = _HOST_SUBCLASSES[base] = type(f"Recording{base.__name__}", (base,), attributes)
    obj.__class__ = sub
    obj._fp = recorder
    obj._fp_host = host


def _static(base: type, name: str) -> bool:
    return isinstance(inspect.getattr_static(base, name), (staticmethod, classmethod))


def _scoped(method: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def in_scope(self, *args, **kwargs):
            fp, host = self._fp, self._fp_host
            fp.enter(host)
            try:
                return await method(self, *args, **kwargs)
            finally:
                fp.leave(host)

        return in_scope

    @functools.wraps(method)
    def touching(self, *args, **kwargs):
        self._fp.touch(f"host {self._fp_host}")
        return method(self, *args, **kwargs)

    return touching


def _keyed_resource(table: Any, key: object, row: object = None) -> list[str]:
    prefix = table._prefix
    return [f"{prefix}{key}" if prefix.endswith(" ") else prefix]


class _Keyed(
    _table(
        dict,
        _keyed_resource,
        lambda table: ALL if table._prefix.endswith(" ") else table._prefix,
    )
):
    """A plain table whose row accesses touch ``prefix + key`` (``host ...``)
    or, with a prefix without a space, one resource for the whole table."""

    def __init__(self, rows: dict, recorder: Recorder, prefix: str) -> None:
        dict.__init__(self, rows)
        self._fp, self._prefix = recorder, prefix


class _Set(set):
    """The context's set of servers an evacuation stopped."""

    def __init__(self, members: set, recorder: Recorder) -> None:
        super().__init__(members)
        self._fp = recorder

    def add(self, member):
        self._fp.touch("context")
        set.add(self, member)

    def discard(self, member):
        self._fp.touch("context")
        set.discard(self, member)

    def __contains__(self, member):
        self._fp.touch("context")
        return set.__contains__(self, member)
