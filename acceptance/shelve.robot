*** Settings ***
Documentation    Shelve, shelve offload and unshelve of a server with a direct port, as Nova
...              does them. Shelving powers the guest off and snapshots it; with Nova's default
...              ``shelved_offload_time = 0`` the compute offloads it at once: the guest is
...              destroyed, the port unbound, the placement allocation deleted, the tracker's
...              usage and the VF freed, the host cleared. Unshelving an offloaded server
...              schedules it again, claims on the chosen compute (the port's PCI request
...              included) and spawns it there with its port bound to the new device.

Resource         resources/shelve.resource

Test Tags        shelve    lifecycle    variant-fixed


*** Test Cases ***
Shelving Offloads At Once And Frees Everything On The Host
    [Documentation]    Before: the VF, the allocation, the usage and the binding on host1.
    ...    After: nothing anywhere, and the port unbound.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    PCI Allocations Should Be    vm1    host1=0000:02:00.1
    Placement Allocations Should Be    vm1    host1=flavor
    Resource Usage On Host Should Be    host1    vcpus=1    memory_mb=512    disk_gb=1
    Port Binding Should Be    vm1    host=host1    pci_slot=0000:02:00.1
    Shelve Server    vm1
    Wait Until Server Has    vm1    status=SHELVED_OFFLOADED
    Run Until Idle
    Server Should Hold Nothing
    Host Should Be Empty    host1
    Port Binding Should Be    vm1    host=${EMPTY}    pci_slot=${EMPTY}
    Resource Accounting Should Be Consistent

Unshelve Claims Again Where The Scheduler Sends It
    [Documentation]    Both hosts are empty, so the scheduler picks host1 (by name). The VF
    ...    freed by the offload went to the back of host1's pools: the claim takes the VF of
    ...    bus 03, and the port is bound to it.
    Offloaded Server
    Unshelve Server    vm1
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    PCI Allocations Should Be    vm1    host1=0000:03:00.1
    Port Binding Should Be    vm1    host=host1    pci_slot=0000:03:00.1
    Placement Allocations Should Be    vm1    host1=flavor
    Resource Usage On Host Should Be    host1    vcpus=1    memory_mb=512    disk_gb=1
    Run Periodic Update Available Resource    host1
    PCI Allocations Should Be    vm1    host1=0000:03:00.1
    Resource Accounting Should Be Consistent

Unshelve To Another Host Binds The Port To Its Device There
    [Documentation]    With ``host`` (microversion 2.91 and later) the server goes to host2:
    ...    a VF there, the allocation and the usage there, nothing left on host1.
    Offloaded Server
    Unshelve Server    vm1    host2
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    PCI Allocations Should Be    vm1    host2=0000:02:00.1
    Port Binding Should Be    vm1    host=host2    pci_slot=0000:02:00.1
    Placement Allocations Should Be    vm1    host2=flavor
    Resource Usage On Host Should Be    host2    vcpus=1    memory_mb=512    disk_gb=1
    Host Should Be Empty    host1
    Resource Accounting Should Be Consistent

Shelving Without Offload Keeps Everything Until The Offload
    [Documentation]    ``offload=False`` (a compute with ``shelved_offload_time = -1``): the
    ...    server is SHELVED on host1 and keeps its VF, allocation and usage, also across an
    ...    audit; `Shelve Offload Server` then frees them.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Shelve Server    vm1    offload=False
    Wait Until Server Has    vm1    host=host1    status=SHELVED
    Run Periodic Update Available Resource    host1
    PCI Allocations Should Be    vm1    host1=0000:02:00.1
    Placement Allocations Should Be    vm1    host1=flavor
    Resource Usage On Host Should Be    host1    vcpus=1    memory_mb=512    disk_gb=1
    Resource Accounting Should Be Consistent
    Shelve Offload Server    vm1
    Wait Until Server Has    vm1    status=SHELVED_OFFLOADED
    Server Should Hold Nothing
    Host Should Be Empty    host1
    Resource Accounting Should Be Consistent

Unshelving A Shelved Server Powers It On Where It Is
    [Documentation]    A server that was not offloaded is not scheduled: the conductor only
    ...    powers it on, with the device it kept.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Shelve Server    vm1    offload=False
    Wait Until Server Has    vm1    status=SHELVED
    Unshelve Server    vm1
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    PCI Allocations Should Be    vm1    host1=0000:02:00.1
    Port Binding Should Be    vm1    host=host1    pci_slot=0000:02:00.1
    Resource Accounting Should Be Consistent

Nova Refuses To Unshelve Or Offload An Active Server
    [Documentation]    ``@check_instance_state`` of nova/compute/api.py: shelve offload needs a
    ...    shelved server, unshelve a shelved or offloaded one (409).
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Run Keyword And Expect Error
    ...    Cannot unshelve 'vm1': it is active; only shelved, shelved_offloaded servers that have run can be (409). (refused at t=0.000s)
    ...    Unshelve Server
    ...    vm1
    Run Keyword And Expect Error
    ...    Cannot shelve offload 'vm1': it is active; only shelved servers that have run can be (409). (refused at t=0.000s)
    ...    Shelve Offload Server
    ...    vm1
    Resource Accounting Should Be Consistent

