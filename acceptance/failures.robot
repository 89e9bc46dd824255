*** Settings ***
Documentation    Evacuations that fail leave what Nova leaves (nova-model.md 5.4); builds that
...              fail on their compute are rescheduled to the scheduler's alternates, as Nova's
...              are, and fail when none is left.

Resource         resources/evacuation.resource

Test Tags        evacuation    failure


*** Test Cases ***
No Valid Host Leaves The Server In Error On Its Source
    [Documentation]    With every other compute down the conductor finds no host: the
    ...    record goes to ``error`` and the server to ERROR, still on host1.
    [Tags]    variant-fixed
    Server On Failed Host
    Stop Compute Service    host2
    Force Down Compute Service    host2
    Evacuate Server With Direct Port    vm1
    Wait Until Migration Status Is    vm1    error
    Wait Until Server Has    vm1    host=host1    status=ERROR
    PCI Allocations Should Be    vm1    host1=1
    Resource Accounting Should Be Consistent

No Valid Host Before Bug 1713783 Was Fixed Leaves The Record Accepted
    [Documentation]    Before the fix the conductor left the record ``accepted``.
    [Tags]    bug-1713783    variant-pre-fix
    Server On Failed Host    bugs=1713783
    Stop Compute Service    host2
    Force Down Compute Service    host2
    Evacuate Server With Direct Port    vm1
    Wait Until Server Has    vm1    status=ERROR
    Migration Status Should Be    vm1    accepted

Claim Refused On A Full Destination Leaves The Server Active On Its Source
    [Documentation]    host2 of this topology has a single VF, already used by vm2: the
    ...    rebuild claim is refused, the record goes ``failed`` and vm1 keeps its state.
    [Tags]    variant-fixed
    Start Cluster    small_host2
    Create Server With Direct Port    vm2    host=host2
    Create Server With Direct Port    vm1    host=host1
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Server With Direct Port    vm1    target_host=host2
    Wait Until Migration Status Is    vm1    failed
    Server Should Be On Host    vm1    host1
    PCI Allocations Should Be    vm1    host1=1
    PCI Allocations Should Be    vm2    host2=1
    Resource Accounting Should Be Consistent

Rebuild Failing After The Claim Leaves The Destination Device To The Next Audit
    [Documentation]    The claim's abort acts on a copy of the server, so the VF on host2
    ...    stays allocated until host2's next audit frees it.
    [Tags]    variant-fixed
    Server On Failed Host
    Inject Failure    ComputeDriver.rebuild
    Evacuate Server With Direct Port    vm1
    Wait Until Migration Status Is    vm1    failed
    Wait Until Server Has    vm1    host=host1    status=ERROR
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Run Periodic Update Available Resource    host2
    PCI Allocations Should Be    vm1    host1=1
    Resource Accounting Should Be Consistent

