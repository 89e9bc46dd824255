*** Comments ***
# One suite mirrors seven Nova test classes, so it is longer than a scenario family's.
# robocop: off=file-too-long


*** Settings ***
Documentation    Nova's functional tests of PCI alias (flavor) requests and their NUMA policies in
...              ``nova/tests/functional/libvirt/test_pci_sriov_servers.py``: ``PCIServersTest``, ``PCIResourceRequestReschedulingTest``,
...              ``PCIServersWithPreferredNUMATest``, ``PCIServersWithRequiredNUMATest``, ``PCIServersWithSRIOVAffinityPoliciesTest`` and
...              ``PCIServersWithPortNUMAPoliciesTest`` (base ``_PCIServersTestBase``), on their fakelibvirt hosts (``topologies/nova_*.yaml``).
...              Nova's placement PCI view (``[pci]report_in_placement``) is checked as the same accounting in the PCI tracker (free devices, pools,
...              the server's devices), ``mock_filter.called`` as the refusal naming NUMATopologyFilter. A host Nova starts alone shares a topology
...              here and each test names its own. What ``numa.robot`` covers is not repeated; what the model cannot express is listed in
...              ``docs/nova-parity.md``.

Library          PciRaceLibrary

Test Tags        nova-parity    pci-alias    variant-fixed


