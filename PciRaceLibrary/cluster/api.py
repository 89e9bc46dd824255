"""Nova's API: what it refuses at once, what it writes before answering, and
what runs after it answered.

The preconditions Nova declares with ``@check_instance_state`` are data on the
operation records (``operations.py``); the ``check_*`` functions here are the
further refusals of one action, raising ``ApiRefused`` or ``UnknownName`` with
one sentence and changing nothing. The ``accept_*`` functions are the writes
the API makes before its 202: nothing can run between them, so they pass no
point. The ``async`` functions are what runs after the answer: the cast to the
conductor and everything downstream, in one task.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import ApiRefused, UnknownName
from ..sim import Change, point
from . import api_version
from .exception import (
    InstanceNotFound,
    InterfaceAttachFailed,
    MessagingTimeout,
    PciRequestAliasNotDefined,
    PortInUse,
)
from .hardware import PCI_NUMA_POLICIES, numa_get_constraints, pci_numa_policy_constraint
from .network import pci_request_for_port, unbind_ports
from .objects import (
    DELETED,
    DELETING,
    MIGRATING,
    POWERING_OFF,
    POWERING_ON,
    REBUILDING,
    RESIZE_PREP,
    RESIZE_REVERTING,
    RESIZED,
    RESUMING,
    SHELVED_OFFLOADED,
    SHELVING,
    SHELVING_OFFLOADING,
    STOPPED,
    SUSPENDING,
    UNSHELVING,
    Flavor,
    Instance,
    Migration,
    Port,
)
from .pci_request import get_pci_requests_from_flavor
from .services import Services

MAX_NAME = 255


def check_host(services: Services, host: str) -> str:
    """Raises UnknownName unless ``host`` is a compute host of the cluster."""
    known = services.context.db.services
    if host not in known:
        raise UnknownName(f"No host '{shown(host)}'. Known hosts: {', '.join(known)}.")
    return host


def shown(name: str) -> str:
    """A name as a sentence can show it: unprintable characters escaped."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in name)


def check_server_name(name: str) -> None:
    """Nova's API schema for a server name: 1 to 255 printable characters,
    no leading or trailing blank (400 Bad Request otherwise)."""
    if not name or len(name) > MAX_NAME or not name.isprintable() or name != name.strip():
        raise ApiRefused(
            f"Cannot create a server named '{shown(name[:40])}': Nova's API takes 1 to {MAX_NAME} "
            "printable characters without leading or trailing blanks (400)."
        )


# -- create -----------------------------------------------------------------------------


def check_create(
    services: Services,
    name: str,
    host: str | None = None,
    *,
    network: str | None = None,
    vnic_type: str = "direct",
    flavor: str | None = None,
    ports: tuple[str, ...] = (),
    image: str | None = None,
) -> None:
    """Refuses what ``POST /servers`` refuses: a taken name, an unknown host,
    flavor, image or network, a flavor and image whose NUMA or PCI NUMA
    settings conflict, a flavor alias ``[pci]alias`` does not define, an
    unknown port or one in use (in Nova's order: the flavor, image and PCI
    requests before the compute API asks neutron about the networks)."""
    db = services.context.db
    check_server_name(name)
    uuid = db.names.get(name)
    if uuid is not None and not db.instances[uuid].deleted:
        raise ApiRefused(
            f"Cannot create '{name}': a server with that name exists; Nova would allow "
            "it, but this library names servers uniquely."
        )
    if host is not None:
        check_host(services, host)
    topology = services.context.topology
    spec = topology.flavor if flavor is None else topology.flavor_named(flavor)
    image_ = topology.image if image is None else topology.image_named(image)
    flavor_ = Flavor.from_spec(spec)
    numa_get_constraints(flavor_, image_)
    policy = pci_numa_policy_constraint(flavor_, image_)
    _check_aliases(services, name, flavor_, policy)
    if ports:
        _check_ports(services, name, ports)
        return
    network = network or topology.sriov_network
    if network not in db.networks:
        raise UnknownName(
            f"No network '{network}'. Known networks: {', '.join(sorted(db.networks))}."
        )


