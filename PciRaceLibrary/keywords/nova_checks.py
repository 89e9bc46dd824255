"""NovaCheckKeywords: the checks Nova's functional tests make, and their getters.

Nova's evacuation tests assert placement usage per provider, allocations per
consumer, the port binding (``binding:host_id`` and ``binding:profile``) and
the list of a server's migrations. Each check compares what it is given with
the state now and never moves time; each ``Get ...`` returns the same state
as plain data for BuiltIn's ``Should Be Equal``.
"""

from __future__ import annotations

from robot.api import logger
from robot.api.deco import keyword

from ..cluster.objects import MIGRATION_STATUSES
from ..cluster.placement import ALLOCATION_RATIOS
from ..errors import InvalidArgument
from ._base import LibraryComponent
from .arguments import Invalid, check_at_least_zero, describe, to_int

RESOURCE_CLASSES = tuple(ALLOCATION_RATIOS)  # VCPU, PCPU, MEMORY_MB, DISK_GB
BINDING_KEYS = ("host", "pci_slot", "pci_vendor_info", "physical_network")
# Nova's Migration.migration_type values.
MIGRATION_TYPES = ("migration", "resize", "live-migration", "evacuation")
NO_HOST = "-"
_FLAVOR = "flavor"
_CONSUMERS = ("server", "migration")