Nova Refuses To Shelve A Shelving Or Offloaded Server
    [Documentation]    Shelve needs an active or stopped server with no task under way (409);
    ...    an offloaded one cannot be evacuated either.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Shelve Server    vm1    ComputeDriver.snapshot=1 s
    Run Keyword And Expect Error
    ...    Cannot shelve 'vm1' while it is in task state shelving; wait for that operation to finish (409). (refused at t=0.000s)
    ...    Shelve Server
    ...    vm1
    Wait Until Server Has    vm1    status=SHELVED_OFFLOADED
    Run Keyword And Expect Error
    ...    Cannot shelve 'vm1': it is shelved_offloaded; only active, stopped, paused, suspended servers that have run can be (409). (refused at t=1.000s)
    ...    Shelve Server
    ...    vm1
    Run Keyword And Expect Error
    ...    Cannot evacuate 'vm1': it is shelved_offloaded; only active, stopped, error servers that have run can be (409). (refused at t=1.000s)
    ...    Evacuate Server
    ...    vm1
    Resource Accounting Should Be Consistent

Nova Refuses An Unshelve Host For A Server Not Offloaded
    [Documentation]    A shelved server stays where it is, so a target host is refused (409).
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Shelve Server    vm1    offload=False
    Wait Until Server Has    vm1    status=SHELVED
    Run Keyword And Expect Error
    ...    Cannot unshelve 'vm1' to 'host2': it is shelved, and only a shelved_offloaded server is scheduled again (409). (refused at t=0.000s)
    ...    Unshelve Server
    ...    vm1
    ...    host2
    Resource Accounting Should Be Consistent

Nova Refuses An Unshelve Host Before Microversion 291
    [Documentation]    ``host`` exists from microversion 2.91 (400 before) and must be a compute
    ...    host; a request at 2.91 with a real host is accepted.
    Offloaded Server
    Run Keyword And Expect Error
    ...    Cannot unshelve 'vm1' to a host at microversion 2.90: 'host' exists from 2.91 (400). (refused at t=0.000s)
    ...    Unshelve Server    vm1    host2    microversion=2.90
    Run Keyword And Expect Error    No host 'host9'. Known hosts: host1, host2.
    ...    Unshelve Server    vm1    host9
    Unshelve Server    vm1    host2    microversion=2.91
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    Resource Accounting Should Be Consistent

No Valid Host Leaves The Server Offloaded With No Task
    [Documentation]    host2 is disabled: the scheduler finds no host for the requested one,
    ...    the conductor clears the task, and nothing is allocated. Once enabled, the same
    ...    unshelve is accepted and succeeds.
    Offloaded Server
    Disable Compute Service    host2
    Unshelve Server    vm1    host2
    Run Until Idle
    Wait Until Server Has    vm1    status=SHELVED_OFFLOADED
    Server Should Hold Nothing
    Enable Compute Service    host2
    Unshelve Server    vm1    host2
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    Resource Accounting Should Be Consistent

A Refused Unshelve Claim Leaves The Server Offloaded Holding Nothing
    [Documentation]    ComputeResourcesUnavailable in the compute's claim: the scheduler's
    ...    allocation is deleted, the task cleared, the fault says why.
    [Tags]    failure
    Offloaded Server
    Inject Failure    ResourceTracker.instance_claim
    Unshelve Server    vm1
    Run Keyword And Expect Error
    ...    GLOB:*it is SHELVED_OFFLOADED on no host (fault: claim refused on 'host1': injected failure at ResourceTracker.instance_claim).
    ...    Wait Until Server Is Active
    ...    vm1
    ...    timeout=5 s
    Server Should Hold Nothing
    Host Should Be Empty    host1
    Resource Accounting Should Be Consistent

A Failed Unshelve Spawn Gives Back The Claim And Leaves The Port Bound
    [Documentation]    The hypervisor fails the spawn on host2: the claim is aborted (VF
    ...    freed, usage and host cleared), the allocation deleted, the server offloaded again.
    ...    Nova does not roll the port binding back (a FIXME in ``_unshelve_instance``), so
    ...    the port still names host2 and the freed VF. A second unshelve succeeds.
    [Tags]    failure
    Offloaded Server
    Inject Failure    ComputeDriver.spawn
    Unshelve Server    vm1    host2
    Run Until Idle
    Wait Until Server Has    vm1    status=SHELVED_OFFLOADED
    Server Should Hold Nothing
    Host Should Be Empty    host2
    Port Binding Should Be    vm1    host=host2    pci_slot=0000:02:00.1
    Resource Accounting Should Be Consistent
    Unshelve Server    vm1    host2
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    PCI Allocations Should Be    vm1    host2=0000:03:00.1
    Port Binding Should Be    vm1    host=host2    pci_slot=0000:03:00.1
    Resource Accounting Should Be Consistent

