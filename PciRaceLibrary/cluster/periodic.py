"""Periodic timers: each compute audits itself every ``update_resources_interval``.

In a real cloud every compute process runs ``update_available_resource`` on
its own, every ``[DEFAULT] update_resources_interval`` seconds (60 when unset,
the periodic task default spacing), so a long operation overlaps audits
nobody asked for. :class:`PeriodicAudits` is that timer for a whole cluster:
one kernel task, a *daemon* (``run_all`` does not wait for it), that sleeps
virtual time until the next host is due and then starts that host's audit
through :meth:`Cluster.start`, the path every operation takes. Each fired
audit is an ordinary task (``audit(host2)``), so waits, delays, the timeline
and the explorer see it like any other.

Host ``h`` is due at ``started + offset[h] + k * interval`` for k = 0, 1, ...
computed from k, so no error builds up. Hosts due at the same instant fire in
the topology's host order. A tick is skipped, with a note in the journal,
when the host's compute service is stopped (no process runs the periodic) or
when the audit the timer fired at the host's previous tick still runs
(Nova's periodic tasks never overlap themselves).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Protocol

from ..errors import InvalidArgument, UnknownName
from ..sim import Kernel, Task, format_time, sleep
from . import operations
from .operations import CLOCK_RESOLUTION

DEFAULT_INTERVAL = 60.0  # Nova's update_resources_interval unset: the default spacing
AUDIT = "update_available_resource"
TIMER = "periodic(audit)"
# The clock is a float: a tick computed as started + offset + k * interval may
# land a hair before the time the sleep woke at. Far below the clock's resolution.
_EPSILON = CLOCK_RESOLUTION / 1000


class Cluster(Protocol):
    """What the timer uses of :class:`~PciRaceLibrary.cluster.Cluster` (a
    protocol, so this module does not import the package that imports it)."""

    kernel: Kernel

    @property
    def hosts(self) -> list[str]: ...

    def service_running(self, host: str) -> bool: ...

    def start(
        self, operation: str, subject: str, *, delays: dict[str, float] | None = None
    ) -> Task: ...


class TimerTag(NamedTuple):
    """The tag of the timer task: the operation it fires."""

    operation: str


class PeriodicAudits:
    """The periodic audit timer of ``cluster``, started now.

    ``interval`` and the per-host ``offsets`` are seconds; a host without an
    offset first fires one ``interval`` after the start. ``delays`` (point
    name to seconds) go to every audit fired. Start it with :func:`start_audits`,
    which checks the arguments first.
    """

    def __init__(
        self,
        cluster: Cluster,
        interval: float,
        offsets: Mapping[str, float],
        delays: Mapping[str, float],
    ) -> None:
        self.cluster = cluster
        self.interval = interval
        self.started_at = cluster.kernel.now
        self.offsets = {host: offsets.get(host, interval) for host in cluster.hosts}
        self.delays = dict(delays)
        self.ticks = dict.fromkeys(cluster.hosts, 0)  # ticks passed per host
        self.fired: dict[str, Task] = {}  # the last audit the timer started per host
        self.started = 0  # audits started
        self.skipped = 0  # ticks skipped
        self.task = cluster.kernel.spawn(self._run(), TIMER, tag=TimerTag(AUDIT), daemon=True)

    def due(self, host: str) -> float:
        """The virtual time of ``host``'s next tick."""
        return self.started_at + self.offsets[host] + self.ticks[host] * self.interval

    def stop(self) -> None:
        """Cancels the timer; audits it already started run on."""
        self.cluster.kernel.cancel(self.task)

    def describe(self) -> str:
        """``every 60 seconds; first audits at host1 t=60.000s, host2 t=30.000s``."""
        first = ", ".join(
            f"{host} {format_time(self.started_at + offset)}"
            for host, offset in self.offsets.items()
        )
        return f"every {self.interval:g} seconds; first audits at {first}"

    async def _run(self) -> None:
        kernel = self.cluster.kernel
        while True:
            for host in self.offsets:  # topology order: ties fire in host order
                if self.due(host) <= kernel.now + _EPSILON:
                    self.ticks[host] += 1
                    self._tick(host)
            wake = min(self.due(host) for host in self.offsets)
            await sleep(max(wake - kernel.now, 0.0), "update_resources_interval")

    def _tick(self, host: str) -> None:
        kernel = self.cluster.kernel
        previous = self.fired.get(host)
        if not self.cluster.service_running(host):
            skip = "its compute service is stopped"
        elif previous is not None and not previous.done:
            skip = "its previous audit still runs (periodic tasks do not overlap themselves)"
        else:
            self.fired[host] = self.cluster.start(AUDIT, host, delays=self.delays)
            self.started += 1
            return
        self.skipped += 1
        kernel.note(f"Periodic audit of '{host}' skipped: {skip}.")


def start_audits(
    cluster: Cluster,
    interval: float = DEFAULT_INTERVAL,
    offsets: Mapping[str, float] | None = None,
    *,
    offset: float | None = None,
    delays: Mapping[str, float] | None = None,
) -> PeriodicAudits:
    """Checks the arguments, then starts the timer on ``cluster``.

    ``offsets`` (host to seconds) place each host's first audit after the
    start; hosts not named get ``offset``, by default one ``interval``.
    Raises InvalidArgument for an interval below the clock's resolution of
    1 ms, an offset that is negative, below 1 ms but not 0, or beyond the
    interval; UnknownName for an unknown host or an audit point ``delays``
    names; nothing starts then.
    """
    if not interval >= CLOCK_RESOLUTION:  # refuses NaN too
        raise InvalidArgument(
            f"The interval of periodic audits must be at least 1 ms, got {interval:g} seconds."
        )
    hosts = cluster.hosts
    for host in offsets or {}:
        if host not in hosts:
            raise UnknownName(
                f"No host '{host}' to give an audit offset. Known hosts: {', '.join(hosts)}."
            )
    given = dict.fromkeys(hosts, offset) if offset is not None else {}
    given.update(offsets or {})
    checked = {host: _check_offset(host, seconds, interval) for host, seconds in given.items()}
    operations.get(AUDIT).resolve_delays(dict(delays or {}))
    return PeriodicAudits(cluster, interval, checked, delays or {})


def _check_offset(host: str, seconds: float, interval: float) -> float:
    if not 0 <= seconds <= interval:  # refuses NaN too
        raise InvalidArgument(
            f"The audit offset of '{host}' must be from 0 to the interval of "
            f"{interval:g} seconds, got {seconds:g} seconds."
        )
    if 0 < seconds < CLOCK_RESOLUTION:
        raise InvalidArgument(
            f"The audit offset of '{host}' of {seconds:g} seconds is below the clock's "
            "resolution; give 0 or at least 1 ms."
        )
    return float(seconds)