class NovaCheckKeywords(LibraryComponent):
    @keyword("Placement Usage On Host Should Be", tags=["Check"])
    def placement_usage_on_host_should_be(
        self, host: str, *, message: str | None = None, **expected: int
    ) -> None:
        """Fails unless placement's usage on ``host``'s provider is ``expected``.

        ``expected`` names resource classes (``VCPU``, ``PCPU``,
        ``MEMORY_MB``, ``DISK_GB``) with the amount used; classes not named
        are not checked. A host nothing is allocated on uses 0 of each, and a
        host uses 0 of a class it has no inventory of (PCPU on a host without
        ``cpu_dedicated_set``: a server with dedicated CPUs takes VCPU there,
        see `Placement Allocations Should Be`). This is the usage of
        every consumer on the provider together, as Nova's
        ``assertRequestMatchesUsage`` reads it. Reads the state now and never
        moves time; ``message`` replaces the default failure message.

        | `Placement Usage On Host Should Be` | host1 | VCPU=1 | MEMORY_MB=512 | DISK_GB=1 |
        | `Placement Usage On Host Should Be` | host2 | VCPU=0 |
        | `Placement Usage On Host Should Be` | host1 | VCPU=0 | PCPU=2 | # pinned |
        """
        if not expected:
            raise InvalidArgument(
                "Give the usage to check as resource class=amount, as in VCPU=1; "
                f"valid resource classes: {', '.join(RESOURCE_CLASSES)}."
            )
        for resource_class, amount in expected.items():
            _check_resource_class(resource_class)
            check_at_least_zero(f"Amount of {resource_class}", amount)
        cluster = self.cluster
        found = cluster.placement_usage(host)
        _usage_should_be("Placement usage", host, expected, found, cluster.clock, message)

    @keyword("Resource Usage On Host Should Be", tags=["Check"])
    def resource_usage_on_host_should_be(
        self, host: str, *, message: str | None = None, **expected: int
    ) -> None:
        """Fails unless the resource tracker's usage on ``host`` is ``expected``.

        ``expected`` names ``vcpus``, ``memory_mb`` and ``disk_gb`` with the
        amount used; those not named are not checked. This is what ``host``'s
        tracker last saved on its compute node (Nova's hypervisor statistics):
        the flavors of the instances on it and of the moves it counts, summed
        by its last claim or audit; placement may say otherwise meanwhile
        (`Placement Usage On Host Should Be`). Reads the state now and never
        moves time; ``message`` replaces the default failure message.

        | `Resource Usage On Host Should Be` | host1 | vcpus=1 | memory_mb=512 |
        """
        valid = ("vcpus", "memory_mb", "disk_gb")
        if not expected:
            raise InvalidArgument(
                f"Give the usage to check as name=amount, as in vcpus=1; valid: {', '.join(valid)}."
            )
        for name, amount in expected.items():
            if name not in valid:
                raise InvalidArgument(
                    f"No resource '{name}' in the tracker's usage. Valid: {', '.join(valid)}."
                )
            check_at_least_zero(f"Amount of {name}", amount)
        cluster = self.cluster
        found = cluster.resource_usage(host)
        _usage_should_be("Resource usage", host, expected, found, cluster.clock, message)

    @keyword("Get Resource Usage", tags=["Query"])
    def get_resource_usage(self, host: str) -> dict[str, int]:
        """Returns the resource tracker's usage on ``host``: ``vcpus``,
        ``memory_mb``, ``disk_gb`` → amount used.

        | ${usage} = | `Get Resource Usage` | host1 |
        | Should Be Equal | ${usage}[vcpus] | ${1} |
        """
        found = self.cluster.resource_usage(host)
        logger.info(f"Resource usage on '{host}' at {self.clock}: {_usage(found)}.")
        return found

    @keyword("Get Placement Usage", tags=["Query"])
    def get_placement_usage(self, host: str) -> dict[str, int]:
        """Returns placement's usage on ``host``'s provider: resource class → amount.

        Every resource class of the provider's inventory is listed, 0 where
        nothing is used: PCPU only on a host with ``cpu_dedicated_set``, VCPU
        only on one with ``cpu_shared_set`` or neither option, as Nova's
        libvirt driver reports them.

        | ${usage} = | `Get Placement Usage` | host1 |
        | Should Be Equal | ${usage} | ${{{'VCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 1}}} |
        """
        found = self.cluster.placement_usage(host)
        logger.info(f"Placement usage on '{host}' at {self.clock}: {_usage(found)}.")
        return found

    @keyword("Placement Allocations Should Be", tags=["Check"])
    def placement_allocations_should_be(
        self,
        server: str,
        *,
        consumer: str = "server",
        message: str | None = None,
        **expected: str,
    ) -> None:
        """Fails unless the placement allocations of ``server`` are exactly ``expected``.

        ``expected`` names provider hosts; each value is ``flavor`` (what the
        server's flavor and image ask of that host: Nova's
        ``assertFlavorMatchesAllocation``) or resource class:amount pairs
        separated by commas, such as ``VCPU:1,MEMORY_MB:512,DISK_GB:1``. A
        server with dedicated CPUs (``hw:cpu_policy=dedicated``, or the
        image's ``hw_cpu_policy``) asks for PCPU instead of VCPU, as Nova
        since Train, on a host that reports PCPU (``cpu_dedicated_set``),
        and for VCPU on one that does not (the scheduler's fallback query),
        so ``flavor`` means ``PCPU:2,...`` on the one and ``VCPU:2,...`` on
        the other. Hosts not named must hold
        nothing for the consumer, and each named host must hold exactly the
        resources given (an amount of 0 is the same as leaving the class
        out). The whole mapping is compared at once and every difference is
        listed, found amounts in the same format.

        ``consumer`` is ``server`` (the instance consumer, the default) or
        ``migration`` (the consumer of the server's latest migration record,
        where Nova's resize and live migration keep the source allocation
        while they run). An evacuation holds its *doubled* allocation on the
        instance consumer: the source's part and the destination's, until
        the source restarts.

        Reads the state now and never moves time; ``message`` replaces the
        default failure message.

        | `Placement Allocations Should Be` | vm1 | host1=flavor | host2=flavor | # evacuating |
        | `Placement Allocations Should Be` | vm1 | host2=VCPU:1,MEMORY_MB:512,DISK_GB:1 |
        | `Placement Allocations Should Be` | vm1 | consumer=migration | # nothing anywhere |
        """
        _check_consumer(consumer)
        wanted = {host: _resources(host, value) for host, value in expected.items()}
        cluster = self.cluster
        for host in wanted:
            cluster.check_host(host)
        found = cluster.placement_allocations(server, migration=consumer == "migration")
        wanted = {
            host: cluster.flavor_resources(server, host) if want is None else want
            for host, want in wanted.items()
        }
        problems = [
            f"'{host}' should hold {_resources_text(wanted.get(host, {}))} "
            f"but holds {_resources_text(found.get(host, {}))}"
            for host in cluster.in_host_order([*wanted, *found])  # the others hold nothing
            if wanted.get(host, {}) != found.get(host, {})
        ]
        subject = _consumer_text(server, consumer)
        if problems:
            raise AssertionError(
                message
                or (
                    f"Placement allocations of {subject} differ at {cluster.clock}: "
                    f"{'; '.join(problems)}."
                )
            )
        logger.info(
            f"Placement allocations of {subject} at {cluster.clock}: {_allocations(found)}."
        )

    @keyword("Get Placement Allocations", tags=["Query"])
    def get_placement_allocations(
        self, server: str, *, consumer: str = "server"
    ) -> dict[str, dict[str, int]]:
        """Returns the placement allocations of ``server``: host → {resource class → amount}.

        Hosts are sorted and only those the consumer holds resources on are
        listed; zero amounts are left out, as placement stores none.
        ``consumer`` is as in `Placement Allocations Should Be`.

        | ${allocations} = | `Get Placement Allocations` | vm1 |
        | Should Be Equal | ${allocations}[host1][VCPU] | ${1} |
        """
        _check_consumer(consumer)
        found = self.cluster.placement_allocations(server, migration=consumer == "migration")
        logger.info(
            f"Placement allocations of {_consumer_text(server, consumer)} at {self.clock}: "
            f"{_allocations(found)}."
        )
        return found

    @keyword("Port Binding Should Be", tags=["Check"])
    def port_binding_should_be(
        self, server: str, *, port: str | None = None, message: str | None = None, **expected: str
    ) -> None:
        """Fails unless the binding of ``server``'s port has the ``expected`` values.

        ``expected`` names binding fields; keys not named are not checked:

        | =Key= | =Neutron's field= |
        | host | ``binding:host_id``, the host the port is bound to |
        | pci_slot | ``binding:profile`` ``pci_slot``, the device's PCI address |
        | pci_vendor_info | ``binding:profile`` ``pci_vendor_info``, as ``8086:1515`` |
        | physical_network | ``binding:profile`` ``physical_network`` |

        An empty value (``${EMPTY}``) expects the field absent: an unbound
        port has no host, a normal port no profile. The port is ``port`` (its
        name) where given, which must be one of the server's, else the
        server's first SR-IOV port, or its only port if it has none. PCI
        addresses compare case-insensitively. Reads the state now and never
        moves time; ``message`` replaces the default failure message.

        | `Port Binding Should Be` | vm1 | host=host2 | pci_slot=0000:02:00.1 |
        | `Port Binding Should Be` | web1 | host=host1 | pci_slot=${EMPTY} |
        | `Port Binding Should Be` | vm1 | port=p2 | host=host2 | pci_slot=0000:82:00.1 |
        """
        if not expected:
            raise InvalidArgument(
                "Give the binding to check as key=value, as in host=host2; "
                f"valid keys: {', '.join(BINDING_KEYS)}."
            )
        for key in expected:
            if key not in BINDING_KEYS:
                raise InvalidArgument(
                    f"No port binding key '{key}'. Valid keys: {', '.join(BINDING_KEYS)}."
                )
        cluster = self.cluster
        if expected.get("host"):
            cluster.check_host(expected["host"])
        if port is None:
            found = cluster.port_binding(server)
        else:
            bindings = cluster.port_bindings(server)
            if port not in bindings:
                # A server's own port (built without Create Port) goes by its id.
                unnamed = set(cluster.instance(server).ports)
                named = [name for name in bindings if name not in unnamed]
                ports = f"its named ports: {', '.join(named)}" if named else "it has no named port"
                raise InvalidArgument(f"Server '{server}' has no port '{port}'; {ports}.")
            found = bindings[port]
        problems = []
        for key in BINDING_KEYS:
            if key not in expected:
                continue
            want, have = str(expected[key]).strip() or None, found.get(key) or None
            if key == "pci_slot" and want is not None:
                want, have = want.lower(), have and have.lower()
            if want != have:
                problems.append(f"{key} should be {_value(want)} but is {_value(have)}")
        if problems:
            raise AssertionError(
                message
                or (
                    f"Port binding of '{server}' differs at {cluster.clock}: {'; '.join(problems)}."
                )
            )
        logger.info(f"Port binding of '{server}' at {cluster.clock}: {_binding(found)}.")

    @keyword("Get Port Binding", tags=["Query"])
    def get_port_binding(self, server: str) -> dict[str, str | None]:
        """Returns the binding of ``server``'s port: ``host`` and the profile's keys.

        ``host`` is ``binding:host_id`` (``None`` for an unbound port); the
        other keys are those of ``binding:profile`` (``pci_slot``,
        ``pci_vendor_info``, ``physical_network``), none for a normal port.
        The port is chosen as in `Port Binding Should Be`.

        | ${binding} = | `Get Port Binding` | vm1 |
        | Should Be Equal | ${binding}[pci_slot] | 0000:02:00.1 |
        """
        found = self.cluster.port_binding(server)
        logger.info(f"Port binding of '{server}' at {self.clock}: {_binding(found)}.")
        return found

    @keyword(tags=["Check"])
    def migrations_should_be(self, server: str, *expected: str, message: str | None = None) -> None:
        """Fails unless the migration records of ``server`` are exactly ``expected``, in order.

        Each ``expected`` record is one cell of four words: type, source
        host, destination host and status, as in ``evacuation host1 host2
        done``; an arrow between the hosts may be written for reading
        (``evacuation host1 -> host2 done``), and ``-`` stands for no
        destination yet. Records are in creation order, soft-deleted ones
        (of a deleted server) included, as Nova's migration list shows them
        to an admin. No record given expects none. The whole list is
        compared at once. Reads the state now and never moves time;
        ``message`` replaces the default failure message.

        | `Migrations Should Be` | vm1 | evacuation host1 -> host2 done |
        | `Migrations Should Be` | vm1 | evacuation host1 host2 done | evacuation host2 - error |
        | `Migrations Should Be` | vm2 | | # no migration |
        """
        wanted = [_record(number, text) for number, text in enumerate(expected, start=1)]
        cluster = self.cluster
        for record in wanted:
            for host in (record[1], record[2]):
                if host != NO_HOST:
                    cluster.check_host(host)
        found = [
            (m["type"], m["source"], m["dest"], m["status"]) for m in cluster.migrations_of(server)
        ]
        if found != wanted:
            raise AssertionError(
                message
                or (
                    f"Migrations of '{server}' differ at {cluster.clock}: expected "
                    f"{_records(wanted)}; found {_records(found)}."
                )
            )
        logger.info(f"Migrations of '{server}' at {cluster.clock}: {_records(found)}.")

    @keyword(tags=["Query"])
    def get_migrations(self, server: str) -> list[dict[str, str]]:
        """Returns the migration records of ``server``, in creation order.

        Each record is a dictionary with ``id``, ``type``, ``source``,
        ``dest`` (``-`` before a destination is chosen) and ``status``.

        | ${migrations} = | `Get Migrations` | vm1 |
        | Should Be Equal | ${migrations}[0][status] | done |
        | Length Should Be | ${migrations} | 1 |
        """
        found = self.cluster.migrations_of(server)
        records = [(m["type"], m["source"], m["dest"], m["status"]) for m in found]
        logger.info(f"Migrations of '{server}' at {self.clock}: {_records(records)}.")
        return found


