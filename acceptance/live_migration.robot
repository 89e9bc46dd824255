*** Settings ***
Documentation    Live migration as Nova does it, for a server with an SR-IOV direct port: the
...              conductor hands the source allocation to the migration record and claims the
...              destination for the server, the destination claims a VF while it is checked, the
...              ports get an inactive binding there that becomes active once the guest has
...              moved; the source frees its VF and the destination allocates its own. Refusals
...              and failures leave what Nova leaves.

Library          PciRaceLibrary

Test Tags        live-migration    variant-fixed


*** Test Cases ***
Live Migration Chosen By The Scheduler Moves The Server And Its VF
    [Documentation]    vm2 holds host2's first VF, so vm1 gets 03:00.1 there.
    Server On Host1 Beside Another On Host2
    Live Migrate Server    vm1
    The Server Should Have Moved To Host2

The Destination Counts The Server From Its Next Audit On
    [Documentation]    No move claim for a live migration without NUMA: the source's own audit at
    ...    the end drops the server's vCPU there, the destination counts it at its next audit.
    Server On Host1 Beside Another On Host2
    Live Migrate Server    vm1    host2
    Wait Until Migration Status Is    vm1    completed
    Resource Usage On Host Should Be    host1    vcpus=0
    Resource Usage On Host Should Be    host2    vcpus=1
    Placement Usage On Host Should Be    host2    VCPU=2
    Run Periodic Update Available Resource    host2
    Resource Usage On Host Should Be    host2    vcpus=2
    Resource Accounting Should Be Consistent

Live Migration To A Named Host Seen Mid-Way
    [Documentation]    While the hypervisor copies the guest: the migration consumer holds the
    ...    source, the server the destination; the destination's VF is claimed (not yet
    ...    allocated, so only its PF and VF are no longer free); the active binding is still
    ...    the source's.
    Server On Host1 Beside Another On Host2
    Live Migrate Server    vm1    host2    ComputeDriver.live_migration=2 s
    Wait Until Migration Status Is    vm1    running
    Wait Until Server Has    vm1    host=host1    status=MIGRATING
    Placement Allocations Should Be    vm1    host2=flavor
    Placement Allocations Should Be    vm1    consumer=migration    host1=flavor
    PCI Allocations Should Be    vm1    host1=0000:02:00.1
    Free PCI Devices On Host Should Be    host2    2
    Port Binding Should Be    vm1    host=host1    pci_slot=0000:02:00.1
    Resource Accounting Should Be Consistent    usage=False
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    The Server Should Have Moved To Host2

A Forced Live Migration Skips The Scheduler
    [Documentation]    Microversions 2.30 to 2.67: the named host is claimed in placement directly.
    Server On Host1 Beside Another On Host2
    Live Migrate Server    vm1    host2    force=True    microversion=2.67
    The Server Should Have Moved To Host2

The API Refuses An Unknown Host Or A Misused Force
    [Documentation]    ComputeHostNotFound and the ``force`` argument's rules (400): one
    ...    sentence, no record, nothing changed.
    Server On Host1 Beside Another On Host2
    Run Keyword And Expect Error    No host 'host9'. Known hosts: host1, host2.
    ...    Live Migrate Server    vm1    host9
    Run Keyword And Expect Error
    ...    Cannot force the live migration of 'vm1' to no host; give target_host (400). (refused at t=0.000s)
    ...    Live Migrate Server    vm1    force=True    microversion=2.30
    Run Keyword And Expect Error
    ...    GLOB:Cannot force the live migration of 'vm1' at microversion 2.68: 'force' exists from 2.30 to 2.67 (400). *
    ...    Live Migrate Server
    ...    vm1
    ...    host2
    ...    force=True
    ...    microversion=2.68
    Migrations Should Be    vm1
    Placement Allocations Should Be    vm1    host1=flavor
    Resource Accounting Should Be Consistent

The API Refuses A Server With A Task Under Way
    [Documentation]    ``task_state`` must be none (409): the first live migration runs on.
    Server On Host1 Beside Another On Host2
    Live Migrate Server    vm1    ComputeDriver.live_migration=1 s
    Run Keyword And Expect Error
    ...    Cannot live migrate 'vm1' while it is in task state migrating; wait for that operation to finish (409). (refused at t=0.000s)
    ...    Live Migrate Server
    ...    vm1
    Wait Until Migration Status Is    vm1    completed
    Migrations Should Be    vm1    live-migration host1 -> host2 completed
    Resource Accounting Should Be Consistent    usage=False

A Stopped Server Cannot Be Live Migrated
    [Documentation]    ``@check_instance_state(vm_state=[ACTIVE, PAUSED])``: 409, no record.
    Server On Host1 Beside Another On Host2
    Stop Server    vm1
    Wait Until Server Has    vm1    status=SHUTOFF
    Run Keyword And Expect Error
    ...    Cannot live migrate 'vm1': it is stopped; only active, paused servers that have run can be (409). (refused at t=0.000s)
    ...    Live Migrate Server
    ...    vm1
    Migrations Should Be    vm1
    Resource Accounting Should Be Consistent

The Conductor Refuses The Server's Own Host
    [Documentation]    The scheduler ignores the source, so the requested host is no valid host:
    ...    the record goes ``error``, the server stays ACTIVE on host1 with what it held.
    Server On Host1 Beside Another On Host2
    Live Migrate Server    vm1    host1
    Wait Until Migration Status Is    vm1    error
    Conductor Left The Server On Host1

The Conductor Refuses A Destination That Is Down
    [Documentation]    The scheduler's ComputeFilter leaves the requested host out: no valid host.
    Server On Host1 Beside Another On Host2
    Stop Compute Service    host2
    Force Down Compute Service    host2
    Live Migrate Server    vm1    host2
    Wait Until Migration Status Is    vm1    error
    Conductor Left The Server On Host1

