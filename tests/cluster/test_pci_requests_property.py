"""Random PCI request mixes on random small topologies, through every operation.

Each example draws a small topology (two or three hosts with PFs, VFs, vDPA
devices, remote-managed VFs and standalone devices), flavors whose
``pci_passthrough:alias`` asks for random counts of each alias, ports of
random vnic types, and a random sequence of every operation the model has:
build, evacuation (after fencing the host), rebuild, delete, cold migration,
resize, confirm, revert, live migration, shelve, shelve offload, unshelve,
audits and compute restarts. Hosts have two NUMA cells or none, flavors
ask for one or two guest cells or pinned vCPUs and a PCI NUMA affinity
policy, and images for a policy, a cell or pinning (a flavor and image that
conflict are refused by the API).

Whatever Nova's API refuses is skipped, and so are three sequences Nova
allows but does not keep consistent: moving a server evacuated from a host
that has not started since (the move hands the old source's part of the
allocation to the migration, which keeps it until confirmed); evacuating a
server in the middle of a move (the move's claim on the destination and the
evacuation's both stay); and evacuating a server with an ``error``
migration (the source's audit keeps the server's devices for that
migration's sake, until ``_cleanup_incomplete_migrations``, not modelled).
The devices of a server whose delete or shelve offload freed nothing, its
host's tracker not tracking it yet after a move, are left out of the checks:
Nova leaks them too (see ``test_shelve.py``).

Once every task has finished and every compute has audited itself (the
audits close each window in which current Nova counts a server out or in),
the invariants must hold, vCPU/RAM/disk usage and pinned CPUs included,
every device in use must be one that a server there asked for (its count per
request, no more), and deleting every server must give every device back,
in the pools it started in: each operation freed exactly what it claimed.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import event, given, settings
from hypothesis import strategies as st

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.cluster.topology import Topology, topology_from_mapping
from PciRaceLibrary.errors import ApiRefused
from PciRaceLibrary.sim import Kind

SERVERS = ("vm1", "vm2", "vm3")
NUMA_POLICIES = ("required", "legacy", "preferred", "socket")
VNIC_TYPES = ("normal", "direct", "macvtap", "direct-physical", "vdpa", "remote-managed")
ALIASES = (
    {"name": "a-pci", "vendor_id": "10de", "product_id": "1eb8", "device_type": "type-PCI"},
    {"name": "a-pf", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PF"},
    {"name": "a-vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF",
     "live_migratable": True},
)  # fmt: skip
ACTIONS = ("create", "evacuate", "rebuild", "delete", "migrate", "resize", "confirm",
           "revert", "live", "shelve", "offload", "unshelve", "audit", "fence",
           "start")  # fmt: skip
MOVES = ("evacuate", "migrate", "resize", "confirm", "revert", "live", "unshelve")


def _nic(
    bus: int, vfs: int, *, vdpa: bool = False, remote: bool = False, node: int = 0
) -> list[dict]:
    """A PF on ``bus`` (physnet1, NUMA node ``node``) with ``vfs`` VFs (or vDPA devices)."""
    pf = f"0000:{bus:02x}:00.0"
    devices: list[dict] = [{"address": pf, "dev_type": "type-PF", "vendor_id": "8086",
                            "product_id": "1572", "physnet": "physnet1",
                            "numa_node": node}]  # fmt: skip
    for function in range(1, vfs + 1):
        devices.append({
            "address": f"0000:{bus:02x}:00.{function}",
            "dev_type": "vdpa" if vdpa else "type-VF",
            "parent": pf, "vendor_id": "8086", "product_id": "154c",
            "physnet": "physnet1", "remote_managed": remote, "numa_node": node,
            **({} if vdpa or remote else {"live_migratable": True}),
        })  # fmt: skip
    return devices


# Images: none, each PCI NUMA policy, a one-cell guest and pinned vCPUs
# (a flavor that sets the same is refused by the API, and the step skipped).
IMAGES = [{"name": "cirros"},
          *({"name": f"img-{policy}", "properties": {"hw_pci_numa_affinity_policy": policy}}
            for policy in NUMA_POLICIES),
          {"name": "img-one-cell", "properties": {"hw_numa_nodes": "1"}},
          {"name": "img-pinned", "properties": {"hw_cpu_policy": "dedicated"}}]  # fmt: skip
# A flavor's guest topology: none, one or two cells, pinned vCPUs.
GUESTS = ({}, {"hw:numa_nodes": "1"}, {"hw:numa_nodes": "2"}, {"hw:cpu_policy": "dedicated"})


def _host(draw: st.DrawFn, index: int) -> dict:
    """A host with or without two NUMA cells (on one socket or two, with or
    without dedicated and shared CPU sets); each NIC on a random cell."""
    numa = draw(st.booleans())
    node = (lambda: draw(st.integers(0, 1))) if numa else (lambda: 0)
    devices: list[dict] = []
    for bus in range(0x81, 0x81 + draw(st.integers(1, 2))):
        devices += _nic(bus, draw(st.integers(1, 3)), node=node())
    if draw(st.booleans()):
        devices += _nic(0x85, draw(st.integers(1, 2)), vdpa=True, node=node())
    if draw(st.booleans()):
        devices += _nic(0x86, draw(st.integers(1, 2)), remote=True, node=node())
    for bus in range(0x90, 0x90 + draw(st.integers(0, 2))):
        devices.append({"address": f"0000:{bus:02x}:00.0", "dev_type": "type-PCI",
                        "vendor_id": "10de", "product_id": "1eb8",
                        "numa_node": node()})  # fmt: skip
    host: dict = {"name": f"host{index}", "devices": devices}
    if not numa:
        return {**host, "vcpus": 8}
    host["numa_cells"] = [{"id": 0, "cpus": "0-3", "memory_mb": 2048, "socket": 0},
                          {"id": 1, "cpus": "4-7", "memory_mb": 2048,
                           "socket": draw(st.integers(0, 1))}]  # fmt: skip
    if draw(st.booleans()):
        host.update(cpu_shared_set="0-1,4-5", cpu_dedicated_set="2-3,6-7")
    return host


@st.composite
def topologies(draw: st.DrawFn) -> Topology:
    hosts = [_host(draw, index) for index in range(1, draw(st.integers(2, 3)) + 1)]
    flavors = [{"name": "plain", "vcpus": 1, "memory_mb": 512, "disk_gb": 1}]
    for number in range(draw(st.integers(1, 3))):
        counts = {alias["name"]: draw(st.integers(0, 1 if alias["name"] == "a-pf" else 2))
                  for alias in ALIASES}  # fmt: skip
        spec = ",".join(f"{name}:{count}" for name, count in counts.items() if count)
        extra = {"pci_passthrough:alias": spec} if spec else {}
        extra.update(draw(st.sampled_from(GUESTS)))
        policy = draw(st.sampled_from((None, *NUMA_POLICIES)))
        if policy:
            extra["hw:pci_numa_affinity_policy"] = policy
        flavors.append({"name": f"f{number}", "vcpus": 2, "memory_mb": 1024, "disk_gb": 1,
                        "extra_specs": extra})  # fmt: skip
    return topology_from_mapping({
        "networks": [{"name": "net1", "physnet": "physnet1"}, {"name": "tunnelled"}],
        "sriov_network": "net1",
        "enabled_filters": draw(st.sampled_from(([], ["PciPassthroughFilter"]))),
        "pci": {"alias": list(ALIASES)},
        "flavors": flavors,
        "images": IMAGES,
        "hosts": hosts,
    })  # fmt: skip


@dataclass(frozen=True)
class Step:
    action: str
    subject: str
    flavor: str | None = None
    ports: tuple[str, ...] = ()
    gap: float = 0.0
    image: str | None = None

    def __str__(self) -> str:
        image = f", {self.image}" if self.image else ""
        return f"{self.action}({self.subject}, {self.flavor}, {self.ports}{image}) +{self.gap:g}s"


@st.composite
def builds(draw: st.DrawFn, topology: Topology, server: str, gap: float) -> Step:
    """A build of ``server`` with a random flavor and up to two ports."""
    flavor = draw(st.sampled_from([flavor.name for flavor in topology.flavors]))
    vnics = draw(st.lists(st.sampled_from(VNIC_TYPES), max_size=2))
    image = draw(st.sampled_from([image.name for image in topology.images]))
    return Step("create", server, flavor, tuple(vnics), gap, image)


@st.composite
def steps(draw: st.DrawFn, topology: Topology) -> Step:
    action = draw(st.sampled_from(ACTIONS + MOVES))  # moves twice as often
    flavors = [flavor.name for flavor in topology.flavors]
    hosts = [host.name for host in topology.hosts]
    gap = draw(st.sampled_from((0.0, 1.0, 5.0, 30.0, 30.0)))
    if action in ("audit", "fence", "start"):
        return Step(action, draw(st.sampled_from(hosts)), gap=gap)
    server = draw(st.sampled_from(SERVERS[:2] * 3 + SERVERS[2:]))  # mostly the built ones
    if action == "create":
        return draw(builds(topology, server, gap))
    if action == "resize":
        return Step(action, server, draw(st.sampled_from(flavors)), gap=gap)
    return Step(action, server, gap=gap)


def apply(cluster: Cluster, step: Step, made: list[int], interrupted: set[str]) -> None:
    """Performs ``step``; whatever the API refuses changes nothing and is skipped.
    A server deleted or evacuated during a move goes into ``interrupted``."""
    if step.action in ("audit", "fence", "start"):
        host = step.subject
        running = cluster.service_running(host)
        if step.action == "audit" and running:
            cluster.update_available_resource(host)
        elif step.action == "fence" and running:
            moving = {s for s in cluster.servers if _moving(cluster, s, awaiting=True)}
            try:
                cluster.stop_compute_service(host)
            except ApiRefused:
                return  # an operation runs on it now (an audit just started, ...)
            interrupted.update(moving)
            cluster.force_down_compute_service(host)
        elif step.action == "start" and not running and not _evacuating_from(cluster, host):
            cluster.start_compute_service(host)
        return
    server = step.subject
    if step.action != "create" and server not in cluster.servers:
        return
    if step.action in ("migrate", "resize", "live") and _evacuated_uncleaned(cluster, server):
        return  # see the module docstring
    if step.action == "evacuate" and (_moving(cluster, server) or _errored(cluster, server)):
        return  # see the module docstring
    if step.action == "delete" and _moving(cluster, server):
        interrupted.add(server)
    try:
        if step.action == "create":
            names = []
            for vnic in step.ports:
                made[0] += 1
                name = f"p{made[0]}"
                cluster.create_port(name, "tunnelled" if vnic == "normal" else "net1", vnic)
                names.append(name)
            cluster.create_server(server, flavor=step.flavor, ports=tuple(names), image=step.image)
        elif step.action == "evacuate":
            host = cluster.server_host(server)
            if host is None or _evacuating(cluster, server):
                return
            if cluster.service_running(host):  # the runbook: fence the host first
                moving = {s for s in cluster.servers if _moving(cluster, s, awaiting=True)}
                cluster.stop_compute_service(host)  # refused while its start runs, say
                interrupted.update(moving)
                cluster.force_down_compute_service(host)
            cluster.evacuate(server)
        elif step.action in ("rebuild", "delete"):
            cluster.start(step.action, server)
        elif step.action == "resize":
            cluster.start("resize", server, flavor=step.flavor)
        elif step.action == "live":
            cluster.live_migrate(server)
        else:
            operation = {"confirm": "confirm_resize", "revert": "revert_resize",
                         "offload": "shelve_offload"}.get(step.action, step.action)  # fmt: skip
            cluster.start(operation, server)
    except ApiRefused:
        return


def _moving(cluster: Cluster, server: str, *, awaiting: bool = False) -> bool:
    """A move of ``server`` under way (a task state, or a migration not yet
    ended); with ``awaiting``, a resize awaiting its confirmation too."""
    ended = ("confirmed", "reverted", "failed", "completed", "cancelled", "done", "error",
             *(() if awaiting else ("finished",)))  # fmt: skip
    row = cluster.instance(server)
    return row.task_state is not None or any(
        m["status"] not in ended for m in cluster.migrations_of(server)
    )


def _errored(cluster: Cluster, server: str) -> bool:
    return any(m["status"] == "error" for m in cluster.migrations_of(server))


def _evacuating(cluster: Cluster, server: str) -> bool:
    return any(
        m["type"] == "evacuation" and m["status"] in ("accepted", "pre-migrating")
        for m in cluster.migrations_of(server)
    )


def _evacuated_uncleaned(cluster: Cluster, server: str) -> bool:
    """Evacuated from a host that has not started since (the record is not
    yet ``completed``): the source's allocation is still the server's."""
    return any(
        m["type"] == "evacuation" and m["status"] in ("accepted", "pre-migrating", "done")
        for m in cluster.migrations_of(server)
    )


def _evacuating_from(cluster: Cluster, host: str) -> bool:
    return any(
        m["type"] == "evacuation" and m["source"] == host
        and m["status"] in ("accepted", "pre-migrating")
        for server in cluster.servers for m in cluster.migrations_of(server)
    )  # fmt: skip


def settle(cluster: Cluster) -> None:
    """Every task to its end, every compute started, then one audit on each."""
    assert cluster.kernel.run_all(), "tasks left unfinished"
    for host in cluster.hosts:
        if not cluster.service_running(host):
            assert cluster.run_task(cluster.start_compute_service(host))
    for host in cluster.hosts:
        assert cluster.run_task(cluster.update_available_resource(host))
    assert cluster.kernel.run_all(), "tasks left unfinished"


def devices_asked_for(cluster: Cluster) -> list[str]:
    """Each used device that no server on its host asked for, or one too many."""
    problems = []
    for server in cluster.servers:
        row = cluster.instance(server)
        held = [d for d in cluster.pci_devices_of(server) if d["status"] != "available"]
        if row.deleted or row.host is None:
            problems += [f"{server} holds {d['host']} {d['address']}" for d in held]
            continue
        elsewhere = [d for d in held if d["host"] != row.host]
        if row.migration_context is None and elsewhere:
            problems += [f"{server} holds {d['host']} {d['address']}" for d in elsewhere]
        wanted = sum(request.count for request in row.pci_requests)
        here = [d for d in held if d["host"] == row.host]
        if row.migration_context is None and len(here) != wanted:
            problems.append(f"{server} holds {len(here)} devices on {row.host}, asked {wanted}")
    return problems


def orphans_left_out(problems: list[str], interrupted: set[str]) -> list[str]:
    """``problems`` without the placement allocations of interrupted servers
    and of their migrations, which Nova orphans for good (a revert whose
    source was fenced meanwhile never runs its second half there, so the
    migration keeps the source's allocation): the checker reports them, as
    ``nova-manage placement audit`` would."""
    return [
        problem
        for problem in problems
        if not (
            problem.startswith("Placement holds an allocation")
            and any(f"'{server}'" in problem or f"({server})" in problem for server in interrupted)
        )
    ]


def leaks_of_nova_left_out(problems: list[str], cluster: Cluster) -> list[str]:
    """``problems`` without the devices of servers whose delete or shelve
    offload freed nothing because their host's tracker did not track them yet
    (a move's claim tracks the migration until the next audit): Nova leaks
    those devices too, until that audit or for good (``test_shelve.py``)."""
    notes = {e.detail for e in cluster.kernel.journal if e.kind == Kind.NOTE}
    leaking = [s for s in cluster.servers if any(f"frees nothing of '{s}'" in n for n in notes)]
    return [
        problem
        for problem in problems
        if not any(
            ("device" in problem or " holds " in problem)
            and (f"'{server}'" in problem or problem.startswith(f"{server} "))
            for server in leaking
        )
    ]


def explain(plan: list[Step], cluster: Cluster, problems: list[str]) -> str:
    return "\n".join(["Plan:", *map(str, plan), "Problems:", *problems])


@settings(max_examples=160, deadline=None)  # ~2 s
@given(st.data())
def test_request_mixes_keep_the_invariants_and_free_what_they_claim(data: st.DataObject) -> None:
    topology = data.draw(topologies())
    count = data.draw(st.integers(1, 2))
    first = [data.draw(builds(topology, server, 30.0)) for server in SERVERS[:count]]
    plan = first + data.draw(st.lists(steps(topology), min_size=1, max_size=14))
    cluster = Cluster(topology, microversion="2.94")
    free_at_start = {host: sorted(cluster.free_pci_devices(host)) for host in cluster.hosts}
    pools_at_start = {host: cluster.pci_pools(host) for host in cluster.hosts}
    made, interrupted = [0], set[str]()
    for step in plan:
        apply(cluster, step, made, interrupted)
        if step.gap:
            cluster.run_until(lambda: False, step.gap)
    settle(cluster)
    # The audits of the settle close every window of current Nova in which a
    # tracker counts a server out or in (see the libdoc, "What the audit
    # frees, and when"), so usage is checked too; except after a delete, an
    # evacuation or a fenced host in the middle of a move: Nova lets them
    # happen, and the move's allocation in placement is then orphaned for
    # good (what ``nova-manage placement audit`` reports; a cast to a stopped
    # compute is never consumed here), so only PCI is checked there.
    usage = not interrupted
    guests = [cluster.instance(s).numa_topology for s in cluster.servers]
    event(f"servers with a NUMA topology at the end: {sum(g is not None for g in guests)}")
    event(f"usage checked: {usage}")
    problems = cluster.check_invariants(usage=usage) + devices_asked_for(cluster)
    problems = leaks_of_nova_left_out(orphans_left_out(problems, interrupted), cluster)
    assert not problems, explain(plan, cluster, problems)
    for server in cluster.servers:
        if not cluster.instance(server).deleted:
            cluster.start("delete", server)
    settle(cluster)
    problems = orphans_left_out(cluster.check_invariants(usage=usage), interrupted)
    for host in cluster.hosts:
        if sorted(cluster.free_pci_devices(host)) != free_at_start[host]:
            problems.append(f"'{host}' did not get every device back")
        elif sorted(map(str, cluster.pci_pools(host))) != sorted(map(str, pools_at_start[host])):
            problems.append(f"'{host}' pools differ from the start")
    assert not problems, explain(plan, cluster, problems)