# -- arguments -----------------------------------------------------------------


def _check_resource_class(resource_class: str, where: str = "") -> None:
    if resource_class not in RESOURCE_CLASSES:
        raise InvalidArgument(
            f"No resource class {describe(resource_class)}{where}. "
            f"Valid resource classes: {', '.join(RESOURCE_CLASSES)}."
        )


def _check_consumer(consumer: str) -> None:
    if consumer not in _CONSUMERS:
        raise InvalidArgument(
            f"Argument 'consumer' must be 'server' or 'migration', got {describe(consumer)}."
        )


def _resources(host: str, value: str) -> dict[str, int] | None:
    """``VCPU:1,MEMORY_MB:512`` as a mapping without zero amounts; None for
    ``flavor``. Raises InvalidArgument for anything else."""
    text = str(value).strip()
    if text.lower() == _FLAVOR:
        return None
    where = f" in the allocation for '{host}'"
    pairs = [part.strip() for part in text.split(",")]
    if not text or any(part.count(":") != 1 for part in pairs):
        raise InvalidArgument(
            f"Allocation for '{host}' must be 'flavor' or resource class:amount pairs "
            f"separated by commas, like VCPU:1,MEMORY_MB:512, got {describe(value)}."
        )
    resources: dict[str, int] = {}
    for pair in pairs:
        name, amount_text = (part.strip() for part in pair.split(":"))
        _check_resource_class(name, where)
        if name in resources:
            raise InvalidArgument(f"Resource class '{name}' is given twice{where}.")
        amount = to_int(amount_text)
        if isinstance(amount, Invalid):
            raise InvalidArgument(amount.sentence(f"Amount of {name}{where}"))
        check_at_least_zero(f"Amount of {name}{where}", amount)
        resources[name] = amount
    return {rc: resources[rc] for rc in RESOURCE_CLASSES if resources.get(rc)}


