*** Settings ***
Documentation    Nova bug 1879878: confirming or reverting a cold migration or resize set the
...              migration's status first and dropped the move claim later, in a separate
...              locked call. A periodic audit in between no longer counted the move (the
...              migration was over) nor the server on the old host, so it dropped that
...              usage, and the later drop took it away a second time: Nova's reproducer
...              (test_bug_1879878.py) read ``vcpus_used`` -1 on the source after a raced
...              confirm, and the destination still counted after a raced revert, until the
...              next audit. Fixed in 2020 (a57800d382 and dc9c7a5ebf):
...              ``drop_move_claim_at_source`` and ``drop_move_claim_at_dest`` set the status
...              and drop the claim in one hold of the host lock. ``bugs=1879878`` restores
...              the old order. The race: the audit holds the lock from t=0 for 2 s between
...              reading the instances and the migrations; the confirm (or revert) writes the
...              status at t=1.

Resource         resources/resize.resource

Test Tags        bug-1879878    resize


*** Test Cases ***
A Confirm Racing The Source Audit Drops The Usage Twice Before The Fix
    [Documentation]    The audit reads ``confirmed`` at t=2, so host1 counts nothing for vm1;
    ...    then the drop, which waited for the lock, takes vm1's vCPU away again: -1.
    [Tags]    variant-pre-fix
    Server Migrated To Host2    bugs=1879878
    Usage Should Be    1    1
    Confirm Resize    vm1    ComputeDriver.confirm_migration=1 s
    Run Periodic Update Available Resource    host1    get_in_progress_and_error=2 s
    Wait Until Migration Status Is    vm1    confirmed
    Run Until Idle
    Usage Should Be    -1    1
    Run Keyword And Expect Error    GLOB:*The resource tracker of 'host1' counts other usage*
    ...    Resource Accounting Should Be Consistent
    Run Periodic Update Available Resource    host1
    Usage Should Be    0    1
    Log Timeline

A Confirm Racing The Source Audit Keeps The Usage With The Fix
    [Documentation]    Current Nova: the confirm waits for the lock, the audit still sees the
    ...    migration ``confirming`` and counts vm1 on host1, the drop then takes it off once.
    [Tags]    variant-fixed
    Server Migrated To Host2
    Confirm Resize    vm1    ComputeDriver.confirm_migration=1 s
    Run Periodic Update Available Resource    host1    get_in_progress_and_error=2 s
    Wait Until Migration Status Is    vm1    confirmed
    Run Until Idle
    Usage Should Be    0    1
    Resource Accounting Should Be Consistent
    Run Periodics
    Usage Should Be    0    1
    Resource Accounting Should Be Consistent

A Revert Racing The Destination Audit Leaves The Destination Counted Before The Fix
    [Documentation]    The audit of host2 tracked vm1 (still on host2) and read ``reverted``;
    ...    the later drop finds no tracked move to take off, so host2 keeps counting vm1
    ...    after it went back to host1.
    [Tags]    variant-pre-fix
    Server Migrated To Host2    bugs=1879878
    Revert Resize    vm1    ComputeDriver.destroy=1 s
    Run Periodic Update Available Resource    host2    get_in_progress_and_error=2 s
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    Run Until Idle
    Usage Should Be    1    1
    Run Keyword And Expect Error    GLOB:*The resource tracker of 'host2' counts other usage*
    ...    Resource Accounting Should Be Consistent
    Run Periodic Update Available Resource    host2
    Usage Should Be    1    0

A Revert Racing The Destination Audit Drops The Destination With The Fix
    [Documentation]    Current Nova: the revert's drop waits for the audit and then takes
    ...    vm1's usage and VF off host2 in the same lock hold as the status.
    [Tags]    variant-fixed
    Server Migrated To Host2
    Revert Resize    vm1    ComputeDriver.destroy=1 s
    Run Periodic Update Available Resource    host2    get_in_progress_and_error=2 s
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    Run Until Idle
    Usage Should Be    1    0
    PCI Allocations Should Be    vm1    host1=1
    Resource Accounting Should Be Consistent

Exploration Finds The Double Drop Of A Confirm Before The Fix
    [Documentation]    Confirm and host1's audit, every schedule with up to two preemptions,
    ...    no delays: some put the audit between the status and the drop.
    [Tags]    variant-pre-fix    exploration
    Explore Interleavings    Pre-fix Server Migrated To Host2    Host1 Counts Nothing And Agrees
    ...    Confirm Resize    vm1
    ...    AND    Run Periodic Update Available Resource    host1
    ...    bound=2    expect_race=True

Exploration Of A Confirm Finds Nothing With The Fix
    [Documentation]    The same space on current Nova.
    [Tags]    variant-fixed    exploration
    Explore Interleavings    Fixed Server Migrated To Host2    Host1 Counts Nothing And Agrees
    ...    Confirm Resize    vm1
    ...    AND    Run Periodic Update Available Resource    host1
    ...    bound=2

Exploration Finds The Left-Over Count Of A Revert Before The Fix
    [Documentation]    Revert and host2's audit, up to two preemptions, no delays.
    [Tags]    variant-pre-fix    exploration
    Explore Interleavings    Pre-fix Server Migrated To Host2    Host2 Counts Nothing And Agrees
    ...    Revert Resize    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound=2    expect_race=True

Exploration Of A Revert Finds The Window The Fix Leaves
    [Documentation]    The same space on current Nova still fails, in a later window: after the
    ...    drop and before the source's ``finish_revert_resize`` saves vm1's host back, vm1
    ...    is still on host2 in the database, and Nova's ``_update_usage_from_instances``
    ...    counts a ``resized`` server where it is. host2 then counts vm1 until its next
    ...    audit (see the next test). The window of the bug, between the status and the
    ...    drop, is closed: the delayed reproducer above passes with the fix.
    [Tags]    variant-fixed    exploration    current-nova
    Explore Interleavings    Fixed Server Migrated To Host2    Host2 Counts Nothing And Agrees
    ...    Revert Resize    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound=2    expect_race=True

With The Fix An Audit After The Drop Still Counts The Server On The Destination
    [Documentation]    The window the explorer finds on current Nova, with a delay: the
    ...    cast back to the source waits 1 s after the drop, host2's audit runs then and
    ...    counts vm1 (still on host2, ``resized``); its next audit repairs it.
    [Tags]    variant-fixed    current-nova
    Server Migrated To Host2
    Revert Resize    vm1    ComputeAPI.finish_revert_resize=1 s
    Run Periodic Update Available Resource    host2
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    Usage Should Be    1    1
    Run Periodic Update Available Resource    host2
    Usage Should Be    1    0
    Resource Accounting Should Be Consistent


*** Keywords ***
Pre-fix Server Migrated To Host2
    [Documentation]    The set-up before the fix of bug 1879878.
    Server Migrated To Host2    bugs=1879878

Fixed Server Migrated To Host2
    [Documentation]    The set-up on current Nova.
    Server Migrated To Host2

Host1 Counts Nothing And Agrees
    [Documentation]    After the confirm: vm1 on host2 only, host1's tracker at 0, and the
    ...    accounting consistent.
    Wait Until Migration Status Is    vm1    confirmed
    Run Until Idle
    Usage Should Be    0    1
    Resource Accounting Should Be Consistent

Host2 Counts Nothing And Agrees
    [Documentation]    After the revert: vm1 back on host1, host2's tracker at 0, and the
    ...    accounting consistent.
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    Run Until Idle
    Usage Should Be    1    0
    Resource Accounting Should Be Consistent
