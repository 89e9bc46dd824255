"""Interface attach and detach of SR-IOV ports through the cluster's Python
API: the claim, binding and allocation of ``ComputeManager.attach_interface``,
the release of ``detach_interface``, what Nova's API refuses, what the compute
refuses and what each refusal leaves, and a port attached later carried by
audits and moves as a boot-time port is."""

from __future__ import annotations

from pathlib import Path

import pytest

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.topology import load_topology
from PciRaceLibrary.errors import ApiRefused, UnknownName

TOPOLOGIES = Path(__file__).resolve().parents[2] / "acceptance" / "topologies"

# The default topology: host1 and host2 each with VFs 0000:01:00.1
# (physnet1), 0000:02:00.1 and 0000:03:00.1 (physnet2) under their PFs.
PORT_VF = "0000:03:00.1"  # the one left on physnet2 once vm1's boot port took 02:00.1


def with_port(*, vnic_type: str = "direct", **kwargs: object) -> Cluster:
    """vm1 booted on host1 with its own direct port (VF 0000:02:00.1), and
    port p1 made but attached to nothing."""
    cluster = Cluster(**kwargs)  # type: ignore[arg-type]
    assert cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.create_port("p1", "network_2", vnic_type)
    return cluster


def attached(**kwargs: object) -> Cluster:
    cluster = with_port(**kwargs)
    assert cluster.run_task(cluster.start("attach_interface", "vm1", port="p1"))
    return cluster


def port(cluster: Cluster, name: str = "p1") -> dict[str, str | None]:
    return cluster.port_binding_of(name)


def request_of(cluster: Cluster, name: str = "p1", server: str = "vm1") -> list[str]:
    port_id = cluster.db.port_names[name]
    return [
        r.request_id for r in cluster.instance(server).pci_requests if r.requester_id == port_id
    ]


def devices(cluster: Cluster, server: str = "vm1") -> list[tuple[str, str, str, str]]:
    return [
        (d["host"], d["address"], d["status"], d["request"]) for d in cluster.pci_devices_of(server)
    ]


# -- attach and detach ----------------------------------------------------------------


def test_attach_claims_allocates_and_binds_a_vf() -> None:
    cluster = attached()
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1", PORT_VF]}
    assert port(cluster) == {
        "device": "vm1",
        "host": "host1",
        "pci_slot": PORT_VF,
        "pci_vendor_info": "fake-vendor_id:fake-product_id",
        "physical_network": "physnet2",
    }
    # The port's request, made on the compute as create_resource_requests
    # makes it, is saved with the instance and pairs the device.
    (request_id,) = request_of(cluster)
    row = next(d for d in cluster.db.peek_pci_devices_of_instance(cluster.instance("vm1").uuid)
               if d.address == PORT_VF)  # fmt: skip
    assert row.request_id == request_id
    assert ("host1", PORT_VF, "allocated", "port:p1") in devices(cluster)
    assert "p1" in cluster.port_bindings("vm1")
    assert cluster.check_invariants() == []


def test_the_attach_passes_its_points_in_the_declared_order() -> None:
    cluster = with_port()
    task = cluster.start("attach_interface", "vm1", port="p1")
    assert cluster.run_task(task)
    passed = [e.detail for e in cluster.kernel.journal if e.task == task.name and e.kind == "point"]
    assert passed == [
        "ComputeAPI.attach_interface",
        "ResourceTracker.claim_pci_devices",
        "PciDevice.claim",
        "PciDevTracker.save",
        "NeutronAPI.update_port",
        "ComputeDriver.attach_interface",
        "ResourceTracker.allocate_pci_devices_for_instance",
        "PciDevice.allocate",
        "PciDevTracker.save",
        "Instance.save",
    ]


def test_an_audit_after_the_attach_keeps_the_device() -> None:
    cluster = attached()
    for host in ("host1", "host2"):
        assert cluster.run_task(cluster.update_available_resource(host))
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1", PORT_VF]}
    assert cluster.check_invariants() == []


def test_a_normal_port_is_bound_without_a_device() -> None:
    cluster = with_port(vnic_type="normal")
    assert cluster.run_task(cluster.start("attach_interface", "vm1", port="p1"))
    assert port(cluster) == {"device": "vm1", "host": "host1"}
    assert request_of(cluster) == []
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"]}


