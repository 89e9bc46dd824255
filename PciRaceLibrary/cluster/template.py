"""Copies of a quiescent cluster, many times faster than ``copy.deepcopy``.

A :class:`ClusterTemplate` pickles a cluster once and unpickles it for each
copy: unpickling runs in C, where deepcopy walks every object in Python (a
sixth of the time for the two-host set-up the explorer copies for each
schedule; scripts/bench_copy.py). The topology and the behaviour are frozen
all the way down, so copies share them (as persistent objects).

``Cluster(...)`` builds afresh rather than copying a template of a fresh
cluster: for the small topologies tests use, a copy costs as much as a build
or more (1.15 to 1.5 times a build of the default two hosts). A copy wins
only for big clusters (100 hosts of 72 devices: 0.4 times a build), which
nothing builds twice, and whose template would hold megabytes.

Only a quiescent cluster can be copied: a task that has not finished, or a
pending timer, holds a coroutine, which nothing can copy. Model state that
pickle cannot store (an injected fault is a lambda) makes the template fall
back to deepcopy, which shares functions.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import io
import pickle
import pickletools
import weakref
from typing import TYPE_CHECKING, Any, ClassVar

from ..sim.kernel import cyclic_gc_paused, freeze_long_lived
from . import topology as _topology
from .variants import Behaviour

if TYPE_CHECKING:
    from . import Cluster

# Frozen all the way down (topology.py, variants.py): shared by every copy.
_SHARED = frozenset(
    {Behaviour}
    | {
        kind
        for kind in vars(_topology).values()
        if isinstance(kind, type)
        and kind.__module__ == _topology.__name__
        and dataclasses.is_dataclass(kind)
        and kind.__dataclass_params__.frozen  # type: ignore[attr-defined]
    }
)


def _weak_values(table: weakref.WeakValueDictionary[Any, Any]) -> tuple[Any, ...]:
    # A compute's instance locks: the locks alive now, held weakly again.
    return weakref.WeakValueDictionary, (dict(table),)


def _weak_ref(ref: weakref.ref[Any]) -> tuple[Any, ...]:
    # A VF's weak link to its PF (PciDevice has no per-device __getstate__: it
    # made copies about 40% slower): the object, weakly again. Kernel, Task and
    # ComputeAPI turn their weak links strong in __getstate__, for deepcopy too.
    return weakref.ref, (ref(),)


class _Pickler(pickle.Pickler):
    dispatch_table: ClassVar[dict[type, Any]] = {
        weakref.WeakValueDictionary: _weak_values,
        weakref.ReferenceType: _weak_ref,
    }

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=5)
        self.shared: list[object] = []
        self._ids: dict[int, int] = {}

    def persistent_id(self, obj: object) -> int | None:  # type: ignore[override]
        if type(obj) not in _SHARED:
            return None
        index = self._ids.get(id(obj))
        if index is None:
            index = self._ids[id(obj)] = len(self.shared)
            self.shared.append(obj)
        return index


class ClusterTemplate:
    """A quiescent cluster kept as bytes; :meth:`copy` gives an independent
    copy, equal to the cluster as it was when the template was made.

    Raises ValueError for a cluster that is not quiescent.
    """

    def __init__(self, cluster: Cluster) -> None:
        if not cluster.kernel.quiescent:
            running = ", ".join(task.name for task in cluster.kernel.tasks if not task.done)
            raise ValueError(
                f"Only a quiescent cluster can be copied; still running: {running or 'a timer'}."
            )
        buffer = io.BytesIO()
        pickler = _Pickler(buffer)
        self._cluster: Cluster | None = None
        self._spare: Cluster | None = None  # the trial copy: the first copy() hands it out
        try:
            pickler.dump(cluster)
            self._data = pickletools.optimize(buffer.getvalue())  # unused memo slots out
            self._shared = pickler.shared
            self._spare = self._load()  # what cannot be loaded back fails now, not later
        except (pickle.PicklingError, TypeError, AttributeError):
            # Something pickle cannot store (an injected fault is a lambda):
            # deepcopy a private copy each time instead, which shares functions.
            self._cluster = copy.deepcopy(cluster)

    def copy(self) -> Cluster:
        """A new, independent copy of the cluster."""
        gc.unfreeze()  # a new cluster, as Kernel() does (freeze_long_lived)
        if self._cluster is not None:
            return copy.deepcopy(self._cluster)
        spare, self._spare = self._spare, None
        return self._load() if spare is None else spare

    def _load(self) -> Cluster:
        with cyclic_gc_paused():  # loading makes long-lived objects, no garbage
            # The C unpickler itself: a subclass of it runs a third slower.
            unpickler = pickle.Unpickler(io.BytesIO(self._data))
            unpickler.persistent_load = self._shared.__getitem__
            cluster: Cluster = unpickler.load()
        if cluster.kernel.long_lived:
            freeze_long_lived()  # as the build of a big cluster does
        return cluster
