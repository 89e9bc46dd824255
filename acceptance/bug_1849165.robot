*** Settings ***
Documentation    Nova bug 1849165: the destination's periodic audit during a live migration's
...              ``pre_live_migration`` tracked the incoming migration, then read its
...              instance's migration context to gather assigned resources; a live migration's
...              instance has none, so ``_populate_assigned_resources`` raised TypeError and the
...              audit ended without saving the usage it had recomputed (the migration itself
...              went on). Fixed in Nova (80385a22ee) by skipping moves without a context there;
...              ``bugs=1849165`` restores the read.

Library          PciRaceLibrary

Test Tags        bug-1849165    live-migration


*** Test Cases ***
Reproducer Before The Fix The Destination Audit Raises
    [Documentation]    Nova's regression test runs every compute's audit from inside
    ...    ``pre_live_migration``; here the destination prepares for 1 s while they run. host2's
    ...    audit fails, so host2 never saves that it counts the incoming server, not even
    ...    after the migration completed.
    [Tags]    variant-pre-fix
    Start Cluster    bugs=1849165
    Live Migrate The Server While Every Compute Audits
    Audit Failures On Host Should Be    host1    0
    Audit Failures On Host Should Be    host2    1
    Run Keyword And Expect Error
    ...    GLOB:Audits of 'host2' should have failed 0 time(s) but failed 1 time(s) at t=0.000s: TypeError: argument of type 'NoneType' is not iterable (*).
    ...    Audit Failures On Host Should Be
    ...    host2
    ...    0
    Resource Usage On Host Should Be    host2    vcpus=0
    Wait Until Migration Status Is    vm1    completed
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    Resource Usage On Host Should Be    host2    vcpus=0
    Log Timeline

Same Steps With The Fix The Migration Completes With The Accounting Consistent
    [Documentation]    Current Nova: the audit counts the incoming migration, and its claimed VF
    ...    becomes allocated there; the migration completes.
    [Tags]    variant-fixed
    Start Cluster
    Live Migrate The Server While Every Compute Audits
    Audit Failures On Host Should Be    host2    0
    ${errors} =    Get Audit Failures    host2
    Should Be Empty    ${errors}
    Resource Usage On Host Should Be    host2    vcpus=1
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Wait Until Migration Status Is    vm1    completed
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    Resource Usage On Host Should Be    host2    vcpus=1
    PCI Allocations Should Be    vm1    host2=1
    Resource Accounting Should Be Consistent

Exploration Finds The Failing Audit Before The Fix
    [Documentation]    No delays: the explorer switches between the live migration and host2's
    ...    audit; some schedules let the audit meet the migration in progress.
    [Tags]    variant-pre-fix    exploration
    Explore Interleavings    Pre-fix Server On Host1    Destination Audit Should Not Fail
    ...    Live Migrate Server    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound=2    expect_race=True

Exploration Finds No Failing Audit With The Fix
    [Documentation]    The same space on current Nova: no audit fails, every migration completes.
    [Tags]    variant-fixed    exploration
    Explore Interleavings    Fixed Server On Host1    Destination Audit Should Not Fail
    ...    Live Migrate Server    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound=2


*** Keywords ***
Live Migrate The Server While Every Compute Audits
    [Documentation]    vm1 on host1, live migrated to the scheduler's choice (host2); the audits
    ...    of both computes run while the destination's ``pre_live_migration`` takes 1 s.
    Create Server With Direct Port    vm1    host=host1
    Live Migrate Server    vm1    ComputeDriver.pre_live_migration=1 s
    Run Periodics
    Migration Status Should Be    vm1    preparing

Pre-fix Server On Host1
    [Documentation]    vm1 on host1, before the fix of bug 1849165.
    Start Cluster    bugs=1849165
    Create Server With Direct Port    vm1    host=host1

Fixed Server On Host1
    [Documentation]    vm1 on host1, current Nova.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1

Destination Audit Should Not Fail
    [Documentation]    host2's audit ended normally and the migration completed.
    Audit Failures On Host Should Be    host2    0
    Migration Status Should Be    vm1    completed