def test_detach_frees_the_device_unbinds_the_port_and_drops_the_request() -> None:
    cluster = attached()
    assert cluster.run_task(cluster.start("detach_interface", "vm1", port="p1"))
    assert port(cluster) == {"device": None, "host": None}
    assert request_of(cluster) == []
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"]}
    assert PORT_VF in cluster.free_pci_devices("host1")
    assert "0000:03:00.0" in cluster.free_pci_devices("host1")  # its PF with it
    assert "p1" not in cluster.port_bindings("vm1")
    assert cluster.check_invariants() == []
    # Free again: the port attaches to another server.
    assert cluster.run_task(cluster.create_server("web1", "host1", vnic_type="normal"))
    assert cluster.run_task(cluster.start("attach_interface", "web1", port="p1"))
    assert port(cluster)["device"] == "web1"


def test_a_boot_time_port_detaches_too() -> None:
    cluster = with_port()
    own = cluster.instance("vm1").ports[0]
    assert cluster.run_task(cluster.start("detach_interface", "vm1", port=own))
    assert cluster.pci_allocations("vm1") == {}
    assert cluster.instance("vm1").pci_requests == []
    assert cluster.check_invariants() == []


# -- what the API refuses: one sentence, nothing changed --------------------------------


def refused(cluster: Cluster, operation: str, server: str, port: str) -> str:
    before = (cluster.snapshot(), cluster.now, len(cluster.kernel.tasks),
              cluster.kernel.journal.text())  # fmt: skip
    with pytest.raises((ApiRefused, UnknownName)) as error:
        cluster.start(operation, server, port=port)
    after = (cluster.snapshot(), cluster.now, len(cluster.kernel.tasks),
             cluster.kernel.journal.text())  # fmt: skip
    assert after == before
    return str(error.value)


def test_the_api_refuses_an_unknown_port_or_server() -> None:
    cluster = with_port()
    for operation in ("attach_interface", "detach_interface"):
        assert refused(cluster, operation, "vm1", "p9") == "No port 'p9'. Known ports: p1."
        assert refused(cluster, operation, "vm9", "p1") == "No server 'vm9'. Known servers: vm1."


def test_the_api_refuses_a_server_state_nova_refuses() -> None:
    cluster = with_port()
    assert cluster.run_task(cluster.start("shelve", "vm1"))
    assert refused(cluster, "attach_interface", "vm1", "p1") == (
        "Cannot attach an interface to 'vm1': it is shelved_offloaded; only active, paused, "
        "stopped servers can be (409)."
    )
    assert refused(cluster, "detach_interface", "vm1", "p1") == (
        "Cannot detach an interface from 'vm1': it is shelved_offloaded; only active, paused, "
        "stopped servers can be (409)."
    )


def test_the_api_refuses_while_another_task_runs() -> None:
    cluster = with_port()
    stop = cluster.start("stop_server", "vm1", delays={"ComputeDriver.power_off": 1.0})
    assert refused(cluster, "attach_interface", "vm1", "p1") == (
        "Cannot attach an interface to 'vm1' while it is in task state powering-off; "
        "wait for that operation to finish (409)."
    )
    assert cluster.run_task(stop)


def test_a_stopped_server_takes_an_interface() -> None:
    cluster = with_port()
    assert cluster.run_task(cluster.start("stop_server", "vm1"))
    assert cluster.run_task(cluster.start("attach_interface", "vm1", port="p1"))
    assert port(cluster)["pci_slot"] == PORT_VF


# -- what the compute refuses, after the API let the call through -------------------------


def test_no_free_device_fails_the_attach_and_leaves_the_port_unattached() -> None:
    """_claim_pci_device_for_interface_attach: PciDeviceRequestFailed becomes
    InterfaceAttachPciClaimFailed (400) before neutron is asked: nothing
    claimed, the port untouched, the request not added; the fault recorded."""
    cluster = attached()
    cluster.create_port("p2", "network_2", "direct")
    free = cluster.free_pci_devices("host1")
    assert cluster.run_task(cluster.start("attach_interface", "vm1", port="p2"))
    assert port(cluster, "p2") == {"device": None, "host": None}
    assert request_of(cluster, "p2") == []
    assert cluster.free_pci_devices("host1") == free
    assert "Failed to claim PCI device for vm1 during interface attach" in (
        cluster.server_fault("vm1") or ""
    )
    assert cluster.server_status("vm1") == "ACTIVE"
    assert cluster.check_invariants() == []


