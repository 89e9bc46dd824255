*** Settings ***
Documentation    Cold migration and resize as Nova does them, for a server with an SR-IOV
...              direct port: the source allocation handed to the migration record, the
...              destination's claim (devices included), ``VERIFY_RESIZE``, and what confirm
...              and revert drop. The failures Nova handles leave what Nova leaves.

Resource         resources/resize.resource

Test Tags        resize    variant-fixed


*** Test Cases ***
A Cold Migration Waits In Verify Resize With Both Hosts Accounted
    [Documentation]    Until the confirm: a VF on each host, usage on each host, the
    ...    migration holding host1 in placement and the server holding host2.
    Server Migrated To Host2
    PCI Allocations Should Be    vm1    host1=0000:02:00.1    host2=0000:02:00.1
    Usage Should Be    1    1
    Placement Allocations Should Be    vm1    host2=flavor
    Placement Allocations Should Be    vm1    consumer=migration    host1=flavor
    Port Binding Should Be    vm1    host=host2    pci_slot=0000:02:00.1
    Resource Accounting Should Be Consistent

Confirm Frees The Source
    [Documentation]    The source destroys its guest and drops the old side in one lock hold;
    ...    the migration's allocation goes; audits change nothing after.
    Server Migrated To Host2
    Confirm Resize    vm1
    Wait Until Migration Status Is    vm1    confirmed
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    PCI Allocations Should Be    vm1    host2=0000:02:00.1
    Free PCI Devices On Host Should Be    host1    6
    Placement Allocations Should Be    vm1    consumer=migration
    Usage Should Be    0    1
    Run Periodics
    Usage Should Be    0    1
    Resource Accounting Should Be Consistent

Revert Takes The Server Back
    [Documentation]    The destination drops the new side; the source takes vm1 back with
    ...    its old device, binding and allocation.
    Server Migrated To Host2
    Revert Resize    vm1
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    Migration Status Should Be    vm1    reverted
    PCI Allocations Should Be    vm1    host1=0000:02:00.1
    Free PCI Devices On Host Should Be    host2    6
    Placement Allocations Should Be    vm1    host1=flavor
    Port Binding Should Be    vm1    host=host1    pci_slot=0000:02:00.1
    Usage Should Be    1    0
    Resource Accounting Should Be Consistent

A Resize Claims The New Flavor And A Revert Gives The Old One Back
    [Documentation]    m1.small to m1.medium: host2 counts 2 vCPUs while host1 keeps 1; the
    ...    revert leaves host1 with m1.small and host2 empty.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Resize Server    vm1    m1.medium
    Wait Until Server Has    vm1    host=host2    status=VERIFY_RESIZE
    Resource Usage On Host Should Be    host2    vcpus=2    memory_mb=1024    disk_gb=2
    Resource Usage On Host Should Be    host1    vcpus=1    memory_mb=512    disk_gb=1
    Placement Usage On Host Should Be    host2    VCPU=2    MEMORY_MB=1024    DISK_GB=2
    Revert Resize    vm1
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    Resource Usage On Host Should Be    host1    vcpus=1    memory_mb=512    disk_gb=1
    Resource Usage On Host Should Be    host2    vcpus=0    memory_mb=0    disk_gb=0
    Resource Accounting Should Be Consistent

A Resize On The Same Host When The Cluster Allows It
    [Documentation]    ``allow_resize_to_same_host``: with host2 disabled the resize stays on
    ...    host1, which holds both flavors and two VFs until the confirm.
    Start Cluster    allow_resize_to_same_host=True
    Create Server With Direct Port    vm1    host=host1
    Disable Compute Service    host2
    Resize Server    vm1    m1.medium
    Wait Until Server Has    vm1    host=host1    status=VERIFY_RESIZE
    Resource Usage On Host Should Be    host1    vcpus=3
    PCI Allocation On Host Should Be    vm1    host1    2
    Confirm Resize    vm1
    Wait Until Server Has    vm1    status=ACTIVE
    Resource Usage On Host Should Be    host1    vcpus=2
    PCI Allocation On Host Should Be    vm1    host1    1
    Resource Accounting Should Be Consistent

A Stopped Server Migrates And Stays Stopped
    [Documentation]    Nova remembers the state before the move: a confirmed migration of
    ...    a stopped server ends ``SHUTOFF``.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Stop Server    vm1
    Wait Until Server Has    vm1    status=SHUTOFF
    Migrate Server    vm1
    Wait Until Server Has    vm1    host=host2    status=VERIFY_RESIZE
    Confirm Resize    vm1
    Wait Until Server Has    vm1    host=host2    status=SHUTOFF
    Resource Accounting Should Be Consistent

A Refused Claim Is Retried On An Alternate Host
    [Documentation]    The destination refuses the claim once: the conductor tries the
    ...    scheduler's next host.
    Start Cluster    three_hosts
    Create Server With Direct Port    vm1    host=host1
    Inject Failure    ResourceTracker.resize_claim
    Migrate Server    vm1
    Wait Until Server Has    vm1    host=host3    status=VERIFY_RESIZE
    Resource Accounting Should Be Consistent

With No Alternate Left The Server Stays Where It Was
    [Documentation]    Two hosts only: the retry has nowhere to go; the migration is
    ...    ``error``, the allocation back with the server, which stays ACTIVE on host1.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Inject Failure    ResourceTracker.resize_claim
    Migrate Server    vm1
    Wait Until Migration Status Is    vm1    error
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    Placement Allocations Should Be    vm1    host1=flavor
    Placement Allocations Should Be    vm1    consumer=migration
    Usage Should Be    1    0
    Resource Accounting Should Be Consistent

A Failed Finish Errors The Server On The Destination
    [Documentation]    The driver fails to start the guest on host2: ERROR there, the
    ...    migration ``error``, and what the migration held on host1 deleted.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Inject Failure    ComputeDriver.finish_migration
    Migrate Server    vm1
    Wait Until Server Has    vm1    host=host2    status=ERROR
    Migration Status Should Be    vm1    error
    Placement Allocations Should Be    vm1    consumer=migration
    Placement Allocations Should Be    vm1    host2=flavor

The API Refuses What Nova Refuses
    [Documentation]    One sentence each, nothing changed.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Run Keyword And Expect Error    GLOB:Cannot migrate 'vm1' to 'host1': it is its own host (400).*
    ...    Migrate Server    vm1    host1
    Run Keyword And Expect Error    GLOB:Cannot resize 'vm1' to m1.small: it already has that flavor*
    ...    Resize Server    vm1    m1.small
    Run Keyword And Expect Error    No flavor 'm9'. Known flavors: m1.small, m1.medium.
    ...    Resize Server    vm1    m9
    Run Keyword And Expect Error    GLOB:Cannot confirm the resize of 'vm1': it is active*
    ...    Confirm Resize    vm1
    Run Keyword And Expect Error    GLOB:Cannot revert the resize of 'vm1': it is active*
    ...    Revert Resize    vm1
    Migrations Should Be    vm1
    Resource Accounting Should Be Consistent