The Conductor Refuses A Source That Is Down
    [Documentation]    The conductor checks the source first: ComputeServiceUnavailable.
    Server On Host1 Beside Another On Host2
    Force Down Compute Service    host1
    Live Migrate Server    vm1
    Wait Until Migration Status Is    vm1    error
    Conductor Left The Server On Host1

A Refused Destination Check Leaves The Server On Its Source
    [Documentation]    MigrationPreCheckError: the conductor gives host2 its allocation back and
    ...    asks the scheduler again; no host is left.
    [Tags]    failure
    Server On Host1 Beside Another On Host2
    Inject Failure    ComputeDriver.check_can_live_migrate_destination
    Live Migrate Server    vm1
    Wait Until Migration Status Is    vm1    error
    Conductor Left The Server On Host1

VFs That Do Not Fit The Destination Put The Server In Error
    [Documentation]    host2 of this topology has one VF, vm2's. The destination's claim for the
    ...    ports is no pre-check: the conductor's catch-all sets the server ERROR, still on
    ...    host1 with its VF and its allocation.
    [Tags]    failure
    Start Cluster    small_host2
    Create Server With Direct Port    vm2    host=host2
    Create Server With Direct Port    vm1    host=host1
    Live Migrate Server    vm1    host2
    Wait Until Migration Status Is    vm1    error
    Wait Until Server Has    vm1    host=host1    status=ERROR
    PCI Allocations Should Be    vm1    host1=1
    Placement Allocations Should Be    vm1    host1=flavor
    Resource Accounting Should Be Consistent

The Hypervisor Failing The Migration Rolls It Back
    [Documentation]    The source rolls back: allocation to the server again, the destination
    ...    deletes its bindings and frees the claimed VF, record ``failed``.
    [Tags]    failure
    Server On Host1 Beside Another On Host2
    Inject Failure    ComputeDriver.live_migration
    Live Migrate Server    vm1
    Wait Until Migration Status Is    vm1    failed
    Rolled Back To Host1

A Failing Pre Live Migration Rolls It Back
    [Documentation]    The record is ``error`` while the rollback runs, then ``failed``.
    [Tags]    failure
    Server On Host1 Beside Another On Host2
    Inject Failure    ComputeDriver.pre_live_migration
    Live Migrate Server    vm1
    Wait Until Migration Status Is    vm1    failed
    Rolled Back To Host1

An Audit Between The VF Claim And The Recorded Destination Frees The VF
    [Documentation]    The model's prediction for current Nova: the destination claims the VF
    ...    while the conductor checks it, but the migration names the destination only after
    ...    the ports are bound there. The destination's audit in between finds neither the
    ...    server nor the migration and frees the claim: the server then runs on host2 with a
    ...    VF Nova counts as free.
    [Tags]    exploration
    Explore Interleavings    Server With A Direct Port On Host1    Destination Should Hold The VF
    ...    Live Migrate Server    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound=1    expect_race=True


*** Keywords ***
The Server Should Have Moved To Host2
    [Documentation]    Once the record is ``completed``: vm1 ACTIVE on host2 with VF 03:00.1 and
    ...    its binding there, the migration's allocation on host1 gone, host1's VF free.
    Wait Until Migration Status Is    vm1    completed
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    Migrations Should Be    vm1    live-migration host1 -> host2 completed
    PCI Allocations Should Be    vm1    host2=0000:03:00.1
    Free PCI Devices On Host Should Be    host1    6
    Placement Allocations Should Be    vm1    host2=flavor
    Placement Allocations Should Be    vm1    consumer=migration
    Port Binding Should Be    vm1    host=host2    pci_slot=0000:03:00.1
    # host2's tracker counts vm1's vCPU and RAM only from its next audit (see above).
    Resource Accounting Should Be Consistent    usage=False

Server On Host1 Beside Another On Host2
    [Documentation]    vm2 takes host2's first VF (0000:02:00.1), vm1 host1's.
    Start Cluster
    Create Server With Direct Port    vm2    host=host2
    Create Server With Direct Port    vm1    host=host1
    PCI Allocations Should Be    vm1    host1=0000:02:00.1
    Placement Allocations Should Be    vm1    host1=flavor
    Port Binding Should Be    vm1    host=host1    pci_slot=0000:02:00.1
    Resource Usage On Host Should Be    host1    vcpus=1
    Resource Usage On Host Should Be    host2    vcpus=1

Server With A Direct Port On Host1
    [Documentation]    A fresh cluster with vm1 built on host1.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1

Conductor Left The Server On Host1
    [Documentation]    The conductor's refusal: vm1 ACTIVE on host1 with its VF, binding and
    ...    allocation; nothing on host2 for it.
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    PCI Allocations Should Be    vm1    host1=0000:02:00.1
    Placement Allocations Should Be    vm1    host1=flavor
    Placement Allocations Should Be    vm1    consumer=migration
    Port Binding Should Be    vm1    host=host1    pci_slot=0000:02:00.1
    Free PCI Devices On Host Should Be    host2    4
    Resource Accounting Should Be Consistent

Rolled Back To Host1
    [Documentation]    After a rollback: vm1 ACTIVE on host1 with all it held, host2 as before.
    Conductor Left The Server On Host1
    Resource Usage On Host Should Be    host1    vcpus=1
    Resource Usage On Host Should Be    host2    vcpus=1

Destination Should Hold The VF
    [Documentation]    The migrated server holds one VF on host2 and nothing disagrees.
    Migration Status Should Be    vm1    completed
    PCI Allocation On Host Should Be    vm1    host2    1
    Resource Accounting Should Be Consistent    usage=False
