*** Settings ***
Documentation    What happens to the PCI devices after an evacuation, as Nova behaves:
...              the destination holds one, the down source keeps its own until its
...              compute service comes back, delete frees both in their own time, and a
...              rebuild changes nothing.

Resource         resources/evacuation.resource

Test Tags        evacuation    lifecycle    variant-fixed


*** Test Cases ***
Destination Holds The Device After Evacuation
    [Documentation]    The evacuation claims a VF on host2 and the record ends ``done``.
    Server On Failed Host
    Evacuate And Settle
    Server Should Be On Host    vm1    host2
    Migration Status Should Be    vm1    done
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Resource Accounting Should Be Consistent

Source Keeps Its Device While Down And Frees It On Start
    [Documentation]    Nobody runs host1's audit while it is down; its start-up destroys the
    ...    evacuated guest, marks the record ``completed``, and the start-up audit frees
    ...    the source VF.
    Server On Failed Host
    Evacuate And Settle
    Run Periodics
    PCI Allocation On Host Should Be    vm1    host1    1
    Start Compute Service    host1
    PCI Allocations Should Be    vm1    host2=1
    Migration Status Should Be    vm1    completed
    Free PCI Devices On Host Should Be    host1    6
    Resource Accounting Should Be Consistent

Delete Before The Next Audit Frees The Destination At That Audit
    [Documentation]    The destination does not track the evacuated server until its next
    ...    audit, so a delete right after the evacuation leaves the host2 VF allocated until
    ...    that audit; host1's VF waits for host1's start-up.
    Server On Failed Host
    Evacuate And Settle
    Delete Server    vm1
    Wait Until Server Has    vm1    status=DELETED
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Run Periodic Update Available Resource    host2
    PCI Allocations Should Be    vm1    host1=1
    Start Compute Service    host1
    PCI Allocations Should Be    vm1
    Free PCI Devices On Host Should Be    host1    6
    Free PCI Devices On Host Should Be    host2    6
    Resource Accounting Should Be Consistent

Delete After An Audit Frees The Destination At Once
    [Documentation]    Once an audit tracks the server on host2, the delete frees its VF there.
    Server On Failed Host
    Evacuate And Settle
    Run Periodic Update Available Resource    host2
    Delete Server    vm1
    Wait Until Server Has    vm1    status=DELETED
    PCI Allocations Should Be    vm1    host1=1
    Start Compute Service    host1
    PCI Allocations Should Be    vm1
    Resource Accounting Should Be Consistent

Rebuild After Evacuation Keeps One Device On The Destination
    [Documentation]    A rebuild on the same host claims nothing new and frees nothing.
    Server On Failed Host
    Evacuate And Settle
    Start Compute Service    host1
    Rebuild Server    vm1
    Wait Until Server Is Active    vm1
    PCI Allocations Should Be    vm1    host2=1
    Run Periodics
    PCI Allocations Should Be    vm1    host2=1
    Resource Accounting Should Be Consistent

Server Built Without A Host Goes Where The Scheduler Sends It
    [Documentation]    Without ``host`` the scheduler weighs by free RAM, then by name.
    Start Cluster
    Create Server With Direct Port    vm1
    Create Server With Direct Port    vm2
    Server Should Be On Host    vm1    host1
    Server Should Be On Host    vm2    host2
    Resource Accounting Should Be Consistent
