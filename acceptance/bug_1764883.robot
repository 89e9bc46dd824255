*** Settings ***
Documentation    Nova bug 1764883: the source compute starts again while its server is being
...              evacuated. Its start-up cleaned up only evacuations ``accepted`` or ``done``;
...              one already claimed on the destination (``pre-migrating``) was not, so
...              ``_init_instance`` ran on the evacuating server, found it rebuilding on this
...              host and set it ERROR, and the destination's rebuild then failed on the
...              changed task state: the server stayed ERROR on its source. Fixed in Nova
...              (c4988cdabf, 2018) by cleaning up ``pre-migrating`` evacuations too and skipping
...              ``_init_instance`` for every evacuation found; ``bugs=1764883`` restores the
...              old start-up.

Resource         resources/evacuation.resource

Test Tags        bug-1764883    evacuation


*** Test Cases ***
Source Starting During The Rebuild Errors The Server Before The Fix
    [Documentation]    Nova's regression test of 2018: once the record is ``pre-migrating``
    ...    the source starts; its start-up sets the server ERROR, the destination's next
    ...    save finds the task state changed and the evacuation fails. The server stays on
    ...    host1, its guest still running there; host2's VF waits for host2's next audit.
    [Tags]    variant-pre-fix
    Server On Failed Host    bugs=1764883
    Source Returns While The Destination Rebuilds
    Wait Until Migration Status Is    vm1    failed
    Wait Until Server Has    vm1    host=host1    status=ERROR
    Migrations Should Be    vm1    evacuation host1 -> host2 failed
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Run Periodic Update Available Resource    host2
    PCI Allocations Should Be    vm1    host1=1

Source Starting During The Rebuild Lets The Evacuation Finish With The Fix
    [Documentation]    Current Nova: the start-up destroys the source guest, marks the record
    ...    ``completed`` and leaves the server alone; the destination finishes and the
    ...    single record ends ``done``, as Nova's test asserts. The source's next audit
    ...    frees its VF.
    [Tags]    variant-fixed
    Server On Failed Host
    Source Returns While The Destination Rebuilds
    Migration Status Should Be    vm1    completed
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    Migrations Should Be    vm1    evacuation host1 -> host2 done
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Run Periodics
    PCI Allocations Should Be    vm1    host2=1
    Placement Allocations Should Be    vm1    host2=flavor
    Resource Accounting Should Be Consistent

Source Starting Before The Conductor Reads The Record
    [Documentation]    Current Nova, the earliest window: the start-up completes the
    ...    ``accepted`` record before the conductor looks for it, so the destination's claim
    ...    creates a record of its own, which nobody marks ``done`` (Nova's
    ...    ``_create_migration``); the server still ends on host2. That record, in progress
    ...    for the audits, keeps host1's VF until host1 restarts and completes it.
    [Tags]    variant-fixed
    Server On Failed Host
    Evacuate Server With Direct Port    vm1    ComputeTaskAPI.rebuild_instance=1 s
    Start Compute Service    host1
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    Migrations Should Be    vm1    evacuation host1 -> - completed
    ...    evacuation host1 -> host2 pre-migrating
    Run Periodics
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Stop Compute Service    host1
    Start Compute Service    host1
    Migrations Should Be    vm1    evacuation host1 -> - completed
    ...    evacuation host1 -> host2 completed
    PCI Allocations Should Be    vm1    host2=1
    Resource Accounting Should Be Consistent

Exploration Finds The Errored Server Before The Fix
    [Documentation]    The evacuation against the source's start-up, no delays: some
    ...    schedules leave the server ERROR on host1.
    [Tags]    variant-pre-fix    exploration
    Explore Interleavings    Pre-fix Server On Failed Host    Server Should Have Moved To Host2
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Start Compute Service    host1
    ...    bound=1    expect_race=True

Exhaustive Exploration Finds Every Server Moved With The Fix
    [Documentation]    The same space on current Nova: every schedule ends with the server
    ...    ACTIVE on host2.
    [Tags]    variant-fixed    exploration
    Explore Interleavings    Fixed Server On Failed Host    Server Should Have Moved To Host2
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Start Compute Service    host1
    ...    bound=2


*** Keywords ***
Source Returns While The Destination Rebuilds
    [Documentation]    Evacuates vm1 with its rebuild held back 1 s after the claim (before
    ...    the destination saves ``rebuilding``), and starts host1 once the record is
    ...    ``pre-migrating``, as Nova's regression test does.
    Evacuate Server With Direct Port    vm1    Instance.save#2=1 s
    Wait Until Migration Status Is    vm1    pre-migrating
    Start Compute Service    host1

Pre-fix Server On Failed Host
    [Documentation]    vm1 on host1, host1 down, before the fix of bug 1764883.
    Server On Failed Host    bugs=1764883

Fixed Server On Failed Host
    [Documentation]    vm1 on host1, host1 down, current Nova.
    Server On Failed Host

Server Should Have Moved To Host2
    [Documentation]    The evacuated server runs on host2.
    Wait Until Server Has    vm1    host=host2    status=ACTIVE    timeout=1 s
