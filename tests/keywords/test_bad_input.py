# ruff: noqa: E501 - the cases are a table: one call and its exact sentence per line
"""Bad keyword input, catalogued: every case is refused with one sentence and
leaves the cluster exactly as it was (state, clock, tasks, injections).

The cases run as one generated Robot suite (real argument conversion, the
library as suites use it); each case is one test there and one pytest test
here. ``docs/bad-input.md`` lists them: regenerate its keyword table with
``python tests/keywords/test_bad_input.py`` after changing a case.
"""

from __future__ import annotations

import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
import robot
from robot.api import ExecutionResult

from PciRaceLibrary.cluster import STATUSES
from PciRaceLibrary.cluster.operations import failure_points
from PciRaceLibrary.cluster.variants import VARIANTS

DOC = Path(__file__).resolve().parents[2] / "docs" / "bad-input.md"
BEGIN, END = "<!-- keyword cases: begin -->", "<!-- keyword cases: end -->"

HOSTS = "Known hosts: host1, host2."
KNOWN_BUGS = ", ".join(sorted(VARIANTS))
FLAVORS = "Known flavors: m1.small, m1.medium."


def token(pairs: str) -> str:
    """A well-formed replay token for ``pairs`` (``12=1,16=1``)."""
    return f"PCR2:{pairs}:{zlib.crc32(pairs.encode()) & 0xFFFF:04x}"


@dataclass(frozen=True)
class Case:
    category: str
    call: str  # the keyword call as a suite writes it, cells separated by 4 spaces
    message: str  # the exact sentence; '*' matches anything (Robot's GLOB)

    @property
    def name(self) -> str:
        return re.sub(r"\s+", " ", f"{self.category}: {self.call}")[:200]


