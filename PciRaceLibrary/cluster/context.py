"""What every service of the fake cluster shares: kernel, database, placement.

Nova passes a request context and reaches shared state through it; our
services hold one :class:`Context`. It is state, not a registry of services:
services reach each other through the RPC layer (``rpcapi``). It also names
consumers for the journal, so that timelines say ``vm1`` rather than a uuid,
and hands out the deterministic uuids of new records.
"""

from __future__ import annotations

import functools
import hashlib
import uuid as uuidlib
from dataclasses import dataclass, field

from ..sim import Change, Kernel
from . import api_version
from .db import Database
from .placement import Placement
from .topology import Topology
from .variants import Behaviour

# Nova's [DEFAULT] service_down_time: a stopped service looks up this long.
SERVICE_DOWN_TIME = 60.0

_NAMESPACE = uuidlib.UUID("6f1f2c4e-1896-4463-8000-000000000000")


@functools.lru_cache(maxsize=4096)
def _uuid_of(text: str) -> str:
    # A pure function of its text, and each test's cluster asks the same ones
    # again (host1's compute node, vm1, ...): remembered, a uuid costs a dict
    # look-up, not uuid5's SHA-1 and UUID object (a tenth of a short scenario).
    return _uuid5(text)


def _uuid5(text: str) -> str:
    """``str(uuid.uuid5(_NAMESPACE, text))`` (RFC 4122's name-based SHA-1
    uuid) without the UUID object, a third of the cost: a boot of a new
    server makes three (tests/cluster/test_uuids.py compares the two)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE.bytes + text.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    hexed = digest.hex()
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"


@dataclass
class Context:
    kernel: Kernel
    db: Database
    placement: Placement
    behaviour: Behaviour
    topology: Topology
    microversion: tuple[int, int] = api_version.MAX_VERSION  # of the API's requests
    allow_resize_to_same_host: bool = False  # Nova's [DEFAULT] option of that name
    # Servers an evacuation stopped (its 2.95 target state), for failure messages.
    stopped_by_evacuation: set[str] = field(default_factory=set)
    # Audits that raised, per host, in order: what Nova's periodic task logs.
    audit_failures: dict[str, list[str]] = field(default_factory=dict)
    _uuids: int = field(default=0, repr=False)

    def new_uuid(self, kind: str, name: str) -> str:
        """A uuid for a new record; the same cluster history gives the same uuids."""
        self._uuids += 1
        return _uuid_of(f"{kind}:{name}:{self._uuids}")

    def label(self, instance_uuid: str | None) -> str:
        """The server name of ``instance_uuid``, for journal lines (``Database.label``)."""
        return self.db.label(instance_uuid)

    def note(self, detail: str) -> None:
        """Journals why the model did something."""
        self.kernel.note(detail)

    def audit_failed(self, host: str, error: str) -> None:
        """An audit of ``host`` raised ``error`` and ended: logged, as Nova's
        periodic task logs the exception and carries on."""
        self.audit_failures.setdefault(host, []).append(error)
        self.note(f"Error updating resources for node {host}: {error}")

    def changed(self, change: Change) -> None:
        self.kernel.record_change(change)

    def service_is_up(self, host: str) -> bool:
        return self.db.services[host].is_up(self.kernel.now, SERVICE_DOWN_TIME)
