*** Settings ***
Documentation    Nova bug 1953359: between ``resize_instance`` on the source, which points the
...              instance at the destination, and ``finish_resize`` on the destination, which
...              applies the migration context, the destination's periodic audit counted the
...              instance with the NUMA topology it had on the source. Nova's reproducer
...              (``test_resize_dedicated_policy_race_on_dest_bug_1953359``) pins vm1 to pCPU 0
...              of compute1 and vm2 to pCPU 0 of compute2, then cold-migrates vm1: the resize
...              claim pins pCPU 1 on compute2, but the racing audit pins pCPU 0 again, raises
...              ``CPUPinningInvalid`` and ends ("Error updating resources for node compute2");
...              the revert then unpins pCPU 1, which the failed audit never counted:
...              ``CPUUnpinningInvalid`` and the server goes to ERROR. Fixed in 2021
...              (32c1044d86): the audit applies the context of incoming, in-progress
...              migrations to the instances it counts. ``bugs=1953359`` restores the old audit.
...              Topology ``pinned_hosts``: two hosts of one NUMA cell with two dedicated pCPUs,
...              flavor ``pinned`` (one dedicated vCPU).

Library          PciRaceLibrary

Test Tags        bug-1953359    numa    resize


*** Variables ***
${TOPOLOGY}      ${CURDIR}/topologies/pinned_hosts.yaml
${PIN ERROR}     CPUPinningInvalid: CPU set to pin [0] must be a subset of free CPU set [1]
${UNPIN GLOB}    CPUUnpinningInvalid: CPU set to unpin ?1? must be a subset of pinned CPU set ?0?


*** Test Cases ***
An Audit During The Migration Fails And The Revert Errors The Server Before The Fix
    [Documentation]    The audit of host2 runs while the cast of ``finish_resize`` waits 1 s:
    ...    vm1 is on host2 with its host1 pinning; pinning pCPU 0 twice raises, the audit
    ...    saves nothing, and the revert's unpinning of pCPU 1 raises too.
    [Tags]    variant-pre-fix
    Two Pinned Servers    bugs=1953359
    Migrate Server    vm1    ComputeAPI.finish_resize=1 s
    Run Periodic Update Available Resource    host2
    Audit Failures On Host Should Be    host2    1
    ${failures} =    Get Audit Failures    host2
    Should Be Equal    ${failures}[0]    ${PIN ERROR}
    Wait Until Server Has    vm1    host=host2    status=VERIFY_RESIZE
    NUMA Placement Of Server Should Be    vm1    cells=0    pinned=1    host=host2
    Revert Resize    vm1
    Wait Until Server Has    vm1    status=ERROR
    Run Keyword And Expect Error    GLOB:*${UNPIN GLOB}*
    ...    Wait Until Server Is Active    vm1    timeout=1 s
    Migration Status Should Be    vm1    error
    Log Timeline

The Same Audit Counts The New Pinning And The Revert Succeeds With The Fix
    [Documentation]    Current Nova: the audit counts vm1 as its migration context has it
    ...    (pCPU 1), so host2 pins 0 and 1; the revert unpins 1 and vm1 is back on host1's 0.
    [Tags]    variant-fixed
    Two Pinned Servers
    Migrate Server    vm1    ComputeAPI.finish_resize=1 s
    Run Periodic Update Available Resource    host2
    Audit Failures On Host Should Be    host2    0
    NUMA Usage On Host Should Be    host2    pinned=0,1
    Wait Until Server Has    vm1    host=host2    status=VERIFY_RESIZE
    Revert Resize    vm1
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    NUMA Placement Of Server Should Be    vm1    cells=0    pinned=0    host=host1
    NUMA Usage On Host Should Be    host1    pinned=0
    NUMA Usage On Host Should Be    host2    pinned=0
    Resource Accounting Should Be Consistent

Exploration Finds The Failing Audit Before The Fix
    [Documentation]    No delays: the explorer switches between the migration and host2's
    ...    audit, up to two preemptions; some schedules run the audit in the window.
    [Tags]    variant-pre-fix    exploration
    Explore Interleavings    Pre-fix Two Pinned Servers    Audit Ended Normally And The Server Resized
    ...    Migrate Server    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound=2    expect_race=True

Exploration Finds No Failing Audit With The Fix
    [Documentation]    The same space on current Nova.
    [Tags]    variant-fixed    exploration
    Explore Interleavings    Fixed Two Pinned Servers    Audit Ended Normally And The Server Resized
    ...    Migrate Server    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound=2


*** Keywords ***
Two Pinned Servers
    [Documentation]    vm1 pinned to pCPU 0 of host1, vm2 to pCPU 0 of host2, normal ports.
    [Arguments]    ${bugs}=${EMPTY}
    Start Cluster    ${TOPOLOGY}    bugs=${bugs}
    Create Server    vm1    host=host1
    Create Server    vm2    host=host2
    NUMA Placement Of Server Should Be    vm1    cells=0    pinned=0    host=host1
    NUMA Placement Of Server Should Be    vm2    cells=0    pinned=0    host=host2

Pre-fix Two Pinned Servers
    [Documentation]    The set-up before the fix of bug 1953359.
    Two Pinned Servers    bugs=1953359

Fixed Two Pinned Servers
    [Documentation]    The set-up on current Nova.
    Two Pinned Servers

Audit Ended Normally And The Server Resized
    [Documentation]    host2's audit ended without an error and vm1 waits in VERIFY_RESIZE on
    ...    host2, pinned to pCPU 1.
    Wait Until Server Has    vm1    host=host2    status=VERIFY_RESIZE
    Audit Failures On Host Should Be    host2    0
    NUMA Placement Of Server Should Be    vm1    cells=0    pinned=1    host=host2
