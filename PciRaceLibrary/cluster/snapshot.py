"""The cluster's state as plain tables (lists of string dicts) for reports.

Each table reads its rows once through the database's indexes, so a snapshot
costs servers plus devices, not servers times devices."""

from __future__ import annotations

from .context import Context


def snapshot(context: Context) -> dict[str, list[dict[str, str]]]:
    """Hosts, servers, migrations, PCI devices and placement, now."""
    db, placement = context.db, context.placement
    hosts = []
    for host, node in sorted(db.compute_nodes.items()):
        service = db.services[host]
        free = sum(d.status == "available" for d in db.peek_pci_devices(node.id))
        hosts.append({
            "host": host,
            "service": "up" if context.service_is_up(host) else "down",
            "process": "running" if service.running else "stopped",
            "forced down": "yes" if service.forced_down else "no",
            "vCPU used": f"{node.vcpus_used}/{node.vcpus}",
            "free PCI": str(free),
        })  # fmt: skip
    servers = []
    for uuid, row in sorted(db.instances.items(), key=lambda item: item[1].name):
        held = sorted(
            f"{d.host} {d.address}" for d in db.peek_pci_devices_of_instance(uuid)
            if d.status == "allocated"
        )  # fmt: skip
        servers.append({
            "server": row.name,
            "vm_state": "deleted" if row.deleted else row.vm_state,
            "task_state": row.task_state or "-",
            "host": row.host or "-",
            "migration context": "yes" if row.migration_context else "no",
            "allocated PCI": ", ".join(held) or "none",
            "placement": ", ".join(placement.providers_of(uuid)) or "none",
        })  # fmt: skip
    migrations = [
        {"id": str(m.id), "server": context.label(m.instance_uuid), "type": m.migration_type,
         "status": m.status, "source": m.source_compute, "dest": m.dest_compute or "-",
         "deleted": "yes" if m.deleted else "no"}
        for m in sorted(db.migrations.values(), key=lambda m: m.id)
    ]  # fmt: skip
    devices = [
        {"host": d.host, "address": d.address, "type": d.dev_type, "physnet": d.physnet or "-",
         "status": d.status, "owner": context.label(d.instance_uuid) if d.instance_uuid else "-"}
        for _, d in sorted(db.pci_devices.items())
    ]  # fmt: skip
    return {"Hosts": hosts, "Servers": servers, "Migrations": migrations, "PCI devices": devices}
