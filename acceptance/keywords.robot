*** Settings ***
Documentation    Every keyword once as it should be used and once as it should fail, with
...              the failure message pinned: what a QA engineer reads in the report.

Library          PciRaceLibrary    timeout=1 min

Test Tags        keywords    variant-fixed


*** Test Cases ***
Keywords Need A Running Cluster
    [Documentation]    Before `Start Cluster` a keyword says what to do.
    Run Keyword And Expect Error    No cluster is running. Use 'Start Cluster' first.
    ...    Log Cluster State
    Run Keyword And Expect Error    No cluster is running. Use 'Start Cluster' first.
    ...    Get Virtual Time
    Run Keyword And Expect Error    No cluster is running. Use 'Start Cluster' first.
    ...    Log Timeline

Start Cluster
    [Documentation]    Variants are bug numbers the model knows.
    Start Cluster    bugs=1896463, 1713783
    Run Keyword And Expect Error    GLOB:No variant for bug '4242'. Known bugs: 1713783, *1896463*.
    ...    Start Cluster    bugs=4242
    Run Keyword And Expect Error    GLOB:No topology file '*missing.yaml'*
    ...    Start Cluster    ${CURDIR}/topologies/missing.yaml

Stop Compute Service
    [Documentation]    Stopping twice, or an unknown host, is refused.
    Start Cluster
    Stop Compute Service    host1
    Run Keyword And Expect Error
    ...    Cannot stop compute service on 'host1': it is already stopped. (refused at t=0.000s)
    ...    Stop Compute Service
    ...    host1
    Run Keyword And Expect Error    No host 'host9'. Known hosts: host1, host2.
    ...    Stop Compute Service    host9

Force Down Compute Service
    [Documentation]    A forced-down service is down for the scheduler at once.
    Start Cluster
    Force Down Compute Service    host2
    Run Keyword And Expect Error    No host 'host3'. Known hosts: host1, host2.
    ...    Force Down Compute Service    host3

Start Compute Service
    [Documentation]    Only a stopped service can start.
    Start Cluster
    Stop Compute Service    host1
    Start Compute Service    host1
    Run Keyword And Expect Error    Cannot start compute service on 'host1': it is running. (refused at t=0.000s)
    ...    Start Compute Service    host1