A Consumer Generation Conflict Fails The Build
    [Documentation]    Placement answers 409 with a consumer generation conflict to the
    ...    scheduler's claim: nobody retries; the server is ERROR and holds nothing (Nova's
    ...    ConsumerGenerationConflictTest).
    Start Cluster
    Inject Failure    SchedulerReportClient.claim_resources
    VAR    ${fault} =    Failed to update allocations for consumer 'vm1': placement answered 409
    Run Keyword And Expect Error
    ...    GLOB:Server 'vm1' should be ACTIVE * but is ERROR * (fault: ${fault}, consumer generation conflict *
    ...    Create Server With Direct Port
    ...    vm1
    PCI Allocations Should Be    vm1
    Placement Allocations Should Be    vm1

A Consumer Generation Conflict Fails The Evacuation At The Conductor
    [Documentation]    As for no valid host: the migration is ``error``, the server ERROR on
    ...    its source, no destination allocation.
    Server On Failed Host
    Inject Failure    SchedulerReportClient.claim_resources
    Evacuate Server With Direct Port    vm1
    Wait Until Migration Status Is    vm1    error
    Server Should Be On Host    vm1    host1
    Placement Allocations Should Be    vm1    host1=flavor

A Refused Evacuation Claim Leaves The Server On Its Source
    [Documentation]    ComputeResourcesUnavailable in the destination claim: the migration
    ...    fails, the server keeps its state on host1, host2's placement part is removed.
    Server On Failed Host
    Inject Failure    ResourceTracker.rebuild_claim
    Evacuate Server With Direct Port    vm1
    Wait Until Migration Status Is    vm1    failed
    Server Should Be On Host    vm1    host1
    Wait Until Server Is Active    vm1
    PCI Allocations Should Be    vm1    host1=1
    Placement Allocations Should Be    vm1    host1=flavor

A Failed Spawn On A Requested Host Gives Back What The Build Claimed
    [Documentation]    The hypervisor fails the build: the claim is aborted, the ports unbound,
    ...    host and node cleared and the allocation given back, and the build goes back to
    ...    the conductor, as Nova reschedules; a requested host has no alternates, so the
    ...    server is ERROR (MaxRetriesExceeded), on no host, holding nothing.
    Start Cluster
    Inject Failure    ComputeDriver.spawn
    VAR    ${fault} =    Exhausted all hosts available for retrying build failures for instance
    ...    'vm1'; the last attempt: spawn failed on 'host1':    separator=${SPACE}
    Run Keyword And Expect Error
    ...    GLOB:Server 'vm1' should be ACTIVE * but is ERROR * (fault: ${fault} *
    ...    Create Server With Direct Port    vm1    host=host1
    PCI Allocations Should Be    vm1
    Free PCI Devices On Host Should Be    host1    6
    Placement Allocations Should Be    vm1
    Port Binding Should Be    vm1    host=${EMPTY}    pci_slot=${EMPTY}
    Resource Accounting Should Be Consistent

A Failed Spawn Is Rescheduled To The Alternate Host
    [Documentation]    Without a requested host the scheduler returns host1 and host2 as its
    ...    alternate: the failed build on host1 is given back there and retried on host2,
    ...    where the server ends ACTIVE with host1's VF free again.
    [Tags]    reschedule
    Start Cluster
    Inject Failure    ComputeDriver.spawn
    Create Server With Direct Port    vm1
    Server Should Be On Host    vm1    host2
    PCI Allocations Should Be    vm1    host2=1
    Free PCI Devices On Host Should Be    host1    6
    Placement Allocations Should Be    vm1    host2=flavor
    Port Binding Should Be    vm1    host=host2
    Resource Accounting Should Be Consistent

A Refused Build Claim Is Rescheduled To The Alternate Host
    [Documentation]    ComputeResourcesUnavailable in host1's claim: Nova reschedules it too.
    [Tags]    reschedule
    Start Cluster
    Inject Failure    ResourceTracker.instance_claim
    Create Server With Direct Port    vm1
    Server Should Be On Host    vm1    host2
    Placement Allocations Should Be    vm1    host2=flavor
    Resource Accounting Should Be Consistent

A Build Tries At Most Three Hosts
    [Documentation]    Nova's ``[scheduler]max_attempts`` is 3: the host and two alternates.
    ...    With four hosts and three failing spawns the server is ERROR; the fourth host is
    ...    never tried.
    [Tags]    reschedule
    Start Cluster    ${CURDIR}/topologies/four_hosts.yaml
    Inject Failure    ComputeDriver.spawn    times=3
    Run Keyword And Expect Error    GLOB:*fault: Exhausted all hosts available*
    ...    Create Server With Direct Port    vm1
    Placement Allocations Should Be    vm1
    Resource Accounting Should Be Consistent

Two Failing Spawns Leave The Third Host To Build
    [Documentation]    Two spawns fail, on the host and on the first alternate; the second
    ...    alternate builds the server.
    [Tags]    reschedule
    Start Cluster    three_hosts
    Inject Failure    ComputeDriver.spawn    times=2
    Create Server With Direct Port    vm1
    Server Should Be On Host    vm1    host3
    PCI Allocations Should Be    vm1    host3=1
    Resource Accounting Should Be Consistent
