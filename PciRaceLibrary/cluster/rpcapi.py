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

A *call* waits for the answer (a few of the live migration's messages are
calls, as in Nova): the handler runs in the caller's task too and its result
comes back; a call to a stopped compute gets no answer and raises
MessagingTimeout after ``rpc_response_timeout`` of virtual time.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from ..sim import point, sleep
from .context import Context
from .exception import MessagingTimeout
from .objects import Flavor, Instance, Migration

# Nova's [DEFAULT] rpc_response_timeout: how long a call waits for its answer.
RPC_RESPONSE_TIMEOUT = 60.0
# What the destination's live migration check hands back: port id -> the
# binding profile of the device it claimed (Nova's migrate_data.vifs).
MigrateData = dict[str, dict[str, str]]
T = TypeVar("T")


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

    async def suspend_instance(self, instance: Instance) -> None: ...

    async def resume_instance(self, instance: Instance) -> None: ...

    async def prep_resize(
        self,
        instance: Instance,
        flavor: Flavor,
        migration: Migration,
        alternates: tuple[str, ...] | None,
    ) -> None: ...

    async def resize_instance(
        self, instance: Instance, flavor: Flavor, migration: Migration
    ) -> None: ...

    async def finish_resize(self, instance: Instance, migration: Migration) -> None: ...

    async def confirm_resize(self, instance: Instance, migration: Migration) -> None: ...

    async def revert_resize(self, instance: Instance, migration: Migration) -> None: ...

    async def finish_revert_resize(self, instance: Instance, migration: Migration) -> None: ...

    async def check_can_live_migrate_destination(
        self, instance: Instance, migration: Migration
    ) -> MigrateData: ...

    async def check_can_live_migrate_source(self, instance: Instance) -> None: ...

    async def live_migration(
        self, instance: Instance, dest: str, migration: Migration, migrate_data: MigrateData
    ) -> None: ...

    async def pre_live_migration(self, instance: Instance, migration: Migration) -> None: ...

    async def post_live_migration_at_destination(self, instance: Instance) -> None: ...

    async def rollback_live_migration_at_destination(self, instance: Instance) -> None: ...

    async def drop_move_claim_at_destination(self, instance: Instance) -> None: ...
    async def shelve_instance(self, instance: Instance, *, offload: bool) -> None: ...

    async def shelve_offload_instance(self, instance: Instance) -> None: ...

    async def unshelve_instance(self, instance: Instance) -> None: ...

    async def attach_interface(self, instance: Instance, port_id: str) -> None: ...

    async def detach_interface(self, instance: Instance, port_id: str) -> None: ...