*** Variables ***
${TOPOLOGIES}       ${CURDIR}/topologies
${PINNED}           ${TOPOLOGIES}/nova_pinned_pci_hosts.yaml
${SRIOV}            ${TOPOLOGIES}/nova_pinned_sriov_hosts.yaml
${NO VALID HOST}    GLOB:Server '*' should be ACTIVE * but is ERROR * (fault: No valid host was found for *
${NUMA REFUSED}     GLOB:Server '*' should be ACTIVE * but is ERROR * (fault: No valid host was found for * NUMATopologyFilter: *


*** Test Cases ***
A Pinned Guest Takes The Device Of Its Cell Under The Legacy Policy
    [Documentation]    ``PCIServersTest.test_create_server_with_pci_dev_and_numa``: a pinned guest with alias ``a1`` (legacy) boots where the one type-PCI
    ...    device is on cell 1; Nova asserts it ACTIVE and the device's placement provider used by it.
    Start Cluster    ${PINNED}
    Create Server    vm1    host=all-pinned-pci1    flavor=pinned.a1
    PCI Devices Of Server Should Be    vm1    all-pinned-pci1 0000:81:00.0 type-PCI - 1 alias:a1
    PCI Pools On Host Should Be    all-pinned-pci1
    NUMA Placement Of Server Should Be    vm1    cells=1    pinned=4,5
    Resource Accounting Should Be Consistent

The Legacy Policy Refuses The Device Of A Cell The Guest Cannot Use
    [Documentation]    ``PCIServersTest.test_create_server_with_pci_dev_and_numa_fails``: pinned guests without devices fill cell 1, then cell 0 (the device's);
    ...    with cell 1 freed, a pinned guest with ``a1`` (legacy) is ERROR. Nova asserts both cells and the device unused.
    Start Cluster    ${PINNED}
    Two Pinned Guests Without Devices Then Cell 1 Freed    all-pinned-pci0
    Build Should Be Refused By NUMATopologyFilter    vm3    all-pinned-pci0    pinned.a1
    Free PCI Devices On Host Should Be    all-pinned-pci0    1
    PCI Devices Of Server Should Be    vm3
    Resource Accounting Should Be Consistent

A Server With A PCI Alias Device Cannot Live Migrate
    [Documentation]    ``PCIServersTest.test_live_migrate_server_with_pci``: ``a1`` does not ask for live-migratable devices, so each host fails the conductor's
    ...    pre-check; Nova asserts NoValidHost (a 500 only because its test casts as calls) and both hosts' devices unchanged. Here, as Nova's API
    ...    answers 202, the migration ends ``error`` and the server ACTIVE on its host with that fault.
    Start Cluster    ${TOPOLOGIES}/nova_pci_one_pci_each.yaml
    Create Server    vm1    host=test_compute0    flavor=pci.one
    Live Migrate Server    vm1
    Wait Until Migration Status Is    vm1    error
    Wait Until Server Has    vm1    host=test_compute0    status=ACTIVE
    Server Fault Should Contain    vm1    No valid host was found for 'vm1'.
    PCI Devices Of Server Should Be    vm1    test_compute0 0000:81:00.0 type-PCI - 0 alias:a1
    Free PCI Devices On Host Should Be    test_compute1    1
    Placement Allocations Should Be    vm1    test_compute0=flavor
    Resource Accounting Should Be Consistent

A Resize To A Flavor Without Devices Frees The Device
    [Documentation]    ``PCIServersTest.test_resize_pci_to_vanilla``: the ``a1`` server on test_compute0 is resized to a flavor without devices, so to
    ...    test_compute1 (no device); after the confirm Nova asserts test_compute0 1 of 1 device free, test_compute1 0 of 0.
    Start Cluster    ${TOPOLOGIES}/nova_pci_and_vanilla.yaml
    Create Server    vm1    flavor=pci.one
    Server Should Be On Host    vm1    test_compute0
    Resize Server    vm1    vanilla
    Wait Until Server Has    vm1    host=test_compute1    status=VERIFY_RESIZE
    Confirm Resize    vm1
    Wait Until Server Has    vm1    status=ACTIVE
    Free PCI Devices On Host Should Be    test_compute0    1
    Free PCI Devices On Host Should Be    test_compute1    0
    PCI Devices Of Server Should Be    vm1
    Resource Accounting Should Be Consistent

A Resize To A Flavor With An Alias Claims A Device
    [Documentation]    ``PCIServersTest.test_resize_vanilla_to_pci``: a server without devices on test_compute1 is resized to ``a1:1``; after the confirm Nova
    ...    asserts test_compute0's one device used (0 free), test_compute1 0 of 0.
    Start Cluster    ${TOPOLOGIES}/nova_pci_and_vanilla.yaml
    Create Server    vm1    host=test_compute1
    Free PCI Devices On Host Should Be    test_compute0    1
    Resize Server    vm1    pci.one
    Wait Until Server Has    vm1    host=test_compute0    status=VERIFY_RESIZE
    Confirm Resize    vm1
    Wait Until Server Has    vm1    status=ACTIVE
    Free PCI Devices On Host Should Be    test_compute0    0
    Free PCI Devices On Host Should Be    test_compute1    0
    PCI Devices Of Server Should Be    vm1    test_compute0 0000:81:00.0 type-PCI - 0 alias:a1
    Resource Accounting Should Be Consistent

A Resize From One Device To Two Holds Both Hosts Until Revert Or Confirm
    [Documentation]    ``PCIServersTest.test_resize_from_one_dev_to_two``: ``a1:1`` on test_compute0 to ``a1:2`` on test_compute1. Nova asserts all devices used
    ...    and the source side held by the migration while it waits; the revert frees test_compute1 and gives the allocation back; a confirmed
    ...    resize frees test_compute0.
    Start Cluster    ${TOPOLOGIES}/nova_pci_one_and_two.yaml
    Create Server    vm1    host=test_compute0    flavor=pci.one
    Resize To Two Devices    test_compute1
    Revert Resize    vm1
    Wait Until Server Has    vm1    host=test_compute0    status=ACTIVE
    Free PCI Devices On Host Should Be    test_compute0    0
    Free PCI Devices On Host Should Be    test_compute1    2
    Placement Allocations Should Be    vm1    test_compute0=flavor
    Resize To Two Devices    test_compute1
    Confirm Resize    vm1
    Wait Until Server Has    vm1    status=ACTIVE
    Free PCI Devices On Host Should Be    test_compute0    1
    Free PCI Devices On Host Should Be    test_compute1    0
    Placement Allocations Should Be    vm1    test_compute1=flavor

A Resize On The Same Host From One Device To Two
    [Documentation]    ``PCIServersTest.test_same_host_resize_with_pci``: one host of three devices, ``allow_resize_to_same_host``; Nova reserves 81:01 and
    ...    81:02 in placement so the boot takes 81:00 (the model takes it first anyway). Nova asserts 2 free after the boot, 0 while the resize to
    ...    ``a1:2`` waits, 2 after the revert, 1 after a confirmed resize.
    Start Cluster    ${TOPOLOGIES}/nova_pci_three_on_one_host.yaml    allow_resize_to_same_host=True
    Create Server    vm1    flavor=pci.one
    PCI Devices Of Server Should Be    vm1    test_compute0 0000:81:00.0 type-PCI - 0 alias:a1
    Resize To Two Devices    test_compute0
    Revert Resize    vm1
    Wait Until Server Has    vm1    host=test_compute0    status=ACTIVE
    Free PCI Devices On Host Should Be    test_compute0    2
    PCI Devices Of Server Should Be    vm1    test_compute0 0000:81:00.0 type-PCI - 0 alias:a1
    Placement Allocations Should Be    vm1    consumer=migration
    Resize To Two Devices    test_compute0
    Confirm Resize    vm1
    Wait Until Server Has    vm1    status=ACTIVE
    Free PCI Devices On Host Should Be    test_compute0    1
    PCI Devices Of Server Should Be    vm1
    ...    test_compute0 0000:81:01.0 type-PCI - 1 alias:a1
    ...    test_compute0 0000:81:02.0 type-PCI - 0 alias:a1

A Cold Migration Takes The Destination's Free Device
    [Documentation]    ``PCIServersTest.test_cold_migrate_server_with_pci``: an ``a1:1`` server on each host, both on 81:00 (Nova reserves 81:01 in placement
    ...    for that); server_a migrates. Nova asserts 1 free on each host, then test_compute1 full with server_a on 81:01 and the source side held
    ...    by the migration, then test_compute0 2 free.
    Start Cluster    ${TOPOLOGIES}/nova_pci_two_pci_each.yaml
    Create Server    server_a    host=test_compute0    flavor=pci.one
    Create Server    server_b    host=test_compute1    flavor=pci.one
    PCI Devices Of Server Should Be    server_b    test_compute1 0000:81:00.0 type-PCI - 0 alias:a1
    Free PCI Devices On Host Should Be    test_compute0    1
    Free PCI Devices On Host Should Be    test_compute1    1
    Migrate Server    server_a
    Wait Until Server Has    server_a    host=test_compute1    status=VERIFY_RESIZE
    Free PCI Devices On Host Should Be    test_compute0    1
    Free PCI Devices On Host Should Be    test_compute1    0
    PCI Devices Of Server Should Be    server_a
    ...    test_compute0 0000:81:00.0 type-PCI - 0 alias:a1
    ...    test_compute1 0000:81:01.0 type-PCI - 1 alias:a1
    Placement Allocations Should Be    server_a    consumer=migration    test_compute0=flavor
    Confirm Cold Migration    server_a

Two Aliases Matching The Host's One Device Are No Valid Host
    [Documentation]    ``PCIServersTest.test_request_two_pci_but_host_has_one``: ``a1`` and ``a2`` each match the host's only device; Nova asserts a flavor
    ...    asking ``a1:1,a2:1`` ERROR with a "No valid host" fault.
    Start Cluster    ${TOPOLOGIES}/nova_pci_one_on_one_host.yaml
    Free PCI Devices On Host Should Be    compute1    1
    Run Keyword And Expect Error    ${NO VALID HOST}    Create Server    vm1    flavor=pci.a1.a2
    PCI Devices Of Server Should Be    vm1
    Free PCI Devices On Host Should Be    compute1    1
    Resource Accounting Should Be Consistent

An Evacuation Holds Both Hosts Until The Source Comes Back
    [Documentation]    ``PCIServersTest.test_evacuate``: test_compute0 stopped and forced down, the server evacuated; Nova asserts each host's device used and
    ...    the server's allocation on both hosts (2 VCPU, 2048 MB, 20 GB each); after the source's restart its device free and the allocation on
    ...    test_compute1 only.
    Start Cluster    ${TOPOLOGIES}/nova_pci_one_pci_each.yaml
    Create Server    vm1    host=test_compute0    flavor=pci.one
    Stop Compute Service    test_compute0
    Force Down Compute Service    test_compute0
    Evacuate Server    vm1
    Wait Until Server Has    vm1    host=test_compute1    status=SHUTOFF
    Migration Status Should Be    vm1    done
    Free PCI Devices On Host Should Be    test_compute0    0
    Free PCI Devices On Host Should Be    test_compute1    0
    Placement Allocations Should Be    vm1
    ...    test_compute0=VCPU:2,MEMORY_MB:2048,DISK_GB:20
    ...    test_compute1=VCPU:2,MEMORY_MB:2048,DISK_GB:20
    Start Compute Service    test_compute0
    Source Cleaned After Evacuation

An Unshelve After Offload Claims A Device Elsewhere
    [Documentation]    ``PCIServersTest.test_unshelve_after_offload``: the offload frees test_compute0's device (test_compute1 untouched); with test_compute0
    ...    disabled the unshelve goes to test_compute1, and Nova asserts its device used and test_compute0's free.
    Start Cluster    ${TOPOLOGIES}/nova_pci_one_pci_each.yaml
    Create Server    vm1    host=test_compute0    flavor=pci.one
    Shelve Server    vm1
    Wait Until Server Has    vm1    status=SHELVED_OFFLOADED
    Free PCI Devices On Host Should Be    test_compute0    1
    Free PCI Devices On Host Should Be    test_compute1    1
    Placement Allocations Should Be    vm1
    Disable Compute Service    test_compute0
    Unshelve Server    vm1
    Wait Until Server Has    vm1    host=test_compute1    status=ACTIVE
    Free PCI Devices On Host Should Be    test_compute0    1
    PCI Devices Of Server Should Be    vm1    test_compute1 0000:81:00.0 type-PCI - 0 alias:a1
    Placement Allocations Should Be    vm1    test_compute1=flavor
    Resource Accounting Should Be Consistent

A Build Rescheduled After Its First Host Failed Holds One Device
    [Documentation]    ``PCIServersTest.test_reschedule``: the first guest creation fails (Nova: a libvirt error in ``_create_guest``; here the spawn) and the
    ...    build is rescheduled; Nova asserts the second host's device used, the first's free.
    Start Cluster    ${TOPOLOGIES}/nova_pci_one_pci_each.yaml
    Inject Failure    ComputeDriver.spawn
    Create Server    vm1    flavor=pci.one
    Server Should Be On Host    vm1    test_compute1
    PCI Devices Of Server Should Be    vm1    test_compute1 0000:81:00.0 type-PCI - 0 alias:a1
    Free PCI Devices On Host Should Be    test_compute0    1
    Placement Allocations Should Be    vm1    test_compute1=flavor
    Resource Accounting Should Be Consistent

A Build Rescheduled With A PF Alias Holds One PF
    [Documentation]    ``PCIResourceRequestReschedulingTest.test_boot_reschedule_with_proper_pci_device_count``: alias ``pfs`` asks for a PF; the first host's
    ...    late check fails once (Nova: RescheduledException in ``_validate_instance_group_policy``, after the claim; here the spawn). Nova asserts
    ...    one device on the instance at each attempt and in the database. ``bug_1860555.robot`` does it with a port.
    Start Cluster    ${TOPOLOGIES}/nova_pfs.yaml
    Inject Failure    ComputeDriver.spawn
    Create Server    vm1
    ${spawned} =    Get Spawned PCI Devices    vm1
    Should Be Equal    ${spawned}    ${{ {'host2': ['0000:81:00.0']} }}
    PCI Devices Of Server Should Be    vm1    host2 0000:81:00.0 type-PF - 0 alias:pfs
    PCI Pools On Host Should Be    host1    type-PF 0000:81:00.0 1    type-PF 0000:81:01.0 1
    Resource Accounting Should Be Consistent

The Preferred Alias Lets A Pinned Guest Take The Device Of The Other Cell
    [Documentation]    ``PCIServersWithPreferredNUMATest.test_create_server_with_pci_dev_and_numa``: pinned guests without devices fill cell 1, then cell 0 (the
    ...    device's); with cell 1 freed, Nova asserts a pinned guest with the ``preferred`` alias ACTIVE on cell 1 with the device of cell 0.
    Start Cluster    ${PINNED}
    Two Pinned Guests Without Devices Then Cell 1 Freed    all-pinned-pci0
    Free PCI Devices On Host Should Be    all-pinned-pci0    1
    Create Server    vm3    host=all-pinned-pci0    flavor=pinned.a1-preferred
    NUMA Placement Of Server Should Be    vm3    cells=1
    PCI Devices Of Server Should Be    vm3    all-pinned-pci0 0000:81:00.0 type-PCI - 0 alias:a1-preferred
    Resource Accounting Should Be Consistent

The Required Alias Refuses The Device Of The Other Cell
    [Documentation]    ``PCIServersWithRequiredNUMATest.test_create_server_with_pci_dev_and_numa``: the same steps with the ``required`` alias; Nova asserts the
    ...    server ERROR and the device unused.
    Start Cluster    ${PINNED}
    Two Pinned Guests Without Devices Then Cell 1 Freed    all-pinned-pci0
    Build Should Be Refused By NUMATopologyFilter    vm3    all-pinned-pci0    pinned.a1-required
    Free PCI Devices On Host Should Be    all-pinned-pci0    1
    Resource Accounting Should Be Consistent

The Flavor's Preferred Policy Takes The Device Of Either Cell Or Of None
    [Documentation]    ``PCIServersWithSRIOVAffinityPoliciesTest.test_create_server_with_sriov_numa_affinity_policy_preferred`` (data -1, 0 and 1;
    ...    -1 is the device of no NUMA node): cell 1 alone pinnable, the flavor's ``preferred`` over the ``required`` alias; Nova asserts ACTIVE.
    FOR    ${host}    ${node}    IN    node1-pinned-pci0    0    node1-pinned-pci1    1    node1-pinned-pci-none    -
        Start Cluster    ${PINNED}
        Create Server    vm1    host=${host}    flavor=pinned.a1-required.preferred
        NUMA Placement Of Server Should Be    vm1    cells=1
        PCI Devices Of Server Should Be    vm1    ${host} 0000:81:00.0 type-PCI - ${node} *
    END

The Flavor's Legacy Policy Takes The Device Only On The Guest's Cell
    [Documentation]    ``PCIServersWithSRIOVAffinityPoliciesTest.test_create_server_with_sriov_numa_affinity_policy_legacy`` (data -1, 0 and 1):
    ...    Nova asserts ERROR for the device on cell 0, NUMATopologyFilter refusing before PciPassthroughFilter, and ACTIVE on cell 1 and
    ...    for the device of no NUMA node, which ``legacy`` takes.
    Start Cluster    ${PINNED}
    Build Should Be Refused By NUMATopologyFilter    vm1    node1-pinned-pci0    pinned.a1-required.legacy
    FOR    ${host}    ${node}    IN    node1-pinned-pci1    1    node1-pinned-pci-none    -
        Start Cluster    ${PINNED}
        Create Server    vm1    host=${host}    flavor=pinned.a1-required.legacy
        NUMA Placement Of Server Should Be    vm1    cells=1    pinned=4,5
        PCI Devices Of Server Should Be    vm1    ${host} 0000:81:00.0 type-PCI - ${node} alias:a1-required
    END

The Flavor's Required Policy Over The Alias's Takes The Device Of The Guest's Cell
    [Documentation]    ``PCIServersWithSRIOVAffinityPoliciesTest.test_create_server_with_sriov_numa_affinity_policy_required`` (data 1 and -1; data 0 is in
    ...    numa.robot): Nova asserts ACTIVE for the device on cell 1, ERROR for the device of no NUMA node.
    Start Cluster    ${PINNED}
    Build Should Be Refused By NUMATopologyFilter    vm1    node1-pinned-pci-none    pinned.a1-preferred.required
    Start Cluster    ${PINNED}
    Create Server    vm1    host=node1-pinned-pci1    flavor=pinned.a1-preferred.required
    NUMA Placement Of Server Should Be    vm1    cells=1
    PCI Devices Of Server Should Be    vm1    node1-pinned-pci1 0000:81:00.0 type-PCI - 1 alias:a1-preferred

The Flavor's Socket Policy Takes A Device Of Another Cell On The Guest's Socket
    [Documentation]    ``PCIServersWithSRIOVAffinityPoliciesTest.test_socket_policy_pass``: one socket of two cells, cell 0 pinnable, the device on cell 1; Nova
    ...    asserts ACTIVE.
    Start Cluster    ${PINNED}
    Create Server    vm1    host=one-socket-pci1    flavor=pinned.a1-required.socket
    NUMA Placement Of Server Should Be    vm1    cells=0
    PCI Devices Of Server Should Be    vm1    one-socket-pci1 0000:81:00.0 type-PCI - 1 alias:a1-required

The Flavor's Socket Policy Refuses A Device On Another Socket
    [Documentation]    ``PCIServersWithSRIOVAffinityPoliciesTest.test_socket_policy_fail``: a cell per socket, cell 0 pinnable, the device on cell 1; Nova
    ...    asserts ERROR, "No valid host".
    Start Cluster    ${PINNED}
    Build Should Be Refused By NUMATopologyFilter    vm1    two-sockets-pci1    pinned.a1-required.socket
    Free PCI Devices On Host Should Be    two-sockets-pci1    1

The Flavor's Socket Policy Is Met By One Guest Cell Of Three
    [Documentation]    ``PCIServersWithSRIOVAffinityPoliciesTest.test_socket_policy_multi_numa_pass``: four cells on two sockets, cells 1-3 pinnable, the device
    ...    on cell 0; a three-cell guest has cell 1 on its socket; Nova asserts ACTIVE.
    Start Cluster    ${PINNED}
    Create Server    vm1    host=four-cells-pci0    flavor=pinned.6.three-cells.a1-required.socket
    NUMA Placement Of Server Should Be    vm1    cells=1,2,3    pinned=2,3,4,5,6,7
    PCI Devices Of Server Should Be    vm1    four-cells-pci0 0000:81:00.0 type-PCI - 0 alias:a1-required

The Port's Preferred Policy Takes The VF Of The Guest's Cell Or Of No Cell
    [Documentation]    ``PCIServersWithPortNUMAPoliciesTest.test_create_server_with_sriov_numa_affinity_policy_preferred`` (data 1 and -1; data 0 is
    ...    numa.robot's "The Flavor's Policy Is Over The Alias's, And The Port's Over The Flavor's"): Nova asserts ACTIVE.
    FOR    ${host}    ${node}    IN    node1-pinned-sriov1    1    node1-pinned-sriov-none    -
        Start Cluster    ${SRIOV}
        Boot With A Port Of Policy    preferred    ${host}
        NUMA Placement Of Server Should Be    vm1    cells=1
        PCI Devices Of Server Should Be    vm1    ${host} * type-VF 0000:81:00.0 ${node} port:port1
    END

The Port's Legacy Policy Takes The VF Only On The Guest's Cell
    [Documentation]    ``PCIServersWithPortNUMAPoliciesTest.test_create_server_with_sriov_numa_affinity_policy_legacy`` (data -1, 0 and 1): cell 1
    ...    alone pinnable; Nova asserts ERROR for the NIC on cell 0 (NUMATopologyFilter first), ACTIVE on cell 1 and for the NIC of no NUMA node.
    Start Cluster    ${SRIOV}
    Run Keyword And Expect Error    ${NUMA REFUSED}    Boot With A Port Of Policy    legacy    node1-pinned-sriov0
    FOR    ${host}    ${node}    IN    node1-pinned-sriov1    1    node1-pinned-sriov-none    -
        Start Cluster    ${SRIOV}
        Boot With A Port Of Policy    legacy    ${host}
        PCI Devices Of Server Should Be    vm1    ${host} * type-VF 0000:81:00.0 ${node} port:port1
    END

The Port's Required Policy Takes The VF Only On The Guest's Cell
    [Documentation]    ``PCIServersWithPortNUMAPoliciesTest.test_create_server_with_sriov_numa_affinity_policy_required`` (data -1, 0 and 1):
    ...    Nova asserts ERROR for the NIC on cell 0 (NUMATopologyFilter first) and for the NIC of no NUMA node, ACTIVE on cell 1.
    FOR    ${host}    IN    node1-pinned-sriov0    node1-pinned-sriov-none
        Start Cluster    ${SRIOV}
        Run Keyword And Expect Error    ${NUMA REFUSED}    Boot With A Port Of Policy    required    ${host}
    END
    Start Cluster    ${SRIOV}
    Boot With A Port Of Policy    required    node1-pinned-sriov1
    PCI Devices Of Server Should Be    vm1    node1-pinned-sriov1 * type-VF 0000:81:00.0 1 port:port1

The Port's Socket Policy Takes A VF Of Another Cell On The Guest's Socket
    [Documentation]    ``PCIServersWithPortNUMAPoliciesTest.test_socket_policy_pass``: one socket of two cells, cell 0 pinnable, NIC on cell 1; Nova: ACTIVE.
    Start Cluster    ${SRIOV}
    Boot With A Port Of Policy    socket    one-socket-sriov1
    NUMA Placement Of Server Should Be    vm1    cells=0
    PCI Devices Of Server Should Be    vm1    one-socket-sriov1 0000:81:00.1 type-VF 0000:81:00.0 1 port:port1

The Port's Socket Policy Refuses A VF On Another Socket
    [Documentation]    ``PCIServersWithPortNUMAPoliciesTest.test_socket_policy_fail``: a cell per socket, cell 0 pinnable, the NIC on cell 1; Nova asserts
    ...    ERROR, "No valid host", PciPassthroughFilter never called.
    Start Cluster    ${SRIOV}
    Run Keyword And Expect Error    ${NUMA REFUSED}    Boot With A Port Of Policy    socket    two-sockets-sriov1
    Free PCI Devices On Host Should Be    two-sockets-sriov1    2

The Port's Socket Policy Is Met By One Guest Cell Of Three
    [Documentation]    ``PCIServersWithPortNUMAPoliciesTest.test_socket_policy_multi_numa_pass``: four cells on two sockets, cells 1-3 pinnable, the NIC on cell
    ...    0; the three-cell guest has cell 1 on its socket; Nova asserts ACTIVE.
    Start Cluster    ${SRIOV}
    Boot With A Port Of Policy    socket    four-cells-sriov0    flavor=pinned.6.three-cells
    NUMA Placement Of Server Should Be    vm1    cells=1,2,3
    PCI Devices Of Server Should Be    vm1    four-cells-sriov0 0000:81:00.1 type-VF 0000:81:00.0 0 port:port1


*** Keywords ***
Two Pinned Guests Without Devices Then Cell 1 Freed
    [Documentation]    Nova's fill-and-free of the NUMA policy tests: vm1 and vm2, four pinned vCPUs each and no device, go to cell 1 (the cell without the
    ...    device, as the PCI-aware cell sort steers them) and then cell 0; vm1 is then deleted.
    [Arguments]    ${host}
    Create Server    vm1    host=${host}    flavor=pinned.4
    Create Server    vm2    host=${host}    flavor=pinned.4
    NUMA Placement Of Server Should Be    vm1    cells=1
    NUMA Placement Of Server Should Be    vm2    cells=0
    Delete Server    vm1
    Wait Until Server Has    vm1    status=DELETED
    NUMA Usage On Host Should Be    ${host}    pinned=0,1,2,3

Resize To Two Devices
    [Documentation]    Resizes vm1 from ``a1:1`` to ``a1:2`` and waits in VERIFY_RESIZE on ``host``: every device used, the source side held by the migration.
    [Arguments]    ${host}
    Resize Server    vm1    pci.two
    Wait Until Server Has    vm1    host=${host}    status=VERIFY_RESIZE
    Free PCI Devices On Host Should Be    ${host}    0
    Free PCI Devices On Host Should Be    test_compute0    0
    Placement Allocations Should Be    vm1    consumer=migration    test_compute0=flavor
    Placement Allocations Should Be    vm1    ${host}=flavor

Confirm Cold Migration
    [Documentation]    Confirms ``server``'s move to test_compute1: the source's two devices free and the migration's allocation gone, test_compute1's two used.
    [Arguments]    ${server}
    Confirm Resize    ${server}
    Wait Until Server Has    ${server}    status=ACTIVE
    Free PCI Devices On Host Should Be    test_compute0    2
    Free PCI Devices On Host Should Be    test_compute1    0
    Placement Allocations Should Be    ${server}    consumer=migration
    Placement Allocations Should Be    ${server}    test_compute1=flavor
    Resource Accounting Should Be Consistent

Source Cleaned After Evacuation
    [Documentation]    After test_compute0's restart: its device free, test_compute1's used by vm1, which holds an allocation on test_compute1 only.
    Free PCI Devices On Host Should Be    test_compute0    1
    Free PCI Devices On Host Should Be    test_compute1    0
    PCI Devices Of Server Should Be    vm1    test_compute1 0000:81:00.0 type-PCI - 0 alias:a1
    Placement Allocations Should Be    vm1    test_compute1=flavor
    Resource Accounting Should Be Consistent

Boot With A Port Of Policy
    [Documentation]    Creates ``port1``, a direct port on network_4 with the port NUMA affinity ``policy`` (Nova's ``_create_port_with_policy``), and boots vm1
    ...    on ``host`` with it.
    [Arguments]    ${policy}    ${host}    ${flavor}=pinned
    Create Port    port1    network=network_4    vnic_type=direct    numa_affinity_policy=${policy}
    Create Server    vm1    host=${host}    flavor=${flavor}    ports=port1

Build Should Be Refused By NUMATopologyFilter
    [Documentation]    Fails unless building ``server`` of ``flavor`` on ``host`` ends ERROR, NUMATopologyFilter refusing the host (so PciPassthroughFilter
    ...    never ran, Nova's ``assertFalse(self.mock_filter.called)``).
    [Arguments]    ${server}    ${host}    ${flavor}
    Run Keyword And Expect Error    ${NUMA REFUSED}    Create Server    ${server}    host=${host}    flavor=${flavor}