def _check_aliases(services: Services, name: str, flavor: Flavor, policy: str | None) -> None:
    """``get_pci_requests_from_flavor`` at the API: an unknown alias is a 400."""
    try:
        get_pci_requests_from_flavor(flavor, services.context.topology.pci_aliases, str, policy)
    except PciRequestAliasNotDefined as exc:
        raise ApiRefused(f"Cannot use flavor '{flavor.name}' for '{name}': {exc} (400).") from None


def _check_ports(services: Services, name: str, ports: tuple[str, ...]) -> None:
    """Neutron's answers for the ports a boot names: unknown (404), in use (409)."""
    db = services.context.db
    for index, port_name in enumerate(ports):
        port_id = db.port_names.get(port_name)
        if port_id is None:
            raise _no_port(services, port_name)
        if port_name in ports[:index]:
            raise ApiRefused(f"Cannot create '{name}': port '{port_name}' is listed twice (400).")
        owner = db.instances.get(db.ports[port_id].device_id or "")
        if owner is not None and not owner.deleted:
            raise ApiRefused(
                f"Cannot create '{name}': port '{port_name}' is in use by server "
                f"'{owner.name}' (409)."
            )


def accept_create(
    services: Services,
    name: str,
    host: str | None = None,
    *,
    network: str | None = None,
    vnic_type: str = "direct",
    flavor: str | None = None,
    ports: tuple[str, ...] = (),
    image: str | None = None,
) -> Instance:
    """``POST /servers`` records the server and its ports before answering, so
    it is listed at once; returns the instance the build works on, with its
    own copy of ``flavor`` (the topology's default flavor if None) and its
    ``image`` (the default image if None). Its PCI requests are the flavor's
    alias requests, then one per SR-IOV port, as Nova's compute API and
    ``create_resource_requests`` make them, with the flavor's or image's PCI
    NUMA affinity policy where the alias or port sets none. Without
    ``ports`` the server gets one new port on ``network``."""
    context = services.context
    db = context.db
    topology = context.topology
    spec = topology.flavor if flavor is None else topology.flavor_named(flavor)
    image_ = topology.image if image is None else topology.image_named(image)
    instance_uuid = context.new_uuid("instance", name)
    flavor_ = Flavor.from_spec(spec)
    policy = pci_numa_policy_constraint(flavor_, image_)
    requests = get_pci_requests_from_flavor(
        flavor_, topology.pci_aliases, lambda: context.new_uuid("request", name), policy
    )
    if ports:
        chosen = [db.ports[db.port_names[port_name]].clone() for port_name in ports]
    else:
        network = network or context.topology.sriov_network
        chosen = [Port(id=context.new_uuid("port", name), network=network, vnic_type=vnic_type)]
    for port in chosen:
        port.device_id = instance_uuid
        request = pci_request_for_port(
            port, db.networks[port.network], context.new_uuid("request", name), policy
        )
        if request is not None:
            requests.append(request)
    instance = Instance(
        uuid=instance_uuid,
        name=name,
        flavor=flavor_,
        pci_requests=requests,
        ports=[port.id for port in chosen],
        numa_topology=numa_get_constraints(flavor_, image_),
        image_meta=image_,
    )
    for port in chosen:
        db.ports[port.id] = port
    db.instances[instance.uuid] = instance.clone()
    db.names[name] = instance.uuid
    context.changed(Change("Instance", name, new="created"))
    return instance


