"""The accounting invariants of nova-model section 8, checked on the database.

Each violation is one sentence naming the server, host and device. The checks
read state only; they never move time. Some hold only after an audit (a device
freed by delete before the host's next audit is reported as leaked), which is
what a QA engineer wants to see.
"""

from __future__ import annotations

from collections import defaultdict

from .context import Context
from .objects import (
    ACTIVE,
    ALLOCATED,
    BUILDING,
    CLAIMED,
    SHELVED,
    SHELVED_OFFLOADED,
    SPAWNING,
    STOPPED,
    SUSPENDED,
    UNSHELVING,
    Instance,
    PciDevice,
)


def check_invariants(context: Context, host: str | None = None, *, usage: bool = True) -> list[str]:
    """Every violation on ``host`` (or on every host), in a stable order.

    ``usage=False`` leaves out the comparison of the trackers' vCPU, RAM and
    disk with placement: an audit that races a move can leave a tracker's
    count off until its next audit, in current Nova too (see the docs).
    """
    hosts = [host] if host else sorted(context.db.services)
    problems: list[str] = []
    for name in hosts:
        problems += _owners_belong_here(context, name)
        problems += _parent_and_child_not_both_used(context, name)
        problems += _offloaded_servers_have_no_host(context, name)
    problems += _running_servers_hold_their_devices(context, hosts)
    problems += _no_device_bound_twice(context, hosts)
    problems += _placement_matches_hosts(context, hosts)
    if usage:
        problems += _usage_matches_placement(context, hosts)
        problems += _pinning_matches_servers(context, hosts)
    return problems


def _devices(context: Context, host: str) -> list[PciDevice]:
    node = context.db.compute_nodes[host]
    return context.db.stored_pci_devices(node.id)  # read only


def _offloaded(row: Instance | None) -> bool:
    """A shelved-offloaded server no unshelve is working on: it should hold
    no device, no placement allocation and have no host."""
    return (
        row is not None
        and not row.deleted
        and row.vm_state == SHELVED_OFFLOADED
        and row.task_state is None
    )


def _scheduled(row: Instance) -> bool:
    """A build, or an unshelve of an offloaded server, that the scheduler may
    have allocated before any compute claimed it."""
    return row.vm_state == BUILDING or (
        row.vm_state == SHELVED_OFFLOADED and row.task_state in (UNSHELVING, SPAWNING)
    )


def _offloaded_servers_have_no_host(context: Context, host: str) -> list[str]:
    """An offloaded server is on no host (its devices and allocation are
    checked with everyone's, below)."""
    return [
        f"Server '{row.name}' is shelved_offloaded but still has host '{host}'."
        for row in context.db.peek_instances_on(host)
        if _offloaded(row)
    ]


def _owners_belong_here(context: Context, host: str) -> list[str]:
    """1. A used device's owner is on this host, moving through it, or was
    evacuated away from it while it is down."""
    db, problems = context.db, []
    for device in _devices(context, host):
        if device.status not in (CLAIMED, ALLOCATED) or device.instance_uuid is None:
            continue
        owner = db.instances.get(device.instance_uuid)
        migrations = db.peek_migrations_of(device.instance_uuid)
        if _offloaded(owner):
            problems.append(
                f"PCI device {device.address} on '{host}' is {device.status} to "
                f"'{context.label(device.instance_uuid)}', which is shelved_offloaded "
                "and should hold no device."
            )
            continue
        if owner is not None and not owner.deleted and owner.host == host:
            continue
        if any(not m.deleted and m.in_progress and m.touches(host) for m in migrations):
            continue
        if not db.services[host].running and any(
            m.migration_type == "evacuation" and m.source_compute == host for m in migrations
        ):
            continue  # freed when the source starts again (nova-model 5.1)
        if owner is None or owner.deleted:
            where = "deleted"
        else:
            where = f"on '{owner.host}'" if owner.host else "on no host"
        problems.append(
            f"PCI device {device.address} on '{host}' is {device.status} to "
            f"'{context.label(device.instance_uuid)}', which is {where} and not "
            f"moving through '{host}'."
        )
    return problems


def _parent_and_child_not_both_used(context: Context, host: str) -> list[str]:
    """4. A PF and one of its VFs are never both claimed or allocated."""
    devices = _devices(context, host)
    used = {d.address for d in devices if d.status in (CLAIMED, ALLOCATED)}
    return [
        f"PF {d.parent_addr} and its VF {d.address} on '{host}' are both in use."
        for d in devices
        if d.parent_addr and d.address in used and d.parent_addr in used
    ]