@pytest.mark.parametrize("policy", ["required", "preferred"])
def test_the_ports_numa_policy_decides_the_claim(policy: str) -> None:
    """The port's NUMA policy goes into its request and the claim is made on
    the guest's fitted cells (claim_pci_devices with instance.numa_topology):
    a pinned guest on cell 1 of node1-pinned-sriov0, whose VFs are on cell 0,
    gets none under 'required' and one of cell 0 under 'preferred'."""
    cluster = Cluster(load_topology(TOPOLOGIES / "nova_pinned_sriov_hosts.yaml"))
    cluster.create_port("boot", "network_4", "normal")
    assert cluster.run_task(cluster.create_server("vm1", "node1-pinned-sriov0", ports=("boot",)))
    cluster.create_port("p1", "network_4", "direct", numa_affinity_policy=policy)
    assert cluster.run_task(cluster.start("attach_interface", "vm1", port="p1"))
    if policy == "required":
        assert port(cluster) == {"device": None, "host": None}
        assert "Failed to claim PCI device" in (cluster.server_fault("vm1") or "")
        assert cluster.pci_allocations("vm1") == {}
    else:
        assert port(cluster)["host"] == "node1-pinned-sriov0"
        assert cluster.pci_allocations("vm1") == {
            "node1-pinned-sriov0": [port(cluster)["pci_slot"]]
        }
    assert cluster.check_invariants() == []


def test_a_port_in_use_is_refused_after_the_claim_which_nova_leaves() -> None:
    """allocate_for_instance raises PortInUse (409) after the compute claimed
    the VF; _attach_interface does not give it back, so it stays 'claimed' by
    the second server, and the next audit, tracking that server, allocates it."""
    cluster = attached()
    assert cluster.run_task(cluster.create_server("web1", "host2", vnic_type="normal"))
    assert cluster.run_task(cluster.start("attach_interface", "web1", port="p1"))
    assert port(cluster)["device"] == "vm1"  # neutron refused to rebind it
    assert port(cluster)["host"] == "host1"
    assert "Port p1 is still in use by 'vm1'." in (cluster.server_fault("web1") or "")
    assert request_of(cluster, server="web1") == []
    assert devices(cluster, "web1") == [("host2", "0000:02:00.1", "claimed", "-")]
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.pci_allocations("web1") == {"host2": ["0000:02:00.1"]}


def test_a_failed_driver_attach_unbinds_the_port_and_frees_the_device() -> None:
    cluster = with_port()
    cluster.inject_fault("ComputeDriver.attach_interface")
    assert cluster.run_task(cluster.start("attach_interface", "vm1", port="p1"))
    assert port(cluster) == {"device": None, "host": None}
    assert request_of(cluster) == []
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"]}
    assert PORT_VF in cluster.free_pci_devices("host1")
    assert "Failed to attach network adapter device to vm1" in (cluster.server_fault("vm1") or "")
    assert cluster.check_invariants() == []


def test_a_shelve_offload_before_the_driver_attach_fails_it_and_frees_the_device() -> None:
    """The shelve offloads vm1 while the attach is on its way to host1: the
    claim still succeeds (nothing checks the instance's host), but libvirt's
    ``get_guest`` finds no domain, a NovaException: Nova deallocates the port
    and frees the device, and the attach fails (explored in
    acceptance/interface_races.robot)."""
    cluster = with_port()
    attach = cluster.start(
        "attach_interface", "vm1", port="p1", delays={"ComputeAPI.attach_interface": 1.0}
    )
    assert cluster.run_task(cluster.start("shelve", "vm1"))
    assert cluster.server_status("vm1") == "SHELVED_OFFLOADED"
    assert cluster.run_task(attach)
    assert "could not be found on 'host1'" in (cluster.server_fault("vm1") or "")
    assert cluster.pci_allocations("vm1") == {}
    assert port(cluster) == {"device": None, "host": None}
    assert request_of(cluster) == []
    assert cluster.free_pci_devices("host1") == cluster.pci_devices_on("host1")
    assert cluster.check_invariants() == []


