*** Settings ***
Documentation    Nova bug 1896463: an evacuation that drops its migration context races
...              the destination's periodic audit, which has read the instance list but
...              not yet the migration list, and so frees the PCI device the evacuation
...              just claimed. Fixed in Nova by finishing the evacuation under the host
...              lock; ``bugs=1896463`` restores the unlocked finish.

Resource         resources/evacuation.resource

Test Tags        bug-1896463    evacuation


*** Test Cases ***
Canonical Reproducer Before The Fix Loses The Destination Allocation
    [Documentation]    The race of Nova's regression test, in virtual time: the audit on
    ...    host2 reads the instances at t=0, the unlocked finish moves the server at
    ...    t=1.5, the audit reads the migrations at t=2 and frees the VF on host2.
    [Tags]    variant-pre-fix
    Start Cluster    bugs=1896463    microversion=2.94
    Create Server With Direct Port    vm1    host=host1
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Server With Direct Port    vm1    ComputeDriver.rebuild=0.5 s    drop_migration_context=1 s
    Run Periodic Update Available Resource    host2    get_in_progress_and_error=2 s
    Wait Until Server Has    vm1    host=host2    status=ACTIVE    timeout=30 s
    PCI Allocation On Host Should Be    vm1    host1    1
    PCI Allocation On Host Should Be    vm1    host2    0
    Run Keyword And Expect Error
    ...    Resource accounting in the cluster is inconsistent at t=2.000s (2 violation(s)):*'vm1' on 'host2' should hold 1*
    ...    Resource Accounting Should Be Consistent
    Log Timeline

Canonical Reproducer With The Fix Keeps The Allocation On Both Hosts
    [Documentation]    The same steps on current Nova: the audit waits for the host lock,
    ...    sees the server on host2, and frees nothing.
    [Tags]    variant-fixed
    Start Cluster    microversion=2.94
    Create Server With Direct Port    vm1    host=host1
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Server With Direct Port    vm1    ComputeDriver.rebuild=0.5 s    drop_migration_context=1 s
    Run Periodic Update Available Resource    host2    get_in_progress_and_error=2 s
    Wait Until Server Has    vm1    host=host2    status=ACTIVE    timeout=30 s
    PCI Allocation On Host Should Be    vm1    host1    1
    PCI Allocation On Host Should Be    vm1    host2    1
    Wait Until Migration Status Is    vm1    done
    Resource Accounting Should Be Consistent    usage=False
    Log Timeline

With The Fix The Destination Counts vm1's vCPU And RAM Only From Its Next Audit
    [Documentation]    What the fix does not cover, in current Nova too: the audit read the
    ...    instances before vm1 moved and skipped its migration (vm1 was ACTIVE, no longer
    ...    rebuilding), so host2's tracker misses vm1's vCPU and RAM until its next audit,
    ...    while placement holds them. The device is safe.
    [Tags]    variant-fixed
    Server On Failed Host
    Evacuate Racing The Destination Audit
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Resource Usage On Host Should Be    host2    vcpus=0    memory_mb=0
    Placement Usage On Host Should Be    host2    VCPU=1    MEMORY_MB=512
    Run Keyword And Expect Error
    ...    GLOB:*The resource tracker of 'host2' counts other usage than placement holds on it*
    ...    Resource Accounting Should Be Consistent
    Run Periodic Update Available Resource    host2
    Resource Usage On Host Should Be    host2    vcpus=1    memory_mb=512
    Resource Accounting Should Be Consistent

Without Delays There Is No Race Before The Fix
    [Documentation]    Without the widened window the audit runs after the evacuation.
    [Tags]    variant-pre-fix
    Server On Failed Host    bugs=1896463
    Evacuate Server With Direct Port    vm1
    Run Periodic Update Available Resource    host2
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Resource Accounting Should Be Consistent

Without Delays There Is No Race With The Fix
    [Documentation]    Current Nova, no injected delays: both hosts keep their device.
    [Tags]    variant-fixed
    Server On Failed Host
    Evacuate Server With Direct Port    vm1
    Run Periodic Update Available Resource    host2
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Resource Accounting Should Be Consistent

Second Server On The Destination Keeps Its Device Before The Fix
    [Documentation]    The audit frees only what it cannot account for: vm2, built on
    ...    host2 before the race, keeps its VF while vm1's is lost.
    [Tags]    variant-pre-fix
    Start Cluster    bugs=1896463    microversion=2.94
    Create Server With Direct Port    vm2    host=host2
    Create Server With Direct Port    vm1    host=host1
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Racing The Destination Audit
    PCI Allocation On Host Should Be    vm2    host2    1
    PCI Allocation On Host Should Be    vm1    host2    0
    PCI Allocation On Host Should Be    vm1    host1    1

Second Server On The Destination Keeps Its Device With The Fix
    [Documentation]    Current Nova: vm2 and the evacuated vm1 each hold one VF on host2.
    [Tags]    variant-fixed
    Start Cluster    microversion=2.94
    Create Server With Direct Port    vm2    host=host2
    Create Server With Direct Port    vm1    host=host1
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Racing The Destination Audit
    PCI Allocations Should Be    vm2    host2=1
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Free PCI Devices On Host Should Be    host2    2
    Resource Accounting Should Be Consistent    usage=False
    Run Periodic Update Available Resource    host2    # counts vm1's vCPU and RAM again
    Resource Accounting Should Be Consistent
