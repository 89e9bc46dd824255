*** Settings ***
Documentation    What an operator does to compute services, as Nova's API answers it: disable and
...              enable (the scheduler skips a disabled host), force down and up (refused while
...              the host has ``done`` evacuations, bug 1922053), and a restart whose hypervisor
...              lost its guests.

Resource         resources/evacuation.resource

Test Tags        services


*** Test Cases ***
The Scheduler Skips A Disabled Host
    [Documentation]    Nova's ComputeFilter: a disabled service gets no new server.
    Start Cluster
    Disable Compute Service    host1
    Create Server With Direct Port    vm1
    Server Should Be On Host    vm1    host2
    Enable Compute Service    host1
    Create Server With Direct Port    vm2
    Server Should Be On Host    vm2    host1

A Host With Done Evacuations Cannot Be Forced Up
    [Documentation]    Bug 1922053: forcing host1 up before it restarted would leave its
    ...    evacuated guest behind; Nova refuses until a restart completes the records.
    [Tags]    bug-1922053    variant-fixed
    Server On Failed Host    microversion=latest
    Evacuate Server With Direct Port    vm1
    Wait Until Migration Status Is    vm1    done
    VAR    ${refusal} =    Cannot force up compute service on 'host1': 'done' evacuation records remain
    Run Keyword And Expect Error
    ...    ${refusal} for it; restart it first, so that they become 'completed' (400). (refused at t=0.000s)
    ...    Force Up Compute Service    host1
    Start Compute Service    host1
    Migration Status Should Be    vm1    completed
    Force Up Compute Service    host1

Before The Fix A Host With Done Evacuations Is Forced Up
    [Documentation]    With ``bugs=1922053`` the API accepts it: the record stays ``done``.
    [Tags]    bug-1922053    variant-pre-fix
    Server On Failed Host    bugs=1922053    microversion=latest
    Evacuate Server With Direct Port    vm1
    Wait Until Migration Status Is    vm1    done
    Force Up Compute Service    host1
    Migration Status Should Be    vm1    done

A Clean Hypervisor Restart Completes The Evacuation Records
    [Documentation]    The source comes back with no guests: nothing to destroy, the record
    ...    is ``completed`` and the start-up audit frees the source VF all the same.
    Server On Failed Host    microversion=latest
    Evacuate Server With Direct Port    vm1
    Wait Until Server Has    vm1    host=host2    status=SHUTOFF
    Start Compute Service    host1    clean_hypervisor=True
    Migration Status Should Be    vm1    completed
    PCI Allocations Should Be    vm1    host2=1
    Resource Accounting Should Be Consistent