def _running_servers_hold_their_devices(context: Context, hosts: list[str]) -> list[str]:
    """2. A running, stopped, suspended or shelved (not offloaded) server
    holds, on its host, ``count`` allocated devices per PCI request (one per
    SR-IOV port, as many as a flavor alias asks), with the request's id and
    no others, and each port's pci_slot names its own device."""
    db, problems = context.db, []
    rows = [row for host in hosts for row in db.peek_instances_on(host)]
    # By name, then creation (a name is reused after a delete), as the table sorts.
    for row in sorted(rows, key=lambda row: (row.name, db.instances.created[row.uuid])):
        if (
            row.deleted
            # A stopped or suspended guest keeps its devices, and so does a
            # shelved one until it is offloaded.
            or row.vm_state not in (ACTIVE, STOPPED, SUSPENDED, SHELVED)
            or row.task_state is not None
            or row.migration_context is not None
        ):
            continue
        node_id = db.compute_nodes[row.host].id
        held = [
            d for d in db.peek_pci_devices_of_instance(row.uuid)
            if d.compute_node_id == node_id and d.status == ALLOCATED
        ]  # fmt: skip
        asked = {request.request_id for request in row.pci_requests}
        stray = [d.address for d in held if d.request_id not in asked]
        if stray:
            problems.append(
                f"Server '{row.name}' on '{row.host}' holds PCI device(s) {', '.join(stray)} "
                "that none of its PCI requests asked for."
            )
        for request in row.pci_requests:
            mine = [d for d in held if d.request_id == request.request_id]
            if len(mine) != request.count:
                found = ", ".join(d.address for d in mine) or "none"
                what = f"alias '{request.alias_name}'" if request.alias_name else "its port"
                problems.append(
                    f"Server '{row.name}' on '{row.host}' should hold {request.count} "
                    f"allocated PCI device(s) for {what} but holds {len(mine)}: {found}."
                )
                continue
            port = db.ports.get(request.requester_id or "")
            slot = port.binding_profile.get("pci_slot") if port else None
            if port is not None and slot not in {d.address for d in mine}:
                problems.append(
                    f"Port of server '{row.name}' is bound to PCI slot {slot} but the "
                    f"server holds {', '.join(d.address for d in mine)} on '{row.host}'."
                )
    return problems


def _no_device_bound_twice(context: Context, hosts: list[str]) -> list[str]:
    """3. No device is referenced by two servers' port bindings."""
    bound: dict[tuple[str, str], list[str]] = defaultdict(list)
    for host in hosts:
        for port in context.db.peek_ports_bound_to(host):
            slot = port.binding_profile.get("pci_slot")
            if slot:
                bound[(host, slot)].append(context.label(port.device_id))
    return [
        f"PCI device {slot} on '{host}' is bound to the ports of {' and '.join(sorted(owners))}."
        for (host, slot), owners in sorted(bound.items())
        if len(owners) > 1
    ]


def _placement_matches_hosts(context: Context, hosts: list[str]) -> list[str]:
    """Placement: a consumer's provider is its host's, a move's, or an
    evacuation source that is still down; deleted and offloaded servers hold
    nothing; a migration holds its source only while it is in progress. A
    server still building, or being unshelved, holds the scheduler's
    allocation before any host claimed it."""
    db, placement, problems = context.db, context.placement, []
    by_uuid = {db.compute_nodes[host].uuid: host for host in hosts}
    consumers = {c for rp_uuid in by_uuid for c in placement.consumers_of(rp_uuid)}
    for consumer in sorted(consumers):
        if consumer in db.migrations.by_uuid:
            problems += _migration_holds_its_source(context, consumer, by_uuid)
            continue
        row = db.instances.get(consumer)
        migrations = db.peek_migrations_of(consumer)
        for rp_uuid in sorted(placement.allocations[consumer]):
            host = by_uuid.get(rp_uuid)
            if host is None:
                continue  # another host's: not checked here
            if row is not None and row.host is None and _scheduled(row):
                continue  # scheduled, not yet claimed: placement comes first
            if _offloaded(row):
                problems.append(
                    f"Placement holds an allocation on '{host}' for server "
                    f"'{context.label(consumer)}', which is shelved_offloaded."
                )
            elif row is None or row.deleted:
                problems.append(
                    f"Placement holds an allocation on '{host}' for deleted server "
                    f"'{context.label(consumer)}'."
                )
            elif row.host != host and not any(
                m.touches(host) and (m.in_progress or not db.services[host].running)
                for m in migrations
            ):
                where = f"on '{row.host}'" if row.host else "on no host"
                problems.append(
                    f"Placement holds an allocation on '{host}' for server '{row.name}', "
                    f"which is {where}."
                )
    return problems


