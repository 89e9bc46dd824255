*** Settings ***
Documentation    What placement holds for a server with dedicated CPUs, as Nova's
...              ``test_numa_servers.py`` (NUMAServersTest) asserts it since Train: the libvirt
...              driver reports VCPU from ``[compute]cpu_shared_set`` and PCPU from
...              ``cpu_dedicated_set`` (every CPU as VCPU with neither), and the scheduler
...              asks a pinned server's vCPUs as PCPU, falling back to VCPU on hosts that
...              report no PCPU (``_translate_pinning_policies`` and the fallback query of
...              ``select_destinations``). The resource tracker counts every vCPU either way.
...              Topology ``nova_pcpu_hosts``: one host per configuration of Nova's tests.

Library          PciRaceLibrary

Test Tags        numa    pcpu    variant-fixed


*** Variables ***
${TOPOLOGY}    ${CURDIR}/topologies/nova_pcpu_hosts.yaml
&{NOTHING}     VCPU=${0}    PCPU=${0}    DISK_GB=${0}    MEMORY_MB=${0}
&{SHARED}      VCPU=${2}    PCPU=${0}    DISK_GB=${20}    MEMORY_MB=${2048}
&{PINNED}      VCPU=${0}    PCPU=${2}    DISK_GB=${20}    MEMORY_MB=${2048}


*** Test Cases ***
A Pinned Server Uses PCPU On A Host Of Dedicated CPUs
    [Documentation]    test_create_server_with_dedicated_policy: five pinned vCPUs take
    ...    ``{'DISK_GB': 20, 'MEMORY_MB': 2048, 'PCPU': 5}``; the host reports no VCPU.
    Start Cluster    ${TOPOLOGY}
    Create Server    vm1    host=compute1-dedicated    flavor=pinned.5
    Usage Should Be    compute1-dedicated    DISK_GB=${20}    MEMORY_MB=${2048}    PCPU=${5}
    Placement Allocations Should Be    vm1    compute1-dedicated=flavor
    Placement Allocations Should Be    vm1    compute1-dedicated=PCPU:5,MEMORY_MB:2048,DISK_GB:20
    NUMA Placement Of Server Should Be    vm1    cells=0    pinned=0,1,2,3,4    host=compute1-dedicated
    Resource Usage On Host Should Be    compute1-dedicated    vcpus=5
    Resource Accounting Should Be Consistent

A Pinned Server Uses VCPU On A Host Configured As Before Train
    [Documentation]    test_create_server_with_dedicated_policy_old_configuration: no PCPU
    ...    inventory, so the fallback query's VCPU allocation lands,
    ...    ``{'DISK_GB': 20, 'MEMORY_MB': 2048, 'VCPU': 2}``, and the guest is pinned all the same.
    Start Cluster    ${TOPOLOGY}
    Create Server    vm1    host=compute1-legacy    flavor=pinned
    Usage Should Be    compute1-legacy    DISK_GB=${20}    MEMORY_MB=${2048}    VCPU=${2}
    Placement Allocations Should Be    vm1    compute1-legacy=flavor
    Placement Allocations Should Be    vm1    compute1-legacy=VCPU:2,MEMORY_MB:2048,DISK_GB:20
    NUMA Placement Of Server Should Be    vm1    cells=0    pinned=0,1    host=compute1-legacy
    Resource Accounting Should Be Consistent

A Pinned Server Finds No Host Of Shared CPUs Only
    [Documentation]    test_create_server_with_dedicated_policy_fails: the host reports no
    ...    PCPU; the fallback's VCPU fits placement, but the NUMATopologyFilter finds no
    ...    dedicated CPU to pin, and the server goes to ERROR holding nothing.
    Start Cluster    ${TOPOLOGY}
    Run Keyword And Expect Error    GLOB:*ERROR*NUMATopologyFilter*
    ...    Create Server    vm1    host=compute1-shared    flavor=pinned
    Usage Should Be    compute1-shared    DISK_GB=${0}    MEMORY_MB=${0}    VCPU=${0}

A Resize From Shared To Dedicated CPUs Moves VCPU To PCPU
    [Documentation]    test_resize_vcpu_to_pcpu: the unpinned server holds VCPU on its host;
    ...    resized to a pinned flavor it holds PCPU on the other, the source keeping its VCPU
    ...    (for the migration) until the resize is confirmed.
    Start Cluster    ${TOPOLOGY}
    Create Server    vm1    host=test_compute0
    Usages Of The Two Computes Should Be    ${SHARED}    ${NOTHING}
    Resize Server    vm1    pinned
    Wait Until Server Has    vm1    host=test_compute1    status=VERIFY_RESIZE
    Usages Of The Two Computes Should Be    ${SHARED}    ${PINNED}
    Placement Allocations Should Be    vm1    consumer=migration
    ...    test_compute0=VCPU:2,MEMORY_MB:2048,DISK_GB:20
    Resource Accounting Should Be Consistent
    Confirm Resize    vm1
    Wait Until Migration Status Is    vm1    confirmed
    Usages Of The Two Computes Should Be    ${NOTHING}    ${PINNED}
    Placement Allocations Should Be    vm1    test_compute1=flavor
    Resource Accounting Should Be Consistent

A Resize From Dedicated To Shared CPUs Moves PCPU To VCPU
    [Documentation]    The way back: the pinned server's PCPU stays on the source for the
    ...    migration; the destination holds the new flavor's VCPU; a revert gives the PCPU
    ...    back to the server.
    Start Cluster    ${TOPOLOGY}
    Create Server    vm1    host=test_compute0    flavor=pinned
    Resize Server    vm1    vanilla
    Wait Until Server Has    vm1    host=test_compute1    status=VERIFY_RESIZE
    Usages Of The Two Computes Should Be    ${PINNED}    ${SHARED}
    Placement Allocations Should Be    vm1    consumer=migration
    ...    test_compute0=PCPU:2,MEMORY_MB:2048,DISK_GB:20
    Resource Accounting Should Be Consistent
    Revert Resize    vm1
    Wait Until Server Has    vm1    host=test_compute0    status=ACTIVE
    Usages Of The Two Computes Should Be    ${PINNED}    ${NOTHING}
    Placement Allocations Should Be    vm1    test_compute0=flavor
    Resource Accounting Should Be Consistent

A Usage Check Names PCPU When It Differs
    [Documentation]    A host without PCPU inventory uses none; the failure pairs expected
    ...    and found.
    Start Cluster    ${TOPOLOGY}
    Create Server    vm1    host=compute1-legacy    flavor=pinned
    Placement Usage On Host Should Be    compute1-legacy    PCPU=0    VCPU=2
    Run Keyword And Expect Error
    ...    Placement usage on 'compute1-legacy' differs at t=0.000s: VCPU should be 0 but is 2; PCPU should be 2 but is 0.
    ...    Placement Usage On Host Should Be
    ...    compute1-legacy
    ...    VCPU=0
    ...    PCPU=2


*** Keywords ***
Usage Should Be
    [Documentation]    Placement's usages of ``host``'s provider are exactly ``expected``, as
    ...    Nova's tests compare ``/resource_providers/{uuid}/usages``: every class of its
    ...    inventory, none other.
    [Arguments]    ${host}    &{expected}
    ${usage} =    Get Placement Usage    ${host}
    Should Be Equal    ${usage}    ${expected}    Placement usage of ${host}

Usages Of The Two Computes Should Be
    [Documentation]    test_compute0's and test_compute1's usages, as Nova's test reads both.
    [Arguments]    ${compute0}    ${compute1}
    Usage Should Be    test_compute0    &{compute0}
    Usage Should Be    test_compute1    &{compute1}
