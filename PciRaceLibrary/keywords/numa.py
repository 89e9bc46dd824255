"""NUMAKeywords: where a server's NUMA topology places it, and a host's pinned CPUs.

Nova's NUMA tests read ``instance.numa_topology`` (the host cell of each
guest cell, ``cpu_pinning``) and the compute node's NUMA usage. These checks
read the same state now and never move time.
"""

from __future__ import annotations

from robot.api import logger
from robot.api.deco import keyword

from ..errors import InvalidArgument
from ._base import LibraryComponent

NONE = "none"


def _numbers(value: str, what: str) -> list[int]:
    """``0, 1`` or ``0,1`` as numbers; ``none`` (or empty) as no number."""
    text = value.strip()
    if text.lower() in ("", NONE):
        return []
    numbers = []
    for item in text.split(","):
        part = item.strip()
        if not part.isdigit():
            raise InvalidArgument(
                f"Argument '{what}' must be whole numbers separated by commas, as in 0,1, "
                "or 'none'; "
                f"got '{value}'."
            )
        numbers.append(int(part))
    return numbers


def _shown(numbers: list[int]) -> str:
    return ",".join(map(str, numbers)) or NONE


class NUMAKeywords(LibraryComponent):
    @keyword("NUMA Placement Of Server Should Be", tags=["Check"])
    def numa_placement_of_server_should_be(
        self,
        server: str,
        cells: str,
        pinned: str | None = None,
        host: str | None = None,
        message: str | None = None,
    ) -> None:
        """Fails unless ``server``'s NUMA topology sits on host NUMA ``cells``.

        | =Argument= | =Description= |
        | ``cells`` | The host cell of each guest cell, in guest cell order, comma separated (``0`` or ``1,0``); ``none`` for a server without a NUMA topology or not on a host. |
        | ``pinned`` | The host pCPUs the server's dedicated vCPUs are pinned to, sorted (``6,7``); ``none`` for no pinning. Not checked when omitted. |
        | ``host`` | The host the server should be on. Not checked when omitted. |
        | ``message`` | Replaces the default failure message. |

        This is the topology the server's last claim fitted (and a finished
        move applied), as Nova saves it in ``instance.numa_topology``. Reads
        the state now and never moves time. See `NUMA Usage On Host Should Be`
        for the host's side.

        | `NUMA Placement Of Server Should Be` | vm1 | cells=0 |
        | `NUMA Placement Of Server Should Be` | vm2 | cells=1 | pinned=6,7 | host=host1 |
        | `NUMA Placement Of Server Should Be` | vm3 | cells=none |
        """  # noqa: E501
        want_cells = _numbers(cells, "cells")
        want_pinned = None if pinned is None else _numbers(pinned, "pinned")
        cluster = self.cluster
        found = cluster.numa_placement(server)
        if host is not None:
            cluster.check_host(host)
        differences = []
        if found["cells"] != want_cells:
            differences.append(f"cells {_shown(want_cells)} but is on {_shown(found['cells'])}")
        if want_pinned is not None and found["pinned"] != want_pinned:
            differences.append(
                f"pinned to {_shown(want_pinned)} but is pinned to {_shown(found['pinned'])}"
            )
        if host is not None and found["host"] != host:
            differences.append(f"on host '{host}' but is on '{found['host'] or NONE}'")
        if differences:
            raise AssertionError(
                message
                or f"Server '{server}' should be on NUMA {'; and '.join(differences)} "
                f"at {cluster.clock}."
            )
        logger.info(
            f"Server '{server}' is on host '{found['host']}' NUMA cells "
            f"{_shown(found['cells'])}, pinned to {_shown(found['pinned'])}, at {cluster.clock}."
        )

    @keyword("NUMA Usage On Host Should Be", tags=["Check"])
    def numa_usage_on_host_should_be(
        self, host: str, pinned: str, message: str | None = None
    ) -> None:
        """Fails unless the pCPUs ``host``'s resource tracker last saved as
        pinned are ``pinned``.

        ``pinned`` lists them sorted and comma separated (``0,1``), or
        ``none``. This is the host's NUMA usage as the tracker last saved it
        on the compute node (by its last claim or audit; an audit that fails
        saves nothing). A host without NUMA cells fails this check. Reads the
        state now and never moves time; ``message`` replaces the default
        failure message.

        | `NUMA Usage On Host Should Be` | host2 | pinned=0 |
        | `NUMA Usage On Host Should Be` | host1 | pinned=none |
        """
        wanted = _numbers(pinned, "pinned")
        cluster = self.cluster
        found = cluster.pinned_cpus(host)
        if found is None:
            raise AssertionError(
                message or f"Host '{host}' should have pinned CPUs {_shown(wanted)} but reports "
                "no NUMA topology."
            )  # fmt: skip
        if found != wanted:
            raise AssertionError(
                message or f"Host '{host}' should have pinned CPUs {_shown(wanted)} but has "
                f"{_shown(found)} at {cluster.clock}."
            )  # fmt: skip
        logger.info(f"Host '{host}' has pinned CPUs {_shown(found)} at {cluster.clock}.")

    @keyword("Get NUMA Placement", tags=["Query"])
    def get_numa_placement(self, server: str) -> dict[str, object]:
        """Returns where ``server``'s NUMA topology places it: ``host``, the
        host ``cells`` of its guest cells and the host pCPUs it is ``pinned``
        to (lists of numbers, empty without a NUMA topology).

        | ${placement} = | `Get NUMA Placement` | vm1 |
        | Should Be Equal | ${placement}[cells] | ${{[0]}} |
        """
        found = self.cluster.numa_placement(server)
        logger.info(f"NUMA placement of '{server}' at {self.clock}: {found}.")
        return found