A Failed Snapshot Leaves The Server Where It Was
    [Documentation]    The driver's snapshot fails: ``reverts_task_state`` clears the task and
    ...    the fault is recorded; nothing was offloaded, so everything stays on host1.
    [Tags]    failure
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Inject Failure    ComputeDriver.snapshot
    Shelve Server    vm1
    Run Until Idle
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    PCI Allocations Should Be    vm1    host1=1
    Placement Allocations Should Be    vm1    host1=flavor
    Resource Accounting Should Be Consistent

Delete During The Unshelve Spawn Waits For It And Frees Everything
    [Documentation]    The delete goes to host1, where the unshelve spawns under the server's
    ...    lock; the unshelve's last save finds the server ``deleting`` and gives back what it
    ...    claimed, then the delete runs.
    Offloaded Server
    Unshelve Server    vm1    ComputeDriver.spawn=1 s
    Run Keyword And Expect Error    GLOB:*it is SHELVED_OFFLOADED on host1.
    ...    Wait Until Server Is Active    vm1    timeout=0.5 s
    Delete Server    vm1
    Wait Until Server Has    vm1    status=DELETED
    Run Until Idle
    PCI Allocations Should Be    vm1
    Placement Allocations Should Be    vm1
    Host Should Be Empty    host1
    Resource Accounting Should Be Consistent

Deleting An Offloaded Server Is Local To The API
    [Documentation]    An offloaded server has no host to cast to: Nova's API deletes it.
    Offloaded Server
    Delete Server    vm1
    Wait Until Server Has    vm1    status=DELETED
    PCI Allocations Should Be    vm1
    Resource Accounting Should Be Consistent

Shelving Racing Its Host's Audit Can Leave The Device Until The Next Audit
    [Documentation]    The model's prediction: if the audit reads the instances after the
    ...    offload saved ``shelved_offloaded`` but before it asked the tracker to free the
    ...    server, the audit stops tracking it (a state Nova frees resources in) without
    ...    freeing its VF (it is still listed on host1), and the offload's ``update_usage``
    ...    then finds it untracked and frees nothing. Nova orders these steps the same way.
    [Tags]    exploration
    Explore Interleavings    Server With Direct Port On Host1    Offloaded And Host1 Empty
    ...    Shelve Server    vm1
    ...    AND    Run Periodic Update Available Resource    host1
    ...    bound=2    expect_race=True

An Unshelve Back Before That Audit Keeps Both Devices
    [Documentation]    The model's prediction, from the race above placed with delays: the
    ...    audit (its resource read 0.5 s) falls inside the offload (1 s before
    ...    ``update_usage``), so the offloaded vm1 keeps VF 02:00.1; unshelved back to host1
    ...    before another audit, it claims VF 03:00.1 as well, and now that it is listed on
    ...    host1 no audit frees the first one. Not known to be reported against Nova.
    [Tags]    prediction
    Server With Direct Port On Host1
    Shelve Server    vm1    ResourceTracker.update_usage=1 s
    Run Periodic Update Available Resource    host1    get_available_resource=0.5 s
    Run Until Idle
    PCI Allocations Should Be    vm1    host1=0000:02:00.1
    Unshelve Server    vm1    host1
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    Run Periodic Update Available Resource    host1
    PCI Allocations Should Be    vm1    host1=0000:02:00.1,0000:03:00.1
    Run Keyword And Expect Error
    ...    GLOB:*Server 'vm1' on 'host1' should hold 1 allocated PCI device(s) for its port but holds 2: *
    ...    Resource Accounting Should Be Consistent

Shelving Racing Its Host's Audit Is Healed By The Next Audit
    [Documentation]    Every such schedule is consistent again after one more audit: the
    ...    offloaded server is no longer listed on host1, so ``clean_usage`` frees its VF.
    [Tags]    exploration
    Explore Interleavings    Server With Direct Port On Host1
    ...    Offloaded And Host1 Empty After The Next Audit
    ...    Shelve Server    vm1
    ...    AND    Run Periodic Update Available Resource    host1
    ...    bound=2


*** Keywords ***
Server With Direct Port On Host1
    [Documentation]    A fresh cluster with vm1 built on host1.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1

Offloaded And Host1 Empty
    [Documentation]    vm1 is offloaded and holds nothing; host1 uses nothing.
    Wait Until Server Has    vm1    status=SHELVED_OFFLOADED
    Server Should Hold Nothing
    Host Should Be Empty    host1
    Resource Accounting Should Be Consistent

Offloaded And Host1 Empty After The Next Audit
    [Documentation]    Runs host1's audit once more, then checks as `Offloaded And Host1 Empty`.
    Run Periodic Update Available Resource    host1
    Offloaded And Host1 Empty
