*** Settings ***
Documentation    Periodic audits nobody asked for: every running compute runs its resource
...              audit every ``update_resources_interval``, so a long evacuation overlaps
...              audits the suite never started. Here the destination's timer fires inside
...              the window of bug 1896463: current Nova keeps the claim, the pre-fix code
...              path loses it.

Resource         resources/evacuation.resource

Test Tags        periodic


*** Test Cases ***
A Timer Audit Inside A Long Evacuation Keeps The Claim With The Fix
    [Documentation]    The guest rebuilds from t=0 to t=50. host2's timer fires at t=45 and
    ...    holds the host lock for 15 s between reading the instances and reading the
    ...    migrations; the evacuation finishes under that lock, so it waits until t=60,
    ...    and the audit has seen the migration in progress and frees nothing.
    [Tags]    bug-1896463    variant-fixed
    Server On Failed Host
    Start Periodic Audits    interval=60 s    offset=45 s    get_in_progress_and_error=15 s
    Evacuate Server With Direct Port    vm1    ComputeDriver.rebuild=50 s    drop_migration_context=5 s
    Wait Until Migration Status Is    vm1    done    timeout=2 min
    Run Until Idle
    Server Should Be On Host    vm1    host2
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Resource Accounting Should Be Consistent    usage=False
    Log Timeline

A Timer Audit Inside A Long Evacuation Loses The Claim Before The Fix
    [Documentation]    The same clock before the fix: the unlocked finish moves vm1 and marks
    ...    the migration done at t=55, while host2's audit, started by its timer at t=45,
    ...    still waits; at t=60 it reads no migration in progress and frees the VF.
    [Tags]    bug-1896463    variant-pre-fix
    Server On Failed Host    bugs=1896463
    Start Periodic Audits    interval=60 s    offset=45 s    get_in_progress_and_error=15 s
    Evacuate Server With Direct Port    vm1    ComputeDriver.rebuild=50 s    drop_migration_context=5 s
    Wait Until Migration Status Is    vm1    done    timeout=2 min
    Run Until Idle
    Server Should Be On Host    vm1    host2
    PCI Allocations Should Be    vm1    host1=1
    Log Timeline

Without The Timer The Long Evacuation Keeps The Claim Before The Fix
    [Documentation]    The same evacuation with no audit in its window: nothing is freed.
    [Tags]    bug-1896463    variant-pre-fix
    Server On Failed Host    bugs=1896463
    Evacuate Server With Direct Port    vm1    ComputeDriver.rebuild=50 s    drop_migration_context=5 s
    Wait Until Migration Status Is    vm1    done    timeout=2 min
    Run Until Idle
    PCI Allocations Should Be    vm1    host1=1    host2=1

Run Until Idle Ends While The Timer Runs
    [Documentation]    The timer never ends, so it is no work to wait for: the run ends when
    ...    the rebuild does, at t=130, after the audits of t=60 and t=120 ran.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Start Periodic Audits
    Rebuild Server    vm1    ComputeDriver.rebuild=130 s
    Run Until Idle    timeout=3 min
    ${now} =    Get Virtual Time
    Should Be Equal As Numbers    ${now}    130
    PCI Allocation On Host Should Be    vm1    host1    1
    Resource Accounting Should Be Consistent

Stopped Audits Leave A Later Wait Alone
    [Documentation]    After `Stop Periodic Audits` a wait moves the clock with no audit.
    Start Cluster
    Start Periodic Audits    offsets=host1:0 s, host2:30 s
    Run Until Idle
    Stop Periodic Audits
    Start Periodic Audits    interval=1 min
    Stop Periodic Audits

Starting The Timer Twice Is Refused
    [Documentation]    One timer per cluster; the refusal says when the running one fires.
    Start Cluster
    Start Periodic Audits    interval=60 s    offsets=host2:30 s
    ${expected} =    Catenate
    ...    Periodic audits already run (every 60 seconds; first audits at host1 t=60.000s,
    ...    host2 t=30.000s); use 'Stop Periodic Audits' first. (refused at t=0.000s)
    Run Keyword And Expect Error    ${expected}    Start Periodic Audits    interval=30 s

Stopping A Timer That Does Not Run Is Refused
    [Documentation]    Nothing to stop before `Start Periodic Audits`.
    Start Cluster
    Run Keyword And Expect Error
    ...    Periodic audits are not running; use 'Start Periodic Audits' first. (refused at t=0.000s)
    ...    Stop Periodic Audits

Bad Intervals And Offsets Are Refused In One Sentence
    [Documentation]    What the timer cannot take is refused before anything starts.
    Start Cluster
    Run Keyword And Expect Error
    ...    The interval of periodic audits must be at least 1 ms, got 0 seconds.
    ...    Start Periodic Audits    interval=0 s
    Run Keyword And Expect Error
    ...    Argument 'interval' must be a time such as '2 s', '500 ms' or '1 min 30 s', got 'often'.
    ...    Start Periodic Audits    interval=often
    Run Keyword And Expect Error
    ...    No host 'host9' to give an audit offset. Known hosts: host1, host2.
    ...    Start Periodic Audits    offsets=host9:10 s
    Run Keyword And Expect Error
    ...    The audit offset of 'host2' must be from 0 to the interval of 60 seconds, got 90 seconds.
    ...    Start Periodic Audits    offsets=host2:90 s
    Run Keyword And Expect Error
    ...    Periodic audits are not running; use 'Start Periodic Audits' first. (refused at t=0.000s)
    ...    Stop Periodic Audits
