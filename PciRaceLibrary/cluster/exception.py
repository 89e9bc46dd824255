"""Nova's exceptions, in one module as in ``nova/exception.py``.

These are raised and handled inside the model, where Nova raises and handles
them; none reaches a suite as the message of a failing keyword. What a suite
sees is in ``PciRaceLibrary.errors``.
"""

from __future__ import annotations


class NovaException(Exception):  # noqa: N818 - Nova's names, not ours
    """Base of the exceptions the model raises where Nova would."""


class InstanceNotFound(NovaException):
    """The instance row was deleted under a task that still works on it."""


class UnexpectedTaskStateError(NovaException):
    """A save expected the row in one of some task states, and another task
    changed it meanwhile (the source's start-up erroring a rebuild, say)."""


class UnexpectedDeletingTaskStateError(InstanceNotFound):
    """A save expected a task state, but a delete set ``deleting`` meanwhile;
    handled wherever the instance disappearing is."""


class ComputeResourcesUnavailable(NovaException):
    """A claim's fit test failed on this host."""


class InstanceExists(NovaException):
    """The hypervisor already runs the guest an evacuation would build."""


class NoValidHost(NovaException):
    """No host passed the filters, or placement refused every claim."""


class AllocationConflict(NovaException):
    """Placement answered 409 with a consumer generation conflict (Nova raises
    AllocationUpdateFailed for it): nobody retries, the request fails."""


class PciDeviceInvalidStatus(NovaException):
    """A device transition its status does not allow."""


class RescheduledException(NovaException):
    """A build failed on its compute in a way Nova retries on an alternate
    host: the claim refused, or the hypervisor failed the spawn."""


class MaxRetriesExceeded(NovaException):
    """The conductor has no alternate host left for a rescheduled build."""


class InjectedFault(NovaException):
    """A failure injected at a point (a driver call that raises, say); named
    for what it is, not after a Nova exception."""


class ComputeServiceUnavailable(NovaException):
    """The conductor found a compute service down that a move needs up."""


class UnableToMigrateToSelf(NovaException):
    """A forced live migration named the server's own host."""


class MigrationPreCheckError(NovaException):
    """A live migration's checks refused this destination: the conductor
    gives back that host's allocation and tries the next one."""


class PciDeviceRequestFailed(NovaException):
    """The PCI tracker could not take devices for the requests: the pools no
    longer fit them (a claim outside the move claim, as for ports in a live
    migration)."""


class MessagingTimeout(NovaException):
    """An RPC call got no answer within ``rpc_response_timeout``: nothing
    consumes the callee's queue (its compute service is stopped)."""


class MissingMigrationContext(NovaException):
    """Before the fix of bug 1849165 the audit read the migration context of
    every migration it tracks; a live migration's instance has none, and
    Nova raised TypeError there."""


class PciRequestAliasNotDefined(NovaException):
    """A flavor's ``pci_passthrough:alias`` names an alias ``[pci]alias``
    does not define: the API answers 400."""


class CPUPinningInvalid(NovaException):
    """The host cell's pCPUs to pin are pinned already: the audit counted an
    instance with a pinning that does not hold on this host (bug 1953359)."""


class CPUUnpinningInvalid(NovaException):
    """The host cell's pCPUs to unpin are not pinned: a drop of a claim the
    tracker never counted (bug 1953359)."""


class PortInUse(NovaException):
    """Neutron's port already has a ``device_id``: ``allocate_for_instance``
    refuses to bind it to another server (the API answers 409)."""


class PortNotFound(NovaException):
    """The port to detach is not among the server's interfaces (the
    compute's ``_detach_interface``; the API had already answered 202)."""


class InterfaceAttachFailed(NovaException):
    """``attach_interface`` on the compute failed: the PCI claim was refused
    (Nova's ``InterfaceAttachPciClaimFailed``, 400) or the driver's attach
    raised (``InterfaceAttachFailed``, 500)."""


class InterfaceDetachFailed(NovaException):
    """``detach_interface`` on the compute failed: the driver's detach raised,
    or the port's PCI request has no device on the instance."""
