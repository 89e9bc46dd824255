*** Settings ***
Documentation    Three racing steps on current Nova: the evacuation of vm1, the source's
...              start-up and the destination's audit. Every step starts its work and the
...              explorer interleaves all three, so the order they are written in changes
...              nothing: each of the six orders explores the same schedules and finds the
...              same race with one preemption. The race: the start-up of host1 marks the
...              ``pre-migrating`` evacuation ``completed`` (Nova's
...              ``_destroy_evacuated_instances``) while host2 claims vm1's device; the
...              destination's audit no longer sees a migration in progress nor vm1 on
...              host2, and frees the claimed VF, which the finished rebuild keeps using.

Resource         resources/evacuation.resource

Test Tags        bug-1764883    exploration    current-nova    variant-fixed


*** Variables ***
@{EVACUATE}    Evacuate Server With Direct Port    vm1
@{START}       Start Compute Service    host1
@{AUDIT}       Run Periodic Update Available Resource    host2


*** Test Cases ***
Every Order Of Three Racing Steps Finds The Same Race At The Same Bound
    [Documentation]    Bound 0 passes and bound 1 fails in every order; the schedules and
    ...    traces covered are the same, and the search stops at bound 1, where the race is.
    ${first} =    Explore Three Steps    EVACUATE START AUDIT
    Should Contain    ${first}    complete to bound 1: every schedule with at most 1
    Should Contain    ${first}    bounds 2 to 2 were not run
    FOR    ${order}    IN
    ...    EVACUATE AUDIT START    START EVACUATE AUDIT    START AUDIT EVACUATE
    ...    AUDIT EVACUATE START    AUDIT START EVACUATE
        ${summary} =    Explore Three Steps    ${order}
        Should Be Equal    ${{re.sub(r', [0-9.]+ s;', ';', $summary)}}
        ...    ${{re.sub(r', [0-9.]+ s;', ';', $first)}}
    END


*** Keywords ***
Explore Three Steps
    [Documentation]    Explores the three steps in the order named (``EVACUATE START AUDIT``
    ...    and so on), up to two preemptions, and returns the exploration's summary.
    [Arguments]    ${order}
    VAR    &{steps} =    EVACUATE=${EVACUATE}    START=${START}    AUDIT=${AUDIT}
    ${names} =    Evaluate    $order.split()
    VAR    @{one} =    @{steps}[${names}[0]]
    VAR    @{two} =    @{steps}[${names}[1]]
    VAR    @{three} =    @{steps}[${names}[2]]
    ${summary} =    Explore Interleavings    Fixed Server On Failed Host
    ...    Destination Should Hold The Device
    ...    @{one}    AND    @{two}    AND    @{three}
    ...    bound=2    expect_race=True    settle=Run Periodics
    RETURN    ${summary}

Fixed Server On Failed Host
    [Documentation]    vm1 on host1, host1 down, current Nova.
    Server On Failed Host

Destination Should Hold The Device
    [Documentation]    The evacuated server holds one VF on host2 and the accounting agrees.
    PCI Allocation On Host Should Be    vm1    host2    1
    Resource Accounting Should Be Consistent
