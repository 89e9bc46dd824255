*** Settings ***
Documentation    PCI requests as Nova makes them, on the ``pci_requests`` topology: three hosts
...              whose ``[pci]device_spec`` tracks two Intel PFs with two VFs each (bus 81 on
...              physnet1, live-migratable; bus 82 on physnet2, trusted, NUMA node 1), two GPUs
...              (``type-PCI``), a Mellanox PF with two vDPA devices (bus 85) and two
...              remote-managed VFs of a DPU (bus 86), but not the DPU's PF nor a virtio NIC.
...              Flavors ask for devices through ``pci_passthrough:alias``; servers boot with
...              several ports of their own vnic types; the scheduler runs PciPassthroughFilter.
...
...              Each alias request and each SR-IOV port's request is claimed together, all or
...              nothing; a PF in use takes its VFs away from every request, and a VF its PF.

Library          Collections
Library          PciRaceLibrary

Test Tags        pci-requests    variant-fixed


*** Variables ***
${TOPOLOGY}    ${CURDIR}/topologies/pci_requests.yaml


*** Test Cases ***
An Alias Of Each Device Type Takes Its Count
    [Documentation]    ``a-pf:2`` takes both Intel PFs (and so their VFs), ``a-vf:2`` two VFs
    ...    of one PF (and so that PF), ``a-gpu:2`` both GPUs.
    Servers With Two Devices Of Each Type
    PCI Devices Of Server Should Be    vm-pf
    ...    host1 0000:81:00.0 type-PF - 0 alias:a-pf
    ...    host1 0000:82:00.0 type-PF - 1 alias:a-pf
    PCI Devices Of Server Should Be    vm-vf
    ...    host2 0000:81:00.1 type-VF 0000:81:00.0 0 alias:a-vf
    ...    host2 0000:81:00.2 type-VF 0000:81:00.0 0 alias:a-vf
    PCI Devices Of Server Should Be    vm-gpu
    ...    host3 0000:83:00.0 type-PCI - 0 alias:a-gpu
    ...    host3 0000:84:00.0 type-PCI - 1 alias:a-gpu
    Resource Accounting Should Be Consistent

The Pools Show What The Aliases Left
    [Documentation]    One pool per standalone device or PF, and one for the VFs of a PF that
    ...    share their tags, as Nova's pools and PCI placement providers group them: host1
    ...    has no Intel pool left, host2 only those of bus 82.
    Servers With Two Devices Of Each Type
    PCI Pools On Host Should Be    host1
    ...    type-PCI 0000:83:00.0 1
    ...    type-PCI 0000:84:00.0 1
    ...    type-PF 0000:85:00.0 1
    ...    vdpa 0000:85:00.0 2
    ...    type-VF 0000:86:00.0 2 remote_managed=true
    PCI Pools On Host Should Be    host2
    ...    type-PCI 0000:83:00.0 1
    ...    type-PCI 0000:84:00.0 1
    ...    type-PF 0000:85:00.0 1
    ...    vdpa 0000:85:00.0 2
    ...    type-VF 0000:86:00.0 2
    ...    type-PF 0000:82:00.0 1 trusted=true
    ...    type-VF 0000:82:00.0 2 physical_network=physnet2 numa_node=1
    Resource Accounting Should Be Consistent

A Flavor Alias And Several Ports Share One Server
    [Documentation]    ``gpu.vf`` asks for a GPU and a VF; the direct, vdpa and remote-managed
    ...    ports ask for a VF of physnet2, a vDPA device and a remote-managed VF; the normal
    ...    port on the tunnelled network asks for nothing. Each port is bound to its own device.
    Start Cluster    ${TOPOLOGY}
    Ports Of Every Kind
    Create Server    vm1    host=host1    flavor=gpu.vf    ports=p-direct,p-vdpa,p-remote,p-normal
    PCI Devices Of Server Should Be    vm1
    ...    host1 0000:81:00.2 type-VF 0000:81:00.0 0 alias:a-vf
    ...    host1 0000:83:00.0 type-PCI - 0 alias:a-gpu
    ...    host1 0000:82:00.2 type-VF 0000:82:00.0 1 port:p-direct
    ...    host1 0000:85:00.3 vdpa 0000:85:00.0 0 port:p-vdpa
    ...    host1 0000:86:00.2 type-VF 0000:86:00.0 0 port:p-remote
    ${bindings} =    Get Port Bindings    vm1
    Should Be Equal    ${bindings}[p-direct][pci_slot]    0000:82:00.2
    Should Be Equal    ${bindings}[p-vdpa][pci_slot]    0000:85:00.3
    Should Be Equal    ${bindings}[p-remote][pci_slot]    0000:86:00.2
    Should Be Equal    ${bindings}[p-normal][host]    host1
    Dictionary Should Not Contain Key    ${bindings}[p-normal]    pci_slot
    Resource Accounting Should Be Consistent

