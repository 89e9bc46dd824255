"""CheckKeywords: assertions on the cluster's state. None of them moves time."""

from __future__ import annotations

from robot.api import logger
from robot.api.deco import keyword

from ..cluster.objects import MIGRATION_STATUSES
from ..errors import InvalidArgument
from ._base import LibraryComponent
from .arguments import check_at_least_zero


class CheckKeywords(LibraryComponent):
    @keyword("PCI Allocation On Host Should Be", tags=["Check"])
    def pci_allocation_on_host_should_be(
        self, server: str, host: str, expected: int, message: str | None = None
    ) -> None:
        """Fails unless ``server`` holds exactly ``expected`` PCI devices on ``host``.

        Counts the devices the database records as ``allocated`` to the
        server on that host, as ``PciDeviceList.get_by_instance_uuid`` does
        in Nova's regression test. Works for deleted servers too.

        | `PCI Allocation On Host Should Be` | vm1 | host2 | 1 |
        """
        check_at_least_zero("Argument 'expected'", expected)
        cluster = self.cluster
        cluster.check_host(host)
        found = cluster.pci_allocations(server).get(host, [])
        if len(found) != expected:
            raise AssertionError(
                message
                or (
                    f"Server '{server}' should hold {expected} PCI device(s) on '{host}' "
                    f"but holds {len(found)} at {cluster.clock}: {_addresses(found)}."
                )
            )
        logger.info(
            f"'{server}' holds {expected} PCI device(s) on '{host}' at {cluster.clock}: "
            f"{_addresses(found)}."
        )

    @keyword("PCI Allocations Should Be", tags=["Check"])
    def pci_allocations_should_be(
        self, server: str, *, message: str | None = None, **expected: str
    ) -> None:
        """Fails unless ``server``'s PCI allocations on every host are exactly ``expected``.

        ``expected`` names hosts; each value is a count (``1``) or a
        comma-separated list of PCI addresses (``0000:02:00.1``). Hosts not
        named must hold nothing for the server. The whole mapping is compared
        at once and every difference is listed.

        | `PCI Allocations Should Be` | vm1 | host1=1 | host2=1 |
        | `PCI Allocations Should Be` | vm1 | host2=0000:02:00.1 |
        | `PCI Allocations Should Be` | vm1 | | # holds nothing anywhere |
        """
        cluster = self.cluster
        found = cluster.pci_allocations(server)
        wanted = {
            cluster.check_host(host): _expected(host, value) for host, value in expected.items()
        }
        problems = []
        for host in cluster.in_host_order([*wanted, *found]):  # the others hold nothing
            want, have = wanted.get(host, 0), found.get(host, [])
            if isinstance(want, int) and len(have) != want:
                problems.append(
                    f"'{host}' should hold {want} but holds {len(have)} ({_addresses(have)})"
                )
            elif isinstance(want, list) and sorted(want) != have:
                problems.append(
                    f"'{host}' should hold {_addresses(sorted(want))} but holds {_addresses(have)}"
                )
        if problems:
            raise AssertionError(
                message
                or (
                    f"PCI allocations of '{server}' differ at {cluster.clock}: "
                    f"{'; '.join(problems)}."
                )
            )
        logger.info(f"PCI allocations of '{server}' at {cluster.clock}: {_mapping(found)}.")

    @keyword(tags=["Check"])
    def server_should_be_on_host(self, server: str, host: str, message: str | None = None) -> None:
        """Fails unless the database records ``server`` on ``host``.

        An empty ``host`` (``${EMPTY}``) expects the server on no host, as
        a shelved-offloaded one is.

        | `Server Should Be On Host` | vm1 | host2 |
        | `Server Should Be On Host` | vm1 | ${EMPTY} | # offloaded |
        """
        cluster = self.cluster
        wanted = cluster.check_host(host) if host else None
        found = cluster.server_host(server)
        where = f"on '{wanted}'" if wanted else "on no host"
        if found != wanted:
            raise AssertionError(
                message
                or (
                    f"Server '{server}' should be {where} but is on "
                    f"{repr(found) if found else 'no host'} at {cluster.clock}."
                )
            )
        logger.info(f"'{server}' is {where} at {cluster.clock}.")

    @keyword(tags=["Check"])
    def migration_status_should_be(
        self, server: str, expected: str, message: str | None = None
    ) -> None:
        """Fails unless the latest migration record of ``server`` has status ``expected``.

        Evacuation records go ``accepted`` → ``pre-migrating`` → ``done``,
        and ``completed`` once the source host has cleaned up; a failed
        evacuation ends ``failed`` (the destination gave up) or ``error``
        (no host was found). Live migration records go ``accepted`` →
        ``queued`` → ``preparing`` → ``running`` → ``completed``, or end
        ``error`` (the conductor refused) or ``failed`` (rolled back).
        """
        check_migration_status(expected)
        cluster = self.cluster
        records = cluster.migrations_of(server)
        found = records[-1]["status"] if records else None
        if found != expected:
            what = f"'{found}'" if found else "no migration record"
            raise AssertionError(
                message
                or (
                    f"Latest migration of '{server}' should be '{expected}' but is {what} "
                    f"at {cluster.clock}."
                )
            )
        latest = records[-1]
        logger.info(
            f"Migration {latest['id']} ({latest['type']} {latest['source']} -> "
            f"{latest['dest']}) of '{server}' is '{expected}' at {cluster.clock}."
        )

    @keyword(tags=["Check"])
    def server_fault_should_contain(
        self, server: str, expected: str, message: str | None = None
    ) -> None:
        """Fails unless ``server`` has a fault, why it went to ERROR or why its
        last move was refused (Nova's instance fault), and the fault contains
        ``expected``, as Nova's tests assert on ``server['fault']['message']``.

        | `Server Fault Should Contain` | vm1 | No valid host was found |
        """
        cluster = self.cluster
        fault = cluster.server_fault(server)
        if fault is None or expected not in fault:
            found = f"'{fault}'" if fault else "no fault"
            raise AssertionError(
                message
                or f"Fault of '{server}' should contain '{expected}' but is {found} "
                f"at {cluster.clock}."
            )
        logger.info(f"Fault of '{server}' at {cluster.clock}: {fault}")

    @keyword("Free PCI Devices On Host Should Be", tags=["Check"])
    def free_pci_devices_on_host_should_be(
        self, host: str, expected: int, message: str | None = None
    ) -> None:
        """Fails unless ``host`` has exactly ``expected`` PCI devices ``available``.

        Counts PFs and VFs alike, as the database rows show them; a claimed
        VF makes its PF unavailable and the other way round.
        """
        check_at_least_zero("Argument 'expected'", expected)
        cluster = self.cluster
        found = cluster.free_pci_devices(host)
        if len(found) != expected:
            raise AssertionError(
                message
                or (
                    f"Host '{host}' should have {expected} free PCI device(s) but has "
                    f"{len(found)} at {cluster.clock}: {_addresses(found)}."
                )
            )
        logger.info(f"'{host}' has {expected} free PCI device(s) at {cluster.clock}.")

    @keyword("PCI Device Counts On Host Should Be", tags=["Check"])
    def pci_device_counts_on_host_should_be(
        self, host: str, total: int, free: int, message: str | None = None
    ) -> None:
        """Fails unless ``host`` has ``total`` PCI device rows, ``free`` of
        them ``available``: Nova's ``assertPCIDeviceCounts`` in its PCI tests.

        | `PCI Device Counts On Host Should Be` | compute1 | total=2 | free=0 |
        """
        check_at_least_zero("Argument 'total'", total)
        check_at_least_zero("Argument 'free'", free)
        cluster = self.cluster
        rows, available = cluster.pci_devices_on(host), len(cluster.free_pci_devices(host))
        if (len(rows), available) != (total, free):
            raise AssertionError(
                message
                or (
                    f"Host '{host}' should have {total} PCI device(s), {free} free, but has "
                    f"{len(rows)}, {available} free at {cluster.clock}."
                )
            )
        logger.info(f"'{host}' has {total} PCI device(s), {free} free, at {cluster.clock}.")

    @keyword(tags=["Check"])
    def resource_accounting_should_be_consistent(
        self, host: str | None = None, message: str | None = None, *, usage: bool = True
    ) -> None:
        """Fails if PCI devices, placement, servers, migrations and usage disagree.

        Checks every host, or only ``host``: each live server holds one
        allocated device per PCI request on its host, and none on hosts no
        migration accounts for; no device is allocated to a deleted or
        unknown server; placement allocations match the hosts that account
        for the server (a move's migration holds its source while the move
        is under way); PF/VF states agree; each running compute's saved
        vCPU, RAM and disk usage equals what placement holds on it; and each
        running compute with NUMA cells has saved as pinned exactly the pCPUs
        of its servers (of a move in progress: the new side at the
        destination, the old at the source). Every violation is listed.

        ``usage=False`` leaves the last two comparisons out. An audit that runs
        while a move is between two of its steps can leave the tracker's
        count off until that host's next audit, in current Nova as well: a
        destination audit while an evacuation finishes misses the server's
        vCPU and RAM (see `What the audit frees`).

        | `Resource Accounting Should Be Consistent` |
        | `Resource Accounting Should Be Consistent` | host2 | usage=False |
        """
        cluster = self.cluster
        problems = cluster.check_invariants(host, usage=usage)
        scope = f"on '{host}'" if host else "in the cluster"
        if problems:
            listed = "\n".join(f"- {problem}" for problem in problems)
            raise AssertionError(
                message
                or (
                    f"Resource accounting {scope} is inconsistent at {cluster.clock} "
                    f"({len(problems)} violation(s)):\n{listed}"
                )
            )
        logger.info(f"Resource accounting {scope} is consistent at {cluster.clock}.")

    @keyword(tags=["Check"])
    def audit_failures_on_host_should_be(
        self, host: str, expected: int, message: str | None = None
    ) -> None:
        """Fails unless exactly ``expected`` resource audits of ``host`` ended in an error.

        An audit that raises ends where it raised, without saving the usage
        it recomputed, and Nova's periodic task logs the exception ("Error
        updating resources for node ...") and runs again at its next tick;
        the timeline shows the error. Counts since `Start Cluster`, periodic,
        start-up and the audit a live migration's source runs at its end.
        In current Nova no audit of the model fails; ``bugs=1849165``
        restores one that did. Reads the state now and never moves time.

        | `Audit Failures On Host Should Be` | host2 | 0 |
        """
        check_at_least_zero("Argument 'expected'", expected)
        cluster = self.cluster
        found = cluster.audit_failures(host)
        if len(found) != expected:
            raise AssertionError(
                message
                or (
                    f"Audits of '{host}' should have failed {expected} time(s) but failed "
                    f"{len(found)} time(s) at {cluster.clock}: {'; '.join(found) or 'none'}."
                )
            )
        logger.info(f"Audits of '{host}' failed {expected} time(s) by {cluster.clock}.")

    @keyword(tags=["Query"])
    def get_audit_failures(self, host: str) -> list[str]:
        """Returns the errors that ended audits of ``host``, oldest first.

        | ${errors} = | `Get Audit Failures` | host2 |
        | Length Should Be | ${errors} | 1 |
        """
        found = self.cluster.audit_failures(host)
        logger.info(f"Audit failures of '{host}' at {self.clock}: {'; '.join(found) or 'none'}.")
        return found

    @keyword("Get PCI Allocations", tags=["Query"])
    def get_pci_allocations(self, server: str) -> dict[str, list[str]]:
        """Returns ``server``'s allocated PCI devices: host → sorted addresses.

        Hosts where it holds nothing are left out. Works for deleted servers.

        | ${allocations} = | `Get PCI Allocations` | vm1 |
        | Should Be Equal | ${allocations}[host2] | ${{['0000:02:00.1']}} |
        """
        found = self.cluster.pci_allocations(server)
        logger.info(f"PCI allocations of '{server}' at {self.clock}: {_mapping(found)}.")
        return found

    @keyword("Get Spawned PCI Devices", tags=["Query"])
    def get_spawned_pci_devices(self, server: str) -> dict[str, list[str]]:
        """Returns the PCI devices ``server``'s instance object named when the
        hypervisor of its host spawned it: host → sorted addresses.

        This is Nova's in-memory ``instance.pci_devices`` as the compute hands
        it to its driver (the list Nova's ``PCIResourceRequestReschedulingTest``
        counts), not the database: after a build rescheduled before the fix
        of bug 1860555 it still names the device freed on the first host. A
        server no hypervisor spawned on its host gives an empty dictionary.

        | ${spawned} = | `Get Spawned PCI Devices` | vm1 |
        | Should Be Equal | ${spawned} | ${{ {'host2': ['0000:02:00.1']} }} |
        """
        found = self.cluster.spawned_pci_devices(server)
        logger.info(f"'{server}' was spawned with PCI devices {_mapping(found)} at {self.clock}.")
        return found


def _expected(host: str, value: str) -> int | list[str]:
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    # PCI addresses are hexadecimal: 0000:02:00.A is 0000:02:00.a.
    addresses = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not addresses or not all(_looks_like_address(a) for a in addresses):
        raise InvalidArgument(
            f"Expected value for '{host}' must be a count or a comma-separated list of "
            f"PCI addresses like 0000:02:00.1, got '{value}'."
        )
    return addresses


def check_migration_status(status: str) -> None:
    """Refuses a status no migration record of Nova ever has."""
    if status not in MIGRATION_STATUSES:
        raise InvalidArgument(
            f"No migration status '{status}'. Valid statuses: {', '.join(MIGRATION_STATUSES)}."
        )


def _looks_like_address(text: str) -> bool:
    parts = text.replace(".", ":").split(":")
    return len(parts) == 4 and all(
        part and all(c in "0123456789abcdefABCDEF" for c in part) for part in parts
    )


def _addresses(addresses: list[str]) -> str:
    return ", ".join(addresses) or "none"


def _mapping(found: dict[str, list[str]]) -> str:
    return "; ".join(f"{host}: {_addresses(a)}" for host, a in found.items()) or "none"