def test_a_shelve_accepted_before_the_attach_unbinds_the_attached_port_too() -> None:
    """The shelve's instance is the API's, read before the attach bound p1;
    the offload unbinds the ports neutron has for the server
    (``get_instance_nw_info``), p1 included, not only the info cache's."""
    cluster = with_port()
    attach = cluster.start("attach_interface", "vm1", port="p1")
    shelve = cluster.start("shelve", "vm1", delays={"ComputeAPI.shelve_instance": 1.0})
    assert cluster.run_task(attach)
    assert cluster.run_task(shelve)
    assert cluster.server_status("vm1") == "SHELVED_OFFLOADED"
    assert port(cluster) == {"device": "vm1", "host": None}
    assert cluster.pci_allocations("vm1") == {}
    assert cluster.check_invariants() == []


def test_an_injected_claim_failure_is_the_refused_claim() -> None:
    """A failure injected at ResourceTracker.claim_pci_devices raises what
    Nova's claim raises there, PciDeviceRequestFailed: the attach fails as
    when no device fits."""
    cluster = with_port()
    cluster.inject_fault("ResourceTracker.claim_pci_devices")
    assert cluster.run_task(cluster.start("attach_interface", "vm1", port="p1"))
    assert port(cluster) == {"device": None, "host": None}
    assert "Failed to claim PCI device for vm1" in (cluster.server_fault("vm1") or "")
    assert PORT_VF in cluster.free_pci_devices("host1")


def test_a_failed_driver_detach_changes_nothing_but_the_fault() -> None:
    cluster = attached()
    before = cluster.snapshot(), port(cluster), request_of(cluster)
    cluster.inject_fault("ComputeDriver.detach_interface")
    assert cluster.run_task(cluster.start("detach_interface", "vm1", port="p1"))
    assert (cluster.snapshot(), port(cluster), request_of(cluster)) == before
    assert "Failed to detach network adapter device from vm1" in (cluster.server_fault("vm1") or "")


def test_a_port_not_on_the_server_is_the_computes_port_not_found() -> None:
    """Nova's API casts the detach without asking neutron; _detach_interface
    raises PortNotFound: the 202 was given, nothing changes but the fault."""
    cluster = with_port()
    assert cluster.run_task(cluster.start("detach_interface", "vm1", port="p1"))
    assert "Port p1 is not attached" in (cluster.server_fault("vm1") or "")
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1"]}
    assert port(cluster) == {"device": None, "host": None}


# -- an attached port is one of the server's: audits and moves carry it ------------------


def test_an_audit_racing_the_attach_between_claim_and_allocation_keeps_the_device() -> None:
    """The claim is keyed by the instance, which is on host1: an audit in the
    window between claim_pci_devices and allocate_pci_devices_for_instance
    tracks the server and turns its claim into an allocation itself
    (_update_usage_from_instance, sign +1); the attach's own allocation then
    finds nothing left to allocate. As Nova's comment in _attach_interface
    says, the audit would allocate it anyway: the device is never freed."""
    cluster = with_port()
    attach = cluster.start(
        "attach_interface", "vm1", port="p1", delays={"ComputeDriver.attach_interface": 2.0}
    )
    assert cluster.run_until(lambda: port(cluster)["device"] == "vm1", 1.0)
    assert ("host1", PORT_VF, "claimed", "-") in devices(cluster)  # request not saved yet
    assert cluster.run_task(cluster.update_available_resource("host1"))
    assert cluster.now < 2.0
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1", PORT_VF]}
    assert cluster.run_task(attach)
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1", PORT_VF]}
    assert ("host1", PORT_VF, "allocated", "port:p1") in devices(cluster)
    assert cluster.check_invariants() == []


def test_an_audit_holding_the_lock_delays_the_claim_and_keeps_the_device() -> None:
    """An audit holding the host lock when the attach asks for it: the claim
    waits (fair lock), then claims; the audit saw nothing to free."""
    cluster = with_port()
    audit = cluster.update_available_resource("host1", delays={"get_in_progress_and_error": 1.0})
    attach = cluster.start("attach_interface", "vm1", port="p1")
    assert cluster.run_task(audit)
    assert cluster.run_task(attach)
    claimed = [
        e.time
        for e in cluster.kernel.journal
        if e.task == attach.name and e.detail.endswith("available -> claimed (vm1)")
    ]
    assert claimed == [1.0]  # once the audit released the lock
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1", PORT_VF]}
    assert cluster.check_invariants() == []


