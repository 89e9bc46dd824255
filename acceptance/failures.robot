*** Settings ***
Documentation    Evacuations that fail leave what Nova leaves (nova-model.md 5.4).

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