C, S, D, K, E = "Cluster", "Servers", "Delays", "Checks", "Explore"
CASES = [
    # -- cluster and services ----------------------------------------------------------
    Case(C, "Start Cluster    bugs=4242", f"No variant for bug '4242'. Known bugs: {KNOWN_BUGS}."),
    Case(C, "Start Cluster    bugs=1896463, abc", f"No variant for bug 'abc'. Known bugs: {KNOWN_BUGS}."),
    Case(C, "Start Cluster    no_such_topology", "No topology file 'no_such_topology'."),
    Case(C, "Start Cluster    ${CURDIR}", "Topology file '*' is a directory; give the path of a YAML file."),
    Case(C, "Stop Compute Service    host9", f"No host 'host9'. {HOSTS}"),
    Case(C, "Stop Compute Service    ${EMPTY}", f"No host ''. {HOSTS}"),
    Case(C, "Stop Compute Service    ${{'host1' + chr(10)}}", f"No host 'host1\\x0a'. {HOSTS}"),
    Case(C, "Force Down Compute Service    HOST1", f"No host 'HOST1'. {HOSTS}"),
    Case(C, "Start Compute Service    host1", "Cannot start compute service on 'host1': it is running. (refused at t=0.000s)"),
    Case(C, "Start Compute Service    host9", f"No host 'host9'. {HOSTS}"),
    Case(C, "Start Compute Service    host2    timeout=-1 s", "Argument 'timeout' cannot be negative, got -1 second."),
    Case(C, "Start Compute Service    host2    timeout=soon", "Argument 'timeout' must be a time such as '2 s', '500 ms' or '1 min 30 s', got 'soon'."),
    Case(C, "Start Compute Service    host2    timeout=1e400 s", "Argument 'timeout' must be a finite time of at most 1000000000 seconds, got '1e400 s'."),
    Case(C, "Start Compute Service    host2    timeout=${{datetime.date(2001, 12, 14)}}", "Argument 'timeout' must be a time such as '2 s', '500 ms' or '1 min 30 s', got a value of type date."),
    Case(C, "Start Compute Service    host2    teleport=1 s", "No point 'teleport' in operation 'start'. Valid points: *"),
    # -- servers -------------------------------------------------------------------------
    Case(S, "Create Server With Direct Port    vm1", "Cannot create 'vm1': a server with that name exists; Nova would allow it, but this library names servers uniquely. (refused at t=0.000s)"),
    Case(S, "Create Server With Direct Port    ${EMPTY}", "Cannot create a server named '': Nova's API takes 1 to 255 printable characters without leading or trailing blanks (400). (refused at t=0.000s)"),
    Case(S, "Create Server With Direct Port    ${SPACE}vm2", "Cannot create a server named ' vm2': *"),
    Case(S, "Create Server With Direct Port    ${{'vm' + chr(10) + '2'}}", "Cannot create a server named 'vm\\x0a2': *"),
    Case(S, "Create Server With Direct Port    ${{'v' * 256}}", "Cannot create a server named 'vvvv*': Nova's API takes 1 to 255 *"),
    Case(S, "Create Server With Direct Port    vm2    host=host9", f"No host 'host9'. {HOSTS}"),
    Case(S, "Create Server    vm2    vnic_type=baremetal", "Argument 'vnic_type' must be one of 'normal', 'direct', 'macvtap', 'direct-physical', 'virtio-forwarder', 'vdpa', 'remote-managed', got 'baremetal'."),
    Case(S, "Create Server    vm2    vnic_type=${EMPTY}", "Argument 'vnic_type' must be one of 'normal', 'direct', 'macvtap', 'direct-physical', 'virtio-forwarder', 'vdpa', 'remote-managed', got ''."),
    Case(S, "Create Server    vm2    network=net9", "No network 'net9'. Known networks: network_1, network_2."),
    Case(S, "Create Server With Direct Port    vm2    flavor=m1.huge", f"No flavor 'm1.huge'. {FLAVORS}"),
    Case(S, "Create Server    vm2    ports=p9", "No port 'p9'. Known ports: none."),
    Case(S, "Create Server    vm2    ports=p1,,p2", "Argument 'ports' must name ports, comma-separated, got 'p1,,p2'."),
    Case(S, "Create Server    vm2    ports=p1    vnic_type=direct", "Give either 'ports' or 'vnic_type' and 'network' (a new port), not both."),
    Case(S, "Create Port    p1    network=net9", "No network 'net9'. Known networks: network_1, network_2."),
    Case(S, "Create Port    p1    vnic_type=baremetal", "Argument 'vnic_type' must be one of 'normal', 'direct', 'macvtap', 'direct-physical', 'virtio-forwarder', 'vdpa', 'remote-managed', got 'baremetal'."),
    Case(S, "Create Port    p1    numa_affinity_policy=strict", "Argument 'numa_affinity_policy' must be one of 'required', 'legacy', 'preferred', 'socket', got 'strict'."),
    Case(S, "Create Port    ${EMPTY}", "Cannot create a port named '': neutron takes 1 to 255 printable characters without leading or trailing blanks here (400).*"),
    Case(S, "Create Server    vm2    flavor=${EMPTY}", f"No flavor ''. {FLAVORS}"),
    Case(S, "Create Server    vm2    flavor=M1.SMALL", f"No flavor 'M1.SMALL'. {FLAVORS}"),
    Case(S, "Create Server With Direct Port    vm2    flavor=${{'m1.small' + chr(10)}}", f"No flavor 'm1.small\\x0a'. {FLAVORS}"),
    Case(S, "Create Server    vm2    network=net9    flavor=m1.huge", f"No flavor 'm1.huge'. {FLAVORS}"),
    Case(S, "Create Server    vm2    host=host9    flavor=m1.huge", f"No host 'host9'. {HOSTS}"),
    Case(S, "Create Server    vm2    image=fedora", "No image 'fedora'. Known images: cirros."),
    Case(S, "Create Server With Direct Port    vm2    image=${EMPTY}", "No image ''. Known images: cirros."),
    Case(S, "Create Server    vm2    flavor=m1.huge    image=fedora", f"No flavor 'm1.huge'. {FLAVORS}"),
    Case(S, "Create Server With Direct Port    vm2    timeout=-5 s", "Argument 'timeout' cannot be negative, got -5 seconds."),
    Case(S, "Create Server With Direct Port    vm2    spawn=soon", "Delay 'spawn' must be a time such as '2 s', '500 ms' or '1 min 30 s', got 'soon'."),
    Case(S, "Create Server With Direct Port    vm2    spawn=-1 s", "Delay 'spawn' cannot be negative: -1 seconds."),
    Case(S, "Create Server With Direct Port    vm2    spawn=inf", "Delay 'spawn' must be a finite time of at most 1000000000 seconds, got 'inf'."),
    Case(S, "Create Server With Direct Port    vm2    spawn=nan", "Delay 'spawn' must be a finite time of at most 1000000000 seconds, got 'nan'."),
    Case(S, "Create Server With Direct Port    vm2    teleport=1 s", "No point 'teleport' in operation 'create'. Valid points: *"),
    Case(S, "Create Server With Direct Port    vm2    save=1 s", "Point 'save' is ambiguous in operation 'create'; use one of: Instance.save, ComputeNode.save, PciDevTracker.save."),
    Case(S, "Create Server With Direct Port    vm2    Instance.save#0=1 s", "Delay 'Instance.save#0' names pass '0'; after '#' give the pass to delay, a whole number from 1, as in 'Instance.save#2'."),
    Case(S, "Create Server With Direct Port    vm2    Instance.save#²=1 s", "Delay 'Instance.save#²' names pass '²'; *"),
    Case(S, "Create Server With Direct Port    vm2    spawn=1 s    ComputeDriver.spawn=2 s", "Delays 'spawn' and 'ComputeDriver.spawn' name the same point, ComputeDriver.spawn; give it once."),
    Case(S, "Evacuate Server    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(S, "Evacuate Server    vm1", "Cannot evacuate 'vm1': compute service on 'host1' is up; stop and force it down first (400). (refused at t=0.000s)"),
    Case(S, "Evacuate Server    vm1    target_host=host1", "Cannot evacuate 'vm1' to 'host1': it is its own host (400). (refused at t=0.000s)"),
    Case(S, "Evacuate Server    vm1    target_host=host9", f"No host 'host9'. {HOSTS}"),
    Case(S, "Evacuate Server With Direct Port    web1", "Server 'web1' has no direct port to evacuate with; use 'Evacuate Server' for servers without one. (refused at t=0.000s)"),
    Case(S, "Evacuate Server    vm1    rebuild=-0.5 s", "Delay 'rebuild' cannot be negative: -0.5 seconds."),
    Case(S, "Migrate Server    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(S, "Migrate Server    vm1    host9", f"No host 'host9'. {HOSTS}"),
    Case(S, "Migrate Server    vm1    host1", "Cannot migrate 'vm1' to 'host1': it is its own host (400). (refused at t=0.000s)"),
    Case(S, "Migrate Server    vm1    host2    microversion=2.55", "Cannot migrate 'vm1' to a named host at microversion 2.55: 'host' exists from 2.56 (400). (refused at t=0.000s)"),
    Case(S, "Migrate Server    vm1    teleport=1 s", "No point 'teleport' in operation 'migrate'. Valid points: *"),
    Case(S, "Resize Server    vm1    m9", f"No flavor 'm9'. {FLAVORS}"),
    Case(S, "Resize Server    vm1    m1.small", "Cannot resize 'vm1' to m1.small: it already has that flavor; use 'Migrate Server' to move it with its flavor (400). (refused at t=0.000s)"),
    Case(S, "Confirm Resize    vm1", "Cannot confirm the resize of 'vm1': it is active; only resized servers can be (409). (refused at t=0.000s)"),
    Case(S, "Revert Resize    vm1", "Cannot revert the resize of 'vm1': it is active; only resized servers can be (409). (refused at t=0.000s)"),
    Case(S, "Revert Resize    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(S, "Live Migrate Server    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(S, "Live Migrate Server    vm1    host9", f"No host 'host9'. {HOSTS}"),
    Case(S, "Live Migrate Server    vm1    force=True", "Cannot force the live migration of 'vm1' at microversion 2.104: 'force' exists from 2.30 to 2.67 (400). (refused at t=0.000s)"),
    Case(S, "Live Migrate Server    vm1    force=True    microversion=2.30", "Cannot force the live migration of 'vm1' to no host; give target_host (400). (refused at t=0.000s)"),
    Case(S, "Live Migrate Server    vm1    force=maybe", "Argument 'force' must be true or false, got 'maybe'."),
    Case(S, "Live Migrate Server    vm1    microversion=3.0", "Microversion '3.0' is not one Nova's compute API has; give 2.1 to 2.104 or 'latest'."),
    Case(S, "Live Migrate Server    vm1    teleport=1 s", "No point 'teleport' in operation 'live_migrate'. Valid points: *"),
    Case(S, "Live Migrate Server    vm1    save=1 s", "Point 'save' is ambiguous in operation 'live_migrate'; use one of: *"),
    Case(S, "Live Migrate Server    vm1    live_migration=1 s", "Point 'live_migration' is ambiguous in operation 'live_migrate'; use one of: ComputeAPI.live_migration, ComputeDriver.live_migration."),
    Case(S, "Live Migrate Server    vm1    ComputeDriver.live_migration=-1 s", "Delay 'ComputeDriver.live_migration' cannot be negative: -1 seconds."),
    Case(S, "Delete Server    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(S, "Delete Server    vm1    destroy=1 s", "Point 'destroy' is ambiguous in operation 'delete'; use one of: ComputeDriver.destroy, Instance.destroy."),
    Case(S, "Rebuild Server    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(S, "Rebuild Server    vm1    spawn=1 s", "No point 'spawn' in operation 'rebuild'. Valid points: *"),
    Case(S, "Rebuild Server    vm1    image=fedora", "No image 'fedora'. Known images: cirros."),
    Case(S, "Shelve Server    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(S, "Shelve Server    vm1    offload=maybe", "Argument 'offload' must be true or false, got 'maybe'."),
    Case(S, "Shelve Server    vm1    teleport=1 s", "No point 'teleport' in operation 'shelve'. Valid points: *"),
    Case(S, "Shelve Server    vm1    power_off=-1 s", "Delay 'power_off' cannot be negative: -1 seconds."),
    Case(S, "Shelve Offload Server    vm1", "Cannot shelve offload 'vm1': it is active; only shelved servers that have run can be (409). (refused at t=0.000s)"),
    Case(S, "Shelve Offload Server    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(S, "Unshelve Server    vm1", "Cannot unshelve 'vm1': it is active; only shelved, shelved_offloaded servers that have run can be (409). (refused at t=0.000s)"),
    Case(S, "Unshelve Server    vm1    host=host9", "Cannot unshelve 'vm1': it is active; only shelved, shelved_offloaded servers that have run can be (409). (refused at t=0.000s)"),
    Case(S, "Unshelve Server    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(S, "Unshelve Server    vm1    save=1 s", "Point 'save' is ambiguous in operation 'unshelve'; use one of: Instance.save, ComputeNode.save, PciDevTracker.save."),
    Case(S, "Suspend Server    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(S, "Suspend Server    vm1    teleport=1 s", "No point 'teleport' in operation 'suspend'. Valid points: ComputeAPI.suspend_instance, ComputeDriver.suspend, Instance.save."),
    Case(S, "Suspend Server    vm1    suspend=-1 s", "Delay 'suspend' cannot be negative: -1 seconds."),
    Case(S, "Resume Server    vm1", "Cannot resume 'vm1': it is active; only suspended servers that have run can be (409). (refused at t=0.000s)"),
    Case(S, "Resume Server    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(S, "Resume Server    vm1    resume=soon", "Delay 'resume' must be a time such as '2 s', '500 ms' or '1 min 30 s', got 'soon'."),
    Case(S, "Attach Interface    vm1    p9", "No port 'p9'. Known ports: none."),
    Case(S, "Attach Interface    vm9    p1", "No server 'vm9'. Known servers: vm1, web1."),
    Case(S, "Attach Interface    vm1    ${EMPTY}", "No port ''. Known ports: none."),
    Case(S, "Attach Interface    vm1    p9    teleport=1 s", "No point 'teleport' in operation 'attach_interface'. Valid points: *"),
    Case(S, "Attach Interface    vm1    p9    save=1 s", "Point 'save' is ambiguous in operation 'attach_interface'; use one of: PciDevTracker.save, Instance.save."),
    Case(S, "Detach Interface    vm1    p9", "No port 'p9'. Known ports: none."),
    Case(S, "Detach Interface    vm9    p1", "No server 'vm9'. Known servers: vm1, web1."),
    Case(S, "Detach Interface    vm1    p9    detach_interface=-1 s", "Point 'detach_interface' is ambiguous in operation 'detach_interface'; use one of: ComputeAPI.detach_interface, ComputeDriver.detach_interface."),
    Case(K, "Get Port    p9", "No port 'p9'. Known ports: none."),
    Case(S, "Wait Until Server Is Active    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(S, "Wait Until Server Is Active    vm1    timeout=-1 s", "Argument 'timeout' cannot be negative, got -1 second."),
    Case(S, "Wait Until Server Has    vm1", "Give 'host', 'status' or both to wait for."),
    Case(S, "Wait Until Server Has    vm1    status=RUNNING", f"No server status 'RUNNING'. Valid statuses: {', '.join(STATUSES)}."),
    Case(S, "Wait Until Server Has    vm1    host=host9", f"No host 'host9'. {HOSTS}"),
    Case(S, "Wait Until Migration Status Is    vm1    bogus", "No migration status 'bogus'. Valid statuses: *"),
    Case(S, "Wait Until Migration Status Is    vm9    done", "No server 'vm9'. Known servers: vm1, web1."),
    Case(S, "Wait Until Migration Status Is    vm1    done    timeout=1e20 s", "Argument 'timeout' must be a finite time of at most 1000000000 seconds, got '1e20 s'."),
    # -- periodics and delays ----------------------------------------------------------
    Case(D, "Run Periodic Update Available Resource    host9", f"No host 'host9'. {HOSTS}"),
    Case(D, "Run Periodic Update Available Resource    host2    spawn=1 s", "No point 'spawn' in operation 'update_available_resource'. Valid points: *"),
    Case(D, "Run Periodic Update Available Resource    host2    timeout=-1 s", "Argument 'timeout' cannot be negative, got -1 second."),
    Case(D, "Run Periodic Update Available Resource    host2    get_in_progress_and_error=-2 s", "Delay 'get_in_progress_and_error' cannot be negative: -2 seconds."),
    Case(D, "Run Periodic Update Available Resource    host2    get_in_progress_and_error=1e400", "Delay 'get_in_progress_and_error' must be a finite time of at most 1000000000 seconds, got '1e400'."),
    Case(D, "Run Periodics    timeout=-1 s", "Argument 'timeout' cannot be negative, got -1 second."),
    Case(D, "Run Periodics    spawn=1 s", "No point 'spawn' in operation 'update_available_resource'. Valid points: *"),
    Case(D, "Inject Delay    teleport    1 s", "No point 'teleport' in the model. Valid points: *"),
    Case(D, "Inject Delay    Instance.save    soon", "Argument 'delay' must be a time such as '2 s', '500 ms' or '1 min 30 s', got 'soon'."),
    Case(D, "Inject Delay    Instance.save    -1 s", "Delay 'Instance.save' cannot be negative: -1 seconds."),
    Case(D, "Inject Delay    Instance.save    1 s    times=0", "Delay count at 'Instance.save' must be at least 1, got 0."),
    Case(D, "Inject Delay    Instance.save    1 s    times=-3", "Delay count at 'Instance.save' must be at least 1, got -3."),
    Case(D, "Inject Delay    Instance.save    1 s    times=²", "Argument 'times' must be a whole number such as 2, got '²'."),
    Case(D, "Inject Delay    Instance.save    1 s    times=99999999999", "Argument 'times' must be a whole number of at most 1000000000, got '99999999999'."),
    Case(D, "Inject Delay    save    1 s", "Point 'save' is ambiguous in the model; use one of: *"),
    Case(D, "Inject Failure    Instance.save", f"No point 'Instance.save' in the points that can fail. Valid points: {', '.join(failure_points())}."),
    Case(D, "Inject Failure    ComputeDriver.rebuild    times=0", "Failure count at 'ComputeDriver.rebuild' must be at least 1, got 0."),
    Case(D, "Inject Failure    ComputeDriver.rebuild    times=many", "Argument 'times' must be a whole number such as 2, got 'many'."),
    Case(D, "Inject Failure    ComputeDriver.rebuild    times=${{b'2'}}", "Argument 'times' must be a whole number such as 2, got binary data."),
    # -- checks and reports ------------------------------------------------------------
    Case(K, "Get Spawned PCI Devices    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(K, "PCI Allocation On Host Should Be    vm1    host9    1", f"No host 'host9'. {HOSTS}"),
    Case(K, "PCI Devices Of Server Should Be    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(K, "PCI Devices Of Server Should Be    vm1    host1 0000:02:00.1", "Expected device 'host1 0000:02:00.1' must have 6 fields separated by spaces: host address type parent numa_node request ('*' for any, '-' for no parent), got 2."),
    Case(K, "PCI Pools On Host Should Be    host9", f"No host 'host9'. {HOSTS}"),
    Case(K, "PCI Pools On Host Should Be    host1    type-VF 0000:02:00.0 many", "Expected pool 'type-VF 0000:02:00.0 many' must be 'dev_type address count', then any 'key=value' pool keys, such as 'type-VF 0000:81:00.0 2 physical_network=physnet1'."),
    Case(K, "PCI Pools On Host Should Be    host1    type-VF 0000:02:00.0 1 physnet2", "Expected pool 'type-VF 0000:02:00.0 1 physnet2': 'physnet2' must be a pool key and value, as 'physical_network=physnet1'."),
    Case(K, "PCI Allocation On Host Should Be    vm9    host1    1", "No server 'vm9'. Known servers: vm1, web1."),
    Case(K, "PCI Allocation On Host Should Be    vm1    host1    -1", "Argument 'expected' must be 0 or more, got -1."),
    Case(K, "PCI Allocation On Host Should Be    vm1    host1    one", "Argument 'expected' must be a whole number such as 2, got 'one'."),
    Case(K, "PCI Allocation On Host Should Be    vm1    host1    1.5", "Argument 'expected' must be a whole number such as 2, got '1.5'."),
    Case(K, "PCI Allocation On Host Should Be    vm1    host1    ${{[1]}}", "Argument 'expected' must be a whole number such as 2, got a list."),
    Case(K, "PCI Allocations Should Be    vm1    host9=1", f"No host 'host9'. {HOSTS}"),
    Case(K, "PCI Allocations Should Be    vm1    host1=abc", "Expected value for 'host1' must be a count or a comma-separated list of PCI addresses like 0000:02:00.1, got 'abc'."),
    Case(K, "PCI Allocations Should Be    vm1    host1=0000:zz:00.1", "Expected value for 'host1' must be a count or *"),
    Case(K, "Server Should Be On Host    vm1    host9", f"No host 'host9'. {HOSTS}"),
    Case(K, "Migration Status Should Be    vm1    bogus", "No migration status 'bogus'. Valid statuses: *"),
    Case(K, "Free PCI Devices On Host Should Be    host9    1", f"No host 'host9'. {HOSTS}"),
    Case(K, "Free PCI Devices On Host Should Be    host1    -2", "Argument 'expected' must be 0 or more, got -2."),
    Case(K, "Resource Accounting Should Be Consistent    host9", f"No host 'host9'. {HOSTS}"),
    Case(K, "Audit Failures On Host Should Be    host9    0", f"No host 'host9'. {HOSTS}"),
    Case(K, "Audit Failures On Host Should Be    host1    -1", "Argument 'expected' must be 0 or more, got -1."),
    Case(K, "Audit Failures On Host Should Be    host1    none", "Argument 'expected' must be a whole number such as 2, got 'none'."),
    Case(K, "Get Audit Failures    host9", f"No host 'host9'. {HOSTS}"),
    Case(K, "Get PCI Allocations    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(K, "Resource Usage On Host Should Be    host1    cpus=1", "No resource 'cpus' in the tracker's usage. Valid: vcpus, memory_mb, disk_gb."),
    Case(K, "Resource Usage On Host Should Be    host1    vcpus=-1", "Amount of vcpus must be 0 or more, got -1."),
    Case(K, "Resource Usage On Host Should Be    host1", "Give the usage to check as name=amount, as in vcpus=1; valid: vcpus, memory_mb, disk_gb."),
    Case(K, "Resource Usage On Host Should Be    host9    vcpus=1", f"No host 'host9'. {HOSTS}"),
    Case(K, "NUMA Placement Of Server Should Be    vm1    cells=x", "Argument 'cells' must be whole numbers separated by commas, as in 0,1, or 'none'; got 'x'."),
    Case(K, "NUMA Placement Of Server Should Be    vm1    cells=0    pinned=-1", "Argument 'pinned' must be whole numbers separated by commas, as in 0,1, or 'none'; got '-1'."),
    Case(K, "NUMA Placement Of Server Should Be    vm9    cells=0", "No server 'vm9'. *"),
    Case(K, "NUMA Placement Of Server Should Be    vm1    cells=none    host=host9", f"No host 'host9'. {HOSTS}"),
    Case(K, "NUMA Usage On Host Should Be    host9    pinned=0", f"No host 'host9'. {HOSTS}"),
    Case(K, "NUMA Usage On Host Should Be    host1    pinned=0-1", "Argument 'pinned' must be whole numbers separated by commas, as in 0,1, or 'none'; got '0-1'."),
    Case(K, "Get NUMA Placement    vm9", "No server 'vm9'. *"),
    Case(K, "Get Resource Usage    host9", f"No host 'host9'. {HOSTS}"),
    Case(K, "Placement Usage On Host Should Be    host9    VCPU=1", f"No host 'host9'. {HOSTS}"),
    Case(K, "Placement Usage On Host Should Be    host1", "Give the usage to check as resource class=amount, as in VCPU=1; valid resource classes: VCPU, PCPU, MEMORY_MB, DISK_GB."),
    Case(K, "Placement Usage On Host Should Be    host1    VGPU=1", "No resource class 'VGPU'. Valid resource classes: VCPU, PCPU, MEMORY_MB, DISK_GB."),
    Case(K, "Placement Usage On Host Should Be    host1    VCPU=-1", "Amount of VCPU must be 0 or more, got -1."),
    Case(K, "Placement Usage On Host Should Be    host1    VCPU=one", "Argument 'VCPU' must be a whole number such as 2, got 'one'."),
    Case(K, "Get Placement Usage    host9", f"No host 'host9'. {HOSTS}"),
    Case(K, "Placement Allocations Should Be    vm9    host1=flavor", "No server 'vm9'. Known servers: vm1, web1."),
    Case(K, "Placement Allocations Should Be    vm1    host9=flavor", f"No host 'host9'. {HOSTS}"),
    Case(K, "Placement Allocations Should Be    vm1    host1=VCPU", "Allocation for 'host1' must be 'flavor' or resource class:amount pairs separated by commas, like VCPU:1,MEMORY_MB:512, got 'VCPU'."),
    Case(K, "Placement Allocations Should Be    vm1    host1=VCPU:1,", "Allocation for 'host1' must be 'flavor' or resource class:amount pairs separated by commas, like VCPU:1,MEMORY_MB:512, got 'VCPU:1,'."),
    Case(K, "Placement Allocations Should Be    vm1    host1=VCPU:-1", "Amount of VCPU in the allocation for 'host1' must be 0 or more, got -1."),
    Case(K, "Placement Allocations Should Be    vm1    host1=VCPU:1.5", "Amount of VCPU in the allocation for 'host1' must be a whole number such as 2, got '1.5'."),
    Case(K, "Placement Allocations Should Be    vm1    host1=VGPU:1", "No resource class 'VGPU' in the allocation for 'host1'. Valid resource classes: VCPU, PCPU, MEMORY_MB, DISK_GB."),
    Case(K, "Placement Allocations Should Be    vm1    host1=VCPU:1,VCPU:2", "Resource class 'VCPU' is given twice in the allocation for 'host1'."),
    Case(K, "Placement Allocations Should Be    vm1    consumer=instance", "Argument 'consumer' must be 'server' or 'migration', got 'instance'."),
    Case(K, "Get Placement Allocations    vm1    consumer=migration", "No migration of 'vm1', so no migration consumer."),
    Case(K, "Port Binding Should Be    vm1", "Give the binding to check as key=value, as in host=host2; valid keys: host, pci_slot, pci_vendor_info, physical_network."),
    Case(K, "Port Binding Should Be    vm1    slot=0000:02:00.1", "No port binding key 'slot'. Valid keys: host, pci_slot, pci_vendor_info, physical_network."),
    Case(K, "Port Binding Should Be    vm1    host=host9", f"No host 'host9'. {HOSTS}"),
    Case(K, "Port Binding Should Be    vm9    host=host1", "No server 'vm9'. Known servers: vm1, web1."),
    Case(K, "Port Binding Should Be    vm1    port=p9    host=host1", "Server 'vm1' has no port 'p9'; it has no named port."),
    Case(K, "Get Port Binding    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(K, "Migrations Should Be    vm1    evacuation host1 host2", "Migration 1 must be type, source, destination and status, as in 'evacuation host1 host2 done', got 'evacuation host1 host2'."),
    Case(K, "Migrations Should Be    vm1    evacuate host1 host2 done", "No migration type 'evacuate' (migration 1). Valid types: migration, resize, live-migration, evacuation."),
    Case(K, "Migrations Should Be    vm1    evacuation host1 host2 bogus", "No migration status 'bogus' (migration 1). Valid statuses: *"),
    Case(K, "Migrations Should Be    vm1    evacuation host1 host9 done", f"No host 'host9'. {HOSTS}"),
    Case(K, "Migrations Should Be    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(K, "Get Migrations    vm9", "No server 'vm9'. Known servers: vm1, web1."),
    Case(K, "Log Timeline    tasks=nothing(*)", "No task matches 'nothing(*)'. Tasks: *"),
    # -- exploration and replay --------------------------------------------------------
    Case(E, "Explore Interleavings    Start Cluster    No Operation    Run Periodics    bound=-1", "'bound' must be from 0 to 20 and 'schedules' at least 1, got -1 and 2000."),
    Case(E, "Explore Interleavings    Start Cluster    No Operation    Run Periodics    bound=21", "'bound' must be from 0 to 20 and 'schedules' at least 1, got 21 and 2000."),
    Case(E, "Explore Interleavings    Start Cluster    No Operation    Run Periodics    schedules=0", "'bound' must be from 0 to 20 and 'schedules' at least 1, got 2 and 0."),
    Case(E, "Explore Interleavings    Start Cluster    No Operation    Run Periodics    budget=-1 s", "'budget' must be a positive wall-clock time, got -1 second."),
    Case(E, "Explore Interleavings    Start Cluster    No Operation    Run Periodics    strategy=magic", "Argument 'strategy' must be one of 'exhaustive', 'pct', 'random', got 'magic'."),
    Case(E, "Explore Interleavings    Start Cluster    No Operation    Run Periodics    shard=3/2", "Shard '3/2' must look like 2/4: part 2 of 4, counting from 1."),
    Case(E, "Explore Interleavings    Start Cluster    No Operation    Run Periodics    shard=x", "Shard 'x' must look like 2/4: part 2 of 4, counting from 1."),
    Case(E, "Explore Interleavings    Start Cluster    No Operation    Run Periodics    AND", "Give the racing steps as keyword calls separated by AND, as in 'Evacuate Server    vm1    AND    Run Periodics'; an empty step was found."),
    Case(E, "Explore Interleavings    Start Cluster    No Operation    Run Periodics    expect_race=maybe", "Argument 'expect_race' must be true or false, got 'maybe'."),
    Case(E, "Explore Interleavings    No Operation    No Operation    Run Periodics", "The set-up keyword 'No Operation' must start a fresh cluster with 'Start Cluster' for every schedule."),
    Case(E, "Explore Interleavings    Start Cluster    No Operation    Run Until Idle", "Step 1, 'Run Until Idle', starts no operation, so it cannot race. A step must be a keyword that starts one: *; checks and waits can go in the check or settle keyword."),
    Case(E, "Explore Interleavings    Start Cluster    No Operation    Run Periodics    AND    Resource Accounting Should Be Consistent", "Step 2, 'Resource Accounting Should Be Consistent', starts no operation, so it cannot race. A step must be a keyword that starts one: *; checks and waits can go in the check or settle keyword."),
    Case(E, "Start Steps Together    Server Should Be On Host    vm1    host1", "Step 1, 'Server Should Be On Host', starts no operation, so it cannot race. A step must be a keyword that starts one: *; checks and waits can go in the check or settle keyword."),
    Case(E, "Replay Schedule    PCR2:oops", "Replay token 'PCR2:oops' is malformed; a token looks like 'PCR2:3=1,17=2:5c2e' (the failure message of an exploration shows it)."),
    Case(E, "Replay Schedule    PCR1:1=1:0000", "Replay token 'PCR1:1=1:0000' is of version 1; this library reads version 2 ('PCR2:...'). Run the exploration again to get one."),
    Case(E, "Replay Schedule    PCR2:1=1:ffff", "Replay token 'PCR2:1=1:ffff' has a wrong checksum; it was changed or mistyped."),
    Case(E, f"Replay Schedule    {token('1000000000000000000=1')}", f"Replay token '{token('1000000000000000000=1')}' preempts at choice point 1000000000000000000; no scenario has more than 1000000 choice points."),
    Case(E, f"Replay Schedule    {token('1=0')}", f"Replay token '{token('1=0')}' gives choice 0 at position 1; a token lists only switches (choices from 1)."),
    Case(E, f"Replay Schedule    {token('500=1')}    Start Cluster    No Operation    Run Periodics", f"Replay token '{token('500=1')}' preempts at choice point 500, but this scenario has only * choice point(s): it was recorded on another scenario."),
    Case(E, f"Replay Schedule    {token('1=9')}    Start Cluster    No Operation    Run Periodics", "The schedule switches to candidate 9 at choice point 1 (*), but only * task(s) can run there: it was recorded on another scenario."),
    Case(E, f"Replay Schedule    {token('1=1')}", "No scenario to replay: give 'setup', 'check' and the steps, or run 'Explore Interleavings' first in this test."),
    Case(E, "Run Until Idle    timeout=-1 s", "Argument 'timeout' cannot be negative, got -1 second."),
]  # fmt: skip

IMPORTS = [
    ("timeout=soon", "Library argument 'timeout' must be a time such as '2 s', '500 ms' or '1 min 30 s', got 'soon'."),
    ("timeout=1e400 s", "Library argument 'timeout' must be a finite time of at most 1000000000 seconds, got '1e400 s'."),
    ("guard=0 s", "Library arguments 'timeout' and 'guard' must be positive times, got 1 minute and 0 seconds."),
    ("timeout=-5 s", "Library arguments 'timeout' and 'guard' must be positive times, got -5 seconds and 30 seconds."),
]  # fmt: skip

SUITE = """\
*** Settings ***
Library    PciRaceLibrary
Library    {helper}
{imports}
Suite Setup    Set Library Search Order    PciRaceLibrary    StateHelper
Test Setup    Prepare


*** Test Cases ***
{tests}

*** Keywords ***
Prepare
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Create Server    web1    host=host1
    Remember Cluster
"""

HELPER = '''\
from robot.libraries.BuiltIn import BuiltIn


class StateHelper:
    """Compares the running cluster with what it was before a refused call."""

    def _state(self):
        library = BuiltIn().get_library_instance("PciRaceLibrary")
        cluster = library.running_cluster
        kernel = cluster.kernel
        return (id(cluster), cluster.snapshot(), kernel.now, len(kernel.tasks),
                sorted((p, repr(i)) for p, i in kernel.injections.items()))

    def remember_cluster(self):
        self.before = self._state()

    def cluster_should_be_unchanged(self):
        after = self._state()
        if after != self.before:
            raise AssertionError(f"The refused call changed the cluster: {self.before} != {after}")
'''


def suite_text(tmp: Path) -> str:
    helper = tmp / "StateHelper.py"
    helper.write_text(HELPER, encoding="utf-8")
    tests = []
    for number, case in enumerate(CASES):
        tests.append(
            f"Case {number}\n    Run Keyword And Expect Error    GLOB:{_robot(case.message)}\n"
            f"    ...    {case.call}\n    Cluster Should Be Unchanged\n"
        )
    imports = "\n".join(
        f"Library    PciRaceLibrary    {argument}    AS    Import{number}"
        for number, (argument, _) in enumerate(IMPORTS)
    )
    for number, (_, message) in enumerate(IMPORTS):
        tests.append(
            f"Import {number}\n    Run Keyword And Expect Error    {_robot(message)}\n"
            f"    ...    Import{number}.Get Virtual Time\n"
        )
    return SUITE.format(helper=helper, imports=imports, tests="\n".join(tests))


def _robot(text: str) -> str:
    """``text`` as one cell of Robot data: backslashes escaped."""
    return text.replace("\\", "\\\\").replace("    ", " ${SPACE * 2} ")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    tmp = tmp_path_factory.mktemp("bad-input")
    suite = tmp / "bad_input.robot"
    suite.write_text(suite_text(tmp), encoding="utf-8")
    robot.run(str(suite), outputdir=str(tmp), log="NONE", report="NONE", console="none")
    result = ExecutionResult(str(tmp / "output.xml"))
    return {test.name: (test.status, test.message) for test in result.suite.all_tests}


# A Python exception name, a traceback or a repr in a message is a defect.
_PYTHON = re.compile(
    r"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback|<[a-z_.]+ object at|\bb'|\bNone\b|"
    r"datetime\.|\bdict\(|\{'"
)


@pytest.mark.parametrize("number", range(len(CASES)), ids=[case.name for case in CASES])
def test_each_case_is_refused_with_one_sentence_and_changes_nothing(
    results: dict[str, tuple[str, str]], number: int
) -> None:
    status, message = results[f"Case {number}"]
    assert status == "PASS", message


@pytest.mark.parametrize("number", range(len(IMPORTS)), ids=[arg for arg, _ in IMPORTS])
def test_bad_import_arguments_fail_each_keyword_with_one_sentence(
    results: dict[str, tuple[str, str]], number: int
) -> None:
    status, message = results[f"Import {number}"]
    assert status == "PASS", message


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_no_message_names_python(case: Case) -> None:
    assert not _PYTHON.search(case.message), case.message
    assert case.message.rstrip("*").endswith((".", ")", "*")) or case.message.endswith("*")


def table() -> str:
    rows = ["| keyword call | message |", "|---|---|"]
    category = None
    for case in CASES:
        if case.category != category:
            category = case.category
            rows.append(f"| **{category}** | |")
        call = case.call.replace("|", "\\|").replace("    ", " · ")
        message = case.message.replace("|", "\\|")
        rows.append(f"| `{call}` | {message} |")
    for argument, message in IMPORTS:
        rows.append(f"| `Library · PciRaceLibrary · {argument}`, then any keyword | {message} |")
    return "\n".join(rows) + "\n"


def test_the_docs_table_lists_every_case() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert f"{BEGIN}\n{table()}{END}" in text, (
        "docs/bad-input.md is out of date: run python tests/keywords/test_bad_input.py"
    )


def test_at_least_80_rows() -> None:
    assert len(CASES) + len(IMPORTS) >= 80
    assert len({case.call for case in CASES}) == len(CASES)


def _write_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    if BEGIN in text:
        start, end = text.index(BEGIN), text.index(END) + len(END)
        text = text[:start] + f"{BEGIN}\n{table()}{END}" + text[end:]
    else:
        text += f"\n## Keyword arguments\n\n{BEGIN}\n{table()}{END}\n"
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    _write_table()
    sys.exit(0)