def test_an_evacuation_carries_the_attached_port() -> None:
    cluster = attached(microversion="2.94")
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    assert cluster.run_task(cluster.evacuate("vm1"))
    assert cluster.server_host("vm1") == "host2"
    assert cluster.pci_allocations("vm1") == {
        "host1": ["0000:02:00.1", PORT_VF],  # the source keeps its devices until it starts
        "host2": ["0000:02:00.1", PORT_VF],
    }
    assert port(cluster) == {
        "device": "vm1",
        "host": "host2",
        "pci_slot": PORT_VF,
        "pci_vendor_info": "fake-vendor_id:fake-product_id",
        "physical_network": "physnet2",
    }
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.pci_allocations("vm1")["host2"] == ["0000:02:00.1", PORT_VF]
    assert cluster.check_invariants() == []
    assert cluster.run_task(cluster.start_compute_service("host1"))
    assert cluster.pci_allocations("vm1") == {"host2": ["0000:02:00.1", PORT_VF]}


def test_a_cold_migration_carries_the_attached_port() -> None:
    cluster = attached()
    assert cluster.run_task(cluster.start("migrate", "vm1"))
    assert cluster.run_task(cluster.start("confirm_resize", "vm1"))
    assert cluster.server_host("vm1") == "host2"
    assert cluster.pci_allocations("vm1") == {"host2": ["0000:02:00.1", PORT_VF]}
    assert port(cluster)["host"] == "host2"
    assert cluster.check_invariants() == []


def test_a_live_migration_carries_the_attached_port() -> None:
    """The destination's check claims a device for every port request the
    instance has, the attached port's among them, and binds each port."""
    cluster = attached()
    assert cluster.run_task(cluster.start("live_migrate", "vm1"))
    assert cluster.server_host("vm1") == "host2"
    assert cluster.pci_allocations("vm1") == {"host2": ["0000:02:00.1", PORT_VF]}
    assert port(cluster)["host"] == "host2"
    assert port(cluster)["pci_slot"] == PORT_VF
    # Without a NUMA topology no move claim counts the usage: the audit does.
    assert cluster.run_task(cluster.update_available_resource("host2"))
    assert cluster.check_invariants() == []


def test_a_live_migration_accepted_before_the_attach_saved_claims_the_attached_port() -> None:
    """The API accepts the live migration while the attach runs, and loads
    the instance without its PCI requests; the conductor's
    ``_check_can_migrate_pci`` lazy-loads them once the attach saved its
    port's: the destination claims a device for that port too. The
    migrate data's vifs, made from the API's info cache, lack the port, so
    its VF is not detached and libvirt refuses: the migration rolls back."""
    cluster = with_port()
    attach = cluster.start("attach_interface", "vm1", port="p1")
    live = cluster.start(
        "live_migrate", "vm1", delays={"ComputeTaskAPI.live_migrate_instance": 1.0}
    )
    assert cluster.run_task(attach)
    assert request_of(cluster)  # saved before the conductor starts
    assert cluster.run_task(live)
    claimed = [
        e.detail
        for e in cluster.kernel.journal
        if e.task == live.name and e.detail.endswith("available -> claimed (vm1)")
    ]
    assert claimed == [
        "PciDevice host2 0000:02:00.1 available -> claimed (vm1)",
        f"PciDevice host2 {PORT_VF} available -> claimed (vm1)",
    ]
    assert cluster.server_host("vm1") == "host1"
    assert [m["status"] for m in cluster.migrations_of("vm1")] == ["failed"]
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1", PORT_VF]}
    assert cluster.check_invariants() == []


def test_a_live_migration_moves_a_port_its_info_cache_lacks() -> None:
    """A normal port attached after the API read the instance: the conductor
    binds only the cache's ports on the destination, and
    ``migrate_instance_finish`` moves the attached one there too."""
    cluster = with_port(vnic_type="normal")
    attach = cluster.start("attach_interface", "vm1", port="p1")
    live = cluster.start(
        "live_migrate", "vm1", delays={"ComputeTaskAPI.live_migrate_instance": 1.0}
    )
    assert cluster.run_task(attach)
    assert cluster.run_task(live)
    assert cluster.server_host("vm1") == "host2"
    assert port(cluster) == {"device": "vm1", "host": "host2"}
    assert cluster.check_invariants(usage=False) == []


