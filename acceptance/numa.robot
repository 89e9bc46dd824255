*** Settings ***
Documentation    NUMA placement and the PCI NUMA affinity policies, as Nova's
...              ``test_pci_sriov_servers.py`` (PCIServersWithNUMAPoliciesTest,
...              PCIServersWithPortNUMAPoliciesTest) and ``test_numa_servers.py`` check them. On the
...              ``numa_hosts`` topology each host has a big cell 0 (4096 MB) without devices and a
...              small cell 1 (1024 MB) holding a PF and two VFs; host1's cells share socket 0,
...              host2's are on sockets 0 and 1; host3 reports no NUMA topology. A guest of 2048 MB
...              fits only cell 0, one of 1024 MB either (the fit tries the cells with devices first
...              when the guest asks for devices). The policy comes from the flavor's
...              ``hw:pci_numa_affinity_policy``; the NUMATopologyFilter refuses what the claim
...              would, and the server's fault names the policy, the cells the guest fits and where
...              the devices are.

Library          PciRaceLibrary

Test Tags        numa    variant-fixed


*** Variables ***
${TOPOLOGY}          ${CURDIR}/topologies/numa_hosts.yaml
${NO FIT}            together with requested PCI devices cannot fit the given host NUMA topology
${LEGACY REFUSAL}
...                  No valid host was found for 'vm1' on 'host1'.*${NO FIT} of 'host1': PCI NUMA affinity
...                  policy legacy; the guest alone fits host cell(s) 0; free PCI devices the requests match:
...                  2 on cell 1.


*** Test Cases ***
Legacy Places A Guest On The Cell Of Its Device
    [Documentation]    No policy reads as ``legacy``: a 1024 MB guest goes to cell 1, where the
    ...    VF is.
    Start Cluster    ${TOPOLOGY}
    Create Server With Direct Port    vm1    host=host1    flavor=numa.small
    NUMA Placement Of Server Should Be    vm1    cells=1    pinned=none    host=host1
    PCI Allocations Should Be    vm1    host1=1
    Resource Accounting Should Be Consistent

Legacy Refuses A Device On Another Cell
    [Documentation]    A 2048 MB guest fits only cell 0; its devices report cell 1, so
    ...    ``legacy`` (NUMA affinity when the devices report a node) refuses the host.
    Start Cluster    ${TOPOLOGY}
    Run Keyword And Expect Error
    ...    GLOB:*ERROR*${LEGACY REFUSAL}*
    ...    Create Server With Direct Port
    ...    vm1
    ...    host=host1
    ...    flavor=numa.big
    PCI Allocations Should Be    vm1
    Resource Accounting Should Be Consistent

Required Places A Guest On The Cell Of Its Device
    [Documentation]    ``required`` takes devices of the guest's cells only; the 1024 MB guest
    ...    fits cell 1.
    Start Cluster    ${TOPOLOGY}
    Create Server With Direct Port    vm1    host=host1    flavor=numa.small.required
    NUMA Placement Of Server Should Be    vm1    cells=1
    PCI Allocations Should Be    vm1    host1=1
    Resource Accounting Should Be Consistent

Required Refuses A Device On Another Cell
    [Documentation]    The 2048 MB guest fits only cell 0 and ``required`` never looks further.
    Start Cluster    ${TOPOLOGY}
    Run Keyword And Expect Error
    ...    GLOB:*${NO FIT} of 'host1': PCI NUMA affinity policy required; the guest alone fits host cell(s) 0;*
    ...    Create Server With Direct Port    vm1    host=host1    flavor=numa.big.required
    Resource Accounting Should Be Consistent

Preferred Takes A Device Of Another Cell When Its Own Has None
    [Documentation]    ``preferred`` places the 2048 MB guest on cell 0 and still gives it the
    ...    VF of cell 1.
    Start Cluster    ${TOPOLOGY}
    Create Server With Direct Port    vm1    host=host1    flavor=numa.big.preferred
    NUMA Placement Of Server Should Be    vm1    cells=0    host=host1
    PCI Allocations Should Be    vm1    host1=1
    Resource Accounting Should Be Consistent

