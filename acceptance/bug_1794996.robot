*** Settings ***
Documentation    Nova bug 1794996: a server is evacuated from a down host, then deleted, then
...              the host's compute service starts again. Its start-up destroys the guest the
...              hypervisor still runs; the instance had been loaded without deleted rows, so
...              the destroy lazy-loaded the flavor of a deleted instance, raised
...              InstanceNotFound, and the compute service failed to start. Fixed in Nova
...              (05cd8d1282, 2018) by loading those instances with ``read_deleted='yes'`` and
...              leaving a deleted one's allocations alone; ``bugs=1794996`` restores the old
...              start-up. This is a sequence, not a race: nothing interleaves, so the suite
...              has no exploration.

Resource         resources/evacuation.resource

Test Tags        bug-1794996    evacuation


*** Test Cases ***
Restart After Evacuate And Delete Fails Before The Fix
    [Documentation]    Nova's regression test of 2018: the restart raises and the process
    ...    exits. The service stays stopped and forced down, the record stays ``done`` and
    ...    the guest and host1's VF stay too; every restart fails the same way until the
    ...    hypervisor has no such guest.
    [Tags]    variant-pre-fix
    Server On Failed Host    bugs=1794996
    Evacuate Delete And Check Allocations
    VAR    ${failure} =    Compute service on 'host1' should start, but its start-up failed at
    ...    t=0.000s: destroying the guest of evacuated server 'vm1' lazy-loaded the flavor of
    ...    its deleted instance (InstanceNotFound); the process exited, and the service is
    ...    stopped and still forced down.    separator=${SPACE}
    Run Keyword And Expect Error    ${failure}    Start Compute Service    host1
    Migration Status Should Be    vm1    done
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Run Keyword And Expect Error    ${failure}    Start Compute Service    host1
    Start Compute Service    host1    clean_hypervisor=True
    Migration Status Should Be    vm1    completed
    PCI Allocations Should Be    vm1    host2=1

Restart After Evacuate And Delete Starts With The Fix
    [Documentation]    Current Nova: the start-up destroys the guest of the deleted server,
    ...    completes the record, and the start-up audit frees host1's VF; host2's audit frees
    ...    the one the delete left (the server was not yet tracked there).
    [Tags]    variant-fixed
    Server On Failed Host
    Evacuate Delete And Check Allocations
    Start Compute Service    host1
    Migration Status Should Be    vm1    completed
    PCI Allocations Should Be    vm1    host2=1
    Run Periodic Update Available Resource    host2
    PCI Allocations Should Be    vm1
    Placement Usage On Host Should Be    host1    VCPU=0    MEMORY_MB=0    DISK_GB=0
    Resource Accounting Should Be Consistent


*** Keywords ***
Evacuate Delete And Check Allocations
    [Documentation]    What Nova's test asserts before the restart: during the evacuation
    ...    the server's allocation and usage are on both hosts; after the delete on neither.
    Evacuate And Settle
    Placement Allocations Should Be    vm1    host1=flavor    host2=flavor
    Placement Usage On Host Should Be    host1    VCPU=1    MEMORY_MB=512    DISK_GB=1
    Placement Usage On Host Should Be    host2    VCPU=1    MEMORY_MB=512    DISK_GB=1
    Delete Server    vm1
    Wait Until Server Has    vm1    status=DELETED
    Placement Allocations Should Be    vm1
    Placement Usage On Host Should Be    host1    VCPU=0    MEMORY_MB=0    DISK_GB=0
    Placement Usage On Host Should Be    host2    VCPU=0    MEMORY_MB=0    DISK_GB=0