def create_port(
    services: Services,
    name: str,
    network: str | None = None,
    vnic_type: str = "normal",
    *,
    numa_affinity_policy: str | None = None,
    trusted: bool | None = None,
) -> Port:
    """Neutron's ``POST /ports``: a port no server uses yet, named ``name``.

    Raises ApiRefused for a taken name or an unknown NUMA affinity policy,
    UnknownName for an unknown network."""
    context = services.context
    db = context.db
    if not name or not name.isprintable() or name != name.strip() or len(name) > MAX_NAME:
        raise ApiRefused(
            f"Cannot create a port named '{shown(name[:40])}': neutron takes 1 to {MAX_NAME} "
            "printable characters without leading or trailing blanks here (400)."
        )
    if name in db.port_names:
        raise ApiRefused(f"Cannot create port '{name}': a port with that name exists.")
    network = network or context.topology.sriov_network
    if network not in db.networks:
        raise UnknownName(
            f"No network '{network}'. Known networks: {', '.join(sorted(db.networks))}."
        )
    if numa_affinity_policy is not None and numa_affinity_policy not in PCI_NUMA_POLICIES:
        raise ApiRefused(
            f"Cannot create port '{name}': NUMA affinity policy '{shown(numa_affinity_policy)}' "
            f"is not one of {', '.join(PCI_NUMA_POLICIES)} (400)."
        )
    port = Port(
        id=context.new_uuid("port", name), network=network, vnic_type=vnic_type,
        numa_affinity_policy=numa_affinity_policy, name=name, trusted=trusted,
    )  # fmt: skip
    db.ports[port.id] = port
    db.port_names[name] = port.id
    context.changed(Change("Port", name, new="created"))
    return port


async def create_server(
    services: Services, instance: Instance, host: str | None = None, **_: object
) -> None:
    """After ``POST /servers``: schedule and build."""
    await services.compute_task_api.build_instances(instance, host)


# -- evacuate and rebuild ----------------------------------------------------------------


def check_evacuate(
    services: Services,
    instance: Instance,
    target_host: str | None = None,
    force: bool = False,
    microversion: str | None = None,
) -> None:
    """Refuses what ``POST /servers/{id}/action {evacuate}`` refuses beyond the
    instance state: a bad microversion, ``force`` where the microversion has
    none or without a host, an unknown or own host as target, a source still up."""
    context = services.context
    version = _version(services, microversion)
    if force:
        _check_force("evacuation", instance, version, api_version.EVACUATE_FORCE, target_host)
    if target_host is not None:
        check_host(services, target_host)
        if target_host == instance.host:
            raise ApiRefused(
                f"Cannot evacuate '{instance.name}' to '{target_host}': it is its own host (400)."
            )
    assert instance.host is not None  # launched, so placed
    if context.service_is_up(instance.host):
        service = context.db.services[instance.host]
        why = "" if service.running else " (stopped, but not yet reported down)"
        raise ApiRefused(
            f"Cannot evacuate '{instance.name}': compute service on "
            f"'{instance.host}' is up{why}; stop and force it down first (400)."
        )


def accept_evacuate(
    services: Services, instance: Instance, target_host: str | None = None, **_: object
) -> None:
    """Task ``rebuilding`` and the migration ``accepted`` (the tombstone the
    source uses later)."""
    db = services.context.db
    _accept_task(services, instance, REBUILDING)
    uuid = f"{instance.uuid}-evacuation-{len(db.migrations) + 1}"
    db.write_new_migration(
        Migration.of(instance, uuid, "evacuation", "accepted", dest_compute=target_host)
    )


async def evacuate(
    services: Services,
    instance: Instance,
    target_host: str | None = None,
    force: bool = False,
    microversion: str | None = None,
) -> None:
    """After the API accepted the evacuation: the cast to the conductor. From
    microversion 2.95 the evacuated server ends stopped."""
    version = _version(services, microversion)
    stops = version >= api_version.EVACUATE_STOPS
    await services.compute_task_api.rebuild_instance(
        instance,
        evacuate=True,
        requested_host=target_host,
        force=force,
        target_state=STOPPED if stops else None,
    )


def _check_force(
    move: str,
    instance: Instance,
    version: tuple[int, int],
    window: tuple[tuple[int, int], tuple[int, int]],
    target_host: str | None,
) -> None:
    """``force`` skips the scheduler: only within its microversions, and only
    with a host to claim (400 otherwise)."""
    low, high = window
    if not low <= version <= high:
        raise ApiRefused(
            f"Cannot force the {move} of '{instance.name}' at microversion "
            f"{api_version.show(version)}: 'force' exists from {api_version.show(low)} "
            f"to {api_version.show(high)} (400)."
        )
    if target_host is None:
        raise ApiRefused(
            f"Cannot force the {move} of '{instance.name}' to no host; give target_host (400)."
        )