Create Server With Direct Port
    [Documentation]    host1 has two VFs on physnet2; a third server cannot be built there.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Create Server With Direct Port    vm2    host=host1
    Run Keyword And Expect Error
    ...    GLOB:Server 'vm3' should be ACTIVE within 1 minute of virtual time but is ERROR at t=0.000s (fault: Exhausted all hosts * claim refused on 'host1': *
    ...    Create Server With Direct Port
    ...    vm3
    ...    host=host1
    VAR    ${unique} =    Nova would allow it, but this library names servers uniquely.
    Run Keyword And Expect Error
    ...    Cannot create 'vm1': a server with that name exists; ${unique} (refused at t=0.000s)
    ...    Create Server With Direct Port    vm1

Create Server
    [Documentation]    Other port types: a normal port takes no device, direct-physical a PF.
    Start Cluster
    Create Server    web1    host=host1
    PCI Allocations Should Be    web1
    Create Server    pf1    host=host1    vnic_type=direct-physical
    PCI Allocations Should Be    pf1    host1=0000:02:00.0
    Run Keyword And Expect Error
    ...    Server 'web1' has no direct port to evacuate with; use 'Evacuate Server' for servers without one. (refused at t=0.000s)
    ...    Evacuate Server With Direct Port
    ...    web1
    Run Keyword And Expect Error    No network 'net9'. Known networks: network_1, network_2.
    ...    Create Server    web2    network=net9
    VAR    ${baremetal} =    baremetal    # a variable, so that --dryrun does not convert it
    Run Keyword And Expect Error
    ...    Argument 'vnic_type' must be one of 'normal', 'direct', 'macvtap', 'direct-physical', 'virtio-forwarder', 'vdpa', 'remote-managed', got 'baremetal'.
    ...    Create Server
    ...    web3
    ...    vnic_type=${baremetal}

Evacuate Server With Direct Port
    [Documentation]    Nova's API refuses to evacuate from a host that is up.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Run Keyword And Expect Error
    ...    Cannot evacuate 'vm1': compute service on 'host1' is up; stop and force it down first (400). (refused at t=0.000s)
    ...    Evacuate Server With Direct Port
    ...    vm1
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Server With Direct Port    vm1    target_host=host2
    Wait Until Server Has    vm1    host=host2    status=SHUTOFF    # stopped, from microversion 2.95

Evacuate Server
    [Documentation]    Unknown servers are named with the known ones.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Run Keyword And Expect Error    No server 'vm9'. Known servers: vm1.
    ...    Evacuate Server    vm9
    Run Keyword And Expect Error    Cannot evacuate 'vm1' to 'host1': it is its own host (400). (refused at t=0.000s)
    ...    Evacuate Server    vm1    target_host=host1
    Evacuate Server    vm1    microversion=2.94
    Wait Until Server Is Active    vm1    # 2.94 keeps an evacuated server active
    Server Should Be On Host    vm1    host2

Delete Server
    [Documentation]    A deleted server cannot be deleted again.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Delete Server    vm1
    Wait Until Server Has    vm1    status=DELETED
    Run Keyword And Expect Error    Cannot delete 'vm1': it is already deleted (404). (refused at t=0.000s)
    ...    Delete Server    vm1

Rebuild Server
    [Documentation]    A deleted server cannot be rebuilt.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Rebuild Server    vm1
    Wait Until Server Is Active    vm1
    Delete Server    vm1
    Wait Until Server Has    vm1    status=DELETED
    Run Keyword And Expect Error    Cannot rebuild 'vm1': it is already deleted (404). (refused at t=0.000s)
    ...    Rebuild Server    vm1

Wait Until Server Is Active
    [Documentation]    A timeout moves the clock to its end and says where the server is.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Rebuild Server    vm1    ComputeDriver.rebuild=2 min
    Run Keyword And Expect Error
    ...    Server 'vm1' should have status ACTIVE within 30 seconds of virtual time (from t=0.000s), but at t=30.000s it is REBUILD on host1.
    ...    Wait Until Server Is Active
    ...    vm1
    ...    timeout=30 s
    Wait Until Server Is Active    vm1    timeout=2 min

Wait Until Server Has
    [Documentation]    Host and status are checked by name.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Wait Until Server Has    vm1    host=host1    status=active
    Run Keyword And Expect Error    Give 'host', 'status' or both to wait for.
    ...    Wait Until Server Has    vm1
    Run Keyword And Expect Error
    ...    GLOB:No server status 'RUNNING'. Valid statuses: ACTIVE, BUILD, REBUILD, *, ERROR, DELETED.
    ...    Wait Until Server Has    vm1    status=RUNNING
    Run Keyword And Expect Error
    ...    Server 'vm1' should have host host2 within 5 seconds of virtual time (from t=0.000s), but at t=5.000s it is ACTIVE on host1.
    ...    Wait Until Server Has
    ...    vm1
    ...    host=host2
    ...    timeout=5 s

Wait Until Migration Status Is
    [Documentation]    The latest migration record of the server is what counts.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Run Keyword And Expect Error
    ...    Latest migration of 'vm1' should be 'done' within 1 second of virtual time (from t=0.000s), but at t=1.000s it has no migration.
    ...    Wait Until Migration Status Is
    ...    vm1
    ...    done
    ...    timeout=1 s
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Server With Direct Port    vm1
    Wait Until Migration Status Is    vm1    done

Run Periodic Update Available Resource
    [Documentation]    A stopped compute runs no audit; an audit longer than its timeout times out;
    ...    by default the timeout allows for the delays given.
    Start Cluster
    Run Periodic Update Available Resource    host2    get_in_progress_and_error=2 s
    Run Keyword And Expect Error
    ...    The audit of 'host2' started at t=2.000s should finish within 1 minute of virtual time, but at t=62.000s it still waits for delay until t=302.000s.
    ...    Run Periodic Update Available Resource
    ...    host2
    ...    get_in_progress_and_error=5 min
    ...    timeout=1 min
    Stop Compute Service    host1
    Run Keyword And Expect Error
    ...    Cannot run the periodic audit of 'host1': its compute service is stopped. (refused at t=62.000s)
    ...    Run Periodic Update Available Resource    host1

Run Periodic Update Available Resource Allows For Its Delays
    [Documentation]    Without a timeout, a run keyword waits the library's minute plus the delays given to it.
    Start Cluster
    Run Periodic Update Available Resource    host2    get_in_progress_and_error=5 min
    ${now} =    Get Virtual Time
    Should Be Equal As Numbers    ${now}    300

Run Periodics
    [Documentation]    Every running compute audits; stopped ones are skipped.
    Start Cluster
    Stop Compute Service    host1
    Run Periodics    PciDevTracker.clean_usage=1 s
    Run Keyword And Expect Error
    ...    Periodic audits started at t=1.000s should finish within 10 seconds of virtual time, but at t=11.000s these still run: audit(host2).
    ...    Run Periodics
    ...    timeout=10 s
    ...    clean_usage=1 min

Delays Name Points Of Their Operation
    [Documentation]    An unknown point lists the valid ones; ``#n`` picks one pass.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Run Keyword And Expect Error
    ...    GLOB:No point 'spawn' in operation 'evacuate'. Valid points: ComputeTaskAPI.rebuild_instance, *
    ...    Evacuate Server With Direct Port
    ...    vm1
    ...    spawn=1 s
    Run Keyword And Expect Error    Point 'save' is ambiguous in operation 'evacuate'; use one of: *
    ...    Evacuate Server With Direct Port    vm1    save=1 s
    Run Keyword And Expect Error
    ...    Delay 'Instance.save#x' names pass 'x'; after '#' give the pass to delay, a whole number from 1, as in 'Instance.save#2'.
    ...    Evacuate Server With Direct Port
    ...    vm1
    ...    Instance.save#x=1 s
    Evacuate Server With Direct Port    vm1    Instance.save#2=1 s
    Wait Until Migration Status Is    vm1    done

Delays Are Robot Time Strings
    [Documentation]    A bad time string names the value; a good one moves virtual time.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Stop Compute Service    host1
    Force Down Compute Service    host1
    VAR    ${soon} =    soon    # a variable, so that --dryrun does not convert it
    Run Keyword And Expect Error
    ...    Delay 'rebuild' must be a time such as '2 s', '500 ms' or '1 min 30 s', got 'soon'.
    ...    Evacuate Server With Direct Port
    ...    vm1
    ...    rebuild=${soon}
    Evacuate Server With Direct Port    vm1    rebuild=1 min 30 s
    Wait Until Server Has    vm1    host=host2    status=SHUTOFF    timeout=2 min
    Migration Status Should Be    vm1    done
    ${now} =    Get Virtual Time
    Should Be Equal As Numbers    ${now}    90

Inject Delay
    [Documentation]    A global delay holds every task at the point.
    Start Cluster
    Inject Delay    ComputeDriver.spawn    3 s    times=1
    Create Server With Direct Port    vm1    host=host1
    Create Server With Direct Port    vm2    host=host2
    ${now} =    Get Virtual Time
    Should Be Equal As Numbers    ${now}    3
    Run Keyword And Expect Error    GLOB:No point 'teleport' in the model. Valid points: *
    ...    Inject Delay    teleport    1 s

Inject Failure
    [Documentation]    Only points whose failure the model handles can fail.
    Start Cluster
    VAR    ${valid} =    SchedulerReportClient.claim_resources, ResourceTracker.instance_claim, ComputeDriver.spawn
    VAR    ${evacuation} =    ResourceTracker.rebuild_claim, ComputeDriver.rebuild
    Run Keyword And Expect Error
    ...    GLOB:No point 'Instance.save' in the points that can fail. Valid points: ${valid}, ${evacuation}, *.
    ...    Inject Failure
    ...    Instance.save
    Inject Failure    ComputeDriver.rebuild
    Create Server With Direct Port    vm1    host=host1
    Run Keyword And Expect Error
    ...    GLOB:Server 'vm1' should have status ACTIVE * it is ERROR on host1 (fault: rebuild failed on 'host1': *
    ...    Rebuild And Wait
    ...    vm1

Clear Injected Delays
    [Documentation]    After clearing, operations take no time again.
    Start Cluster
    Inject Delay    ComputeDriver.spawn    3 s
    Clear Injected Delays
    Create Server With Direct Port    vm1    host=host1
    ${now} =    Get Virtual Time
    Should Be Equal As Numbers    ${now}    0

Get Virtual Time
    [Documentation]    Returns the cluster's clock in seconds; a timeout moves it.
    Start Cluster
    ${start} =    Get Virtual Time
    Should Be Equal As Numbers    ${start}    0
    Create Server With Direct Port    vm1    host=host1    ComputeDriver.spawn=1.5 s
    ${now} =    Get Virtual Time
    Should Be Equal As Numbers    ${now}    1.5

Run Until Idle
    [Documentation]    Runs every started operation to its end, or says which still run.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Rebuild Server    vm1    ComputeDriver.rebuild=2 min
    Run Keyword And Expect Error
    ...    Operations should finish within 1 minute of virtual time, but at t=60.000s these still run: rebuild(vm1).
    ...    Run Until Idle
    Run Until Idle    timeout=2 min
    Wait Until Server Is Active    vm1    timeout=0 s

Log Timeline And Cluster State
    [Documentation]    Both write HTML into the log; the timeline can keep some lanes only.
    Start Cluster
    Create Server With Direct Port    vm1    host=host1
    Log Timeline
    Log Timeline    tasks=create(*)
    Run Keyword And Expect Error    No task matches 'audit(*)'. Tasks: create(vm1).
    ...    Log Timeline    tasks=audit(*)
    Log Cluster State


*** Keywords ***
Rebuild And Wait
    [Documentation]    Rebuilds ``server`` and waits until it is ACTIVE again.
    [Arguments]    ${server}
    Rebuild Server    ${server}
    Wait Until Server Is Active    ${server}