class ComputeAPI:
    """Client side of the compute services' RPC interface."""

    def __init__(self, context: Context) -> None:
        self.context = context
        # Weak: a compute manager holds this client, and Services owns the
        # managers; strong, every dropped cluster was a cycle for the GC. A
        # plain dict of weak references: a WeakValueDictionary and its items
        # cost a sixteenth of a two-host cluster's build.
        self._endpoints: dict[str, weakref.ref[ComputeEndpoint]] = {}

    def __getstate__(self) -> dict[str, Any]:
        # A copy holds the endpoints themselves: deepcopy of a weak reference
        # would keep the original cluster's managers.
        endpoints = {host: ref() for host, ref in self._endpoints.items()}
        return {**self.__dict__, "_endpoints": endpoints}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._endpoints = {host: weakref.ref(e) for host, e in state["_endpoints"].items()}

    def serve(self, host: str, endpoint: ComputeEndpoint) -> None:
        """Makes ``endpoint`` the consumer of ``host``'s queue."""
        self._endpoints[host] = weakref.ref(endpoint)

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

    async def suspend_instance(self, host: str, instance: Instance) -> None:
        await self._cast(host, "suspend_instance", lambda c: c.suspend_instance(instance))

    async def resume_instance(self, host: str, instance: Instance) -> None:
        await self._cast(host, "resume_instance", lambda c: c.resume_instance(instance))

    # -- cold migration and resize: destination, source, destination ----------

    async def prep_resize(
        self,
        host: str,
        instance: Instance,
        flavor: Flavor,
        migration: Migration,
        alternates: tuple[str, ...] | None = None,
    ) -> None:
        """``alternates``: the hosts to retry on (``host_list``); None when
        the request named its host, which Nova never retries."""
        await self._cast(
            host, "prep_resize", lambda c: c.prep_resize(instance, flavor, migration, alternates)
        )

    async def resize_instance(
        self, host: str, instance: Instance, flavor: Flavor, migration: Migration
    ) -> None:
        await self._cast(
            host, "resize_instance", lambda c: c.resize_instance(instance, flavor, migration)
        )

    async def finish_resize(self, host: str, instance: Instance, migration: Migration) -> None:
        await self._cast(host, "finish_resize", lambda c: c.finish_resize(instance, migration))

    async def confirm_resize(
        self, host: str, instance: Instance, migration: Migration, *, cast: bool = True
    ) -> None:
        """A cast; a call with ``cast=False`` (a delete confirming first)."""
        send = self._cast if cast else self._call
        await send(host, "confirm_resize", lambda c: c.confirm_resize(instance, migration))

    async def revert_resize(self, host: str, instance: Instance, migration: Migration) -> None:
        await self._cast(host, "revert_resize", lambda c: c.revert_resize(instance, migration))

    async def finish_revert_resize(
        self, host: str, instance: Instance, migration: Migration
    ) -> None:
        await self._cast(
            host, "finish_revert_resize", lambda c: c.finish_revert_resize(instance, migration)
        )

    async def terminate_instance(self, host: str, instance: Instance) -> None:
        await self._cast(host, "terminate_instance", lambda c: c.terminate_instance(instance))

    # -- live migration: five calls, two casts -------------------------------

    async def check_can_live_migrate_destination(
        self, host: str, instance: Instance, migration: Migration
    ) -> MigrateData:
        return await self._call(
            host,
            "check_can_live_migrate_destination",
            lambda c: c.check_can_live_migrate_destination(instance, migration),
        )

    async def check_can_live_migrate_source(self, host: str, instance: Instance) -> None:
        await self._call(
            host,
            "check_can_live_migrate_source",
            lambda c: c.check_can_live_migrate_source(instance),
        )

    async def live_migration(
        self,
        host: str,
        instance: Instance,
        dest: str,
        migration: Migration,
        migrate_data: MigrateData,
    ) -> None:
        await self._cast(
            host,
            "live_migration",
            lambda c: c.live_migration(instance, dest, migration, migrate_data),
        )

    async def pre_live_migration(self, host: str, instance: Instance, migration: Migration) -> None:
        await self._call(
            host, "pre_live_migration", lambda c: c.pre_live_migration(instance, migration)
        )

    async def post_live_migration_at_destination(self, host: str, instance: Instance) -> None:
        await self._call(
            host,
            "post_live_migration_at_destination",
            lambda c: c.post_live_migration_at_destination(instance),
        )

    async def rollback_live_migration_at_destination(self, host: str, instance: Instance) -> None:
        await self._cast(
            host,
            "rollback_live_migration_at_destination",
            lambda c: c.rollback_live_migration_at_destination(instance),
        )

    async def drop_move_claim_at_destination(self, host: str, instance: Instance) -> None:
        await self._call(
            host,
            "drop_move_claim_at_destination",
            lambda c: c.drop_move_claim_at_destination(instance),
        )

    async def _call(
        self, host: str, method: str, handler: Callable[[ComputeEndpoint], Awaitable[T]]
    ) -> T:
        """A call: the handler's answer, or MessagingTimeout when nothing
        consumes ``host``'s queue."""
        await point(f"ComputeAPI.{method}")
        if not self.context.db.services[host].running:
            self.context.note(f"{method} call to stopped compute '{host}' is not answered")
            await sleep(RPC_RESPONSE_TIMEOUT, "rpc_response_timeout")
            raise MessagingTimeout(
                f"Timed out waiting for a reply to {method} from compute '{host}'."
            )
        endpoint = self._endpoints[host]()  # alive: Services holds it
        async with endpoint.handling():
            return await handler(endpoint)

    # -- shelve, shelve offload and unshelve ------------------------------------------

    async def shelve_instance(self, host: str, instance: Instance, *, offload: bool) -> None:
        """``offload`` stands for the compute's ``shelved_offload_time`` being 0."""
        await self._cast(
            host, "shelve_instance", lambda c: c.shelve_instance(instance, offload=offload)
        )

    async def shelve_offload_instance(self, host: str, instance: Instance) -> None:
        await self._cast(
            host, "shelve_offload_instance", lambda c: c.shelve_offload_instance(instance)
        )

    async def unshelve_instance(self, host: str, instance: Instance) -> None:
        await self._cast(host, "unshelve_instance", lambda c: c.unshelve_instance(instance))

    # -- interfaces: attach is a call (the API answers with the new
    # interface), detach a cast (the API answers 202) ----------------------------

    async def attach_interface(self, host: str, instance: Instance, port_id: str) -> None:
        await self._call(host, "attach_interface", lambda c: c.attach_interface(instance, port_id))

    async def detach_interface(self, host: str, instance: Instance, port_id: str) -> None:
        await self._cast(host, "detach_interface", lambda c: c.detach_interface(instance, port_id))

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
        endpoint = self._endpoints[host]()  # alive: Services holds it
        async with endpoint.handling():
            then = await handler(endpoint)
        if then is not None:
            await then  # the handler's own cast, outside the service
