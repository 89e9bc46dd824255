"""A compute service's own life: its start-up, and the periodic audit it runs.

These are the host operations: their subject is a host, and they run inside
that host's compute process, not through the API.
"""

from __future__ import annotations

from ..errors import ApiRefused
from ..sim import Change
from .exception import InstanceNotFound
from .services import Services


def check_audit(services: Services, host: str) -> None:
    """The periodic task runs in the compute process: none while it is stopped."""
    if not services.context.db.services[host].running:
        raise ApiRefused(
            f"Cannot run the periodic audit of '{host}': its compute service is stopped."
        )


async def update_available_resource(services: Services, host: str) -> None:
    await services.computes[host].update_available_resource()


def check_start(services: Services, host: str, **_: object) -> None:
    if services.context.db.services[host].running:
        raise ApiRefused(f"Cannot start compute service on '{host}': it is running.")


def accept_start(services: Services, host: str, clean_hypervisor: bool = False) -> None:
    """The process is up at once; it consumes its queue after ``init_host``.
    With ``clean_hypervisor`` the host comes back with no guests (reinstalled,
    say), so start-up finds none of the evacuated ones to destroy."""
    compute = services.computes[host]
    if clean_hypervisor:
        compute.guests.clear()
    compute.start_failure = None
    service = services.context.db.services[host]
    service.running, service.stopped_at = True, None
    services.context.changed(Change("Service", host, new="started", host=host))


async def start(services: Services, host: str, **_: object) -> None:
    """``init_host`` and the start-up audit, then the forced-down flag is
    cleared (allowed once no evacuation record from this host is ``done``).

    If ``init_host`` raises (bug 1794996), Nova's service start raises with
    it and the process exits: the service is stopped again, still forced
    down, and ``start_failure`` says why.
    """
    context, compute = services.context, services.computes[host]
    try:
        await compute.init_host()
    except InstanceNotFound as exc:
        service = context.db.services[host]
        service.running, service.stopped_at = False, context.kernel.now
        compute.stopped()
        compute.start_failure = str(exc)
        context.note(f"compute service on '{host}' exits at start-up: {exc}")
        context.changed(Change("Service", host, new="exited at start-up", host=host))
        return
    services.context.db.services[host].forced_down = False
    services.context.changed(Change("Service", host, new="forced down cleared", host=host))
