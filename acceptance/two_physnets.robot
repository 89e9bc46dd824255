*** Settings ***
Documentation    Every operation of the library on the ``two_physnets`` topology: three hosts, each
...              with a PF of four VFs on physnet1 (``0000:81:00.x``, network ``network_1``) and one
...              on physnet2 (``0000:82:00.x``, ``network_2``). After each step the suite checks
...              which VF of which PF on which host each server holds, its port's binding, its
...              placement allocation and each host's usage. A move always keeps a server on its
...              network's physnet: a network_1 server only ever holds a VF (or the PF) of bus 81,
...              a network_2 server one of bus 82. The last tests take host2's physnet1 VFs away
...              and show where each move goes then, or how it fails.
...
...              A fresh host gives out its VFs from the end of the pool: ``.4`` first. At the
...              latest microversion an evacuated server ends SHUTOFF (2.95).

Library          PciRaceLibrary

Test Tags        two-physnets    variant-fixed


*** Test Cases ***
Direct Ports Take A VF Of Their Network's Physnet
    [Documentation]    vm1 on network_1 gets a VF of the physnet1 PF, vm2 on network_2 one of the
    ...    physnet2 PF; each VF in use takes its PF out of the free devices, so 6 of host1's
    ...    10 are free. A normal port on ``private`` takes no device.
    Servers On Both Physnets
    Server Should Hold    vm1    host1    0000:81:00.4    physnet1
    Server Should Hold    vm2    host1    0000:82:00.4    physnet2
    Host Should Use    host1    vcpus=2    memory_mb=1024    disk_gb=2    free=6
    Create Server    web1    host=host2    network=private
    PCI Allocations Should Be    web1
    Port Binding Should Be    web1    host=host2    pci_slot=${EMPTY}
    Host Should Use    host2    vcpus=1    memory_mb=512    disk_gb=1    free=10
    Resource Accounting Should Be Consistent

