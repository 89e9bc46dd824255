*** Settings ***
Documentation    Interface attach and detach of an SR-IOV port explored, without hand-tuned
...              delays, against what Nova lets run beside them: Nova's API sets no task
...              state for an attach (a call) or a detach (a cast), and the compute holds only
...              the lock ``interface-<instance>-<port>``, so the host's audit, a detach of the
...              same port and every move or shelve the API accepts meanwhile may interleave.
...              Each exploration runs every schedule with up to two preemptions, partial-order
...              reduction on, and checks the accounting (`Resource Accounting Should Be
...              Consistent`) and that every port of vm1 is bound to a device vm1 holds on its
...              host.
...
...              Found, and fixed in the model (each pinned by a test in
...              tests/cluster/test_interface_attach.py): the attach's driver call passed on a
...              host whose guest a shelve had offloaded meanwhile (libvirt's ``get_guest``
...              raises InstanceNotFound, so Nova deallocates the port and frees the VF); moves
...              and the offload used the PCI requests and info cache of the instance as the
...              API read it, where Nova lazy-loads the requests in the conductor (live
...              migration) or at the destination's claim (cold migration) and lists the
...              server's ports in neutron when it binds or unbinds them.
...
...              Found, and current Nova's behaviour (``current-nova``): the attach's compute
...              side checks neither the server's host nor its task, and its final
...              ``instance.save()`` expects no task state. A cold migration that finishes
...              while the attach is on its way leaves the port attached on the source: vm1
...              ends on host2 without a VF for it. A shelve offload that lists the ports
...              before the attach binds p1 leaves p1 bound to host1 and a VF the offload
...              freed.
...
...              Also found in the model and fixed: a live migration migrated a VF an attach
...              had plugged meanwhile, which libvirt refuses (the driver detaches only the
...              vifs of the migrate data, made from the API's info cache), and the source
...              kept the guest after the migration job until its clean-up.
...
...              Nothing found: attach against the audit, against a detach of the same port,
...              against an evacuation (the failed host answers no call) and, after those
...              fixes, against a live migration; detach against the audit.

Library          Collections
Resource         resources/evacuation.resource

Test Tags        exploration    interface-attach    variant-fixed


*** Test Cases ***
Attach Racing The Host's Audit Keeps The Device
    [Documentation]    The audit allocates a device the attach only claimed so far, and the
    ...    attach then finds it allocated; no schedule frees it or loses the port.
    ${summary} =    Explore Interleavings    Server With A Free Port
    ...    Accounting And Ports Should Be Consistent
    ...    Attach Interface    vm1    p1
    ...    AND    Run Periodic Update Available Resource    host1
    ...    bound=2
    Should Contain    ${summary}    complete to bound 2

Detach Racing The Host's Audit Frees The Device
    [Documentation]    Every schedule ends with the port unbound, its VF free and the
    ...    accounting consistent.
    ${summary} =    Explore Interleavings    Server With An Attached Port
    ...    Detached Port Should Be Released
    ...    Detach Interface    vm1    p1
    ...    AND    Run Periodic Update Available Resource    host1
    ...    bound=2
    Should Contain    ${summary}    complete to bound 2

Attach And Detach Of One Port Never Overlap
    [Documentation]    The ``interface-<instance>-<port>`` lock orders them: a detach first
    ...    finds no such port (a fault), a detach second releases it.
    ${summary} =    Explore Interleavings    Server With A Free Port
    ...    Accounting And Ports Should Be Consistent
    ...    Attach Interface    vm1    p1
    ...    AND    Detach Interface    vm1    p1
    ...    bound=2
    Should Contain    ${summary}    complete to bound 2

Attach Racing A Shelve Offload Leaves The Port Bound To The Host
    [Documentation]    Current Nova's behaviour. The offload lists vm1's ports in neutron
    ...    and unbinds them one by one; preempted there, it lets the attach claim, bind
    ...    p1 to host1 and plug it into the guest not yet destroyed. The offload then
    ...    frees every VF of vm1 but never unbinds p1: the offloaded server's port still
    ...    names host1 and a VF now free. Smallest schedule: one preemption. Two model
    ...    defects this exploration found first are fixed: the driver's attach passing
    ...    after the guest was gone, and the offload unbinding only the ports of the
    ...    API's info cache.
    [Tags]    current-nova
    ${summary} =    Explore Interleavings    Server With A Free Port
    ...    Offloaded Server Should Hold Nothing
    ...    Attach Interface    vm1    p1
    ...    AND    Shelve Server    vm1
    ...    bound=2    expect_race=True
    Should Contain    ${summary}    complete to bound 1:

A Delayed Unbind Of A Shelve Offload Leaves The Attached Port Bound
    [Documentation]    Current Nova's behaviour, with delays: the attach waits for the
    ...    shelve to start, the shelve's first port update for the attach to finish.
    [Tags]    current-nova
    Server With A Free Port
    Start Steps Together    Attach Interface    vm1    p1    ComputeAPI.attach_interface=0.05 s
    ...    AND    Shelve Server    vm1    NeutronAPI.update_port=0.5 s
    Run Until Idle
    Resource Accounting Should Be Consistent
    PCI Allocations Should Be    vm1    host1=0
    ${port} =    Get Port    p1
    Should Be Equal    ${port}[device]    vm1
    Should Be Equal    ${port}[host]    host1
    Should Be Equal    ${port}[pci_slot]    0000:03:00.1

Attach To A Server On A Failed Host Racing Its Evacuation
    [Documentation]    The API lets both start (an attach checks no service); the stopped
    ...    compute never answers the attach's call, the evacuation takes vm1 to host2.
    ${summary} =    Explore Interleavings    Server With A Free Port On A Failed Host
    ...    Evacuated Server Should Not Hold The Port
    ...    Attach Interface    vm1    p1
    ...    AND    Evacuate Server    vm1
    ...    bound=2
    Should Contain    ${summary}    complete to bound 2

Cold Migration Finishing While The Attach Is Under Way Strands The Port
    [Documentation]    Current Nova's behaviour. The attach's call reaches host1 after the
    ...    migration finished there (in Nova its neutron calls before the claim can take
    ...    that long): host1 still has the powered-off guest, so the claim, the binding
    ...    to host1 and the driver's plug succeed and ``instance.save()`` adds the
    ...    port's request; confirming and the audits then free host1's VF, and vm1 on
    ...    host2 has a request with no VF and a port bound to host1. Smallest schedule:
    ...    no preemption, where the search stops. (Had the attach bound p1 before
    ...    ``finish_resize``, Nova's ``_update_port_binding_for_instance`` would raise
    ...    PortUpdateFailed for its uncorrelated PCI slot; the model keeps the profile.)
    [Tags]    current-nova
    ${summary} =    Explore Interleavings    Server With A Free Port
    ...    Accounting And Ports Should Be Consistent
    ...    Attach Interface    vm1    p1
    ...    AND    Migrate Server    vm1
    ...    bound=2    settle=Confirm And Audit    expect_race=True
    Should Contain    ${summary}    complete to bound 0:

A Delayed Attach After A Cold Migration Strands The Port
    [Documentation]    Current Nova's behaviour, with delays: the attach's call is delayed
    ...    until the migration is verified.
    [Tags]    current-nova
    Server With A Free Port
    Attach Interface    vm1    p1    ComputeAPI.attach_interface=1 s
    Migrate Server    vm1
    Wait Until Server Has    vm1    status=VERIFY_RESIZE    timeout=10 s
    Run Until Idle
    Confirm And Audit
    Server Should Be On Host    vm1    host2
    ${port} =    Get Port    p1
    Should Be Equal    ${port}[host]    host1
    Run Keyword And Expect Error
    ...    GLOB:*Server 'vm1' on 'host2' should hold 1 allocated PCI device(s) for its port but holds 0: none.*
    ...    Resource Accounting Should Be Consistent

Attach Racing A Live Migration Never Strands A VF
    [Documentation]    A live migration that read vm1's info cache before the attach bound
    ...    p1 does not detach p1's VF, and libvirt refuses to migrate a guest with an
    ...    assigned host device: the migration rolls back and both VFs stay on host1.
    ...    An attach reaching host1 after the migration job finds no guest there and
    ...    gives the port and VF back. Found by this exploration before the model's
    ...    fixes: the model migrated the plugged VF, stranding it on host1, and kept
    ...    the guest on host1 until the source's post-migration clean-up.
    ${summary} =    Explore Interleavings    Server With A Free Port
    ...    Accounting And Ports Should Be Consistent Without Usage
    ...    Attach Interface    vm1    p1
    ...    AND    Live Migrate Server    vm1
    ...    bound=2
    Should Contain    ${summary}    complete to bound 2

A Live Migration Passing The Attach Before Its Allocation Is Rolled Back
    [Documentation]    With delays: the attach waits before its allocation while the live
    ...    migration runs, which libvirt refuses for the VF it did not detach.
    Server With A Free Port
    Start Steps Together    Attach Interface    vm1    p1
    ...    ResourceTracker.allocate_pci_devices_for_instance=0.5 s
    ...    AND    Live Migrate Server    vm1
    Run Until Idle
    Server Should Be On Host    vm1    host1
    Migration Status Should Be    vm1    failed
    PCI Allocations Should Be    vm1    host1=2    host2=0
    Accounting And Ports Should Be Consistent


*** Keywords ***
Server With A Free Port
    [Documentation]    vm1 on host1 with its own direct port, and direct port p1 free.
    Start Cluster
    Create Port    boot    vnic_type=direct
    Create Server    vm1    host=host1    ports=boot
    Create Port    p1    vnic_type=direct

Server With An Attached Port
    [Documentation]    vm1 on host1 with port p1 attached and its VF allocated.
    Server With A Free Port
    Attach Interface    vm1    p1
    Run Until Idle

Server With A Free Port On A Failed Host
    [Documentation]    vm1 on host1 and a free port p1, host1 stopped and forced down.
    Server With A Free Port
    Stop Compute Service    host1
    Force Down Compute Service    host1

Confirm And Audit
    [Documentation]    Confirms vm1's resize and audits every compute once.
    Confirm Resize    vm1
    Run Until Idle
    Run Periodics

Accounting And Ports Should Be Consistent
    [Documentation]    The accounting agrees and every port of vm1 is bound to a VF vm1
    ...    holds on that host.
    Resource Accounting Should Be Consistent
    Ports Should Follow The Server

Accounting And Ports Should Be Consistent Without Usage
    [Documentation]    As `Accounting And Ports Should Be Consistent`, leaving out the
    ...    trackers' usage, which a live migration updates at host2's next audit.
    Resource Accounting Should Be Consistent    usage=False
    Ports Should Follow The Server

Ports Should Follow The Server
    [Documentation]    Fails unless every port of vm1 is bound to a host where vm1 holds the
    ...    VF its binding profile names.
    ${bindings} =    Get Port Bindings    vm1
    ${allocations} =    Get PCI Allocations    vm1
    FOR    ${name}    ${binding}    IN    &{bindings}
        Dictionary Should Contain Key    ${allocations}    ${binding}[host]
        ...    msg=Port ${name} is bound to ${binding}[host], but vm1 holds ${allocations}.
        List Should Contain Value    ${allocations}[${binding}[host]]    ${binding.get('pci_slot')}
        ...    msg=Port ${name} names ${binding.get('pci_slot')}, but vm1 holds ${allocations}.
    END

Detached Port Should Be Released
    [Documentation]    p1 is unbound and vm1 holds only its boot port's VF.
    Resource Accounting Should Be Consistent
    Ports Should Follow The Server
    PCI Allocations Should Be    vm1    host1=1
    Port Should Be Unbound    p1

Offloaded Server Should Hold Nothing
    [Documentation]    vm1 is offloaded and holds no VF; p1, attached or not, is bound to
    ...    no host.
    Resource Accounting Should Be Consistent
    PCI Allocations Should Be    vm1    host1=0
    ${found} =    Get Port    p1
    Should Be Equal    ${found}[host]    ${None}

Evacuated Server Should Not Hold The Port
    [Documentation]    vm1 runs on host2 with its boot port only (failed host1 keeps its VF
    ...    until it starts); p1 is bound nowhere.
    Resource Accounting Should Be Consistent
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Port Should Be Unbound    p1

Port Should Be Unbound
    [Documentation]    Fails unless ``port`` has no server and no host.
    [Arguments]    ${port}
    ${found} =    Get Port    ${port}
    Should Be Equal    ${found}[device]    ${None}
    Should Be Equal    ${found}[host]    ${None}