def _migration_holds_its_source(
    context: Context, consumer: str, by_uuid: dict[str, str]
) -> list[str]:
    """A move's migration holds the source's part while the move is under way."""
    db, placement = context.db, context.placement
    migration = db.migrations[db.migrations.by_uuid[consumer]]
    problems = []
    for rp_uuid in sorted(placement.allocations[consumer]):
        host = by_uuid.get(rp_uuid)
        if host is None or (migration.in_progress and host == migration.source_compute):
            continue
        problems.append(
            f"Placement holds an allocation on '{host}' for {context.label(consumer)}, "
            f"which is {migration.status}{'' if migration.in_progress else ' and over'}."
        )
    return problems


def _usage_matches_placement(context: Context, hosts: list[str]) -> list[str]:
    """5. A running compute's saved vCPU, RAM and disk usage is what placement
    holds on its provider: every server there, and every move through it
    (a build or unshelve no compute has claimed yet is placement's alone).
    The tracker counts every instance's vCPUs in ``vcpus_used``, pinned or
    not (Nova's ``ResourceTracker._update_usage``), while placement holds a
    pinned one's as PCPU: the tracker's vCPUs are placement's VCPU and PCPU
    together."""
    db, placement, problems = context.db, context.placement, []
    for host in hosts:
        if not db.services[host].running:
            continue  # a stopped compute's usage is as it left it
        node = db.compute_nodes[host]
        tracked = {"VCPU": node.vcpus_used, "MEMORY_MB": node.memory_mb_used,
                   "DISK_GB": node.local_gb_used}  # fmt: skip
        held = dict(placement.used(node.uuid))
        for consumer in placement.consumers_of(node.uuid):
            row = db.instances.get(consumer)
            if row is not None and row.host is None and _scheduled(row):
                # The scheduler's allocation of a build no compute has claimed yet.
                for rc, amount in placement.allocations[consumer][node.uuid].items():
                    held[rc] = held.get(rc, 0) - amount
        held["VCPU"] = held.get("VCPU", 0) + held.pop("PCPU", 0)
        pinned = "PCPU" in placement.providers[node.uuid].inventory
        names = {"VCPU": "VCPU+PCPU" if pinned else "VCPU"}
        differ = [
            f"{names.get(rc, rc)} {tracked[rc]} != {held[rc]}"
            for rc in tracked
            if tracked[rc] != held[rc]
        ]
        if differ:
            problems.append(
                f"The resource tracker of '{host}' counts other usage than placement holds "
                f"on it ({', '.join(differ)})."
            )
    return problems


def _pinning_matches_servers(context: Context, hosts: list[str]) -> list[str]:
    """6. A running compute with NUMA cells has saved as pinned exactly the
    pCPUs of the topologies it counts: each server on it, except that a move
    in progress counts its migration context there, the new side at the
    destination and the old side at the source (both on one host)."""
    db, problems = context.db, []
    if all(db.compute_nodes[host].numa_topology is None for host in hosts):
        return []
    moving: dict[str, list[tuple[str, str]]] = defaultdict(list)  # uuid -> (host, side)
    for migration in db.migrations.values():
        if migration.in_progress and not migration.deleted:
            if migration.dest_compute:
                moving[migration.instance_uuid].append((migration.dest_compute, "new"))
            moving[migration.instance_uuid].append((migration.source_compute, "old"))
    for host in hosts:
        node = db.compute_nodes[host]
        if node.numa_topology is None or not db.services[host].running:
            continue
        saved = sorted(cpu for cell in node.numa_topology.cells for cpu in cell.pinned_cpus)
        expected: list[int] = []
        for row in db.instances.values():
            if row.deleted or _offloaded(row):
                continue
            context_ = row.migration_context
            sides = [side for where, side in moving.get(row.uuid, []) if where == host]
            if context_ is not None and sides:
                for side in sorted(set(sides)):
                    topology = (
                        context_.new_numa_topology if side == "new" else context_.old_numa_topology
                    )
                    expected += topology.pinned if topology else []
            elif row.host == host and row.numa_topology is not None:
                expected += row.numa_topology.pinned
        if saved != sorted(expected):
            problems.append(
                f"The resource tracker of '{host}' saved pCPUs {saved or 'none'} as pinned, "
                f"but its servers and moves pin {sorted(expected) or 'none'}."
            )
    return problems
