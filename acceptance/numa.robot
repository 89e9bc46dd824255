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
${TOPOLOGY}            ${CURDIR}/topologies/numa_hosts.yaml
${NO FIT}              together with requested PCI devices cannot fit the given host NUMA topology
${LEGACY REFUSAL}
...                    No valid host was found for 'vm1' on 'host1'.*${NO FIT} of 'host1': PCI NUMA affinity
...                    policy legacy; the guest alone fits host cell(s) 0; free PCI devices the requests match:
...                    2 on cell 1.
${POLICY CONFLICT}
...                    Image 'pci-preferred' asks for PCI NUMA affinity policy 'preferred' and flavor
...                    'numa.big.required' for 'required': image property 'hw_pci_numa_affinity_policy' may
...                    not override the flavor's 'hw:pci_numa_affinity_policy' (403).*
${NODES CONFLICT}
...                    Flavor 'numa.big' with image 'one-node': image property 'hw_numa_nodes' may not
...                    override the NUMA configuration the flavor sets (400).*
${PINNING CONFLICT}
...                    Flavor 'shared.two' with image 'pinned': image property 'hw_cpu_policy' may not
...                    override the CPU pinning policy the flavor sets (400).*
${REBUILD CONFLICT}
...                    Cannot rebuild 'vm1' with image 'cirros': an instance's NUMA topology cannot be
...                    changed as part of a rebuild, and image 'cirros' with flavor 'big' asks for another
...                    than image 'one-node' did (400).*


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