def _record(number: int, text: str) -> tuple[str, str, str, str]:
    """``evacuation host1 -> host2 done`` as (type, source, dest, status)."""
    words = [word for word in str(text).split() if word != "->"]
    if len(words) != 4:
        raise InvalidArgument(
            f"Migration {number} must be type, source, destination and status, as in "
            f"'evacuation host1 host2 done', got {describe(text)}."
        )
    migration_type, source, dest, status = words
    if migration_type not in MIGRATION_TYPES:
        raise InvalidArgument(
            f"No migration type '{migration_type}' (migration {number}). "
            f"Valid types: {', '.join(MIGRATION_TYPES)}."
        )
    if status not in MIGRATION_STATUSES:
        raise InvalidArgument(
            f"No migration status '{status}' (migration {number}). "
            f"Valid statuses: {', '.join(MIGRATION_STATUSES)}."
        )
    return migration_type, source, dest, status


# -- how found values read in messages --------------------------------------------


def _usage_should_be(  # noqa: PLR0917 - what the two usage checks pass
    what: str,
    host: str,
    expected: dict[str, int],
    found: dict[str, int],
    clock: str,
    message: str | None,
) -> None:
    """Compares the amounts named in ``expected`` with ``found``, in ``found``'s
    order (a class ``found`` lacks, as a provider without its inventory, is
    0, last), and fails listing every difference."""
    values = {**found, **{name: 0 for name in expected if name not in found}}
    problems = [
        f"{name} should be {expected[name]} but is {amount}"
        for name, amount in values.items()
        if name in expected and amount != expected[name]
    ]
    if problems:
        raise AssertionError(
            message or f"{what} on '{host}' differs at {clock}: {'; '.join(problems)}."
        )
    logger.info(f"{what} on '{host}' at {clock}: {_usage(found)}.")


def _usage(found: dict[str, int]) -> str:
    return ", ".join(f"{rc}={amount}" for rc, amount in found.items())


def _resources_text(resources: dict[str, int]) -> str:
    return ",".join(f"{rc}:{amount}" for rc, amount in resources.items()) or "nothing"


def _allocations(found: dict[str, dict[str, int]]) -> str:
    return "; ".join(f"{host}={_resources_text(r)}" for host, r in found.items()) or "none"


def _consumer_text(server: str, consumer: str) -> str:
    return f"the migration of '{server}'" if consumer == "migration" else f"'{server}'"


def _value(value: str | None) -> str:
    return "absent" if value is None else f"'{value}'"


def _binding(found: dict[str, str | None]) -> str:
    return ", ".join(f"{key}={value or '-'}" for key, value in found.items())


def _records(records: list[tuple[str, str, str, str]]) -> str:
    return ", ".join(f"{t} {s} -> {d} {status}" for t, s, d, status in records) or "none"
