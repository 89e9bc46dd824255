*** Settings ***
Documentation    Nova bug 2025480: an unshelve claims the server's resources on its new compute
...              and calls the driver's spawn while the server is still ``shelved_offloaded``,
...              in task ``spawning``. A periodic audit of that compute in this window took the
...              server for offloaded (a state whose resources may be freed) and dropped its
...              vCPU, RAM and disk usage; the server then ran with its host's usage short
...              until the next audit. Nova's regression test (test_bug_2025480.py) runs the
...              periodics from inside spawn and reads ``vcpus_used``: 0 before the fix, 1
...              after. Fixed in 2023 (f1dc4ec39b, "Do not untrack resources of a server
...              being unshelved"): an offloaded server counts while it is spawning.
...              ``bugs=2025480`` restores the old rule.

Resource         resources/shelve.resource

Test Tags        bug-2025480    shelve


*** Test Cases ***
An Audit Inside The Unshelve Spawn Drops The Claim Before The Fix
    [Documentation]    The audit of host1 runs at t=0 while the spawn takes 1 s: it skips the
    ...    spawning server, saves ``vcpus_used`` 0, and the unshelved server runs on host1
    ...    uncounted. Its device stays allocated: the audit's instance list still names it.
    [Tags]    variant-pre-fix
    Offloaded Server    bugs=2025480
    Unshelve Server    vm1    ComputeDriver.spawn=1 s
    Run Periodic Update Available Resource    host1
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    Resource Usage On Host Should Be    host1    vcpus=0    memory_mb=0    disk_gb=0
    Placement Usage On Host Should Be    host1    VCPU=1    MEMORY_MB=512    DISK_GB=1
    PCI Allocations Should Be    vm1    host1=1
    Run Periodic Update Available Resource    host1
    Resource Usage On Host Should Be    host1    vcpus=1    memory_mb=512    disk_gb=1

An Audit Inside The Unshelve Spawn Keeps The Claim With The Fix
    [Documentation]    The same steps on current Nova: the audit counts the spawning server.
    [Tags]    variant-fixed
    Offloaded Server
    Unshelve Server    vm1    ComputeDriver.spawn=1 s
    Run Periodic Update Available Resource    host1
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    Resource Usage On Host Should Be    host1    vcpus=1    memory_mb=512    disk_gb=1
    Placement Usage On Host Should Be    host1    VCPU=1    MEMORY_MB=512    DISK_GB=1
    PCI Allocations Should Be    vm1    host1=1
    Resource Accounting Should Be Consistent

A Shelve Right After The Raced Unshelve Leaves The Device Before The Fix
    [Documentation]    The model's prediction of a consequence: the raced audit also stopped
    ...    tracking the server, so shelving it again before the next audit frees nothing in
    ...    the tracker (Nova's ``update_usage`` only acts on tracked instances); the
    ...    offloaded server keeps its VF until host1's next audit frees it.
    [Tags]    variant-pre-fix
    Offloaded Server    bugs=2025480
    Unshelve Server    vm1    ComputeDriver.spawn=1 s
    Run Periodic Update Available Resource    host1
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    Shelve Server    vm1
    Run Until Idle
    PCI Allocations Should Be    vm1    host1=1
    Run Keyword And Expect Error
    ...    GLOB:*is allocated to 'vm1', which is shelved_offloaded and should hold no device.
    ...    Resource Accounting Should Be Consistent
    Run Periodic Update Available Resource    host1
    PCI Allocations Should Be    vm1
    Resource Accounting Should Be Consistent

A Shelve Right After The Unshelve Frees Everything With The Fix
    [Documentation]    Current Nova: the audit tracked the server, so the offload frees it.
    [Tags]    variant-fixed
    Offloaded Server
    Unshelve Server    vm1    ComputeDriver.spawn=1 s
    Run Periodic Update Available Resource    host1
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    Shelve Server    vm1
    Run Until Idle
    Server Should Hold Nothing
    Host Should Be Empty    host1
    Resource Accounting Should Be Consistent

Exploration Finds The Dropped Claim Before The Fix
    [Documentation]    Unshelve and host1's audit, every schedule with up to two preemptions,
    ...    no delays: some put the audit inside the spawn and lose host1's usage.
    [Tags]    variant-pre-fix    exploration
    Explore Interleavings    Pre-fix Offloaded Server    Host1 Counts The Unshelved Server
    ...    Unshelve Server    vm1
    ...    AND    Run Periodic Update Available Resource    host1
    ...    bound=2    expect_race=True

Exhaustive Exploration Finds Nothing With The Fix
    [Documentation]    The same space on current Nova: every schedule counts the server.
    [Tags]    variant-fixed    exploration
    Explore Interleavings    Fixed Offloaded Server    Host1 Counts The Unshelved Server
    ...    Unshelve Server    vm1
    ...    AND    Run Periodic Update Available Resource    host1
    ...    bound=2


*** Keywords ***
Pre-fix Offloaded Server
    [Documentation]    vm1 shelved and offloaded from host1, before the fix of bug 2025480.
    Offloaded Server    bugs=2025480

Fixed Offloaded Server
    [Documentation]    vm1 shelved and offloaded from host1, current Nova.
    Offloaded Server

Host1 Counts The Unshelved Server
    [Documentation]    vm1 runs on host1, which counts its flavor, and nothing disagrees.
    Wait Until Server Has    vm1    host=host1    status=ACTIVE
    Resource Usage On Host Should Be    host1    vcpus=1    memory_mb=512    disk_gb=1
    Resource Accounting Should Be Consistent
