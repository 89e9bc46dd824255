"""Claims: what a resource tracker hands back for resources it reserved.

After ``nova/compute/claims.py``. A :class:`MoveClaim` remembers the copy of
the instance it was made for, taken before the migration context existed,
and the flavor it claimed; aborting it drops the move claim on that copy.
Nova still does so today (bug 1860555 was fixed for the build claim only), so
an aborted move frees no PCI device: the copy names none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .objects import Flavor, Instance, Migration


class Tracker(Protocol):
    """What a claim calls back: the resource tracker that made it."""

    async def drop_move_claim(
        self, instance: Instance, *, flavor: Flavor | None = None, prefix: str = "new"
    ) -> None: ...


@dataclass
class MoveClaim:
    tracker: Tracker
    instance: Instance  # the copy taken when the claim was made
    migration: Migration
    flavor: Flavor

    async def abort(self) -> None:
        """Undoes the claim after the move failed."""
        await self.tracker.drop_move_claim(self.instance, flavor=self.flavor)
