*** Settings ***
Documentation    Interleavings explored without hand-tuned delays: the evacuation of a
...              server with a direct port against the destination's periodic audit.

Resource         resources/evacuation.resource

Test Tags        bug-1896463    exploration


*** Test Cases ***
Exploration Finds The Loss Before The Fix
    [Documentation]    Every schedule with up to two preemptions; some lose the device.
    [Tags]    variant-pre-fix
    Explore Interleavings    Pre-fix Server On Failed Host    Destination Should Hold The Device
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound=2    expect_race=True

Exhaustive Exploration Finds No Loss With The Fix
    [Documentation]    The same space on current Nova: no schedule loses the device.
    [Tags]    variant-fixed
    Explore Interleavings    Fixed Server On Failed Host    Destination Should Hold The Device
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound=2

The Summary Says What The Reduction Pruned And What It Guarantees
    [Documentation]    Partial-order reduction is on by default; ``reduction=False`` runs
    ...    every schedule within the bound and says nothing of pruning.
    [Tags]    variant-fixed
    ${reduced} =    Explore Interleavings    Fixed Server On Failed Host
    ...    Destination Should Hold The Device
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound=1
    Should Match Regexp    ${reduced}    \\d+ schedules pruned with those extending them
    Should Contain    ${reduced}    a schedule is pruned, not run, once the trace it has run
    ${plain} =    Explore Interleavings    Fixed Server On Failed Host
    ...    Destination Should Hold The Device
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound=1    reduction=False
    Should Not Contain    ${plain}    pruned

PCT Exploration With A Seed Finds No Loss With The Fix
    [Documentation]    Randomized priorities, reproducible by seed.
    [Tags]    variant-fixed
    Explore Interleavings    Fixed Server On Failed Host    Destination Should Hold The Device
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    strategy=pct    bound=3    seed=7    schedules=100

Replayed Schedule Loses The Device Again
    [Documentation]    The token of a failing schedule replays it exactly.
    [Tags]    variant-pre-fix
    Replay Schedule    PCR2:13=1,17=1:626b    Pre-fix Server On Failed Host
    ...    Source Should Keep Its Device
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    PCI Allocations Should Be    vm1    host1=1    host2=0
    Run Keyword And Expect Error    GLOB:Replay token 'PCR2:oops' is malformed; *
    ...    Replay Schedule    PCR2:oops

Two Shards Cover The Space Together
    [Documentation]    Each pabot process may run one shard.
    [Tags]    variant-fixed
    Explore Interleavings    Fixed Server On Failed Host    Destination Should Hold The Device
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound=1    shard=1/2
    Explore Interleavings    Fixed Server On Failed Host    Destination Should Hold The Device
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound=1    shard=2/2

Deleting A Server Racing Its Host's Audit Leaves The Device Until The Next Audit
    [Documentation]    The model's prediction: if the delete marks the server deleted after
    ...    the audit took the host lock but before it read the instances, the audit skips
    ...    it and the delete's usage update finds it untracked, so its VF stays allocated.
    [Tags]    variant-fixed    delete
    Explore Interleavings    Server On Host1    Resource Accounting Should Be Consistent
    ...    Delete Server    vm1
    ...    AND    Run Periodic Update Available Resource    host1
    ...    bound=2    expect_race=True

Deleting A Server Racing Its Host's Audit Is Healed By The Next Audit
    [Documentation]    Every such schedule is consistent again after one more audit, which
    ...    settles the racing steps unexplored before the check.
    [Tags]    variant-fixed    delete
    Explore Interleavings    Server On Host1    Resource Accounting Should Be Consistent
    ...    Delete Server    vm1
    ...    AND    Run Periodic Update Available Resource    host1
    ...    bound=2    settle=Audit Host1 Once More

An Unexpected Race Fails With A Replay Token
    [Documentation]    Without ``expect_race`` a failing schedule fails the keyword.
    [Tags]    variant-pre-fix
    Run Keyword And Expect Error
    ...    GLOB:7 schedule(s) failed 'Destination Should Hold The Device'. Smallest failing schedule, shrunk to 2 preemption(s): *Replay token: PCR2:*
    ...    Explore Interleavings
    ...    Pre-fix Server On Failed Host
    ...    Destination Should Hold The Device
    ...    Evacuate Server With Direct Port
    ...    vm1
    ...    AND
    ...    Run Periodic Update Available Resource
    ...    host2

A Capped Exploration Fails Unless A Partial One Is Accepted
    [Documentation]    Ten schedules do not cover bound 2: by default that fails, saying what
    ...    was not covered; ``complete=False`` accepts it and the message still says so.
    [Tags]    variant-fixed
    Run Keyword And Expect Error
    ...    GLOB:No schedule failed *: exhaustive exploration: 10 schedules, * complete to bound 0 only: * NOT covered: the rest of bound 1 (8 *
    ...    Explore Interleavings
    ...    Fixed Server On Failed Host
    ...    Destination Should Hold The Device
    ...    Evacuate Server With Direct Port
    ...    vm1
    ...    AND
    ...    Run Periodic Update Available Resource
    ...    host2
    ...    schedules=10
    ${summary} =    Explore Interleavings    Fixed Server On Failed Host
    ...    Destination Should Hold The Device
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    schedules=10    complete=False
    Should Contain    ${summary}    NOT covered: the rest of bound 1

A Check Or A Wait Cannot Be A Racing Step
    [Documentation]    A step must start an operation; a check starts none.
    [Tags]    variant-fixed
    Run Keyword And Expect Error
    ...    GLOB:Step 2, 'Wait Until Server Is Active', starts no operation, so it cannot race. A step must be *
    ...    Explore Interleavings    Fixed Server On Failed Host    Destination Should Hold The Device
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Wait Until Server Is Active    vm1

Steps Started Together Race As In An Exploration
    [Documentation]    The audit written first still runs with the evacuation, not before it.
    [Tags]    variant-fixed
    Fixed Server On Failed Host
    Start Steps Together    Run Periodic Update Available Resource    host2
    ...    AND    Evacuate Server With Direct Port    vm1
    Run Until Idle
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Run Keyword And Expect Error
    ...    GLOB:Step 1, 'Server Should Be On Host', starts no operation, so it cannot race. *
    ...    Start Steps Together    Server Should Be On Host    vm1    host2


*** Keywords ***
Pre-fix Server On Failed Host
    [Documentation]    vm1 on host1, host1 down, before the fix of bug 1896463.
    Server On Failed Host    bugs=1896463

Fixed Server On Failed Host
    [Documentation]    vm1 on host1, host1 down, current Nova.
    Server On Failed Host

Server On Host1
    [Documentation]    A fresh cluster with vm1 built on host1.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1

Audit Host1 Once More
    [Documentation]    Runs host1's audit once more.
    Run Periodic Update Available Resource    host1

Source Should Keep Its Device
    [Documentation]    The down source still holds vm1's VF.
    PCI Allocation On Host Should Be    vm1    host1    1

Destination Should Hold The Device
    [Documentation]    The evacuated server holds one VF on host2 and its devices and
    ...    placement agree. The trackers' vCPU/RAM are left out: an audit inside the
    ...    evacuation misses them until its next run, in current Nova too (see
    ...    bug_1896463.robot).
    PCI Allocation On Host Should Be    vm1    host2    1
    Resource Accounting Should Be Consistent    usage=False
