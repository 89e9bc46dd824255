"""What every service of the fake cluster shares: kernel, database, placement.

Nova passes a request context and reaches shared services through it; our
services hold one :class:`Context`. It also names consumers for the journal,
so that timelines say ``vm1`` rather than a uuid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..sim import Change, Kernel
from .db import Database
from .placement import Placement
from .topology import Topology
from .variants import Behaviour

if TYPE_CHECKING:
    from .compute_manager import ComputeManager

# Nova's [DEFAULT] service_down_time: a stopped service looks up this long.
SERVICE_DOWN_TIME = 60.0


@dataclass
class Context:
    kernel: Kernel
    db: Database
    placement: Placement
    behaviour: Behaviour
    topology: Topology
    computes: dict[str, ComputeManager] = field(default_factory=dict)

    def label(self, instance_uuid: str | None) -> str:
        """The server name of ``instance_uuid``, for journal lines."""
        if instance_uuid is None:
            return "-"
        row = self.db.instances.get(instance_uuid)
        return row.name if row is not None else instance_uuid

    def note(self, detail: str) -> None:
        """Journals why the model did something."""
        self.kernel.note(detail)

    def changed(self, change: Change) -> None:
        self.kernel.record_change(change)

    def service_is_up(self, host: str) -> bool:
        return self.db.services[host].is_up(self.kernel.now, SERVICE_DOWN_TIME)