An Image's Policy Places And Refuses As The Flavor's Would
    [Documentation]    A flavor without ``hw:pci_numa_affinity_policy`` takes the image's
    ...    ``hw_pci_numa_affinity_policy`` (Nova's ``get_pci_numa_policy_constraint``):
    ...    ``preferred`` gives the cell 0 guest the VF of cell 1, ``required`` refuses it and
    ...    places a 1024 MB guest on cell 1, beside its VF.
    Start Cluster    ${TOPOLOGY}
    Create Server With Direct Port    vm1    host=host1    flavor=numa.big    image=pci-preferred
    NUMA Placement Of Server Should Be    vm1    cells=0    host=host1
    PCI Allocations Should Be    vm1    host1=1
    Run Keyword And Expect Error
    ...    GLOB:*${NO FIT} of 'host2': PCI NUMA affinity policy required; the guest alone fits host cell(s) 0;*
    ...    Create Server With Direct Port    vm2    host=host2    flavor=numa.big    image=pci-required
    Create Server With Direct Port    vm3    host=host2    flavor=numa.small    image=pci-required
    NUMA Placement Of Server Should Be    vm3    cells=1    host=host2
    Resource Accounting Should Be Consistent

An Image Asks For A NUMA Topology The Flavor Does Not
    [Documentation]    ``hw_numa_nodes``, ``hw_numa_cpus.N`` / ``hw_numa_mem.N`` and
    ...    ``hw_cpu_policy`` of the image give a flavor without NUMA extra specs its guest
    ...    topology: one cell, two cells split as the image says, pinned vCPUs.
    Start Cluster    ${TOPOLOGY}
    Create Server    vm1    host=host1    flavor=big    image=one-node
    NUMA Placement Of Server Should Be    vm1    cells=0    pinned=none
    Create Server    vm2    host=host1    flavor=big    image=split
    NUMA Placement Of Server Should Be    vm2    cells=0,1
    Create Server    vm3    host=host2    flavor=small    image=pinned
    NUMA Placement Of Server Should Be    vm3    cells=0    pinned=2,3
    Create Server    vm4    host=host3    flavor=big
    NUMA Placement Of Server Should Be    vm4    cells=none
    Resource Accounting Should Be Consistent

A Flavor And An Image That Disagree Are Refused
    [Documentation]    Nova's API refuses an image property that overrides what the flavor sets:
    ...    another PCI NUMA affinity policy (403), a node count (400), ``dedicated`` over the
    ...    flavor's ``shared`` CPU policy (400). A refusal creates nothing, so the name is free
    ...    after.
    Start Cluster    ${TOPOLOGY}
    Run Keyword And Expect Error    ${POLICY CONFLICT}
    ...    Create Server With Direct Port    vm1    flavor=numa.big.required    image=pci-preferred
    Run Keyword And Expect Error    ${NODES CONFLICT}
    ...    Create Server    vm1    flavor=numa.big    image=one-node
    Run Keyword And Expect Error    ${PINNING CONFLICT}
    ...    Create Server    vm1    flavor=shared.two    image=pinned
    Run Keyword And Expect Error    No image 'fedora'. Known images: *
    ...    Create Server    vm1    image=fedora
    Create Server    vm1    host=host1    flavor=big    image=one-node
    Resource Accounting Should Be Consistent

A Flavor And An Image That Agree Are Taken
    [Documentation]    An equal PCI NUMA policy is no conflict, and the flavor's ``dedicated``
    ...    wins over any image ``hw_cpu_policy``.
    Start Cluster    ${TOPOLOGY}
    Create Server With Direct Port    vm1    host=host1    flavor=numa.small.required    image=pci-required
    NUMA Placement Of Server Should Be    vm1    cells=1
    Create Server    vm2    host=host2    flavor=pinned.two    image=pinned
    NUMA Placement Of Server Should Be    vm2    cells=0    pinned=2,3
    Resource Accounting Should Be Consistent

A Server Keeps Its Image Through A Cold Migration
    [Documentation]    The guest's only NUMA topology is its image's; the move claim on host2
    ...    fits and pins it again (Nova's ``MoveClaim`` reads ``instance.image_meta``).
    Start Cluster    ${TOPOLOGY}
    Create Server    vm1    host=host1    flavor=big    image=pinned
    Migrate Server    vm1    host=host2
    Wait Until Server Has    vm1    host=host2    status=VERIFY_RESIZE
    NUMA Placement Of Server Should Be    vm1    cells=0    pinned=2,3    host=host2
    Confirm Resize    vm1
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    Run Periodics
    NUMA Usage On Host Should Be    host1    pinned=none
    NUMA Usage On Host Should Be    host2    pinned=2,3
    Resource Accounting Should Be Consistent

A Port Keeps The Image's Policy Through A Cold Migration
    [Documentation]    The port's request keeps the ``preferred`` policy the image gave it at
    ...    boot, so the move claim gives the cell 0 guest the VF of host2's cell 1.
    Start Cluster    ${TOPOLOGY}
    Create Server With Direct Port    vm1    host=host1    flavor=numa.big    image=pci-preferred
    Migrate Server    vm1    host=host2
    Wait Until Server Has    vm1    host=host2    status=VERIFY_RESIZE
    NUMA Placement Of Server Should Be    vm1    cells=0    host=host2
    Confirm Resize    vm1
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
    Run Periodics
    PCI Allocations Should Be    vm1    host2=1
    Resource Accounting Should Be Consistent

A Rebuild May Not Change The NUMA Topology
    [Documentation]    The rebuild claims nothing, so Nova's API refuses a new image that would
    ...    add, remove or change the guest NUMA topology (``_validate_numa_rebuild``), or that
    ...    conflicts with the flavor.
    Start Cluster    ${TOPOLOGY}
    Create Server    vm1    host=host1    flavor=big    image=one-node
    Run Keyword And Expect Error    ${REBUILD CONFLICT}
    ...    Rebuild Server    vm1    image=cirros
    Run Keyword And Expect Error    Cannot rebuild 'vm1' with image 'split': *
    ...    Rebuild Server    vm1    image=split
    Create Server    vm2    host=host1    flavor=numa.big
    Run Keyword And Expect Error    ${NODES CONFLICT}
    ...    Rebuild Server    vm2    image=one-node
    Resource Accounting Should Be Consistent

A Rebuild May Change The PCI NUMA Policy Only
    [Documentation]    An image that changes only the PCI NUMA policy passes, as Nova does not
    ...    compare it; the server keeps the new image and its placement.
    Start Cluster    ${TOPOLOGY}
    Create Server    vm1    host=host1    flavor=numa.big
    Rebuild Server    vm1    image=pci-preferred
    Wait Until Server Has    vm1    status=ACTIVE
    NUMA Placement Of Server Should Be    vm1    cells=0    host=host1
    Resource Accounting Should Be Consistent

A Move Claim Gives An Alias Request The Alias's Policy
    [Documentation]    At boot the flavor's ``preferred`` overrides the alias's ``required``, so
    ...    the cell 0 guest takes the VF of cell 1. Nova's move claim makes the alias requests
    ...    again without the flavor's policy (``_move_claim`` calls
    ...    ``get_pci_requests_from_flavor(new_flavor)``): ``required`` refuses host2, the
    ...    migration errors and the server stays where it was.
    Start Cluster    ${TOPOLOGY}
    Create Server    vm1    host=host1    flavor=numa.big.preferred.alias-required
    NUMA Placement Of Server Should Be    vm1    cells=0    host=host1
    Migrate Server    vm1    host=host2
    Run Until Idle
    Migration Status Should Be    vm1    error
    Server Should Be On Host    vm1    host1
    PCI Allocations Should Be    vm1    host1=1
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

A Pinned Guest Live Migrated Keeps Its Pinning On The Destination's Cell With Its Device
    [Documentation]    Nova's NUMA-aware live migration (libvirt, since Train): the
    ...    destination's check makes a move claim, so host2 pins CPUs 6-7 of cell 1, where the
    ...    VF the ``required`` policy needs is, before the guest moves; the server takes that
    ...    topology on host2 and host1's audit frees its pinning.
    Start Cluster    ${TOPOLOGY}
    Create Server With Direct Port    vm1    host=host1    flavor=pinned.required
    Live Migrate Server    vm1    host2    ComputeDriver.live_migration=1 s
    Wait Until Migration Status Is    vm1    running
    NUMA Usage On Host Should Be    host1    pinned=6,7
    NUMA Usage On Host Should Be    host2    pinned=6,7
    Resource Accounting Should Be Consistent
    Wait Until Migration Status Is    vm1    completed
    NUMA Placement Of Server Should Be    vm1    cells=1    pinned=6,7    host=host2
    PCI Allocations Should Be    vm1    host2=0000:81:00.2
    NUMA Usage On Host Should Be    host1    pinned=none
    NUMA Usage On Host Should Be    host2    pinned=6,7
    Resource Accounting Should Be Consistent

A Destination Whose Cells Cannot Fit The Guest Refuses Its Live Migration
    [Documentation]    vm2 pins host2's cell 1 and takes a VF there; vm1 needs both CPUs and its
    ...    VF on one cell. Forced to host2 (no scheduler), the destination's move claim does not
    ...    fit: MigrationPreCheckError, the record ``error``, vm1 ACTIVE on host1 as it was.
    Start Cluster    ${TOPOLOGY}
    Create Server With Direct Port    vm1    host=host1    flavor=pinned.required
    Create Server With Direct Port    vm2    host=host2    flavor=pinned.required
    Live Migrate Server    vm1    host2    force=True    microversion=2.67
    Wait Until Migration Status Is    vm1    error
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    NUMA Placement Of Server Should Be    vm1    cells=1    pinned=6,7    host=host1
    NUMA Usage On Host Should Be    host2    pinned=6,7
    Placement Allocations Should Be    vm1    host1=flavor
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
