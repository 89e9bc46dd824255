*** Comments ***
# One suite mirrors three Nova test classes, so it is longer than a scenario family's and
# has more tests.
# robocop: off=file-too-long,too-many-test-cases


*** Settings ***
Documentation    Nova's own functional tests of SR-IOV, vDPA and remote-managed ports, as Robot
...              tests: this suite mirrors ``SRIOVServersTest``, ``SRIOVAttachDetachTest``,
...              ``VDPAServersTest`` and ``RemoteManagedServersTest`` (with their bases ``_PCIServersTestBase`` and
...              ``_PCIServersWithMigrationTestBase``) of
...              ``nova/tests/functional/libvirt/test_pci_sriov_servers.py``. Each test names the
...              Nova test it mirrors and asserts what that test asserts. The topologies in
...              ``topologies/`` lay the devices out as Nova's ``fakelibvirt.HostPCIDevicesInfo``
...              does, with the classes' ``[pci]device_spec`` and ``[pci]alias``.
...
...              Nova's ``assertPCIDeviceCounts(host, total, free)`` is checked here as `Free PCI
...              Devices On Host Should Be`, the total being the free count of the host before
...              anything is built on it (the suite predates `PCI Device Counts On Host Should
...              Be`). The Nova tests it cannot express are listed in ``docs/nova-parity.md``.

Library          Collections
Library          PciRaceLibrary

Test Tags        nova-parity    sriov-ports    variant-fixed


*** Variables ***
${SRIOV}              ${CURDIR}/topologies/sriov_physnet4.yaml
${LIVE_MIGRATABLE}    ${CURDIR}/topologies/sriov_live_migratable.yaml
${NUMA}               ${CURDIR}/topologies/sriov_live_migration_numa.yaml
${MOVES}              ${CURDIR}/topologies/sriov_move_with_neutron.yaml
${VDPA_ONE}           ${CURDIR}/topologies/vdpa_one_host.yaml
${VDPA_TWO}           ${CURDIR}/topologies/vdpa_two_hosts.yaml
${REMOTE}             ${CURDIR}/topologies/remote_managed_hosts.yaml
${ATTACH_DETACH}      ${CURDIR}/topologies/sriov_attach_detach.yaml
# the placement allocation of the vDPA topologies' new-flavor, which Nova's resize tests
# check by the server's flavor name
${NEW_FLAVOR}         VCPU:2,MEMORY_MB:2048,DISK_GB:20


*** Test Cases ***
SRIOVServersTest Creates A Server With A VF
    [Documentation]    ``SRIOVServersTest.test_create_server_with_VF``: a flavor asking for
    ...    ``vfs:1`` boots ACTIVE on a host of two PFs with four VFs each.
    [Tags]    sriov
    Start Cluster    ${SRIOV}
    Create Server    vm1    host=pfs2-vfs8    flavor=vf.one
    PCI Devices Of Server Should Be    vm1    pfs2-vfs8 * type-VF * * alias:vfs
    Resource Accounting Should Be Consistent

SRIOVServersTest Creates A Server With A PF
    [Documentation]    ``SRIOVServersTest.test_create_server_with_PF``: a flavor asking for
    ...    ``pfs:1`` boots ACTIVE with a whole PF.
    [Tags]    sriov
    Start Cluster    ${SRIOV}
    Create Server    vm1    host=pfs2-vfs8    flavor=pf.one
    PCI Devices Of Server Should Be    vm1    pfs2-vfs8 * type-PF - * alias:pfs
    Resource Accounting Should Be Consistent

SRIOVServersTest A PF In Use Leaves No VF
    [Documentation]    ``SRIOVServersTest.test_create_server_with_PF_no_VF``: with the only
    ...    PF given to a server, a server asking for a VF of it ends ERROR.
    [Tags]    sriov
    Start Cluster    ${SRIOV}
    Create Server    vm-pf    host=pf1-vfs4    flavor=pf.one
    Run Keyword And Expect Error    Server 'vm-vf' should be ACTIVE * but is ERROR *
    ...    Create Server    vm-vf    host=pf1-vfs4    flavor=vf.one
    PCI Devices Of Server Should Be    vm-vf
    Resource Accounting Should Be Consistent

SRIOVServersTest A VF In Use Leaves No PF
    [Documentation]    ``SRIOVServersTest.test_create_server_with_VF_no_PF``: with a VF of
    ...    the only PF in use, a server asking for the PF ends ERROR.
    [Tags]    sriov
    Start Cluster    ${SRIOV}
    Create Server    vm-vf    host=pf1-vfs4    flavor=vf.one
    Run Keyword And Expect Error    Server 'vm-pf' should be ACTIVE * but is ERROR *
    ...    Create Server    vm-pf    host=pf1-vfs4    flavor=pf.one
    PCI Devices Of Server Should Be    vm-pf
    Resource Accounting Should Be Consistent

SRIOVServersTest Binds A Direct Port To The Last VF
    [Documentation]    ``SRIOVServersTest.test_create_server_with_neutron``: the port's
    ...    binding profile names VF 0000:81:00.2 (8086:1515) on physnet4.
    [Tags]    sriov
    Start Cluster    ${SRIOV}
    Create Port    p1    network=network_4    vnic_type=direct
    Create Server    vm1    host=pf1-vfs2    ports=p1
    Port Binding Should Be    vm1    host=pf1-vfs2    pci_slot=0000:81:00.2
    ...    pci_vendor_info=8086:1515    physical_network=physnet4
    Resource Accounting Should Be Consistent

SRIOVServersTest A Server With A PF Cannot Live Migrate
    [Documentation]    ``SRIOVServersTest.test_live_migrate_server_with_PF``: no host can
    ...    take a flavor-requested PF live (NoValidHost); the server stays ACTIVE.
    [Tags]    sriov    live-migration
    Start Cluster    ${SRIOV}
    Create Server    vm1    host=test_compute0    flavor=pf.one
    Live Migration Is Refused By The Conductor    vm1    test_compute0    test_compute1
    PCI Allocations Should Be    vm1    test_compute0=1
    Resource Accounting Should Be Consistent

SRIOVServersTest A Server With A Legacy VF Cannot Live Migrate
    [Documentation]    ``SRIOVServersTest.test_live_migrate_server_with_VF_legacy``: an alias
    ...    VF not requested live-migratable cannot move live (NoValidHost); ACTIVE.
    [Tags]    sriov    live-migration
    Start Cluster    ${SRIOV}
    Create Server    vm1    host=test_compute0    flavor=vf.one
    Live Migration Is Refused By The Conductor    vm1    test_compute0    test_compute1
    PCI Allocations Should Be    vm1    test_compute0=1
    Resource Accounting Should Be Consistent

SRIOVServersTest Live Migrates A Live-Migratable VF
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_success``: the VF moves,
    ...    source 1 total/0 free to 1/1, destination 1/1 to 1/0, 0000:81:00.1 to 0000:82:00.1.
    [Tags]    sriov    live-migration    live-migratable
    Start Cluster    ${LIVE_MIGRATABLE}
    Free Devices Should Be    yes-src=1    yes-dst=1
    Create Server    vm1    host=yes-src    flavor=lm.1
    Free Devices Should Be    yes-src=0    yes-dst=1
    Live Migrate Server    vm1    yes-dst
    Wait Until Migration Status Is    vm1    completed
    Free Devices Should Be    yes-src=1    yes-dst=0
    PCI Allocations Should Be    vm1    yes-dst=0000:82:00.1
    Resource Accounting Should Be Consistent    usage=False

SRIOVServersTest A Live-Migratable Request Finds No Non-Live-Migratable VF
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_fails_lm_requested_no_lm_dev``:
    ...    the build ends ERROR with "No valid host was found"; the VF stays free.
    [Tags]    sriov    live-migratable
    Start Cluster    ${LIVE_MIGRATABLE}
    Build Finds No Valid Host    vm1    no-src    lm.1
    Free Devices Should Be    no-src=1

SRIOVServersTest A Non-Live-Migratable VF Cannot Live Migrate
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_fails_non_lm_requested``: the
    ...    live migration fails with NoValidHost, counts unchanged, the server ACTIVE.
    [Tags]    sriov    live-migration    live-migratable
    Start Cluster    ${LIVE_MIGRATABLE}
    Create Server    vm1    host=no-src    flavor=non-lm.1
    Free Devices Should Be    no-src=0    no-dst=1
    Live Migration Is Refused By The Conductor    vm1    no-src    no-dst
    Free Devices Should Be    no-src=0    no-dst=1

SRIOVServersTest A Non-Live-Migratable Request Finds No Live-Migratable VF
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_fails_non_lm_requested_only_lm_dev``:
    ...    the build ends ERROR with "No valid host was found"; the VF stays free.
    [Tags]    sriov    live-migratable
    Start Cluster    ${LIVE_MIGRATABLE}
    Build Finds No Valid Host    vm1    yes-src    non-lm.1
    Free Devices Should Be    yes-src=1

SRIOVServersTest A Live-Migratable Request Finds No Untagged VF
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_fails_lm_requested_dev_unspecified``:
    ...    the build ends ERROR with "No valid host was found"; the VF stays free.
    [Tags]    sriov    live-migratable
    Start Cluster    ${LIVE_MIGRATABLE}
    Build Finds No Valid Host    vm1    unset-src    lm.1
    Free Devices Should Be    unset-src=1

SRIOVServersTest A Non-Live-Migratable Request Finds No Untagged VF
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_fails_non_lm_requested_dev_unspecified``:
    ...    the build ends ERROR with "No valid host was found"; the VF stays free.
    [Tags]    sriov    live-migratable
    Start Cluster    ${LIVE_MIGRATABLE}
    Build Finds No Valid Host    vm1    unset-src    non-lm.1
    Free Devices Should Be    unset-src=1

SRIOVServersTest An Untagged Request On A Live-Migratable VF Cannot Live Migrate
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_fails_lm_requested_unspecified_lm_dev``:
    ...    the alias does not ask for live-migratable, so NoValidHost; counts unchanged, ACTIVE.
    [Tags]    sriov    live-migration    live-migratable
    Start Cluster    ${LIVE_MIGRATABLE}
    Create Server    vm1    host=yes-src    flavor=unset.1
    Free Devices Should Be    yes-src=0    yes-dst=1
    Live Migration Is Refused By The Conductor    vm1    yes-src    yes-dst
    Free Devices Should Be    yes-src=0    yes-dst=1

SRIOVServersTest An Untagged Request On A Non-Live-Migratable VF Cannot Live Migrate
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_fails_lm_requested_unspecified_no_lm_dev``:
    ...    NoValidHost; counts unchanged, the server ACTIVE.
    [Tags]    sriov    live-migration    live-migratable
    Start Cluster    ${LIVE_MIGRATABLE}
    Create Server    vm1    host=no-src    flavor=unset.1
    Free Devices Should Be    no-src=0    no-dst=1
    Live Migration Is Refused By The Conductor    vm1    no-src    no-dst
    Free Devices Should Be    no-src=0    no-dst=1

SRIOVServersTest An Untagged Request On An Untagged VF Cannot Live Migrate
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_fails_lm_requested_unspecif_unspecif_lm_dev``:
    ...    NoValidHost; counts unchanged, the server ACTIVE.
    [Tags]    sriov    live-migration    live-migratable
    Start Cluster    ${LIVE_MIGRATABLE}
    Create Server    vm1    host=unset-src    flavor=unset.1
    Free Devices Should Be    unset-src=0    unset-dst=1
    Live Migration Is Refused By The Conductor    vm1    unset-src    unset-dst
    Free Devices Should Be    unset-src=0    unset-dst=1

SRIOVServersTest Live Migrates Three Live-Migratable VFs
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_success_3_VF``: ``vfs:3`` takes
    ...    every VF; after the move the source has 3 free, the destination none.
    [Tags]    sriov    live-migration    live-migratable
    Start Cluster    ${LIVE_MIGRATABLE}
    Create Server    vm1    host=yes3-src    flavor=lm.3
    Free Devices Should Be    yes3-src=0    yes3-dst=3
    Live Migrate Server    vm1    yes3-dst
    Wait Until Migration Status Is    vm1    completed
    Free Devices Should Be    yes3-src=3    yes3-dst=0
    PCI Allocations Should Be    vm1    yes3-dst=0000:82:00.1,0000:82:00.2,0000:82:00.3
    Resource Accounting Should Be Consistent    usage=False

SRIOVServersTest Three VFs Cannot Live Migrate To Non-Live-Migratable VFs
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_fails_dest_no_lm_dev``: the
    ...    destination's VFs are tagged not live-migratable: NoValidHost, counts unchanged.
    [Tags]    sriov    live-migration    live-migratable
    Start Cluster    ${LIVE_MIGRATABLE}
    Create Server    vm1    host=yes3-src    flavor=lm.3
    Free Devices Should Be    yes3-src=0    no3-dst=3
    Live Migration Is Refused By The Conductor    vm1    yes3-src    no3-dst
    Free Devices Should Be    yes3-src=0    no3-dst=3

SRIOVServersTest Three VFs Cannot Live Migrate To Untagged VFs
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_fails_dest_unspecified_lm_dev``:
    ...    the destination's VFs are not tagged: NoValidHost, counts unchanged, ACTIVE.
    [Tags]    sriov    live-migration    live-migratable
    Start Cluster    ${LIVE_MIGRATABLE}
    Create Server    vm1    host=yes3-src    flavor=lm.3
    Free Devices Should Be    yes3-src=0    unset3-dst=3
    Live Migration Is Refused By The Conductor    vm1    yes3-src    unset3-dst
    Free Devices Should Be    yes3-src=0    unset3-dst=3

SRIOVServersTest An Alias For An Absent Product Finds No Valid Host
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_fails_alias_mismatch_dev_prod_id``:
    ...    an alias for product 6666 on a host of 1515 VFs: ERROR "No valid host", 3 free.
    [Tags]    sriov    live-migratable
    Start Cluster    ${LIVE_MIGRATABLE}
    Build Finds No Valid Host    vm1    yes3-src    lm-6666.3
    Free Devices Should Be    yes3-src=3

SRIOVServersTest Live Migrates VFs Of Two Aliases
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_success_2_aliases``: one VF of
    ...    each product; 8 total/6 free on the source, then 8/8 there and 8/6 on the
    ...    destination, each device at the same slot and function one bus up.
    [Tags]    sriov    live-migration    live-migratable
    Start Cluster    ${LIVE_MIGRATABLE}
    Free Devices Should Be    two-products-src=8    two-products-dst=8
    Create Server    vm1    host=two-products-src    flavor=lm.two-aliases
    Free Devices Should Be    two-products-src=6    two-products-dst=8
    PCI Allocations Should Be    vm1    two-products-src=0000:81:00.4,0000:81:01.4
    Live Migrate Server    vm1    two-products-dst
    Wait Until Migration Status Is    vm1    completed
    Free Devices Should Be    two-products-src=8    two-products-dst=6
    PCI Allocations Should Be    vm1    two-products-dst=0000:82:00.4,0000:82:01.4
    Resource Accounting Should Be Consistent    usage=False

SRIOVServersTest Live Migrates A Pinned Server With An Alias VF And A Port VF
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_mixed_mode_success``: the
    ...    server pins host cell 0 (CPUs 0-3) beside its devices, then cell 1 (4-7) on the
    ...    destination; the port's profile goes from 0000:83:06.1 to 0000:84:06.1.
    [Tags]    sriov    live-migration    live-migratable    numa
    Start Cluster    ${NUMA}
    Create Port    p1    network=network_4    vnic_type=direct
    Create Server    vm1    host=mixed-lm-src    flavor=pinned.lm    ports=p1
    Free Devices Should Be    mixed-lm-src=0    mixed-lm-dst=2
    NUMA Usage On Host Should Be    mixed-lm-src    pinned=0,1,2,3
    Port Binding Should Be    vm1    host=mixed-lm-src    pci_slot=0000:83:06.1
    ...    pci_vendor_info=8086:8888    physical_network=physnet4
    Live Migrate Server    vm1    mixed-lm-dst
    Wait Until Migration Status Is    vm1    completed
    Free Devices Should Be    mixed-lm-src=2    mixed-lm-dst=0
    NUMA Usage On Host Should Be    mixed-lm-dst    pinned=4,5,6,7
    Port Binding Should Be    vm1    host=mixed-lm-dst    pci_slot=0000:84:06.1
    ...    pci_vendor_info=8086:8888    physical_network=physnet4

SRIOVServersTest A Live-Migratable Alias Beside A Port Finds No Valid Host
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_mixed_mode_fails_lm_requested_no_lm_dev``:
    ...    the alias VF is tagged not live-migratable: ERROR "No valid host", both free.
    [Tags]    sriov    live-migratable    numa
    Start Cluster    ${NUMA}
    Create Port    p1    network=network_4    vnic_type=direct
    Run Keyword And Expect Error
    ...    Server 'vm1' should be ACTIVE * but is ERROR * (fault: No valid host was found*
    ...    Create Server    vm1    host=mixed-non-lm-src    flavor=pinned.lm    ports=p1
    Free Devices Should Be    mixed-non-lm-src=2

SRIOVServersTest A Pinned Server With A Non-Live-Migratable Alias VF Cannot Live Migrate
    [Documentation]    ``SRIOVServersTest.test_live_migrate_VF_mixed_mode_fails_non_lm_requested``:
    ...    the build pins cell 0 and binds 0000:83:06.1; the live migration fails with
    ...    NoValidHost, counts unchanged, the server ACTIVE.
    [Tags]    sriov    live-migration    live-migratable    numa
    Start Cluster    ${NUMA}
    Create Port    p1    network=network_4    vnic_type=direct
    Create Server    vm1    host=mixed-non-lm-src    flavor=pinned.non-lm    ports=p1
    Free Devices Should Be    mixed-non-lm-src=0    mixed-non-lm-dst=2
    NUMA Usage On Host Should Be    mixed-non-lm-src    pinned=0,1,2,3
    Port Binding Should Be    vm1    pci_slot=0000:83:06.1    pci_vendor_info=8086:8888
    ...    physical_network=physnet4
    Live Migration Is Refused By The Conductor    vm1    mixed-non-lm-src    mixed-non-lm-dst
    Free Devices Should Be    mixed-non-lm-src=0    mixed-non-lm-dst=2

SRIOVServersTest Unshelves Ports Onto Another Host's Devices
    [Documentation]    ``SRIOVServersTest.test_unshelve_server_with_neutron``: after unshelving
    ...    on ``dest`` the VF port no longer shares its slot with the server already there,
    ...    the direct-physical port names dest's PF 0000:82:06.0, two servers run on dest.
    [Tags]    sriov    shelve
    Servers With Ports On Source And Dest
    Shelve Offloaded    vm-source
    Disable Compute Service    source
    Unshelve Server    vm-source
    Wait Until Server Has    vm-source    host=dest    status=ACTIVE
    The Ports Have Moved To Dest

SRIOVServersTest Cold Migrates Ports Onto Another Host's Devices
    [Documentation]    ``SRIOVServersTest.test_cold_migrate_server_with_neutron``: after the
    ...    migration is confirmed the ports are bound to dest's devices as above.
    [Tags]    sriov    migrate
    Servers With Ports On Source And Dest
    Migrate Server    vm-source
    Wait Until Server Has    vm-source    host=dest    status=VERIFY_RESIZE
    Confirm Resize    vm-source
    Wait Until Server Has    vm-source    status=ACTIVE
    The Ports Have Moved To Dest

SRIOVServersTest Cold Migrates Ports And Reverts Them To The Source's Devices
    [Documentation]    ``SRIOVServersTest.test_cold_migrate_and_rever_server_with_neutron``:
    ...    migrated, the ports name dest's devices; reverted, the direct-physical port names
    ...    the source's PF 0000:82:00.0 again.
    [Tags]    sriov    migrate
    Servers With Ports On Source And Dest
    Migrate Server    vm-source
    Wait Until Server Has    vm-source    host=dest    status=VERIFY_RESIZE
    The Ports Have Moved To Dest
    Revert Resize    vm-source
    Wait Until Server Has    vm-source    host=source    status=ACTIVE
    ${bindings} =    Get Port Bindings    vm-source
    Should Be Equal    ${bindings}[p-pf][pci_slot]    0000:82:00.0

SRIOVServersTest Evacuates Ports Onto Another Host's Devices
    [Documentation]    ``SRIOVServersTest.test_evacuate_server_with_neutron``: evacuated from
    ...    the fenced source, the ports are bound to dest's devices as above.
    [Tags]    sriov    evacuate
    Servers With Ports On Source And Dest
    Force Down Compute Service    source
    Stop Compute Service    source
    Evacuate Server    vm-source
    Wait Until Migration Status Is    vm-source    done
    Wait Until Server Has    vm-source    host=dest    status=SHUTOFF
    The Ports Have Moved To Dest

SRIOVServersTest Live Migrates A Pinned Server With A VF Port And A PF Port
    [Documentation]    ``SRIOVServersTest.test_live_migrate_server_with_neutron``: the source
    ...    uses its VF 0000:81:00.4, that VF's PF and PF 0000:82:00.0 (6 total/3 free) and
    ...    pins cell 0; after the move the source has 6/6, the destination 4/1 with VF
    ...    0000:81:00.2 and PF 0000:82:06.0, pinned on cell 1.
    [Tags]    sriov    live-migration    numa
    Pinned Server With A VF Port And A PF Port On The Source
    Live Migrate Server    vm1
    Wait Until Migration Status Is    vm1    completed
    Free Devices Should Be    lm-neutron-src=6    lm-neutron-dst=1
    NUMA Usage On Host Should Be    lm-neutron-dst    pinned=4,5,6,7
    Port Should Be Bound    vm1    p-vf    lm-neutron-dst    0000:81:00.2    8086:1515
    Port Should Be Bound    vm1    p-pf    lm-neutron-dst    0000:82:06.0    8086:1528

SRIOVAttachDetachTest Detaches And Attaches Back A Direct Port
    [Documentation]    ``SRIOVAttachDetachTest.test_detach_attach_direct``: see `Detach, Attach
    ...    Back, Then Attach A Second Port`.
    [Tags]    sriov    interface
    Detach, Attach Back, Then Attach A Second Port    direct

SRIOVAttachDetachTest Detaches And Attaches Back A Macvtap Port
    [Documentation]    ``SRIOVAttachDetachTest.test_detach_macvtap``: see `Detach, Attach Back,
    ...    Then Attach A Second Port`.
    [Tags]    sriov    interface
    Detach, Attach Back, Then Attach A Second Port    macvtap

SRIOVAttachDetachTest Detaches And Attaches Back A Direct-Physical Port
    [Documentation]    ``SRIOVAttachDetachTest.test_detach_direct_physical``: see `Detach,
    ...    Attach Back, Then Attach A Second Port`; the port takes the PF, so its VF is
    ...    unavailable and nothing is left for the second one.
    [Tags]    sriov    interface
    Detach, Attach Back, Then Attach A Second Port    direct-physical

VDPAServersTest Creates A Server With A VDPA Port
    [Documentation]    ``VDPAServersTest.test_create_server``: the PF and the four vDPA
    ...    devices count (5 total/5 free); the server takes vDPA device 0000:06:00.4 and so
    ...    its PF (5/3), and the profile names it (15b3:101e, physnet4).
    [Tags]    vdpa
    Start Cluster    ${VDPA_ONE}
    Free Devices Should Be    compute-0=5
    Server With A VDPA Port    vm1
    Free Devices Should Be    compute-0=3
    Port Binding Should Be    vm1    host=compute-0    pci_slot=0000:06:00.4
    ...    pci_vendor_info=15b3:101e    physical_network=physnet4

VDPAServersTest Attaches A vDPA Port
    [Documentation]    ``VDPAServersTest.test_attach_interface``: a server booted without a vDPA
    ...    port (a normal port on ``private`` stands in for ``networks='none'``) takes vDPA port
    ...    p1; its profile is exactly vDPA device 0000:06:00.4 (15b3:101e) on physnet4, its
    ...    binding host compute-0 and its device the server.
    [Tags]    vdpa    interface
    Start Cluster    ${VDPA_ONE}
    Create Server    vm1    network=private
    Create Port    p1    network=network_4    vnic_type=vdpa
    Attach Interface    vm1    p1
    Run Until Idle
    ${port} =    Get Port    p1
    VAR    &{expected} =    device=vm1    host=compute-0    pci_slot=0000:06:00.4
    ...    pci_vendor_info=15b3:101e    physical_network=physnet4
    Dictionaries Should Be Equal    ${port}    ${expected}
    Free Devices Should Be    compute-0=3
    Resource Accounting Should Be Consistent

VDPAServersTest Detaches A vDPA Port
    [Documentation]    ``VDPAServersTest.test_detach_interface``: the port the server booted with
    ...    has the server as its device; detached, it has none and an empty profile.
    [Tags]    vdpa    interface
    Start Cluster    ${VDPA_ONE}
    Server With A VDPA Port    vm1
    ${port} =    Get Port    vm1-port
    Should Be Equal    ${port}[device]    vm1
    Detach Interface    vm1    vm1-port
    Run Until Idle
    ${port} =    Get Port    vm1-port
    Should Be Equal    ${port}[device]    ${None}
    Binding Profile Of Port Should Be Empty    vm1-port
    Free Devices Should Be    compute-0=5

VDPAServersTest Shelve Offload Frees The vDPA Device And Unbinds The Port
    [Documentation]    ``VDPAServersTest.test_shelve_offload``: bound on compute-0 with 5/3;
    ...    offloaded, the server has no host, the port no binding host, and 5/5 are free.
    [Tags]    vdpa    shelve
    Start Cluster    ${VDPA_ONE}
    Server With A VDPA Port    vm1
    Port Binding Should Be    vm1    host=compute-0
    Free Devices Should Be    compute-0=3
    Shelve Offloaded    vm1
    Port Binding Should Be    vm1    host=${EMPTY}
    Server Should Be On Host    vm1    ${EMPTY}
    Free Devices Should Be    compute-0=5

VDPAServersTest Unshelves To The Same Host
    [Documentation]    ``VDPAServersTest.test_unshelve_to_same_host``: 5/3 built, 5/5
    ...    offloaded (no host, port unbound), 5/3 again once unshelved on compute-0.
    [Tags]    vdpa    shelve
    Start Cluster    ${VDPA_ONE}
    Free Devices Should Be    compute-0=5
    Server With A VDPA Port    vm1
    Free Devices Should Be    compute-0=3
    Server And Its Port Should Be On    vm1    compute-0
    Shelve Offloaded    vm1
    Free Devices Should Be    compute-0=5
    Server And Its Port Should Be On    vm1    ${EMPTY}
    Unshelve Server    vm1
    Wait Until Server Has    vm1    status=ACTIVE
    Free Devices Should Be    compute-0=3
    Server And Its Port Should Be On    vm1    compute-0

VDPAServersTest Unshelves To A Different Host
    [Documentation]    ``VDPAServersTest.test_unshelve_to_different_host``: built on source,
    ...    offloaded, unshelved on dest with only dest enabled: dest 5/3, source 5/5, the
    ...    port bound on dest.
    [Tags]    vdpa    shelve
    VDPA Server Built On Source
    Shelve Offloaded    vm1
    Free Devices Should Be    source=5
    Server Should Be On Host    vm1    ${EMPTY}
    Port Binding Should Be    vm1    host=${EMPTY}
    Only Dest Enabled
    Free Devices Should Be    dest=5
    Unshelve Server    vm1
    Wait Until Server Has    vm1    status=ACTIVE
    Free Devices Should Be    source=5    dest=3
    Server Should Be On Host    vm1    dest
    Port Binding Should Be    vm1    host=dest

VDPAServersTest Evacuates And The Restarted Source Frees Its Devices
    [Documentation]    ``VDPAServersTest.test_evacuate``: evacuated to dest (5/3, port bound
    ...    there), the down source keeps its claim (5/3) until its service restarts (5/5).
    [Tags]    vdpa    evacuate
    VDPA Server Built On Source
    Enable Compute Service    dest
    Stop Compute Service    source
    Force Down Compute Service    source
    Free Devices Should Be    dest=5
    Evacuate Server    vm1
    Wait Until Migration Status Is    vm1    done
    Wait Until Server Has    vm1    host=dest    status=SHUTOFF
    Free Devices Should Be    dest=3
    Port Binding Should Be    vm1    host=dest
    Free Devices Should Be    source=3
    Start Compute Service    source
    Free Devices Should Be    source=5

VDPAServersTest Resizes On The Same Host
    [Documentation]    ``VDPAServersTest.test_resize_same_host``: in VERIFY_RESIZE the host
    ...    holds both vDPA claims (5 total/2 free: one PF, two devices); confirmed, 5/3 and
    ...    the server still on compute-0, with the new flavor.
    [Tags]    vdpa    resize
    Start Cluster    ${VDPA_ONE}    allow_resize_to_same_host=True
    Server With A VDPA Port    vm1
    Free Devices Should Be    compute-0=3
    Resize Server    vm1    new-flavor
    Wait Until Server Has    vm1    host=compute-0    status=VERIFY_RESIZE
    Free Devices Should Be    compute-0=2
    Confirm Resize    vm1
    Wait Until Server Has    vm1    status=ACTIVE
    Free Devices Should Be    compute-0=3
    Server Should Be On Host    vm1    compute-0
    Placement Allocations Should Be    vm1    compute-0=${NEW_FLAVOR}

VDPAServersTest Resizes To A Different Host
    [Documentation]    ``VDPAServersTest.test_resize_different_host``: in VERIFY_RESIZE both
    ...    hosts hold a claim (5/3 each); confirmed, source 5/5, dest 5/3, the server on dest with the new
    ...    flavor.
    [Tags]    vdpa    resize
    VDPA Server Built On Source
    Only Dest Enabled
    Resize Server    vm1    new-flavor
    Wait Until Server Has    vm1    host=dest    status=VERIFY_RESIZE
    Free Devices Should Be    source=3    dest=3
    Confirm Resize    vm1
    Wait Until Server Has    vm1    status=ACTIVE
    Free Devices Should Be    source=5    dest=3
    Server Should Be On Host    vm1    dest
    Placement Allocations Should Be    vm1    dest=${NEW_FLAVOR}

VDPAServersTest Reverts A Resize
    [Documentation]    ``VDPAServersTest.test_resize_revert``: in VERIFY_RESIZE both hosts
    ...    hold a claim (5/3 each); reverted, dest 5/5, source 5/3, the server on source.
    [Tags]    vdpa    resize
    VDPA Server Built On Source
    Only Dest Enabled
    Resize Server    vm1    new-flavor
    Wait Until Server Has    vm1    host=dest    status=VERIFY_RESIZE
    Free Devices Should Be    source=3    dest=3
    Revert Resize    vm1
    Wait Until Server Has    vm1    host=source    status=ACTIVE
    Free Devices Should Be    source=3    dest=5

VDPAServersTest Cold Migrates
    [Documentation]    ``VDPAServersTest.test_cold_migrate``: migrated to dest, both hosts
    ...    hold a claim (5/3 each); confirmed, source 5/5, dest 5/3, the server on dest.
    [Tags]    vdpa    migrate
    VDPA Server Built On Source
    Enable Compute Service    dest
    Migrate Server    vm1
    Wait Until Server Has    vm1    host=dest    status=VERIFY_RESIZE
    Free Devices Should Be    source=3    dest=3
    Confirm Resize    vm1
    Wait Until Server Has    vm1    status=ACTIVE
    Free Devices Should Be    source=5    dest=3
    Server Should Be On Host    vm1    dest

VDPAServersTest Suspends And Resumes Keeping The vDPA Device
    [Documentation]    ``VDPAServersTest.test_suspend_and_resume``: built with a vDPA port,
    ...    5 total/3 free (the device and its PF); SUSPENDED, still 5/3; resumed, ACTIVE and
    ...    still 5/3. Nova's one compute is named source; here it is compute-0.
    [Tags]    vdpa    suspend
    Start Cluster    ${VDPA_ONE}
    Server With A VDPA Port    vm1
    Free Devices Should Be    compute-0=3
    Suspend Server    vm1
    Wait Until Server Has    vm1    status=SUSPENDED
    Free Devices Should Be    compute-0=3
    Resume Server    vm1
    Wait Until Server Has    vm1    status=ACTIVE
    Free Devices Should Be    compute-0=3

VDPAServersTest Live Migrates
    [Documentation]    ``VDPAServersTest.test_live_migrate``: after the live migration the
    ...    source has 5/5 free, dest 5/3, and the server is on dest.
    [Tags]    vdpa    live-migration
    VDPA Server Built On Source
    Enable Compute Service    dest
    Live Migrate Server    vm1
    Wait Until Migration Status Is    vm1    completed
    Free Devices Should Be    source=5    dest=3
    Server Should Be On Host    vm1    dest

RemoteManagedServersTest Creates A Server With A Physnet Port
    [Documentation]    ``RemoteManagedServersTest.test_create_server_physnet``: 10 total/10
    ...    free, then 10/8 (a VF and its PF); the profile names VF 0000:81:00.4 (15b3:1021)
    ...    on physnet4.
    [Tags]    remote-managed
    Start Cluster    ${REMOTE}
    Free Devices Should Be    test_compute0=10
    Create Port    p1    network=network_4    vnic_type=remote-managed
    Create Server    vm1    host=test_compute0    ports=p1
    Free Devices Should Be    test_compute0=8
    Port Binding Should Be    vm1    host=test_compute0    pci_slot=0000:81:00.4
    ...    pci_vendor_info=15b3:1021    physical_network=physnet4

RemoteManagedServersTest Creates A Server With A Tunnel Port
    [Documentation]    ``RemoteManagedServersTest.test_create_server_tunnel``: 10/10, then
    ...    10/8; the profile names overlay VF 0000:82:00.4 (15b3:101e) and no physnet.
    [Tags]    remote-managed
    Start Cluster    ${REMOTE}
    Free Devices Should Be    test_compute0=10
    Create Port    p1    network=network_3    vnic_type=remote-managed
    Create Server    vm1    host=test_compute0    ports=p1
    Free Devices Should Be    test_compute0=8
    Tunnel Port Should Be Bound    test_compute0    0000:82:00.4

RemoteManagedServersTest Attaches A Tunnel Port
    [Documentation]    ``RemoteManagedServersTest.test_attach_interface``: a server booted without
    ...    a remote-managed port (a normal port stands in for ``networks='none'``) takes tunnel
    ...    port p1; the profile names overlay VF 0000:82:00.4 (15b3:101e) and no physnet. (The
    ...    model's profile has no ``pf_mac_address``, ``vf_num`` nor ``card_serial_number``.)
    [Tags]    remote-managed    interface
    Start Cluster    ${REMOTE}
    Create Server    vm1    host=test_compute0    vnic_type=normal    network=network_4
    Create Port    p1    network=network_3    vnic_type=remote-managed
    Attach Interface    vm1    p1
    Run Until Idle
    Tunnel Port Should Be Bound    test_compute0    0000:82:00.4
    Resource Accounting Should Be Consistent

RemoteManagedServersTest Detaches A Tunnel Port
    [Documentation]    ``RemoteManagedServersTest.test_detach_interface``: the tunnel port the
    ...    server booted with, detached, has an empty binding profile.
    [Tags]    remote-managed    interface
    Start Cluster    ${REMOTE}
    Create Port    p1    network=network_3    vnic_type=remote-managed
    Create Server    vm1    host=test_compute0    ports=p1
    Detach Interface    vm1    p1
    Run Until Idle
    Binding Profile Of Port Should Be Empty    p1
    Free Devices Should Be    test_compute0=10

RemoteManagedServersTest Shelve Clears The Binding Profile
    [Documentation]    ``RemoteManagedServersTest.test_shelve``: once shelved (offloaded) the
    ...    tunnel port's binding profile is empty.
    [Tags]    remote-managed    shelve
    Start Cluster    ${REMOTE}
    Create Port    p1    network=network_3    vnic_type=remote-managed
    Create Server    vm1    host=test_compute0    ports=p1
    Shelve Offloaded    vm1
    Port Binding Should Be    vm1    pci_slot=${EMPTY}    pci_vendor_info=${EMPTY}
    ...    physical_network=${EMPTY}

RemoteManagedServersTest Suspends A Server With A Tunnel Port
    [Documentation]    ``RemoteManagedServersTest.test_suspend``: a server booted on
    ...    test_compute0 with a remote-managed tunnel port reaches SUSPENDED. Nova's test
    ...    asserts no more (its TODO: libvirt's detachDevice does not handle the hostdev, so
    ...    a full suspend and resume is not tested there).
    [Tags]    remote-managed    suspend
    Start Cluster    ${REMOTE}
    Create Port    p1    network=network_3    vnic_type=remote-managed
    Create Server    vm1    host=test_compute0    ports=p1
    Suspend Server    vm1
    Wait Until Server Has    vm1    status=SUSPENDED

RemoteManagedServersTest Unshelves A Tunnel Port Onto Another Host's VF
    [Documentation]    ``RemoteManagedServersTest.test_unshelve_server_with_neutron``: unshelved
    ...    with test_compute0 disabled: 10/10 and 5/3, the profile names VF 0000:80:00.4.
    [Tags]    remote-managed    shelve
    Server With A Tunnel Port On Test Compute0
    Shelve Offloaded    vm1
    Disable Compute Service    test_compute0
    Unshelve Server    vm1
    Wait Until Server Has    vm1    host=test_compute1    status=ACTIVE
    Free Devices Should Be    test_compute0=10    test_compute1=3
    Tunnel Port Should Be Bound    test_compute1    0000:80:00.4

RemoteManagedServersTest Cold Migrates A Tunnel Port
    [Documentation]    ``RemoteManagedServersTest.test_cold_migrate_server_with_neutron``:
    ...    confirmed, 10/10 and 5/3, the profile names VF 0000:80:00.4.
    [Tags]    remote-managed    migrate
    Server With A Tunnel Port On Test Compute0
    Migrate Server    vm1
    Wait Until Server Has    vm1    host=test_compute1    status=VERIFY_RESIZE
    Confirm Resize    vm1
    Wait Until Server Has    vm1    status=ACTIVE
    Free Devices Should Be    test_compute0=10    test_compute1=3
    Tunnel Port Should Be Bound    test_compute1    0000:80:00.4

RemoteManagedServersTest Reverts A Cold Migration Of A Tunnel Port
    [Documentation]    ``RemoteManagedServersTest.test_cold_migrate_server_with_neutron_revert``:
    ...    migrated, 10/8 and 5/3; reverted, 10/8 and 5/5, the profile names 0000:82:00.4.
    [Tags]    remote-managed    migrate
    Server With A Tunnel Port On Test Compute0
    Migrate Server    vm1
    Wait Until Server Has    vm1    host=test_compute1    status=VERIFY_RESIZE
    Free Devices Should Be    test_compute0=8    test_compute1=3
    Revert Resize    vm1
    Wait Until Server Has    vm1    host=test_compute0    status=ACTIVE
    Free Devices Should Be    test_compute0=8    test_compute1=5
    Tunnel Port Should Be Bound    test_compute0    0000:82:00.4

RemoteManagedServersTest Evacuates A Tunnel Port
    [Documentation]    ``RemoteManagedServersTest.test_evacuate_server_with_neutron``: the down
    ...    source keeps its claim (10/8), test_compute1 has 5/3, the profile names 0000:80:00.4.
    [Tags]    remote-managed    evacuate
    Server With A Tunnel Port On Test Compute0
    Force Down Compute Service    test_compute0
    Stop Compute Service    test_compute0
    Evacuate Server    vm1
    Wait Until Migration Status Is    vm1    done
    Wait Until Server Has    vm1    host=test_compute1    status=SHUTOFF
    Free Devices Should Be    test_compute0=8    test_compute1=3
    Tunnel Port Should Be Bound    test_compute1    0000:80:00.4

RemoteManagedServersTest Live Migrates A Tunnel Port
    [Documentation]    ``RemoteManagedServersTest.test_live_migrate_server_with_neutron``:
    ...    completed, 10/10 and 5/3, the profile names VF 0000:80:00.4.
    [Tags]    remote-managed    live-migration
    Server With A Tunnel Port On Test Compute0
    Live Migrate Server    vm1
    Wait Until Migration Status Is    vm1    completed
    Free Devices Should Be    test_compute0=10    test_compute1=3
    Tunnel Port Should Be Bound    test_compute1    0000:80:00.4


*** Keywords ***
Free Devices Should Be
    [Documentation]    Fails unless each named host has the given count of PCI devices
    ...    available, as Nova's ``assertPCIDeviceCounts`` counts ``free``.
    [Arguments]    &{expected}
    FOR    ${host}    ${free}    IN    &{expected}
        Free PCI Devices On Host Should Be    ${host}    ${free}
    END

Build Finds No Valid Host
    [Documentation]    Boots ``server`` on ``host`` with ``flavor`` and expects ERROR with
    ...    Nova's NoValidHost fault; the server holds nothing.
    [Arguments]    ${server}    ${host}    ${flavor}
    Run Keyword And Expect Error
    ...    Server '${server}' should be ACTIVE * but is ERROR * (fault: No valid host was found*
    ...    Create Server    ${server}    host=${host}    flavor=${flavor}
    PCI Devices Of Server Should Be    ${server}

Live Migration Is Refused By The Conductor
    [Documentation]    Live migrates ``server`` to ``target`` and expects the conductor's
    ...    NoValidHost: the record ``error``, the server ACTIVE on ``source``.
    [Arguments]    ${server}    ${source}    ${target}
    Live Migrate Server    ${server}    ${target}
    Wait Until Migration Status Is    ${server}    error
    Wait Until Server Has    ${server}    host=${source}    status=ACTIVE
    PCI Allocation On Host Should Be    ${server}    ${target}    0

Port Should Be Bound
    [Documentation]    Fails unless ``port`` of ``server`` is bound on ``host`` to the device at
    ...    ``slot`` of ``vendor_info`` on physnet4.
    [Arguments]    ${server}    ${port}    ${host}    ${slot}    ${vendor_info}
    ${bindings} =    Get Port Bindings    ${server}
    Should Be Equal    ${bindings}[${port}][host]    ${host}
    Should Be Equal    ${bindings}[${port}][pci_slot]    ${slot}
    Should Be Equal    ${bindings}[${port}][pci_vendor_info]    ${vendor_info}
    Should Be Equal    ${bindings}[${port}][physical_network]    physnet4

Servers With Ports On Source And Dest
    [Documentation]    ``_test_move_operation_with_neutron``'s set-up: vm-source on source with
    ...    a direct port (VF 0000:81:00.1) and a direct-physical one (PF 0000:82:00.0); two
    ...    servers on dest, of which the one on dest's other VF is deleted, leaving
    ...    vm-dest2 on the VF at the same slot as vm-source's.
    Start Cluster    ${MOVES}
    Ports Of The Move Tests
    Create Server    vm-source    host=source    ports=p-vf,p-pf
    Create Server    vm-dest1    host=dest    ports=p-dest1
    Create Server    vm-dest2    host=dest    ports=p-dest2
    Port Should Be Bound    vm-source    p-vf    source    0000:81:00.1    8086:1515
    Port Should Be Bound    vm-source    p-pf    source    0000:82:00.0    8086:1528
    Port Should Be Bound    vm-dest2    p-dest2    dest    0000:81:00.1    8086:1515
    Delete Server    vm-dest1
    Wait Until Server Has    vm-dest1    status=DELETED

The Ports Have Moved To Dest
    [Documentation]    vm-source's VF port no longer shares vm-dest2's slot, its PF port names
    ...    dest's PF 0000:82:06.0, and both servers are on dest.
    ${bindings} =    Get Port Bindings    vm-source
    ${same_slot} =    Get Port Bindings    vm-dest2
    Should Not Be Equal    ${bindings}[p-vf][pci_slot]    ${same_slot}[p-dest2][pci_slot]
    Should Be Equal    ${bindings}[p-pf][pci_slot]    0000:82:06.0
    Server Should Be On Host    vm-source    dest
    Server Should Be On Host    vm-dest2    dest

Server With A VDPA Port
    [Documentation]    Creates vDPA port ``${server}-port`` and boots ``server`` with it.
    [Arguments]    ${server}
    Create Port    ${server}-port    network=network_4    vnic_type=vdpa
    Create Server    ${server}    ports=${server}-port

Server With A Tunnel Port On Test Compute0
    [Documentation]    ``RemoteManagedServersTest._test_move_operation_with_neutron``'s set-up:
    ...    vm1 (4 vCPUs) on test_compute0 with a remote-managed port on the overlay network,
    ...    bound to VF 0000:82:00.4: 10 total/8 free there, 5/5 on test_compute1.
    Start Cluster    ${REMOTE}
    Free Devices Should Be    test_compute0=10    test_compute1=5
    Create Port    p1    network=network_3    vnic_type=remote-managed
    Create Server    vm1    host=test_compute0    flavor=vcpu4    ports=p1
    Server Should Be On Host    vm1    test_compute0
    Free Devices Should Be    test_compute0=8    test_compute1=5
    Tunnel Port Should Be Bound    test_compute0    0000:82:00.4

Binding Profile Of Port Should Be Empty
    [Documentation]    Fails unless ``port``'s ``binding:profile`` has no key, as Nova's tests
    ...    assert ``port['binding:profile'] == {}``.
    [Arguments]    ${port}
    ${found} =    Get Port    ${port}
    Remove From Dictionary    ${found}    device    host
    Should Be Empty    ${found}

Detach, Attach Back, Then Attach A Second Port
    [Documentation]    ``SRIOVAttachDetachTest._test_detach_attach``: booted with port
    ...    ``first`` on test_compute0 (one PF, one VF), the port is bound there and attached;
    ...    detached, it has no binding host and is not attached; attached back, it is again;
    ...    then port ``second`` finds no free device: Nova's 400 'Failed to claim PCI device',
    ...    the first port still attached and the second not.
    [Arguments]    ${vnic_type}
    Server Booted With Port First Of Two    ${vnic_type}
    Port Should Be Attached    first    test_compute0
    Settle Interface Change    Detach Interface    first
    Port Should Not Be Attached    first
    Settle Interface Change    Attach Interface    first
    Port Should Be Attached    first    test_compute0
    Settle Interface Change    Attach Interface    second
    Server Fault Should Contain    vm1    Failed to claim PCI device
    Port Should Be Attached    first    test_compute0
    Port Should Not Be Attached    second

Server Booted With Port First Of Two
    [Documentation]    test_compute0 of ``SRIOVAttachDetachTest``, ports ``first`` and ``second``
    ...    of ``vnic_type`` on network_2, and vm1 booted with ``first``.
    [Arguments]    ${vnic_type}
    Start Cluster    ${ATTACH_DETACH}
    Create Port    first    network=network_2    vnic_type=${vnic_type}
    Create Port    second    network=network_2    vnic_type=${vnic_type}
    Create Server    vm1    ports=first

Settle Interface Change
    [Documentation]    Runs ``action`` (`Attach Interface` or `Detach Interface`) on vm1 and
    ...    ``port``, and runs it to its end, as Nova's tests wait for the
    ...    ``instance.interface_attach.end`` (or ``detach``) notification.
    [Arguments]    ${action}    ${port}
    Run Keyword    ${action}    vm1    ${port}
    Run Until Idle

Port Should Be Attached
    [Documentation]    Fails unless ``port`` is bound on ``host`` and is one of vm1's interfaces.
    [Arguments]    ${port}    ${host}
    ${found} =    Get Port    ${port}
    Should Be Equal    ${found}[host]    ${host}
    ${interfaces} =    Get Port Bindings    vm1
    Dictionary Should Contain Key    ${interfaces}    ${port}

Port Should Not Be Attached
    [Documentation]    Fails unless ``port`` has no binding host and is not one of vm1's
    ...    interfaces.
    [Arguments]    ${port}
    ${found} =    Get Port    ${port}
    Should Be Equal    ${found}[host]    ${None}
    ${interfaces} =    Get Port Bindings    vm1
    Dictionary Should Not Contain Key    ${interfaces}    ${port}

Tunnel Port Should Be Bound
    [Documentation]    Fails unless vm1's remote-managed port is bound on ``host`` to overlay
    ...    VF ``slot`` (15b3:101e) with no physnet in its profile.
    [Arguments]    ${host}    ${slot}
    Port Binding Should Be    vm1    host=${host}    pci_slot=${slot}    pci_vendor_info=15b3:101e
    ...    physical_network=${EMPTY}

Ports Of The Move Tests
    [Documentation]    ``_test_move_operation_with_neutron``'s ports on physnet4: p-vf (direct)
    ...    and p-pf (direct-physical) for the server that moves, p-dest1 and p-dest2 (direct)
    ...    for the servers on dest.
    Create Port    p-vf    network=network_4    vnic_type=direct
    Create Port    p-pf    network=network_4    vnic_type=direct-physical
    Create Port    p-dest1    network=network_4    vnic_type=direct
    Create Port    p-dest2    network=network_4    vnic_type=direct

Pinned Server With A VF Port And A PF Port On The Source
    [Documentation]    ``test_live_migrate_server_with_neutron``'s build: vm1 (4 dedicated
    ...    vCPUs) on lm-neutron-src with a direct and a direct-physical port uses VF
    ...    0000:81:00.4, its PF and PF 0000:82:00.0 (6 total/3 free) and pins host cell 0.
    Start Cluster    ${NUMA}
    Free Devices Should Be    lm-neutron-src=6    lm-neutron-dst=4
    Create Port    p-vf    network=network_4    vnic_type=direct
    Create Port    p-pf    network=network_4    vnic_type=direct-physical
    Create Server    vm1    host=lm-neutron-src    flavor=pinned    ports=p-vf,p-pf
    Server Should Be On Host    vm1    lm-neutron-src
    Free Devices Should Be    lm-neutron-src=3    lm-neutron-dst=4
    NUMA Usage On Host Should Be    lm-neutron-src    pinned=0,1,2,3
    Port Should Be Bound    vm1    p-vf    lm-neutron-src    0000:81:00.4    8086:1515
    Port Should Be Bound    vm1    p-pf    lm-neutron-src    0000:82:00.0    8086:1528

VDPA Server Built On Source
    [Documentation]    The set-up of ``VDPAServersTest``'s two-host tests: both hosts have 5
    ...    total/5 free; with dest disabled vm1 boots on source with a vDPA port, bound there,
    ...    and source has 5/3.
    Start Cluster    ${VDPA_TWO}
    Free Devices Should Be    source=5    dest=5
    Disable Compute Service    dest
    Server With A VDPA Port    vm1
    Server Should Be On Host    vm1    source
    Port Binding Should Be    vm1    host=source
    Free Devices Should Be    source=3

Only Dest Enabled
    [Documentation]    Disables source and enables dest, as Nova's tests do to force a move there.
    Disable Compute Service    source
    Enable Compute Service    dest

Shelve Offloaded
    [Documentation]    Shelves ``server`` and waits until it is SHELVED_OFFLOADED, as Nova's
    ...    ``_shelve_server`` does.
    [Arguments]    ${server}
    Shelve Server    ${server}
    Wait Until Server Has    ${server}    status=SHELVED_OFFLOADED

Server And Its Port Should Be On
    [Documentation]    Fails unless ``server`` and its port's binding are on ``host``
    ...    (``${EMPTY}``: on no host).
    [Arguments]    ${server}    ${host}
    Server Should Be On Host    ${server}    ${host}
    Port Binding Should Be    ${server}    host=${host}
