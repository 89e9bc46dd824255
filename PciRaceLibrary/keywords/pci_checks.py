"""PciCheckKeywords: the devices a server holds and a host's PCI pools, as
Nova's PCI functional tests check them. None of them moves time."""

from __future__ import annotations

from robot.api import logger
from robot.api.deco import keyword

from ..errors import InvalidArgument
from ._base import LibraryComponent

# The fields of one expected device, in the order they are written.
DEVICE_FIELDS = ("host", "address", "type", "parent", "numa_node", "request")
ANY = "*"


def _device_row(text: str) -> dict[str, str]:
    fields = text.split()
    if len(fields) != len(DEVICE_FIELDS):
        raise InvalidArgument(
            f"Expected device '{text}' must have {len(DEVICE_FIELDS)} fields separated by "
            f"spaces: {' '.join(DEVICE_FIELDS)} ('*' for any, '-' for no parent), "
            f"got {len(fields)}."
        )
    return dict(zip(DEVICE_FIELDS, fields, strict=True))


def _shown_device(row: dict[str, str]) -> str:
    return " ".join(row[name] for name in DEVICE_FIELDS)


def _matches(want: dict[str, str], have: dict[str, str]) -> bool:
    return all(value == ANY or have[key].lower() == value.lower() for key, value in want.items())


def _pool_row(text: str) -> tuple[str, str, int, dict[str, str]]:
    """``dev_type address count [key=value ...]`` as its parts."""
    fields = text.split()
    if len(fields) < 3 or not fields[2].isdigit():
        raise InvalidArgument(
            f"Expected pool '{text}' must be 'dev_type address count', then any "
            "'key=value' pool keys, such as 'type-VF 0000:81:00.0 2 physical_network=physnet1'."
        )
    keys = {}
    for field in fields[3:]:
        key, equals, value = field.partition("=")
        if not equals or not key:
            raise InvalidArgument(
                f"Expected pool '{text}': '{field}' must be a pool key and value, as "
                "'physical_network=physnet1'."
            )
        keys[key] = value
    return fields[0], fields[1], int(fields[2]), keys


def _is_pool(pool: dict[str, str], dev_type: str, address: str, keys: dict[str, str]) -> bool:
    return (
        pool["dev_type"] == dev_type
        and pool["address"] == address.lower()
        and all(pool.get(key, "").lower() == value.lower() for key, value in keys.items())
    )


def _shown_pool(pool: dict[str, str]) -> str:
    return f"{pool['dev_type']} {pool['address']} {pool['count']}"


class PciCheckKeywords(LibraryComponent):
    @keyword("PCI Devices Of Server Should Be", tags=["Check"])
    def pci_devices_of_server_should_be(
        self, server: str, *expected: str, message: str | None = None
    ) -> None:
        """Fails unless ``server`` holds exactly the ``expected`` PCI devices.

        Each expected device is one argument of six fields separated by
        single spaces: host, address, device type, parent address (``-`` for
        none), NUMA node and what asked for it: ``alias:<name>`` for a
        flavor alias, ``port:<name>`` for a port (a server's own port is
        named by its id). ``*`` matches any value of a field. Devices held
        are those the database records claimed or allocated to the server,
        on any host (both hosts during a move); each expected device must
        match a different one and none may be left over. No ``expected``:
        the server holds nothing. The failure lists expected and found.

        | `PCI Devices Of Server Should Be` | vm1 | host1 0000:83:00.0 type-PCI - 0 alias:a-gpu |
        | `PCI Devices Of Server Should Be` | vm2 | host2 * vdpa 0000:85:00.0 * port:p3 |
        | `PCI Devices Of Server Should Be` | vm3 | | # holds nothing |
        """
        cluster = self.cluster
        wanted = [_device_row(text) for text in expected if text]
        found = cluster.pci_devices_of(server)
        left = list(found)
        missing = []
        for want in wanted:
            hit = next((have for have in left if _matches(want, have)), None)
            if hit is None:
                missing.append(want)
            else:
                left.remove(hit)
        if missing or left:
            shown = "; ".join(_shown_device(row) for row in wanted) or "none"
            held = "; ".join(f"{_shown_device(row)} ({row['status']})" for row in found)
            raise AssertionError(
                message
                or (
                    f"Server '{server}' should hold PCI devices {shown} but holds "
                    f"{held or 'none'} at {cluster.clock}."
                )
            )
        logger.info(f"'{server}' holds {len(found)} PCI device(s) as expected at {cluster.clock}.")

    @keyword("PCI Pools On Host Should Be", tags=["Check"])
    def pci_pools_on_host_should_be(
        self, host: str, *expected: str, message: str | None = None
    ) -> None:
        """Fails unless ``host``'s PCI pools are exactly ``expected``, with their free counts.

        Each expected pool is one argument: device type, pool address and
        count of free devices, separated by spaces, then any ``key=value``
        pool keys to compare too (``physical_network=physnet1``,
        ``remote_managed=true``, ``trusted=true``, ``numa_node=1``,
        ``product_id=1515``). A pool's address is a standalone device's or
        PF's own, and a VF's parent PF's: the VFs of one PF that share their
        tags make one pool, as Nova's pools and its PCI placement providers
        group them. Pools are read from the device rows the host's compute
        saved (free devices only; a pool with none left is gone, as in Nova).
        No ``expected``: no free device at all.

        | `PCI Pools On Host Should Be` | host1 | type-PF 0000:81:00.0 1 | type-VF 0000:81:00.0 0 |
        | `PCI Pools On Host Should Be` | host1 | type-VF 0000:82:00.0 2 trusted=true |
        """
        cluster = self.cluster
        wanted = [_pool_row(text) for text in expected if text]
        pools = cluster.pci_pools(host)
        left = list(pools)
        problems = []
        for dev_type, address, count, keys in wanted:
            hit = next((pool for pool in left if _is_pool(pool, dev_type, address, keys)), None)
            if hit is None:
                if count:
                    problems.append(f"no pool {dev_type} {address} with {_keys(keys)}")
                continue
            left.remove(hit)
            if int(hit["count"]) != count:
                problems.append(f"pool {dev_type} {address} has {hit['count']}, not {count}")
        problems += [f"unexpected pool {_shown_pool(pool)}" for pool in left]
        if problems:
            found = "; ".join(_shown_pool(pool) for pool in pools) or "none"
            raise AssertionError(
                message
                or (
                    f"PCI pools of '{host}' differ at {cluster.clock}: {'; '.join(problems)}; "
                    f"pools: {found}."
                )
            )
        logger.info(f"'{host}' has {len(pools)} PCI pool(s) as expected at {cluster.clock}.")

    @keyword("Get PCI Devices Of Server", tags=["Query"])
    def get_pci_devices_of_server(self, server: str) -> list[dict[str, str]]:
        """Returns the PCI devices ``server`` holds, one dictionary each.

        Keys: ``host``, ``address``, ``type``, ``parent``, ``numa_node``,
        ``status`` and ``request`` (see `PCI Devices Of Server Should Be`),
        sorted by host and address.

        | ${devices} = | `Get PCI Devices Of Server` | vm1 |
        | Length Should Be | ${devices} | 3 |
        """
        return self.cluster.pci_devices_of(server)

    @keyword("Get PCI Pools", tags=["Query"])
    def get_pci_pools(self, host: str) -> list[dict[str, str]]:
        """Returns ``host``'s PCI pools: each pool's keys and its ``count``.

        | ${pools} = | `Get PCI Pools` | host1 |
        """
        return self.cluster.pci_pools(host)


def _keys(keys: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in keys.items()) or "no other keys"