def _accept_task(services: Services, instance: Instance, task_state: str) -> None:
    """The task state the API sets, and writes, before it answers 202."""
    instance.task_state = task_state
    services.context.db.write_instance(instance, "task_state")


def _version(services: Services, microversion: str | None) -> tuple[int, int]:
    """The request's microversion: the one given, else the cluster's."""
    if microversion is None:
        return services.context.microversion
    return api_version.parse(microversion)


# -- stop and start -------------------------------------------------------------------


def accept_stop(services: Services, instance: Instance) -> None:
    """The API sets task ``powering-off`` before it answers."""
    _accept_task(services, instance, POWERING_OFF)


async def stop(services: Services, instance: Instance) -> None:
    assert instance.host is not None  # launched, so placed
    await services.compute_rpcapi.stop_instance(instance.host, instance)


def accept_start(services: Services, instance: Instance) -> None:
    """The API sets task ``powering-on`` before it answers."""
    _accept_task(services, instance, POWERING_ON)


async def start(services: Services, instance: Instance) -> None:
    assert instance.host is not None
    await services.compute_rpcapi.start_instance(instance.host, instance)


# -- suspend and resume ---------------------------------------------------------------


def accept_suspend(services: Services, instance: Instance) -> None:
    """The API sets task ``suspending`` before it answers (``API.suspend``)."""
    _accept_task(services, instance, SUSPENDING)


async def suspend(services: Services, instance: Instance) -> None:
    assert instance.host is not None
    await services.compute_rpcapi.suspend_instance(instance.host, instance)


def accept_resume(services: Services, instance: Instance) -> None:
    """The API sets task ``resuming`` before it answers (``API.resume``)."""
    _accept_task(services, instance, RESUMING)


async def resume(services: Services, instance: Instance) -> None:
    assert instance.host is not None
    await services.compute_rpcapi.resume_instance(instance.host, instance)


def check_rebuild(services: Services, instance: Instance, image: str | None = None) -> None:
    """Refuses an unknown image, one that conflicts with the server's flavor,
    and one that would change the guest NUMA topology the flavor and image ask
    for: the rebuild claim does nothing, so the usage may not change (Nova's
    ``_validate_numa_rebuild``; like Nova it ignores the PCI NUMA policy)."""
    if image is None:
        return
    new = services.context.topology.image_named(image)
    if new == instance.image_meta:
        return  # Nova validates only a new image_ref
    old_constraints = numa_get_constraints(instance.flavor, instance.image_meta)
    if numa_get_constraints(instance.flavor, new) != old_constraints:
        raise ApiRefused(
            f"Cannot rebuild '{instance.name}' with image '{new.name}': an instance's NUMA "
            f"topology cannot be changed as part of a rebuild, and image '{new.name}' with "
            f"flavor '{instance.flavor.name}' asks for another than image "
            f"'{instance.image_meta.name}' did (400)."
        )


def accept_rebuild(services: Services, instance: Instance, image: str | None = None) -> None:
    """The API records the new image (Nova resets the ``image_*`` system
    metadata) and sets task ``rebuilding`` before it answers."""
    if image is not None:
        instance.image_meta = services.context.topology.image_named(image)
        services.context.db.write_instance(instance, "image_meta")
    _accept_task(services, instance, REBUILDING)


async def rebuild(services: Services, instance: Instance, **_: object) -> None:
    """A rebuild on the server's own host: no claim, no migration."""
    await services.compute_task_api.rebuild_instance(instance, evacuate=False, requested_host=None)


# -- live migration -------------------------------------------------------------------


def check_live_migrate(
    services: Services,
    instance: Instance,
    target_host: str | None = None,
    force: bool = False,
    microversion: str | None = None,
) -> None:
    """Refuses what ``POST /servers/{id}/action {os-migrateLive}`` refuses
    beyond the instance state: ``force`` where the microversion has none or
    without a host, an unknown host (ComputeHostNotFound, 400). Everything
    else (the own host, a host or source down) the conductor refuses after
    the API answered, as from microversion 2.34. A server with a NUMA
    topology is let through: its destination makes a move claim for it."""
    version = _version(services, microversion)
    if force:
        window = api_version.LIVE_MIGRATE_FORCE
        _check_force("live migration", instance, version, window, target_host)
    if target_host is not None:
        check_host(services, target_host)


