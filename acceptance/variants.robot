*** Settings ***
Documentation    The bug variants the library knows, and several restored at once.

Library          Collections
Resource         resources/evacuation.resource

Test Tags        variants


*** Test Cases ***
Every Variant Is Listed With What Goes Wrong
    [Documentation]    `Get Known Bugs` needs no cluster and names each variant in a line.
    ${bugs} =    Get Known Bugs
    ${numbers} =    Get Dictionary Keys    ${bugs}
    Should Be Equal As Strings
    ...    ${numbers}
    ...    ['1713783', '1764883', '1791075', '1794996', '1849165', '1860555', '1879878', '1896463', '1922053', '1941005', '1953359', '1983753', '2025480']
    Should Start With    ${bugs}[1791075]    the audit counts only 'rebuilding'
    FOR    ${bug}    IN    @{numbers}
        Should Not Contain    ${bugs}[${bug}]    \n
        Start Cluster    bugs=${bug}
    END

An Unknown Bug Is Refused Naming The Known Ones
    [Documentation]    The list in the refusal is the list `Get Known Bugs` returns.
    ${bugs} =    Get Known Bugs
    ${known} =    Evaluate    ', '.join($bugs)
    Run Keyword And Expect Error    No variant for bug '1'. Known bugs: ${known}.
    ...    Start Cluster    bugs=1896463,1

Two Variants At Once Restore Both Code Paths
    [Documentation]    ``bugs=1896463,1791075``: an audit while vm1 spawns on host2 drops its
    ...    usage (1791075), and a second one racing the unlocked finish frees its VF
    ...    (1896463).
    [Tags]    bug-1896463    bug-1791075    variant-pre-fix
    Server On Failed Host    bugs=1896463,1791075
    Two Audits Race The Evacuation    vcpus_after_the_first=0
    PCI Allocation On Host Should Be    vm1    host2    0

The Same Steps On Current Nova Keep Usage And Device
    [Documentation]    Without the variants the first audit counts vm1 and neither frees its
    ...    VF (the second reads after the rebuild's last save, a window current Nova still
    ...    has, see bug_1791075.robot; the next audits count vm1 again).
    [Tags]    variant-fixed
    Server On Failed Host
    Two Audits Race The Evacuation    vcpus_after_the_first=1
    PCI Allocations Should Be    vm1    host1=1    host2=1
    Run Periodics
    Resource Usage On Host Should Be    host2    vcpus=1    memory_mb=512    disk_gb=1
    Resource Accounting Should Be Consistent


*** Keywords ***
Two Audits Race The Evacuation
    [Documentation]    vm1's rebuild takes 1 s and its finish drops the context 1 s later; a
    ...    first audit of host2 reads at t=0.5 (vm1 ``rebuild_spawning``), a second one reads
    ...    the instances at t=0.5 and the migrations at t=2.5. The usage after the first is
    ...    ``vcpus_after_the_first``.
    [Arguments]    ${vcpus_after_the_first}
    Evacuate Server With Direct Port    vm1    ComputeDriver.rebuild=1 s
    ...    drop_migration_context=1 s
    Run Periodic Update Available Resource    host2    get_available_resource=0.5 s
    Resource Usage On Host Should Be    host2    vcpus=${vcpus_after_the_first}
    Run Periodic Update Available Resource    host2    get_in_progress_and_error=2 s
    Wait Until Server Has    vm1    host=host2    status=ACTIVE
