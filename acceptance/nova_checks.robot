*** Settings ***
Documentation    The assertions of Nova's evacuation tests, as they make them: placement
...              usage per provider and allocations per consumer, the port binding
...              (``binding:host_id`` and the profile's ``pci_slot``), and the list of a
...              server's migrations. An evacuation doubles the instance's allocation
...              (nova-model 2.3) until the source comes back (5.1).

Library          PciRaceLibrary

Test Tags        evacuation    nova-checks    variant-fixed


*** Variables ***
${VF}          0000:02:00.1
${OTHER VF}    0000:03:00.1


*** Test Cases ***
Boot Allocates The Flavor On Its Host And Binds The Port There
    [Documentation]    After boot on host1 only host1's provider is used, by the flavor; the
    ...    port is bound to host1 with the VF's slot; there is no migration.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Placement Usage On Host Should Be    host1    VCPU=1    MEMORY_MB=512    DISK_GB=1
    Placement Usage On Host Should Be    host2    VCPU=0    MEMORY_MB=0    DISK_GB=0
    Placement Allocations Should Be    vm1    host1=VCPU:1,MEMORY_MB:512,DISK_GB:1
    Port Binding Should Be    vm1    host=host1    pci_slot=${VF}    physical_network=physnet2
    Migrations Should Be    vm1

A Server Of Another Flavor Allocates Its Size
    [Documentation]    ``flavor=m1.medium`` builds vm1 with 2 vCPU, 1024 MB and 2 GB: placement
    ...    and host1's tracker count that size, beside web1's default m1.small. An unknown
    ...    flavor is refused at once, naming the known ones, and nothing is created.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1    flavor=m1.medium
    Placement Usage On Host Should Be    host1    VCPU=2    MEMORY_MB=1024    DISK_GB=2
    Resource Usage On Host Should Be    host1    vcpus=2    memory_mb=1024    disk_gb=2
    Placement Allocations Should Be    vm1    host1=VCPU:2,MEMORY_MB:1024,DISK_GB:2
    Create Server    web1    host=host1
    Placement Usage On Host Should Be    host1    VCPU=3    MEMORY_MB=1536    DISK_GB=3
    Resource Usage On Host Should Be    host1    vcpus=3    memory_mb=1536    disk_gb=3
    Run Keyword And Expect Error    No flavor 'm1.huge'. Known flavors: m1.small, m1.medium.
    ...    Create Server    web2    flavor=m1.huge
    Run Keyword And Expect Error    No server 'web2'. Known servers: vm1, web1.
    ...    Get PCI Allocations    web2
    Resource Accounting Should Be Consistent

Evacuation Doubles The Allocation Until The Source Restarts
    [Documentation]    During the evacuation and after it the instance consumer holds the
    ...    flavor on both hosts; the source's restart removes its part and completes the
    ...    migration record.
    Server On Down Host1
    Evacuate Server With Direct Port    vm1    ComputeDriver.rebuild=1 s
    Wait Until Migration Status Is    vm1    pre-migrating
    Placement Allocations Should Be    vm1    host1=flavor    host2=flavor
    Placement Usage On Host Should Be    host2    VCPU=1    MEMORY_MB=512    DISK_GB=1
    Wait Until Migration Status Is    vm1    done
    Placement Allocations Should Be    vm1    host1=flavor    host2=flavor
    Migrations Should Be    vm1    evacuation host1 -> host2 done
    Start Compute Service    host1
    Placement Allocations Should Be    vm1    host2=flavor
    Placement Usage On Host Should Be    host1    VCPU=0    MEMORY_MB=0    DISK_GB=0
    Migrations Should Be    vm1    evacuation host1 -> host2 completed

Evacuation Has No Migration Consumer
    [Documentation]    Unlike a resize, an evacuation moves nothing to the migration's consumer.
    Server On Down Host1
    Evacuate Server With Direct Port    vm1
    Wait Until Migration Status Is    vm1    done
    Placement Allocations Should Be    vm1    consumer=migration

Port Binding Moves To The Destination's Device
    [Documentation]    vm2 holds host2's first VF, so the evacuated port gets the other one:
    ...    the profile is rewritten from the migration context, the host with it.
    Start Cluster
    Create Server With Direct Port    vm2    host=host2
    Create Server With Direct Port    vm1    host=host1
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Server With Direct Port    vm1
    Wait Until Migration Status Is    vm1    done
    Port Binding Should Be    vm1    host=host2    pci_slot=${OTHER VF}    physical_network=physnet2
    ${binding} =    Get Port Binding    vm1
    Should Be Equal    ${binding}[host]    host2
    Should Be Equal    ${binding}[pci_slot]    ${OTHER VF}

Getters Return Plain Data
    [Documentation]    What the checks read, for ``Should Be Equal`` and friends.
    Server On Down Host1
    Evacuate Server With Direct Port    vm1
    Wait Until Migration Status Is    vm1    done
    ${usage} =    Get Placement Usage    host2
    Should Be Equal    ${usage}    ${{{'VCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 1}}}
    ${allocations} =    Get Placement Allocations    vm1
    Should Be Equal    ${allocations}[host1]    ${allocations}[host2]
    Should Be Equal As Integers    ${allocations}[host2][MEMORY_MB]    512
    ${migrations} =    Get Migrations    vm1
    Length Should Be    ${migrations}    1
    Should Be Equal    ${migrations}[0][type]    evacuation
    Should Be Equal    ${migrations}[0][dest]    host2
    Should Be Equal    ${migrations}[0][status]    done

Placement Usage Failure Names Each Class
    [Documentation]    Expected and found per resource class, at the virtual time.
    Evacuated With A Slow Rebuild
    Run Keyword And Expect Error
    ...    Placement usage on 'host1' differs at t=2.000s: VCPU should be 0 but is 1; DISK_GB should be 0 but is 1.
    ...    Placement Usage On Host Should Be    host1    VCPU=0    DISK_GB=0
    Run Keyword And Expect Error
    ...    No resource class 'VGPU'. Valid resource classes: VCPU, PCPU, MEMORY_MB, DISK_GB.
    ...    Placement Usage On Host Should Be    host1    VGPU=1

Placement Allocations Failure Names Each Host
    [Documentation]    The doubled allocation is still there before the source restarts.
    Evacuated With A Slow Rebuild
    Run Keyword And Expect Error
    ...    Placement allocations of 'vm1' differ at t=2.000s: 'host1' should hold nothing but holds VCPU:1,MEMORY_MB:512,DISK_GB:1.
    ...    Placement Allocations Should Be
    ...    vm1
    ...    host2=flavor
    Run Keyword And Expect Error    The source must be freed
    ...    Placement Allocations Should Be    vm1    host2=flavor    message=The source must be freed
    Run Keyword And Expect Error
    ...    Allocation for 'host1' must be 'flavor' or resource class:amount pairs separated by commas, like VCPU:1,MEMORY_MB:512, got 'VCPU=1'.
    ...    Placement Allocations Should Be
    ...    vm1
    ...    host1=VCPU=1

Port Binding Failure Names Each Key
    [Documentation]    The binding moved with the server; an unknown key lists the valid ones.
    Evacuated With A Slow Rebuild
    Run Keyword And Expect Error
    ...    Port binding of 'vm1' differs at t=2.000s: host should be 'host1' but is 'host2'.
    ...    Port Binding Should Be    vm1    host=host1    pci_slot=${VF}
    Run Keyword And Expect Error
    ...    No port binding key 'slot'. Valid keys: host, pci_slot, pci_vendor_info, physical_network.
    ...    Port Binding Should Be    vm1    slot=${VF}

Migrations Failure Shows Both Lists
    [Documentation]    The record is ``done`` until the source restarts and completes it.
    Evacuated With A Slow Rebuild
    Run Keyword And Expect Error
    ...    Migrations of 'vm1' differ at t=2.000s: expected evacuation host1 -> host2 completed; found evacuation host1 -> host2 done.
    ...    Migrations Should Be
    ...    vm1
    ...    evacuation host1 host2 completed
    Run Keyword And Expect Error
    ...    Migration 1 must be type, source, destination and status, as in 'evacuation host1 host2 done', got 'evacuation host2'.
    ...    Migrations Should Be
    ...    vm1
    ...    evacuation host2

The Resource Trackers Count The Evacuated Server Where Nova Does
    [Documentation]    The destination's claim adds the flavor to host2; the down source
    ...    keeps what it last saved until its start-up audit drops it.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Resource Usage On Host Should Be    host1    vcpus=1    memory_mb=512    disk_gb=1
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Server With Direct Port    vm1
    Wait Until Server Has    vm1    host=host2    status=SHUTOFF
    Resource Usage On Host Should Be    host2    vcpus=1    memory_mb=512    disk_gb=1
    Resource Usage On Host Should Be    host1    vcpus=1
    Start Compute Service    host1
    Resource Usage On Host Should Be    host1    vcpus=0    memory_mb=0    disk_gb=0
    ${usage} =    Get Resource Usage    host2
    Should Be Equal As Integers    ${usage}[vcpus]    1
    Run Keyword And Expect Error
    ...    Resource usage on 'host2' differs at t=0.000s: vcpus should be 2 but is 1.
    ...    Resource Usage On Host Should Be    host2    vcpus=2

Port Binding Should Be Names One Port Of Several
    [Documentation]    ``port=`` checks one of the server's ports by its name; a port the
    ...    server does not have is refused, naming the ones it has.
    Start Cluster
    Create Port    p1    network=network_2    vnic_type=direct
    Create Port    p2    network=network_2    vnic_type=direct
    Create Server    vm1    host=host1    ports=p1,p2
    Port Binding Should Be    vm1    port=p1    host=host1    pci_slot=0000:02:00.1
    Port Binding Should Be    vm1    port=p2    host=host1    pci_slot=0000:03:00.1
    Run Keyword And Expect Error    Server 'vm1' has no port 'p3'; its named ports: p1, p2.
    ...    Port Binding Should Be    vm1    port=p3    host=host1


*** Keywords ***
Server On Down Host1
    [Documentation]    Starts a cluster, builds vm1 with a direct port on host1 and takes
    ...    host1's compute service down as an operator does before evacuating.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Stop Compute Service    host1
    Force Down Compute Service    host1

Evacuated With A Slow Rebuild
    [Documentation]    Evacuates vm1 from host1 to host2 with a rebuild of 2 s and waits
    ...    until its migration record is ``done``, at t=2.
    Server On Down Host1
    Evacuate Server With Direct Port    vm1    ComputeDriver.rebuild=2 s
    Wait Until Migration Status Is    vm1    done