Socket Takes A Device Of Another Cell On The Same Socket
    [Documentation]    host1's cells share socket 0: ``socket`` gives the cell 0 guest the VF
    ...    of cell 1. On host2 cell 1 is on socket 1, so the same request is refused there;
    ...    without a host the scheduler's NUMATopologyFilter keeps host1 only (host3 has no
    ...    NUMA topology).
    Start Cluster    ${TOPOLOGY}
    Create Server With Direct Port    vm1    host=host1    flavor=numa.big.socket
    NUMA Placement Of Server Should Be    vm1    cells=0    host=host1
    Run Keyword And Expect Error
    ...    GLOB:*${NO FIT} of 'host2': PCI NUMA affinity policy socket; the guest alone fits host cell(s) 0;*
    ...    Create Server With Direct Port    vm2    host=host2    flavor=numa.big.socket
    Create Server With Direct Port    vm3    flavor=numa.big.socket
    Server Should Be On Host    vm3    host1
    Resource Accounting Should Be Consistent

An Alias Request Takes The Alias's Policy
    [Documentation]    A flavor without ``hw:pci_numa_affinity_policy`` asks for a VF through an
    ...    alias: ``vf-preferred`` lets the cell 0 guest take the VF of cell 1, ``vf-required``
    ...    refuses it, as Nova's ``_translate_alias_to_requests`` gives each request its
    ...    alias's ``numa_policy``.
    Start Cluster    ${TOPOLOGY}
    Create Server    vm1    host=host1    flavor=numa.big.alias-preferred    vnic_type=normal
    NUMA Placement Of Server Should Be    vm1    cells=0    host=host1
    PCI Devices Of Server Should Be    vm1    host1 0000:81:00.2 type-VF 0000:81:00.0 1 alias:vf-preferred
    Run Keyword And Expect Error
    ...    GLOB:*${NO FIT} of 'host2': PCI NUMA affinity policy required; the guest alone fits host cell(s) 0;*
    ...    Create Server    vm2    host=host2    flavor=numa.big.alias-required    vnic_type=normal
    Resource Accounting Should Be Consistent