def accept_live_migrate(services: Services, instance: Instance, **_: object) -> None:
    """The API sets task ``migrating`` before it answers; the conductor makes
    the migration record."""
    _accept_task(services, instance, MIGRATING)


async def live_migrate(
    services: Services,
    instance: Instance,
    target_host: str | None = None,
    force: bool = False,
    microversion: str | None = None,
) -> None:
    """The cast to the conductor: a forced host as the destination, else the
    host as the scheduler's requested destination."""
    await services.compute_task_api.live_migrate_instance(
        instance,
        target_host if force else None,
        requested_host=None if force else target_host,
    )


# -- shelve, shelve offload and unshelve -----------------------------------------------


def accept_shelve(services: Services, instance: Instance, offload: bool = True) -> None:
    """The API sets task ``shelving`` before it answers (Nova also asks the
    image service for the snapshot's image here; not modelled)."""
    _accept_task(services, instance, SHELVING)


async def shelve(services: Services, instance: Instance, offload: bool = True) -> None:
    """The cast to the server's compute; ``offload`` stands for that compute's
    ``[DEFAULT]shelved_offload_time``: 0 (Nova's default) offloads at once."""
    assert instance.host is not None  # launched and not offloaded, so placed
    await services.compute_rpcapi.shelve_instance(instance.host, instance, offload=offload)


def accept_shelve_offload(services: Services, instance: Instance) -> None:
    """The API sets task ``shelving_offloading`` before it answers."""
    _accept_task(services, instance, SHELVING_OFFLOADING)


async def shelve_offload(services: Services, instance: Instance) -> None:
    assert instance.host is not None  # shelved, so still on its host
    await services.compute_rpcapi.shelve_offload_instance(instance.host, instance)


def check_unshelve(
    services: Services,
    instance: Instance,
    host: str | None = None,
    microversion: str | None = None,
) -> None:
    """Refuses what ``POST /servers/{id}/action {unshelve}`` refuses beyond the
    instance state: a bad microversion; a ``host`` before microversion 2.91,
    for a server that is not offloaded, or that does not exist."""
    version = _version(services, microversion)
    if host is None:
        return
    if version < api_version.UNSHELVE_HOST:
        raise ApiRefused(
            f"Cannot unshelve '{instance.name}' to a host at microversion "
            f"{api_version.show(version)}: 'host' exists from "
            f"{api_version.show(api_version.UNSHELVE_HOST)} (400)."
        )
    if instance.vm_state != SHELVED_OFFLOADED:
        raise ApiRefused(
            f"Cannot unshelve '{instance.name}' to '{shown(host)}': it is "
            f"{instance.vm_state}, and only a shelved_offloaded server is scheduled "
            "again (409)."
        )
    check_host(services, host)


def accept_unshelve(
    services: Services, instance: Instance, host: str | None = None, **_: object
) -> None:
    """The API sets task ``unshelving`` before it answers."""
    _accept_task(services, instance, UNSHELVING)


async def unshelve(
    services: Services,
    instance: Instance,
    host: str | None = None,
    microversion: str | None = None,
) -> None:
    """The cast to the conductor, with ``host`` as the requested destination."""
    await services.compute_task_api.unshelve_instance(instance, host)


# -- interface attach and detach ---------------------------------------------------


def port_id_of(services: Services, port: str) -> str:
    """The id of the port named ``port`` (a server's own port: its id).
    Raises UnknownName listing the named ports, as neutron's show_port 404s."""
    db = services.context.db
    port_id = db.port_names.get(port)
    if port_id is None and port in db.ports:
        port_id = port
    if port_id is None:
        raise _no_port(services, port)
    return port_id


def _no_port(services: Services, port: str) -> UnknownName:
    known = ", ".join(sorted(services.context.db.port_names)) or "none"
    return UnknownName(f"No port '{shown(port)}'. Known ports: {known}.")


