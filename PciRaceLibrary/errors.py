"""Errors of PciRaceLibrary. Imports nothing, so every layer may raise them.

All derive from :class:`PciRaceError` and carry ``ROBOT_SUPPRESS_NAME`` so that
Robot Framework shows the sentence alone, not the class name. Failed checks
raise plain ``AssertionError`` instead.
"""


class PciRaceError(RuntimeError):
    """Base of every error this library raises on purpose."""

    ROBOT_SUPPRESS_NAME = True


class UnknownName(PciRaceError):  # noqa: N818 - reads as the sentence it carries
    """A host, server, point, bug or operation that does not exist."""


class TopologyError(PciRaceError):
    """A topology file or mapping that cannot describe a cluster."""


class ApiRefused(PciRaceError):  # noqa: N818
    """An operation Nova's API (or an operator command) would refuse."""


class InvalidArgument(PciRaceError, ValueError):  # noqa: N818
    """A keyword argument outside what the keyword accepts."""


class NoCluster(PciRaceError):  # noqa: N818
    """A keyword that needs a cluster ran before ``Start Cluster``."""


class Deadlock(PciRaceError):  # noqa: N818
    """Every task is blocked and nothing left can wake one."""


class RunawayError(PciRaceError):
    """The kernel spent longer than its wall-clock guard allows."""


class TaskCrashed(PciRaceError):  # noqa: N818
    """A task raised an exception the model did not handle: a model defect."""


class ReplayError(PciRaceError):
    """A schedule or replay token that does not fit the scenario."""