The Flavor's Policy Is Over The Alias's, And The Port's Over The Flavor's
    [Documentation]    ``hw:pci_numa_affinity_policy=required`` overrides the alias's
    ...    ``preferred``, so the alias request is refused; a port's own
    ...    ``numa_affinity_policy=preferred`` overrides the flavor's ``required``, so the port's
    ...    request is placed (Nova's ``create_resource_requests``).
    Start Cluster    ${TOPOLOGY}
    Run Keyword And Expect Error
    ...    GLOB:*${NO FIT} of 'host1': PCI NUMA affinity policy required; the guest alone fits host cell(s) 0;*
    ...    Create Server    vm1    host=host1    flavor=numa.big.required.alias-preferred    vnic_type=normal
    Create Port    p1    vnic_type=direct    numa_affinity_policy=preferred
    Create Server    vm2    host=host1    flavor=numa.big.required    ports=p1
    NUMA Placement Of Server Should Be    vm2    cells=0    host=host1
    PCI Devices Of Server Should Be    vm2    host1 0000:81:00.2 type-VF 0000:81:00.0 1 port:p1
    Resource Accounting Should Be Consistent

A Host Without NUMA Cells Refuses A NUMA Guest
    [Documentation]    host3 reports no NUMA topology, as Nova's fake driver: the filter refuses
    ...    a guest that asks for one and takes any other.
    Start Cluster    ${TOPOLOGY}
    Run Keyword And Expect Error
    ...    GLOB:*NUMATopologyFilter: 'host3' reports no NUMA topology and 'vm1' asks for one.*
    ...    Create Server With Direct Port    vm1    host=host3    flavor=numa.small
    Create Server With Direct Port    vm2    host=host3
    NUMA Placement Of Server Should Be    vm2    cells=none
    Resource Accounting Should Be Consistent

Dedicated vCPUs Are Pinned On The Cell Of The Device
    [Documentation]    ``hw:cpu_policy=dedicated`` makes one guest cell whose two vCPUs take
    ...    the lowest free dedicated pCPUs of cell 1 (6 and 7), the cell of its VF. A guest
    ...    without devices (a normal port) goes to cell 0, which then has more free pCPUs: the
    ...    fit tries the cells with devices last for it. A two-cell guest splits its vCPUs and
    ...    memory as ``hw:numa_cpus.N`` and ``hw:numa_mem.N`` say. A delete unpins.
    Start Cluster    ${TOPOLOGY}
    Create Server With Direct Port    vm1    host=host1    flavor=pinned.two
    NUMA Placement Of Server Should Be    vm1    cells=1    pinned=6,7
    NUMA Usage On Host Should Be    host1    pinned=6,7
    Create Server    vm2    host=host1    flavor=pinned.two
    NUMA Placement Of Server Should Be    vm2    cells=0    pinned=2,3
    NUMA Usage On Host Should Be    host1    pinned=2,3,6,7
    Create Server With Direct Port    vm3    host=host2    flavor=numa.split
    NUMA Placement Of Server Should Be    vm3    cells=0,1    pinned=none
    Delete Server    vm1
    Wait Until Server Has    vm1    status=DELETED
    NUMA Usage On Host Should Be    host1    pinned=2,3
    Resource Accounting Should Be Consistent

A Cold Migration Fits The Guest Again On The Destination
    [Documentation]    The move claim fits the flavor's topology to host2's cells and pins
    ...    there; the migration context keeps both sides until the confirm unpins host1.
    Start Cluster    ${TOPOLOGY}
    Create Server With Direct Port    vm1    host=host1    flavor=pinned.two
    Migrate Server    vm1    host=host2
    Wait Until Server Has    vm1    host=host2    status=VERIFY_RESIZE
    NUMA Placement Of Server Should Be    vm1    cells=1    pinned=6,7    host=host2
    NUMA Usage On Host Should Be    host1    pinned=6,7
    NUMA Usage On Host Should Be    host2    pinned=6,7
    Confirm Resize    vm1
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    Run Periodics
    NUMA Usage On Host Should Be    host1    pinned=none
    NUMA Usage On Host Should Be    host2    pinned=6,7
    Resource Accounting Should Be Consistent

An Evacuation Pins The Guest On Its New Host
    [Documentation]    The rebuild claim on host2 fits and pins as a build does.
    Start Cluster    ${TOPOLOGY}
    Create Server With Direct Port    vm1    host=host1    flavor=pinned.two
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Server With Direct Port    vm1    host2
    Wait Until Server Has    vm1    host=host2
    Run Periodics
    NUMA Placement Of Server Should Be    vm1    cells=1    pinned=6,7    host=host2
    NUMA Usage On Host Should Be    host2    pinned=6,7
    Resource Accounting Should Be Consistent

The NUMA Checks Name What They Found
    [Documentation]    Each check's failure names the server or host, what was expected and
    ...    what was found.
    Start Cluster    ${TOPOLOGY}
    Create Server With Direct Port    vm1    host=host1    flavor=pinned.two
    Run Keyword And Expect Error
    ...    Server 'vm1' should be on NUMA cells 0 but is on 1; and pinned to 2,3 but is pinned to 6,7 at t=*
    ...    NUMA Placement Of Server Should Be    vm1    cells=0    pinned=2,3
    Run Keyword And Expect Error    GLOB:Host 'host1' should have pinned CPUs none but has 6,7 at t=*
    ...    NUMA Usage On Host Should Be    host1    pinned=none
    Run Keyword And Expect Error    Host 'host3' should have pinned CPUs 0 but reports no NUMA topology.
    ...    NUMA Usage On Host Should Be    host3    pinned=0
    Run Keyword And Expect Error
    ...    Argument 'pinned' must be whole numbers separated by commas, as in 0,1, or 'none'; got 'six'.
    ...    NUMA Placement Of Server Should Be
    ...    vm1
    ...    cells=1
    ...    pinned=six
    ${placement} =    Get NUMA Placement    vm1
    Should Be Equal    ${placement}[pinned]    ${{[6, 7]}}
