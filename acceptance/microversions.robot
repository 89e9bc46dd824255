*** Settings ***
Documentation    Behaviour that depends on the compute API microversion. From 2.95 an evacuated
...              server ends SHUTOFF: the destination stops the guest after the rebuild and
...              before the evacuation finishes, so for a while the server is still on the
...              source with a ``pre-migrating`` record, in task state ``powering-off``, which
...              the destination's audit does not count as moving. ``force`` exists from 2.29
...              to 2.67. Evacuation accepts any task state since bug 1978983.

Resource         resources/evacuation.resource

Test Tags        evacuation    microversion


*** Test Cases ***
Since Microversion 295 An Evacuated Server Ends Shutoff
    [Documentation]    Today's default: the evacuation stops the guest on host2.
    Server On Failed Host    microversion=latest
    Evacuate Server With Direct Port    vm1
    Wait Until Server Has    vm1    host=host2    status=SHUTOFF    timeout=30 s
    Migration Status Should Be    vm1    done
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Run Periodic Update Available Resource    host2
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Resource Accounting Should Be Consistent

Microversion 294 Keeps An Evacuated Server Active
    [Documentation]    Before 2.95 the server ends as it was before the evacuation.
    Server On Failed Host    microversion=latest
    Evacuate Server With Direct Port    vm1    microversion=2.94
    Wait Until Server Has    vm1    host=host2    status=ACTIVE    timeout=30 s
    Resource Accounting Should Be Consistent

Waiting For Active After A Stopping Evacuation Says Why It Is Shutoff
    [Documentation]    The failure names the microversion that keeps the server active.
    Server On Failed Host    microversion=2.95
    Evacuate Server With Direct Port    vm1
    VAR    ${wanted} =    Server 'vm1' should have status ACTIVE within 10 seconds of virtual time
    VAR    ${why} =    its evacuation stopped it, as Nova does from microversion 2.95
    Run Keyword And Expect Error
    ...    ${wanted} (from t=0.000s), but at t=10.000s it is SHUTOFF on host2: ${why}; microversion 2.94 keeps an evacuated server active.
    ...    Wait Until Server Is Active
    ...    vm1
    ...    timeout=10 s

A Stopped Server Evacuates Stopped At Any Microversion
    [Documentation]    The destination brings the server back to its original state.
    Start Cluster    microversion=2.94
    Create Server With Direct Port    vm1    host=host1
    Stop Server    vm1
    Wait Until Server Has    vm1    status=SHUTOFF
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Server With Direct Port    vm1
    Wait Until Server Has    vm1    host=host2    status=SHUTOFF    timeout=30 s
    Resource Accounting Should Be Consistent

A Server Stuck Powering Off Can Be Evacuated
    [Documentation]    Bug 1978983: the stop is cast to a dead compute and never consumed;
    ...    evacuate is declared with any task state, so the server still moves.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Stop Server    vm1
    Run Until Idle
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    Evacuate Server With Direct Port    vm1
    Wait Until Server Has    vm1    host=host2    status=SHUTOFF    timeout=30 s
    PCI Allocation On Host Should Be    vm1    host2    1

A Forced Evacuation Skips The Scheduler Where The Microversion Has It
    [Documentation]    ``force`` with a host claims it in placement directly, 2.29 to 2.67.
    Server On Failed Host    microversion=latest
    Run Keyword And Expect Error
    ...    Cannot force the evacuation of 'vm1' at microversion 2.104: 'force' exists from 2.29 to 2.67 (400). (refused at t=0.000s)
    ...    Evacuate Server
    ...    vm1
    ...    host2
    ...    force=True
    Run Keyword And Expect Error
    ...    Cannot force the evacuation of 'vm1' to no host; give target_host (400). (refused at t=0.000s)
    ...    Evacuate Server    vm1    force=True    microversion=2.67
    Evacuate Server With Direct Port    vm1    host2    force=True    microversion=2.67
    Wait Until Server Has    vm1    host=host2    status=ACTIVE    timeout=30 s
    Resource Accounting Should Be Consistent

A Bad Microversion Is Refused
    [Documentation]    Only microversions Nova's API has.
    Run Keyword And Expect Error
    ...    Microversion '3.0' is not one Nova's compute API has; give 2.1 to 2.104 or 'latest'.
    ...    Start Cluster    microversion=3.0
    Server On Failed Host
    Run Keyword And Expect Error
    ...    Microversion '2.200' is not one Nova's compute API has; give 2.1 to 2.104 or 'latest'.
    ...    Evacuate Server    vm1    microversion=2.200

The Stop Window Loses The Device Before The Fix
    [Documentation]    Explored at 2.95 with no delays: the unlocked finish of bug 1896463
    ...    loses the destination device.
    [Tags]    bug-1896463    exploration
    Explore Interleavings
    ...    Pre-fix Server On Failed Host At Microversion 295
    ...    Destination Holds The Device After Its Audit
    ...    Evacuate Server With Direct Port
    ...    vm1
    ...    AND
    ...    Run Periodic Update Available Resource
    ...    host2
    ...    bound=2
    ...    expect_race=True

The Stop Window Loses Nothing With The Fix
    [Documentation]    Explored at 2.95 with no delays: today's locked finish loses nothing,
    ...    the stop window included.
    [Tags]    bug-1896463    exploration
    Explore Interleavings
    ...    Fixed Server On Failed Host At Microversion 295
    ...    Destination Holds The Device After Its Audit
    ...    Evacuate Server With Direct Port
    ...    vm1
    ...    AND
    ...    Run Periodic Update Available Resource
    ...    host2
    ...    bound=2


*** Keywords ***
Pre-fix Server On Failed Host At Microversion 295
    [Documentation]    vm1 on host1, host1 down, before the fix of bug 1896463, microversion 2.95.
    Server On Failed Host    bugs=1896463    microversion=2.95

Fixed Server On Failed Host At Microversion 295
    [Documentation]    vm1 on host1, host1 down, current Nova, microversion 2.95.
    Server On Failed Host    microversion=2.95

Destination Holds The Device After Its Audit
    [Documentation]    After one more audit of host2, vm1 holds its VF there and the accounting
    ...    is consistent: a loss that the audit does not heal.
    Run Periodic Update Available Resource    host2
    PCI Allocation On Host Should Be    vm1    host2    1
    Resource Accounting Should Be Consistent
