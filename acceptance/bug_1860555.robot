*** Settings ***
Documentation    Nova bug 1860555: a build that fails on its first host is rescheduled to an
...              alternate host. The failed build's claim was aborted on the copy of the
...              instance the claim had taken: the tracker freed the device, but the instance
...              object the build went on with still named it, so on the next host it carried
...              two PCI devices, the freed one and its own. Fixed in Nova for the build claim
...              (f8b98390dc, 2024) by aborting on the instance itself; a move claim still
...              aborts on its copy (see failures.robot). ``bugs=1860555`` restores the old
...              build abort. The database is right in both variants; the harm is what the
...              compute hands its driver, which for a flavor's PCI alias (Nova's test) becomes
...              a host device of the guest; for an SR-IOV port Nova binds the last device of
...              the request, the right one. A failure and its reschedule are a sequence, not a
...              race, so the suite has no exploration.

Resource         resources/evacuation.resource

Test Tags        bug-1860555    reschedule


*** Test Cases ***
Rescheduled Build Carries The Freed Device Before The Fix
    [Documentation]    Nova's ``PCIResourceRequestReschedulingTest`` as it was: host1's spawn
    ...    fails, the build is rescheduled to host2, and the instance spawned there names
    ...    host1's VF as well as its own.
    [Tags]    variant-pre-fix
    Start Cluster    bugs=1860555
    Build Failing Once On Host1
    ${spawned} =    Get Spawned PCI Devices    vm1
    Should Be Equal    ${spawned}    ${{ {'host1': ['0000:02:00.1'], 'host2': ['0000:02:00.1']} }}
    PCI Allocations Should Be    vm1    host2=1
    Free PCI Devices On Host Should Be    host1    6

Rescheduled Build Carries Only Its Own Device With The Fix
    [Documentation]    Current Nova: the abort frees the device on the instance too; host2
    ...    spawns it with one device, the one the database names.
    [Tags]    variant-fixed
    Start Cluster
    Build Failing Once On Host1
    ${spawned} =    Get Spawned PCI Devices    vm1
    Should Be Equal    ${spawned}    ${{ {'host2': ['0000:02:00.1']} }}
    PCI Allocations Should Be    vm1    host2=1
    Free PCI Devices On Host Should Be    host1    6
    Port Binding Should Be    vm1    host=host2    pci_slot=0000:02:00.1
    Resource Accounting Should Be Consistent

A Build That Needs No Reschedule Is The Same In Both
    [Documentation]    Without a failure nothing is aborted: the variant changes nothing.
    [Tags]    variant-pre-fix
    Start Cluster    bugs=1860555
    Create Server With Direct Port    vm1
    ${spawned} =    Get Spawned PCI Devices    vm1
    Should Be Equal    ${spawned}    ${{ {'host1': ['0000:02:00.1']} }}


*** Keywords ***
Build Failing Once On Host1
    [Documentation]    vm1's first spawn fails (on host1, which the scheduler picks); the
    ...    build is rescheduled to host2, its alternate, and ends ACTIVE there.
    Inject Failure    ComputeDriver.spawn
    Create Server With Direct Port    vm1
    Server Should Be On Host    vm1    host2
