*** Settings ***
Documentation    The check keywords once as they should be used and once as they should fail,
...              with the failure message pinned.

Library          PciRaceLibrary    timeout=1 min

Test Tags        keywords    checks    variant-fixed


*** Test Cases ***
PCI Allocation On Host Should Be
    [Documentation]    Counts the devices allocated to the server on one host.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    PCI Allocation On Host Should Be    vm1    host1    1
    Run Keyword And Expect Error
    ...    GLOB:Server 'vm1' should hold 0 PCI device(s) on 'host1' but holds 1 at t=0.000s: 0000:0?:00.1.
    ...    PCI Allocation On Host Should Be    vm1    host1    0
    Run Keyword And Expect Error    Custom message
    ...    PCI Allocation On Host Should Be    vm1    host2    1    message=Custom message

PCI Allocations Should Be
    [Documentation]    The whole mapping at once; addresses or counts.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    ${allocations} =    Get PCI Allocations    vm1
    PCI Allocations Should Be    vm1    host1=${allocations}[host1][0]
    PCI Allocations Should Be    vm1    host1=1    host2=0
    Run Keyword And Expect Error
    ...    GLOB:PCI allocations of 'vm1' differ at t=0.000s: 'host1' should hold 0 but holds 1 (0000:0?:00.1); 'host2' should hold 1 but holds 0 (none).
    ...    PCI Allocations Should Be
    ...    vm1
    ...    host2=1
    Run Keyword And Expect Error
    ...    Expected value for 'host1' must be a count or a comma-separated list of PCI addresses like 0000:02:00.1, got 'many'.
    ...    PCI Allocations Should Be
    ...    vm1
    ...    host1=many

PCI Allocations Come From The Port's Physnet
    [Documentation]    In ``two_physnets`` each host has a PF of four VFs on each physnet:
    ...    a direct port on network_1 takes a VF of the physnet1 PF (bus 81), one on
    ...    network_2 a VF of the physnet2 PF (bus 82). A server has one port, so one
    ...    server per network.
    Start Cluster    two_physnets
    Create Server    vm1    host=host2    vnic_type=direct    network=network_1    flavor=m1.medium
    Create Server    vm2    host=host2    vnic_type=direct    network=network_2
    PCI Allocations Should Be    vm1    host2=1
    PCI Allocations Should Be    vm2    host2=1
    ${vm1} =    Get PCI Allocations    vm1
    ${vm2} =    Get PCI Allocations    vm2
    Should Match Regexp    ${vm1}[host2][0]    ^0000:81:00\.[1-4]$
    Should Match Regexp    ${vm2}[host2][0]    ^0000:82:00\.[1-4]$
    Port Binding Should Be    vm1    host=host2    physical_network=physnet1
    Port Binding Should Be    vm2    host=host2    physical_network=physnet2
    Free PCI Devices On Host Should Be    host2    6    # each VF used makes its PF unavailable
    Placement Usage On Host Should Be    host2    VCPU=3    MEMORY_MB=1536    DISK_GB=3
    Resource Accounting Should Be Consistent

Server Should Be On Host
    [Documentation]    Compares the host the database records.
    Start Cluster
    Create Server With Direct Port    vm1    host=host2
    Server Should Be On Host    vm1    host2
    Run Keyword And Expect Error    Server 'vm1' should be on 'host1' but is on 'host2' at t=0.000s.
    ...    Server Should Be On Host    vm1    host1
    Run Keyword And Expect Error    Server 'vm1' should be on no host but is on 'host2' at t=0.000s.
    ...    Server Should Be On Host    vm1    ${EMPTY}

Migration Status Should Be
    [Documentation]    The latest record counts; none is a failure too.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Run Keyword And Expect Error    Latest migration of 'vm1' should be 'done' but is no migration record at t=0.000s.
    ...    Migration Status Should Be    vm1    done

PCI Device Counts On Host Should Be
    [Documentation]    Every row counts, free or not; a VF in use takes its PF with it.
    Start Cluster
    PCI Device Counts On Host Should Be    host1    total=6    free=6
    Create Server With Direct Port    vm1    host=host1
    PCI Device Counts On Host Should Be    host1    total=6    free=4
    Run Keyword And Expect Error
    ...    Host 'host1' should have 6 PCI device(s), 6 free, but has 6, 4 free at t=0.000s.
    ...    PCI Device Counts On Host Should Be    host1    6    6

Server Fault Should Contain
    [Documentation]    A server without a fault fails the check; one the scheduler refused
    ...    names the reason.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Run Keyword And Expect Error
    ...    Fault of 'vm1' should contain 'No valid host' but is no fault at t=0.000s.
    ...    Server Fault Should Contain    vm1    No valid host
    Stop Compute Service    host2
    Force Down Compute Service    host2
    Live Migrate Server    vm1
    Wait Until Migration Status Is    vm1    error
    Server Fault Should Contain    vm1    No valid host was found
    Run Keyword And Expect Error    GLOB:Fault of 'vm1' should contain 'spawn' but is 'No valid*
    ...    Server Fault Should Contain    vm1    spawn

Free PCI Devices On Host Should Be
    [Documentation]    A VF in use makes its PF unavailable too.
    Start Cluster
    Free PCI Devices On Host Should Be    host1    6
    Create Server With Direct Port    vm1    host=host1
    Free PCI Devices On Host Should Be    host1    4
    Run Keyword And Expect Error    GLOB:Host 'host1' should have 6 free PCI device(s) but has 4 at t=0.000s: *
    ...    Free PCI Devices On Host Should Be    host1    6

Resource Accounting Should Be Consistent
    [Documentation]    The race of bug 1896463 breaks the first invariant.
    Start Cluster    bugs=1896463
    Resource Accounting Should Be Consistent
    Create Server With Direct Port    vm1    host=host1
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Server With Direct Port    vm1    ComputeDriver.rebuild=0.5 s    drop_migration_context=1 s
    Run Periodic Update Available Resource    host2    get_in_progress_and_error=2 s
    Resource Accounting Should Be Consistent    host=host1
    VAR    ${violation} =
    ...    Server 'vm1' on 'host2' should hold 1 allocated PCI device(s) for its port but holds 0: none.
    VAR    ${usage} =
    ...    The resource tracker of 'host2' counts other usage than placement holds on it (VCPU 0 != 1, MEMORY_MB 0 != 512, DISK_GB 0 != 1).
    Run Keyword And Expect Error
    ...    Resource accounting on 'host2' is inconsistent at t=2.000s (2 violation(s)):\n- ${violation}\n- ${usage}
    ...    Resource Accounting Should Be Consistent
    ...    host=host2

Get PCI Allocations
    [Documentation]    Returns host to addresses; unknown servers fail.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    ${allocations} =    Get PCI Allocations    vm1
    Length Should Be    ${allocations}[host1]    1
    Run Keyword And Expect Error    No server 'vm2'. Known servers: vm1.
    ...    Get PCI Allocations    vm2
