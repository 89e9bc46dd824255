"""``LibraryComponent``: what every keyword class shares.

The library object holds the running cluster and the defaults; components
reach them here, convert ``timedelta`` to virtual seconds once, and check
delay names against an operation's points.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING

from robot.utils import secs_to_timestr

from ..cluster import Cluster
from ..errors import InvalidArgument, NoCluster
from ..sim import Kernel
from .arguments import timestr

if TYPE_CHECKING:
    from .. import PciRaceLibrary


class LibraryComponent:
    """Base of the keyword classes; never a keyword class itself."""

    def __init__(self, library: PciRaceLibrary) -> None:
        self.library = library

    @property
    def cluster(self) -> Cluster:
        """The running cluster. Raises NoCluster before ``Start Cluster``."""
        if self.library.running_cluster is None:
            raise NoCluster("No cluster is running. Use 'Start Cluster' first.")
        return self.library.running_cluster

    @property
    def kernel(self) -> Kernel:
        return self.cluster.kernel

    @property
    def clock(self) -> str:
        return self.cluster.clock

    def seconds(self, timeout: timedelta | None, delays: dict[str, float] | None = None) -> float:
        """Virtual seconds of ``timeout``; for None the library default plus
        every delay given to the keyword, so a keyword never times out on the
        delays it was asked to wait (see `Timeouts`)."""
        if timeout is None:
            extra = sum(s for s in (delays or {}).values() if s > 0 and math.isfinite(s))
            return self.library.default_timeout + extra
        seconds = timeout.total_seconds()
        if seconds < 0:
            raise InvalidArgument(f"Argument 'timeout' cannot be negative, got {timestr(seconds)}.")
        return seconds

    @staticmethod
    def delay_seconds(delays: dict[str, timedelta]) -> dict[str, float]:
        """Seconds per point name; the cluster checks names and values, once."""
        return {name: value.total_seconds() for name, value in delays.items()}

    @staticmethod
    def timestr(seconds: float) -> str:
        return f"{secs_to_timestr(seconds)} of virtual time"
