"""``ComputeAPI``: the casts to a compute service, as ``nova/compute/rpcapi.py``.

One method per cast. Each passes its ``ComputeAPI.<method>`` point (an RPC is
where a green thread loses the processor), then delivers the message to the
compute of ``host``:

- a stopped compute consumes nothing: the message sits in a queue nobody
  reads and the operation goes no further;
- a compute that is starting consumes its queue only once ``init_host`` and
  the start-up audit are done, so the cast waits until then;
- while the handler runs, the task counts as working in that service, which
  is why a compute cannot be stopped under it.

The model runs one task per operation, so a cast runs its handler in the
caller's task rather than in a new one. A handler that ends by casting on
(a compute rescheduling a build casts back to the conductor) returns that
cast, which runs once the handler has left the service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ..sim import point
from .context import Context
from .objects import Instance, Migration


class ComputeEndpoint(Protocol):
    """What a compute service offers to the RPC layer (``ComputeManager``)."""

    def handling(self, *, wait: bool = True) -> Any: ...

    async def build_and_run_instance(
        self, instance: Instance, host_list: list[str]
    ) -> Awaitable[None] | None: ...

    async def rebuild_instance(
        self,
        instance: Instance,
        migration: Migration | None,
        *,
        evacuate: bool,
        target_state: str | None = None,
    ) -> None: ...

    async def terminate_instance(self, instance: Instance) -> None: ...

    async def stop_instance(self, instance: Instance) -> None: ...

    async def start_instance(self, instance: Instance) -> None: ...


class ComputeAPI:
    """Client side of the compute services' RPC interface."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self._endpoints: dict[str, ComputeEndpoint] = {}

    def serve(self, host: str, endpoint: ComputeEndpoint) -> None:
        """Makes ``endpoint`` the consumer of ``host``'s queue."""
        self._endpoints[host] = endpoint

    async def build_and_run_instance(
        self, host: str, instance: Instance, host_list: list[str] | None = None
    ) -> None:
        """``host_list``: the scheduler's alternates left for a reschedule."""
        await self._cast(
            host,
            "build_and_run_instance",
            lambda c: c.build_and_run_instance(instance, list(host_list or [])),
        )

    async def rebuild_instance(
        self,
        host: str,
        instance: Instance,
        migration: Migration | None,
        *,
        evacuate: bool,
        target_state: str | None = None,
    ) -> None:
        await self._cast(
            host,
            "rebuild_instance",
            lambda c: c.rebuild_instance(
                instance, migration, evacuate=evacuate, target_state=target_state
            ),
        )

    async def stop_instance(self, host: str, instance: Instance) -> None:
        await self._cast(host, "stop_instance", lambda c: c.stop_instance(instance))

    async def start_instance(self, host: str, instance: Instance) -> None:
        await self._cast(host, "start_instance", lambda c: c.start_instance(instance))

    async def terminate_instance(self, host: str, instance: Instance) -> None:
        await self._cast(host, "terminate_instance", lambda c: c.terminate_instance(instance))

    async def _cast(
        self,
        host: str,
        method: str,
        handler: Callable[[ComputeEndpoint], Awaitable[Awaitable[None] | None]],
    ) -> None:
        await point(f"ComputeAPI.{method}")
        if not self.context.db.services[host].running:
            self.context.note(f"{method} cast to stopped compute '{host}' is not consumed")
            return
        endpoint = self._endpoints[host]
        async with endpoint.handling():
            then = await handler(endpoint)
        if then is not None:
            await then  # the handler's own cast, outside the service
