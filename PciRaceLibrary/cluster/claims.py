"""Claims: what a resource tracker hands back for resources it reserved.

After ``nova/compute/claims.py``. A :class:`MoveClaim` remembers a copy of
the instance taken when the claim was made, before its devices were
claimed, and the flavor it claimed; aborting it drops the move claim on that
copy. Nova still does so today (bug 1860555 was fixed for
the build claim only), so an aborted move frees no PCI device: the copy names
none. A build :class:`Claim` aborts on the instance itself since that fix;
before it, on such a copy, so the tracker freed the devices but the instance
object went on naming them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .objects import Flavor, Instance, Migration


class Tracker(Protocol):
    """What a claim calls back: the resource tracker that made it."""

    async def abort_instance_claim(self, instance: Instance) -> None: ...

    async def drop_move_claim(
        self, instance: Instance, *, flavor: Flavor | None = None, prefix: str = "new"
    ) -> None: ...


@dataclass
class Claim:
    """A build claim and what its abort works on: the instance the build
    goes on with since the fix of bug 1860555; before it, the copy taken
    when the claim was made (no copy is taken where none is needed)."""

    tracker: Tracker
    instance: Instance

    async def abort(self) -> None:
        """Undoes the claim after the build failed here."""
        await self.tracker.abort_instance_claim(self.instance)


@dataclass
class MoveClaim:
    tracker: Tracker
    instance: Instance  # the copy taken when the claim was made
    migration: Migration
    flavor: Flavor

    async def abort(self) -> None:
        """Undoes the claim after the move failed."""
        await self.tracker.drop_move_claim(self.instance, flavor=self.flavor)