A PF Taken By An Alias Leaves No VF For A Port, And A VF No PF For An Alias
    [Documentation]    With both Intel PFs given to ``a-pf``, a direct port finds no VF on
    ...    host1; with a direct port's VF in use on host2, ``a-pf:2`` finds one PF short there.
    Start Cluster    ${TOPOLOGY}
    Create Server    vm-pf    host=host1    flavor=pf.two
    Create Port    p1    network=network_2    vnic_type=direct
    Run Keyword And Expect Error
    ...    Server 'vm-port' should be ACTIVE * but is ERROR * (fault: No valid host was found for 'vm-port' on 'host1'.).
    ...    Create Server
    ...    vm-port
    ...    host=host1
    ...    ports=p1
    PCI Devices Of Server Should Be    vm-port
    Create Server    vm-vf    host=host2    vnic_type=direct    network=network_2
    Run Keyword And Expect Error
    ...    Server 'vm-pf2' should be ACTIVE * but is ERROR * (fault: No valid host was found for 'vm-pf2' on 'host2'.).
    ...    Create Server    vm-pf2    host=host2    flavor=pf.two
    Resource Accounting Should Be Consistent

A Request That Fits Nowhere Is No Valid Host
    [Documentation]    Each host has two GPUs; ``a-gpu:3`` fits none, so PciPassthroughFilter
    ...    leaves the scheduler no host and the server ends ERROR holding nothing.
    Start Cluster    ${TOPOLOGY}
    Run Keyword And Expect Error
    ...    Server 'vm1' should be ACTIVE * but is ERROR * (fault: No valid host was found for 'vm1'.).
    ...    Create Server    vm1    flavor=gpu.three
    PCI Devices Of Server Should Be    vm1
    Resource Accounting Should Be Consistent

An Unknown Alias Is Refused Before Anything Changes
    [Documentation]    Nova's API answers 400 for a flavor naming an alias ``[pci]alias`` lacks.
    Start Cluster    ${TOPOLOGY}
    Run Keyword And Expect Error
    ...    Cannot use flavor 'no.alias' for 'vm1': PCI alias a-none is not defined (400).*
    ...    Create Server    vm1    flavor=no.alias
    Run Keyword And Expect Error    No server 'vm1'*    Get PCI Devices Of Server    vm1
    Resource Accounting Should Be Consistent

The Ports Of A vDPA Device And A Remote-Managed VF Survive Evacuation And Delete
    [Documentation]    The evacuation claims a vDPA device and a remote-managed VF on host2
    ...    and binds each port there; the source keeps its devices until it starts again. The
    ...    server arrived at host2 since its last audit, so, as in Nova, the delete leaves its
    ...    devices to host2's next audit.
    Server With VDPA And Remote-Managed Ports Evacuated To Host2
    PCI Devices Of Server Should Be    vm1
    ...    host1 0000:85:00.3 vdpa 0000:85:00.0 0 port:p-vdpa
    ...    host1 0000:86:00.2 type-VF 0000:86:00.0 0 port:p-remote
    ...    host2 0000:85:00.3 vdpa 0000:85:00.0 0 port:p-vdpa
    ...    host2 0000:86:00.2 type-VF 0000:86:00.0 0 port:p-remote
    ${bindings} =    Get Port Bindings    vm1
    Should Be Equal    ${bindings}[p-remote][pci_slot]    0000:86:00.2
    Start Compute Service    host1
    PCI Devices Of Server Should Be    vm1    host2 * vdpa * * port:p-vdpa    host2 * type-VF * * port:p-remote
    Delete Server    vm1
    Run Until Idle
    Run Periodic Update Available Resource    host2
    PCI Devices Of Server Should Be    vm1
    Resource Accounting Should Be Consistent

A Resize Makes The New Flavor's Alias Requests And Keeps The Port's
    [Documentation]    From ``vf.two`` to ``gpu.two``: the VFs give way to GPUs on the
    ...    destination, the direct port keeps its request (a VF of physnet2 there too).
    Start Cluster    ${TOPOLOGY}
    Create Port    p1    network=network_2    vnic_type=direct
    Create Server    vm1    host=host1    flavor=vf.two    ports=p1
    Resize Server    vm1    gpu.two
    Wait Until Server Has    vm1    host=host2    status=VERIFY_RESIZE
    Confirm Resize    vm1
    Wait Until Server Has    vm1    status=ACTIVE
    PCI Devices Of Server Should Be    vm1
    ...    host2 0000:83:00.0 type-PCI - 0 alias:a-gpu
    ...    host2 0000:84:00.0 type-PCI - 1 alias:a-gpu
    ...    host2 0000:82:00.2 type-VF 0000:82:00.0 1 port:p1
    Resource Accounting Should Be Consistent