def check_interface_port(services: Services, instance: Instance, port: str) -> None:
    """Refuses a name no port has, as neutron's show_port 404s; nothing more.
    An attach (``POST /servers/{id}/os-interface``) leaves the port's being
    free to neutron, asked on the compute after the PCI claim; a detach
    (``DELETE .../os-interface/{port}``) casts without asking neutron, and a
    port that is not the server's is the compute's PortNotFound, logged
    after the 202."""
    port_id_of(services, port)


async def attach_interface(services: Services, instance: Instance, port: str) -> None:
    """The call to the server's compute; the API answers when it returns:
    the interface, or the compute's error (logged here)."""
    assert instance.host is not None  # launched, so placed
    try:
        await services.compute_rpcapi.attach_interface(
            instance.host, instance, port_id_of(services, port)
        )
    except InterfaceAttachFailed as exc:
        services.context.note(f"attach of '{port}' refused (400/500): {exc}")
    except PortInUse as exc:
        services.context.note(f"attach of '{port}' refused (409): {exc}")
    except MessagingTimeout as exc:
        services.context.note(f"attach of '{port}' got no answer (500): {exc}")
    except InstanceNotFound as exc:
        services.context.note(f"attach of '{port}' stopped: {exc}")


async def detach_interface(services: Services, instance: Instance, port: str) -> None:
    """The cast to the server's compute."""
    assert instance.host is not None
    await services.compute_rpcapi.detach_interface(
        instance.host, instance, port_id_of(services, port)
    )


# -- delete -------------------------------------------------------------------------------


def accept_delete(services: Services, instance: Instance) -> None:
    """The API sets task ``deleting`` before it answers."""
    _accept_task(services, instance, DELETING)


async def delete(services: Services, instance: Instance) -> None:
    """Delete on the server's host, or a local delete in the API when that
    host's compute service is down (its PCI rows stay until it starts)."""
    try:
        await _delete(services, instance)
    except InstanceNotFound as exc:
        # Another delete got there first: Nova answers 404 or the compute logs
        # "instance disappeared"; either way there is nothing left to do.
        services.context.note(f"delete stopped: {exc}")


async def _delete(services: Services, instance: Instance) -> None:
    context = services.context
    db, host = context.db, instance.host
    if instance.vm_state == RESIZED:
        await _confirm_resize_on_deleting(services, instance)
    if host is not None and context.service_is_up(host) and db.services[host].running:
        await services.compute_rpcapi.terminate_instance(host, instance)
        return
    await point("API._local_delete")
    if host is not None:
        await unbind_ports(db, instance)
    instance.vm_state, instance.task_state = DELETED, None
    await db.instance_save(instance, "vm_state", "task_state")
    await context.placement.delete_consumer(instance.uuid)
    await db.instance_destroy(instance)


async def _confirm_resize_on_deleting(services: Services, instance: Instance) -> None:
    """Nova's delete of a server awaiting its resize confirmation first
    confirms it on the source, as a call, so that the source guest, its
    usage and the migration's allocation go too. (Nova makes the call
    before it answers the delete; here it runs just after.)"""
    migration = next(
        (
            row.clone()
            for row in reversed(services.context.db.migrations.of_instance(instance.uuid))
            if row.status in ("finished", "confirming") and not row.deleted
        ),
        None,
    )
    if migration is None:
        return  # confirmed meanwhile
    try:
        await services.compute_rpcapi.confirm_resize(
            migration.source_compute, instance, migration, cast=False
        )
    except MessagingTimeout as exc:  # a down source: the delete goes on
        services.context.note(f"confirm on delete failed: {exc}")


# -- cold migration and resize ---------------------------------------------------------


class Move(NamedTuple):
    """What a confirm or revert works on: the server and its finished migration."""

    instance: Instance
    migration: Migration


def check_migrate(
    services: Services,
    instance: Instance,
    host: str | None = None,
    microversion: str | None = None,
) -> None:
    """Refuses what ``POST /servers/{id}/action {migrate}`` refuses beyond the
    state: a host before microversion 2.56, an unknown host or the server's
    own, and a source whose compute service is down."""
    if host is not None:
        version = _version(services, microversion)
        if version < api_version.MIGRATE_HOST:
            raise ApiRefused(
                f"Cannot migrate '{instance.name}' to a named host at microversion "
                f"{api_version.show(version)}: 'host' exists from "
                f"{api_version.show(api_version.MIGRATE_HOST)} (400)."
            )
        check_host(services, host)
        if host == instance.host:
            raise ApiRefused(
                f"Cannot migrate '{instance.name}' to '{host}': it is its own host (400)."
            )
    _refuse_source_down(services, instance, "migrate")