def test_a_cold_migration_accepted_before_the_attach_saved_carries_the_attached_port() -> None:
    """The API accepts the migration while the attach runs: the destination's
    ``_move_claim`` lazy-loads the PCI requests, the attached port's saved
    by then, and ``migrate_instance_finish`` binds every port neutron has for
    the server, not only those of the API's info cache."""
    cluster = with_port()
    attach = cluster.start("attach_interface", "vm1", port="p1")
    migrate = cluster.start("migrate", "vm1", delays={"ComputeTaskAPI.migrate_server": 1.0})
    assert cluster.run_task(attach)
    assert cluster.run_task(migrate)
    assert cluster.run_task(cluster.start("confirm_resize", "vm1"))
    assert cluster.pci_allocations("vm1") == {"host2": ["0000:02:00.1", PORT_VF]}
    assert port(cluster)["host"] == "host2"
    assert port(cluster)["pci_slot"] == PORT_VF
    assert cluster.check_invariants() == []


def test_a_live_migration_with_a_vf_its_vifs_do_not_list_is_refused_and_rolled_back() -> None:
    """The attach plugged p1's VF after the conductor read the info cache:
    the driver detaches only the migrate data's direct vifs, libvirt refuses
    a guest with an assigned host device, and the migration rolls back."""
    cluster = with_port()
    attach = cluster.start(
        "attach_interface",
        "vm1",
        port="p1",
        delays={"ResourceTracker.allocate_pci_devices_for_instance": 0.5},
    )
    live = cluster.start("live_migrate", "vm1")
    assert cluster.run_task(live)
    assert cluster.run_task(attach)
    assert cluster.server_host("vm1") == "host1"
    assert [m["status"] for m in cluster.migrations_of("vm1")] == ["failed"]
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1", PORT_VF]}
    assert port(cluster)["host"] == "host1"
    assert cluster.check_invariants() == []


def test_an_attach_after_the_live_migration_job_finds_no_guest_on_the_source() -> None:
    """The attach reaches the source after the migration job moved the guest
    (libvirt undefined it there) but before the source's post-migration:
    the driver finds no domain, and the port and the VF claimed for it on
    the source are given back."""
    cluster = with_port()
    attach = cluster.start(
        "attach_interface", "vm1", port="p1", delays={"ComputeAPI.attach_interface": 0.05}
    )
    live = cluster.start("live_migrate", "vm1", delays={"NeutronAPI.migrate_instance_start": 0.5})
    assert cluster.run_task(attach)
    assert "could not be found on 'host1'" in (cluster.server_fault("vm1") or "")
    assert cluster.run_task(live)
    assert cluster.server_host("vm1") == "host2"
    assert cluster.pci_allocations("vm1") == {"host2": ["0000:02:00.1"]}
    assert port(cluster) == {"device": None, "host": None}
    assert cluster.check_invariants(usage=False) == []


def test_a_reverted_resize_gives_the_attached_port_its_device_back() -> None:
    cluster = attached()
    assert cluster.run_task(cluster.start("resize", "vm1", flavor="m1.medium"))
    assert cluster.run_task(cluster.start("revert_resize", "vm1"))
    assert cluster.server_host("vm1") == "host1"
    assert cluster.pci_allocations("vm1") == {"host1": ["0000:02:00.1", PORT_VF]}
    assert port(cluster)["pci_slot"] == PORT_VF
    assert cluster.check_invariants() == []


def test_shelve_and_unshelve_carry_the_attached_port() -> None:
    cluster = attached()
    assert cluster.run_task(cluster.start("shelve", "vm1"))
    assert cluster.pci_allocations("vm1") == {}
    assert port(cluster) == {"device": "vm1", "host": None}
    assert cluster.run_task(cluster.start("unshelve", "vm1", host="host2"))
    assert cluster.pci_allocations("vm1") == {"host2": ["0000:02:00.1", PORT_VF]}
    assert port(cluster)["host"] == "host2"
    assert cluster.check_invariants() == []


def test_the_same_history_gives_the_same_journal() -> None:
    def history() -> str:
        cluster = attached()
        assert cluster.run_task(cluster.start("detach_interface", "vm1", port="p1"))
        return cluster.kernel.journal.text()

    assert history() == history()