Only Live-Migratable Alias Devices Live Migrate
    [Documentation]    ``a-gpu`` does not ask for live-migratable devices, so the conductor's
    ...    pre-check refuses every host; ``a-vf-lm`` does, and its VF moves with the server.
    Start Cluster    ${TOPOLOGY}
    Create Server    vm-gpu    host=host1    flavor=gpu.two
    Live Migrate Server    vm-gpu
    Run Until Idle
    Migration Status Should Be    vm-gpu    error
    Server Should Be On Host    vm-gpu    host1
    Create Server    vm-lm    host=host1    flavor=vf.lm
    Live Migrate Server    vm-lm    host2
    Wait Until Server Has    vm-lm    host=host2    status=ACTIVE
    Run Until Idle
    PCI Devices Of Server Should Be    vm-lm    host2 0000:81:00.2 type-VF 0000:81:00.0 0 alias:a-vf-lm
    Run Periodic Update Available Resource    host2
    Resource Accounting Should Be Consistent

The Queries Return The Devices And Pools As Plain Data
    [Documentation]    `Get PCI Devices Of Server` and `Get PCI Pools` return what the checks read.
    Start Cluster    ${TOPOLOGY}
    Create Server    vm1    host=host1    flavor=gpu.two
    ${devices} =    Get PCI Devices Of Server    vm1
    Length Should Be    ${devices}    2
    Should Be Equal    ${devices}[0][request]    alias:a-gpu
    Should Be Equal    ${devices}[1][numa_node]    1
    ${pools} =    Get PCI Pools    host1
    Length Should Be    ${pools}    7
    Should Be Equal    ${pools}[0][dev_type]    type-PF
    Resource Accounting Should Be Consistent

A Failed Check Shows The Expected And The Found Devices And Pools
    [Documentation]    The failure messages list what was expected and what was found.
    Start Cluster    ${TOPOLOGY}
    Create Server    vm1    host=host1    flavor=gpu.two
    ${expected} =    Catenate
    ...    Server 'vm1' should hold PCI devices host1 * type-VF * * alias:a-gpu but holds
    ...    host1 0000:83:00.0 type-PCI - 0 alias:a-gpu (allocated);
    ...    host1 0000:84:00.0 type-PCI - 1 alias:a-gpu (allocated) at *.
    Run Keyword And Expect Error    ${expected}
    ...    PCI Devices Of Server Should Be    vm1    host1 * type-VF * * alias:a-gpu
    Run Keyword And Expect Error
    ...    PCI pools of 'host1' differ at *: no pool type-PCI 0000:83:00.0 with no other keys; *
    ...    PCI Pools On Host Should Be    host1    type-PCI 0000:83:00.0 1
    Resource Accounting Should Be Consistent


*** Keywords ***
Ports Of Every Kind
    [Documentation]    A direct, a vdpa and a remote-managed port on network_2, a normal one
    ...    on the tunnelled network.
    Create Port    p-direct    network=network_2    vnic_type=direct
    Create Port    p-vdpa    network=network_2    vnic_type=vdpa
    Create Port    p-remote    network=network_2    vnic_type=remote-managed
    Create Port    p-normal    network=tunnelled

Servers With Two Devices Of Each Type
    [Documentation]    vm-pf (``a-pf:2``) on host1, vm-vf (``a-vf:2``) on host2 and vm-gpu
    ...    (``a-gpu:2``) on host3.
    Start Cluster    ${TOPOLOGY}
    Create Server    vm-pf    host=host1    flavor=pf.two
    Create Server    vm-vf    host=host2    flavor=vf.two
    Create Server    vm-gpu    host=host3    flavor=gpu.two

Server With VDPA And Remote-Managed Ports Evacuated To Host2
    [Documentation]    vm1 built on host1 with a vdpa and a remote-managed port, host1 fenced
    ...    and vm1 evacuated to host2.
    Start Cluster    ${TOPOLOGY}
    Create Port    p-vdpa    network=network_2    vnic_type=vdpa
    Create Port    p-remote    network=network_2    vnic_type=remote-managed
    Create Server    vm1    host=host1    ports=p-vdpa,p-remote
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Server    vm1    host2
    Wait Until Server Has    vm1    host=host2    status=SHUTOFF