def check_resize(services: Services, instance: Instance, flavor: str) -> None:
    """Refuses an unknown flavor, the server's own flavor, and a source whose
    compute service is down."""
    new = services.context.topology.flavor_named(flavor)
    numa_get_constraints(Flavor.from_spec(new), instance.image_meta)
    if new.name == instance.flavor.name:
        raise ApiRefused(
            f"Cannot resize '{instance.name}' to {flavor}: it already has that flavor; "
            "use 'Migrate Server' to move it with its flavor (400)."
        )
    _refuse_source_down(services, instance, "resize")
    # The new flavor's alias requests are made at the API, as Nova's resize does.
    flavor_ = Flavor.from_spec(new)
    _check_aliases(services, instance.name, flavor_, None)


def _refuse_source_down(services: Services, instance: Instance, verb: str) -> None:
    """``@check_instance_host(check_is_up=True)``."""
    assert instance.host is not None  # launched, so placed
    if not services.context.service_is_up(instance.host):
        raise ApiRefused(
            f"Cannot {verb} '{instance.name}': the compute service on '{instance.host}' "
            "is down (409)."
        )


def accept_move(services: Services, instance: Instance, **_: object) -> None:
    """The API sets task ``resize_prep`` before it answers."""
    _accept_task(services, instance, RESIZE_PREP)


async def migrate(
    services: Services, instance: Instance, host: str | None = None, **_: object
) -> None:
    """After the API accepted a cold migration: the conductor's migrate task
    with the server's own flavor."""
    await services.compute_task_api.migrate_server(instance, instance.flavor, requested_host=host)


async def resize(services: Services, instance: Instance, flavor: str) -> None:
    """After the API accepted a resize: the conductor's migrate task with the new flavor."""
    new = Flavor.from_spec(services.context.topology.flavor_named(flavor))
    await services.compute_task_api.migrate_server(instance, new)


def _finished_migration(services: Services, instance: Instance, verb: str) -> Migration:
    for row in reversed(services.context.db.migrations.of_instance(instance.uuid)):
        if row.status == "finished" and not row.deleted:
            return row.clone()
    raise ApiRefused(
        f"Cannot {verb} '{instance.name}': it has no finished migration to {verb} (404)."
    )


def check_confirm(services: Services, instance: Instance) -> None:
    migration = _finished_migration(services, instance, "confirm the resize of")
    if not services.context.service_is_up(migration.source_compute):
        raise ApiRefused(
            f"Cannot confirm the resize of '{instance.name}': the compute service on "
            f"its source '{migration.source_compute}' is down (409)."
        )


def accept_confirm(services: Services, instance: Instance) -> Move:
    """The migration ``confirming`` before the API answers."""
    migration = _finished_migration(services, instance, "confirm the resize of")
    migration.status = "confirming"
    services.context.db.write_migration(migration)
    return Move(instance, migration)


async def confirm_resize(services: Services, move: Move) -> None:
    await services.compute_rpcapi.confirm_resize(
        move.migration.source_compute, move.instance, move.migration
    )


def check_revert(services: Services, instance: Instance) -> None:
    _finished_migration(services, instance, "revert the resize of")


def accept_revert(services: Services, instance: Instance) -> Move:
    """Task ``resize_reverting`` and the migration ``reverting`` before the API answers."""
    migration = _finished_migration(services, instance, "revert the resize of")
    _accept_task(services, instance, RESIZE_REVERTING)
    migration.status = "reverting"
    services.context.db.write_migration(migration)
    return Move(instance, migration)


async def revert_resize(services: Services, move: Move) -> None:
    assert move.migration.dest_compute is not None
    await services.compute_rpcapi.revert_resize(
        move.migration.dest_compute, move.instance, move.migration
    )