A Direct-Physical Port Takes The Whole PF Of Its Physnet
    [Documentation]    An m1.medium server with a direct-physical port on network_1 takes PF
    ...    0000:81:00.0 and so all four of its VFs: a direct port on network_1 no longer fits on
    ...    host2 (the build ends ERROR, holding nothing), one on network_2 still does.
    Start Cluster    two_physnets
    Create Server    vm3    host=host2    vnic_type=direct-physical    network=network_1    flavor=m1.medium
    Server Should Hold    vm3    host2    0000:81:00.0    physnet1
    Host Should Use    host2    vcpus=2    memory_mb=1024    disk_gb=2    free=5
    Run Keyword And Expect Error
    ...    GLOB:*is ERROR * (fault: * claim refused on 'host2': PCI requests of 'vm4' do not fit on 'host2'; free devices in pools: 0000:82:00.0, *
    ...    Create Server
    ...    vm4
    ...    host=host2
    ...    vnic_type=direct
    ...    network=network_1
    PCI Allocations Should Be    vm4
    Placement Allocations Should Be    vm4
    Create Server    vm5    host=host2    vnic_type=direct    network=network_2
    Server Should Hold    vm5    host2    0000:82:00.4    physnet2
    Host Should Use    host2    vcpus=3    memory_mb=1536    disk_gb=3    free=3
    Resource Accounting Should Be Consistent

Stop, Start And Rebuild Keep Each Server On Its VF
    [Documentation]    Powering off and on and rebuilding in place claim nothing and free nothing.
    Servers On Both Physnets
    Stop Server    vm1
    Wait Until Server Has    vm1    status=SHUTOFF
    Server Should Hold    vm1    host1    0000:81:00.4    physnet1
    Start Server    vm1
    Wait Until Server Is Active    vm1
    Rebuild Server    vm2
    Wait Until Server Is Active    vm2
    Server Should Hold    vm1    host1    0000:81:00.4    physnet1
    Server Should Hold    vm2    host1    0000:82:00.4    physnet2
    Host Should Use    host1    vcpus=2    memory_mb=1024    disk_gb=2    free=6
    Resource Accounting Should Be Consistent

Delete Frees The Server's VF And Its PF, Nothing Else
    [Documentation]    Deleting vm1 frees 81:00.4 and with it the physnet1 PF: 8 devices free.
    Servers On Both Physnets
    Delete Server    vm1
    Wait Until Server Has    vm1    status=DELETED
    PCI Allocations Should Be    vm1
    Placement Allocations Should Be    vm1
    Server Should Hold    vm2    host1    0000:82:00.4    physnet2
    Host Should Use    host1    vcpus=1    memory_mb=512    disk_gb=1    free=8
    Resource Accounting Should Be Consistent

A Cold Migration Confirmed Lands Each Server On A VF Of Its Physnet
    [Documentation]    The scheduler sends vm1 to host2 (empty hosts tie, by name); vm2 goes to
    ...    the named host3. Until the confirm the server holds a VF on both hosts and the
    ...    migration consumer holds its source; the confirm frees the source.
    Servers On Both Physnets
    Migrate Server    vm1
    Server Should Wait In Verify Resize    vm1    host1    host2    0000:81:00.4    physnet1
    Placement Allocations Should Be    vm1    consumer=migration    host1=flavor
    Confirm Resize    vm1
    Wait Until Migration Status Is    vm1    confirmed
    Server Should Hold    vm1    host2    0000:81:00.4    physnet1
    Migrate Server    vm2    host3
    Server Should Wait In Verify Resize    vm2    host1    host3    0000:82:00.4    physnet2
    Confirm Resize    vm2
    Wait Until Migration Status Is    vm2    confirmed
    Server Should Hold    vm2    host3    0000:82:00.4    physnet2
    Host Should Use    host1    vcpus=0    memory_mb=0    disk_gb=0    free=10
    Resource Accounting Should Be Consistent

A Resize To The Medium Flavor Reverted Goes Back To The Source VF
    [Documentation]    The destination claims the new flavor and a physnet1 VF; the migration
    ...    consumer keeps the old flavor on host1. The revert gives both back: vm1 is m1.small
    ...    on host1 with 81:00.4 again, and host2 is empty.
    Servers On Both Physnets
    Resize Server    vm1    m1.medium
    Server Should Wait In Verify Resize    vm1    host1    host2    0000:81:00.4    physnet1
    Placement Allocations Should Be    vm1    consumer=migration    host1=VCPU:1,MEMORY_MB:512,DISK_GB:1
    Host Should Use    host2    vcpus=2    memory_mb=1024    disk_gb=2    free=8
    Revert Resize    vm1
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    Migrations Should Be    vm1    resize host1 -> host2 reverted
    Server Should Hold    vm1    host1    0000:81:00.4    physnet1
    Placement Allocations Should Be    vm1    host1=VCPU:1,MEMORY_MB:512,DISK_GB:1
    Host Should Use    host1    vcpus=2    memory_mb=1024    disk_gb=2    free=6
    Host Should Use    host2    vcpus=0    memory_mb=0    disk_gb=0    free=10
    Resource Accounting Should Be Consistent

A Resize To The Medium Flavor Confirmed Keeps The New Flavor On A Physnet2 VF
    [Documentation]    vm2 moves to host2 with the new flavor and a VF of the physnet2 PF there;
    ...    the confirm frees 82:00.4 on host1 and the old flavor's usage.
    Servers On Both Physnets
    Resize Server    vm2    m1.medium
    Server Should Wait In Verify Resize    vm2    host1    host2    0000:82:00.4    physnet2
    Confirm Resize    vm2
    Wait Until Migration Status Is    vm2    confirmed
    Server Should Hold    vm2    host2    0000:82:00.4    physnet2
    Placement Allocations Should Be    vm2    host2=VCPU:2,MEMORY_MB:1024,DISK_GB:2
    Host Should Use    host2    vcpus=2    memory_mb=1024    disk_gb=2    free=8
    Host Should Use    host1    vcpus=1    memory_mb=512    disk_gb=1    free=8
    Resource Accounting Should Be Consistent

A Live Migration Moves The VF; The Destination Counts The Server At Its Audit
    [Documentation]    vm2 goes to host2 and vm1 to host3, each to a VF of its physnet. The
    ...    destination claims no vCPU, RAM or disk for a live migration without NUMA, as in
    ...    Nova: placement holds the server there at once, the tracker counts it from its
    ...    next audit. So the check before that audit leaves usage out (``usage=False``).
    Servers On Both Physnets
    Live Migrate Server    vm2
    Wait Until Migration Status Is    vm2    completed
    Server Should Hold    vm2    host2    0000:82:00.4    physnet2
    Resource Usage On Host Should Be    host2    vcpus=0    memory_mb=0    disk_gb=0
    Resource Accounting Should Be Consistent    usage=False
    Run Periodic Update Available Resource    host2
    Host Should Use    host2    vcpus=1    memory_mb=512    disk_gb=1    free=8
    Live Migrate Server    vm1    host3
    Wait Until Migration Status Is    vm1    completed
    Server Should Hold    vm1    host3    0000:81:00.4    physnet1
    Run Periodic Update Available Resource    host3
    Host Should Use    host1    vcpus=0    memory_mb=0    disk_gb=0    free=10
    Resource Accounting Should Be Consistent

An Evacuation Keeps Each Physnet And The Restarted Source Cleans Up
    [Documentation]    With host1 down, vm1 goes to host2 and vm2 to host3 (host2 now has less
    ...    free RAM). Each holds a VF of its physnet on both hosts and the doubled allocation,
    ...    until host1's start-up destroys the guests, completes the records and its audit
    ...    frees both VFs and the usage.
    Servers On Both Physnets
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate To A VF    vm1    host2    0000:81:00.4    physnet1
    Evacuate To A VF    vm2    host3    0000:82:00.4    physnet2
    Host Should Use    host1    vcpus=2    memory_mb=1024    disk_gb=2    free=6
    Start Compute Service    host1
    Migrations Should Be    vm1    evacuation host1 -> host2 completed
    Migrations Should Be    vm2    evacuation host1 -> host3 completed
    Server Should Hold    vm1    host2    0000:81:00.4    physnet1
    Server Should Hold    vm2    host3    0000:82:00.4    physnet2
    Host Should Use    host1    vcpus=0    memory_mb=0    disk_gb=0    free=10
    Resource Accounting Should Be Consistent

Shelve, Offload And Unshelve To Another Host Keep The Physnet
    [Documentation]    Shelved without offload, vm1 keeps its VF on host1; offloaded it holds
    ...    nothing anywhere; unshelved to host3 it gets a physnet1 VF there.
    Servers On Both Physnets
    Shelve Server    vm1    offload=False
    Wait Until Server Has    vm1    status=SHELVED
    Server Should Hold    vm1    host1    0000:81:00.4    physnet1
    Shelve Offload Server    vm1
    Wait Until Server Has    vm1    status=SHELVED_OFFLOADED
    Server Should Hold Nothing    vm1
    Host Should Use    host1    vcpus=1    memory_mb=512    disk_gb=1    free=8
    Unshelve Server    vm1    host3
    Wait Until Server Has    vm1    host=host3    status=ACTIVE
    Server Should Hold    vm1    host3    0000:81:00.4    physnet1
    Server Should Hold    vm2    host1    0000:82:00.4    physnet2
    Resource Accounting Should Be Consistent

A Shelve Offloads At Once And The Scheduler Finds A Physnet2 VF Again
    [Documentation]    With Nova's default ``shelved_offload_time = 0`` vm2 is offloaded at once;
    ...    unshelved without a host it goes to host2 (most free RAM) on a physnet2 VF.
    Servers On Both Physnets
    Shelve Server    vm2
    Wait Until Server Has    vm2    status=SHELVED_OFFLOADED
    Run Until Idle
    Server Should Hold Nothing    vm2
    Unshelve Server    vm2
    Wait Until Server Has    vm2    host=host2    status=ACTIVE
    Server Should Hold    vm2    host2    0000:82:00.4    physnet2
    Host Should Use    host1    vcpus=1    memory_mb=512    disk_gb=1    free=8
    Host Should Use    host2    vcpus=1    memory_mb=512    disk_gb=1    free=8
    Resource Accounting Should Be Consistent

Periodic Audits During And After A Move Keep Every Claim
    [Documentation]    Audits of every host while vm1 waits in VERIFY_RESIZE and vm2 is shelved
    ...    on host1 keep both of vm1's VFs and vm2's; after the confirm they keep the new one.
    Servers On Both Physnets
    Migrate Server    vm1
    Shelve Server    vm2    offload=False
    Wait Until Server Has    vm2    status=SHELVED
    Run Periodics
    Server Should Wait In Verify Resize    vm1    host1    host2    0000:81:00.4    physnet1
    Server Should Hold    vm2    host1    0000:82:00.4    physnet2
    Host Should Use    host1    vcpus=2    memory_mb=1024    disk_gb=2    free=6
    Confirm Resize    vm1
    Wait Until Migration Status Is    vm1    confirmed
    Run Periodics
    Server Should Hold    vm1    host2    0000:81:00.4    physnet1
    Host Should Use    host1    vcpus=1    memory_mb=512    disk_gb=1    free=8
    Resource Accounting Should Be Consistent

A Cold Migration Tried Where No Physnet1 VF Is Free Goes On To Another Host
    [Documentation]    The scheduler has no PCI filter (Nova's default ``enabled_filters``), so
    ...    it tries host2, which has most free RAM; host2's claim is refused and the
    ...    migration goes on to the alternate, host3, one record throughout.
    Host2 Without A Free Physnet1 VF
    Migrate Server    vm1
    Server Should Wait In Verify Resize    vm1    host1    host3    0000:81:00.4    physnet1
    Migrations Should Be    vm1    migration host1 -> host3 finished
    Confirm Resize    vm1
    Wait Until Migration Status Is    vm1    confirmed
    Server Should Hold    vm1    host3    0000:81:00.4    physnet1
    Host Should Use    host2    vcpus=1    memory_mb=512    disk_gb=1    free=5
    Resource Accounting Should Be Consistent

A Direct-Physical Server Skips A Host Whose Physnet1 PF Has A VF In Use
    [Documentation]    pf2 needs a whole physnet1 PF: host1 (most free RAM) has one of its VFs
    ...    in use by vm1, so its claim is refused; host3's physnet1 PF is free.
    Host2 Without A Free Physnet1 VF
    Migrate Server    pf2
    Server Should Wait In Verify Resize    pf2    host2    host3    0000:81:00.0    physnet1
    Confirm Resize    pf2
    Wait Until Migration Status Is    pf2    confirmed
    Server Should Hold    pf2    host3    0000:81:00.0    physnet1
    Host Should Use    host2    vcpus=0    memory_mb=0    disk_gb=0    free=10
    Host Should Use    host3    vcpus=3    memory_mb=1536    disk_gb=3    free=3
    Resource Accounting Should Be Consistent

An Evacuation To A Host Without A Free Physnet1 VF Fails And Can Be Retried
    [Documentation]    An evacuation has no alternate hosts: host2's claim is refused, the record
    ...    ends ``failed``, host2's part of the allocation is removed and vm1 stays ACTIVE on
    ...    host1 (Nova keeps the state when the claim fails). Evacuated to host3 it moves.
    Host2 Without A Free Physnet1 VF
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Server With Direct Port    vm1
    Wait Until Migration Status Is    vm1    failed
    Server Should Hold    vm1    host1    0000:81:00.4    physnet1
    Wait Until Server Is Active    vm1
    Evacuate To A VF    vm1    host3    0000:81:00.4    physnet1
    Start Compute Service    host1
    Migrations Should Be    vm1    evacuation host1 -> host2 failed    evacuation host1 -> host3 completed
    Server Should Hold    vm1    host3    0000:81:00.4    physnet1
    Resource Accounting Should Be Consistent

A Live Migration To A Host Without A Free Physnet1 VF Ends In ERROR
    [Documentation]    The scheduler picks host2; its check claims the port's VF and fails with
    ...    PciDeviceRequestFailed, which the conductor does not expect: record ``error``,
    ...    server ERROR on host1 with its VF, as Nova with its default filters does.
    Host2 Without A Free Physnet1 VF
    Live Migrate Server    vm1
    Wait Until Migration Status Is    vm1    error
    Run Keyword And Expect Error
    ...    GLOB:*it is ERROR on host1 (fault: Migration error: PCI requests of 'vm1' do not fit on 'host2'; free devices in pools: 0000:82:00.0, *
    ...    Wait Until Server Is Active
    ...    vm1
    ...    timeout=5 s
    Server Should Hold    vm1    host1    0000:81:00.4    physnet1
    Host Should Use    host2    vcpus=1    memory_mb=512    disk_gb=1    free=5
    Resource Accounting Should Be Consistent

An Unshelve To A Host Without A Free Physnet1 VF Stays Offloaded
    [Documentation]    With host1 disabled the scheduler picks host2; its claim is refused and an
    ...    unshelve is not rescheduled: vm1 is SHELVED_OFFLOADED again, holding nothing, with
    ...    the reason as its fault. Unshelved to host3 it gets a physnet1 VF there.
    Host2 Without A Free Physnet1 VF
    Shelve Server    vm1
    Wait Until Server Has    vm1    status=SHELVED_OFFLOADED
    Disable Compute Service    host1
    Unshelve Server    vm1
    Run Keyword And Expect Error
    ...    GLOB:*it is SHELVED_OFFLOADED on no host (fault: claim refused on 'host2': PCI requests of 'vm1' do not fit on 'host2'; *
    ...    Wait Until Server Is Active
    ...    vm1
    ...    timeout=5 s
    Server Should Hold Nothing    vm1
    Unshelve Server    vm1    host3
    Wait Until Server Has    vm1    host=host3    status=ACTIVE
    Server Should Hold    vm1    host3    0000:81:00.4    physnet1
    Enable Compute Service    host1
    Resource Accounting Should Be Consistent


*** Keywords ***
Servers On Both Physnets
    [Documentation]    A ``two_physnets`` cluster with vm1 on network_1 and vm2 on network_2,
    ...    both m1.small with a direct port on host1.
    Start Cluster    two_physnets
    Create Server    vm1    host=host1    vnic_type=direct    network=network_1
    Create Server    vm2    host=host1    vnic_type=direct    network=network_2

Host2 Without A Free Physnet1 VF
    [Documentation]    vm1 on a physnet1 VF of host1; pf2 holds host2's physnet1 PF, so none
    ...    of its VFs is free; an m1.medium server on host3's physnet2 leaves host2 the host
    ...    with most free RAM, the scheduler's first choice.
    Start Cluster    two_physnets
    Create Server    vm1    host=host1    vnic_type=direct    network=network_1
    Create Server    pf2    host=host2    vnic_type=direct-physical    network=network_1
    Create Server    big3    host=host3    vnic_type=direct    network=network_2    flavor=m1.medium
    Free PCI Devices On Host Should Be    host2    5

Server Should Hold
    [Documentation]    ``server`` is on ``host`` and holds the device at ``address`` there and
    ...    nothing elsewhere; its port is bound to it on ``physnet``; placement holds its
    ...    flavor on ``host`` alone.
    [Arguments]    ${server}    ${host}    ${address}    ${physnet}
    Server Should Be On Host    ${server}    ${host}
    VAR    &{held} =    ${host}=${address}
    PCI Allocations Should Be    ${server}    &{held}
    Port Binding Should Be    ${server}    host=${host}    pci_slot=${address}    physical_network=${physnet}
    VAR    &{flavor} =    ${host}=flavor
    Placement Allocations Should Be    ${server}    &{flavor}

Server Should Wait In Verify Resize
    [Documentation]    ``server`` moved from ``source`` to ``dest`` and waits for its confirm or
    ...    revert: it holds the device at ``address`` on both hosts (a fresh pool gives
    ...    out the same VF first), its port is bound to the destination's on ``physnet``,
    ...    the server consumer holds the destination.
    [Arguments]    ${server}    ${source}    ${dest}    ${address}    ${physnet}
    Wait Until Server Has    ${server}    host=${dest}    status=VERIFY_RESIZE
    VAR    &{held} =    ${source}=${address}    ${dest}=${address}
    PCI Allocations Should Be    ${server}    &{held}
    Port Binding Should Be    ${server}    host=${dest}    pci_slot=${address}    physical_network=${physnet}
    VAR    &{flavor} =    ${dest}=flavor
    Placement Allocations Should Be    ${server}    &{flavor}

Evacuate To A VF
    [Documentation]    Evacuates ``server`` (to ``host`` by name) and waits until it is SHUTOFF
    ...    there: it holds ``address`` on ``host`` and its old device on host1, its port is
    ...    bound to ``address`` on ``physnet``, placement holds its flavor on both.
    [Arguments]    ${server}    ${host}    ${address}    ${physnet}
    Evacuate Server With Direct Port    ${server}    ${host}
    Wait Until Server Has    ${server}    host=${host}    status=SHUTOFF
    ${held} =    Get PCI Allocations    ${server}
    Length Should Be    ${held}[${host}]    1
    Should Be Equal    ${held}[${host}][0]    ${address}
    Port Binding Should Be    ${server}    host=${host}    pci_slot=${address}    physical_network=${physnet}
    VAR    &{flavor} =    host1=flavor    ${host}=flavor
    Placement Allocations Should Be    ${server}    &{flavor}

Server Should Hold Nothing
    [Documentation]    ``server`` is on no host, holds no device and no allocation, its port
    ...    is unbound: an offloaded server.
    [Arguments]    ${server}
    Server Should Be On Host    ${server}    ${EMPTY}
    PCI Allocations Should Be    ${server}
    Placement Allocations Should Be    ${server}
    Port Binding Should Be    ${server}    host=${EMPTY}    pci_slot=${EMPTY}

Host Should Use
    [Documentation]    ``host``'s tracker and placement both count the given vCPU, RAM and disk,
    ...    and ``free`` of its ten devices are free.
    [Arguments]    ${host}    ${vcpus}    ${memory_mb}    ${disk_gb}    ${free}
    Resource Usage On Host Should Be    ${host}    vcpus=${vcpus}    memory_mb=${memory_mb}    disk_gb=${disk_gb}
    Placement Usage On Host Should Be    ${host}    VCPU=${vcpus}    MEMORY_MB=${memory_mb}    DISK_GB=${disk_gb}
    Free PCI Devices On Host Should Be    ${host}    ${free}
