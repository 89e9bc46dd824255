*** Settings ***
Documentation    Nova bugs 1983753 and 1941005: a resize to another flavor was scheduled with
...              the PCI requests of the flavor the server had, not of the one it asked for.
...              The PCI and NUMA filters looked for the devices the server held, so a host
...              with just what the new flavor asks for (one device instead of two, a PF
...              instead of a VF, none at all) was no valid host. Fixed in Nova (a93092e0d5,
...              2022) in the resize API, which makes ``RequestSpec.pci_requests`` from the new
...              flavor and keeps the ports' requests. ``bugs=1983753`` (or ``1941005``)
...              restores the old requests. The claim on the destination always used the new
...              flavor's requests, so a host that passes in both variants gets the same
...              devices. The tests mirror Nova's ``TestPciResize``
...              (nova/tests/functional/regressions/test_bug_1983753.py) and
...              ``PCIServersTest.test_resize_pci_to_vanilla``. A resize refused by the
...              scheduler is a sequence, not a race: the suite has no exploration.

Library          PciRaceLibrary

Test Tags        bug-1983753    resize


*** Variables ***
${TOPOLOGY}    ${CURDIR}/topologies/nova_pci_resize.yaml
${VANILLA}     ${CURDIR}/topologies/nova_pci_and_vanilla.yaml


*** Test Cases ***
From Two Devices To One Lands On A Host With One
    [Documentation]    ``test_resize_from_two_devs_to_one_dev_dest_has_one_dev``: compute2 has
    ...    one device, which is all the new flavor asks for.
    [Tags]    variant-fixed
    Start Cluster    ${TOPOLOGY}
    Resize From Two Devices To One    compute3
    Wait Until Server Has    vm1    host=compute2    status=VERIFY_RESIZE
    Confirm Resize    vm1
    Wait Until Server Has    vm1    host=compute2    status=ACTIVE
    PCI Device Counts On Host Should Be    compute1    total=2    free=2
    PCI Device Counts On Host Should Be    compute2    total=1    free=0
    Resource Accounting Should Be Consistent

From Two Devices To One Finds No Host With One Before The Fix
    [Documentation]    The scheduler still asks for two devices: compute2 fails the PCI filter
    ...    and the resize ends in NoValidHost, the server ACTIVE on compute1 with its two.
    [Tags]    variant-pre-fix
    Start Cluster    ${TOPOLOGY}    bugs=1983753
    Resize From Two Devices To One    compute3
    Resize Should Have Found No Host    compute1    2

From Two Devices To One Lands On A Host With Two In Both
    [Documentation]    ``test_resize_from_two_devs_to_one_dev_dest_has_two_devs``: compute3 has
    ...    two devices, so it passes the old requests too, and the claim takes one.
    [Tags]    variant-pre-fix
    Start Cluster    ${TOPOLOGY}    bugs=1983753
    Resize From Two Devices To One    compute2
    Wait Until Server Has    vm1    host=compute3    status=VERIFY_RESIZE
    Confirm Resize    vm1
    Wait Until Server Has    vm1    host=compute3    status=ACTIVE
    PCI Device Counts On Host Should Be    compute1    total=2    free=2
    PCI Device Counts On Host Should Be    compute3    total=2    free=1

From A VF To A PF Lands On The Host With The PF
    [Documentation]    ``test_resize_from_vf_to_pf``: pf-compute tracks only its PF, which is
    ...    what the new flavor asks for.
    [Tags]    variant-fixed
    Start Cluster    ${TOPOLOGY}
    Resize From A VF To A PF
    Wait Until Server Has    vm1    host=pf-compute    status=VERIFY_RESIZE
    Confirm Resize    vm1
    Wait Until Server Has    vm1    host=pf-compute    status=ACTIVE
    PCI Device Counts On Host Should Be    vf-compute    total=1    free=1
    PCI Device Counts On Host Should Be    pf-compute    total=1    free=0
    Resource Accounting Should Be Consistent

From A VF To A PF Finds No Host Before The Fix
    [Documentation]    The scheduler still asks for a VF, and pf-compute tracks none.
    [Tags]    variant-pre-fix
    Start Cluster    ${TOPOLOGY}    bugs=1983753
    Resize From A VF To A PF
    Resize Should Have Found No Host    vf-compute    1

To A Flavor Without Devices Lands On A Host Without Any
    [Documentation]    ``PCIServersTest.test_resize_pci_to_vanilla`` (bug 1941005):
    ...    test_compute1 has no device and the new flavor asks for none.
    [Tags]    bug-1941005    variant-fixed
    Start Cluster    ${VANILLA}
    Resize To Vanilla
    Wait Until Server Has    vm1    host=test_compute1    status=VERIFY_RESIZE
    Confirm Resize    vm1
    Wait Until Server Has    vm1    host=test_compute1    status=ACTIVE
    PCI Device Counts On Host Should Be    test_compute0    total=1    free=1
    PCI Devices Of Server Should Be    vm1
    Resource Accounting Should Be Consistent

To A Flavor Without Devices Finds No Host Before The Fix
    [Documentation]    With ``bugs=1941005`` the scheduler still asks for the device, which
    ...    test_compute1 does not have: the test as Nova wrote it before the fix.
    [Tags]    bug-1941005    variant-pre-fix
    Start Cluster    ${VANILLA}    bugs=1941005
    Resize To Vanilla
    Resize Should Have Found No Host    test_compute0    1


*** Keywords ***
Resize From Two Devices To One
    [Documentation]    vm1 takes compute1's two devices; ``disabled`` is the host its Nova
    ...    test does not have. Then vm1 is resized to a flavor asking for one device.
    [Arguments]    ${disabled}
    Create Server    vm1    host=compute1
    PCI Device Counts On Host Should Be    compute1    total=2    free=0
    Disable Compute Service    ${disabled}
    Resize Server    vm1    pci.one

Resize From A VF To A PF
    [Documentation]    vm1 takes vf-compute's VF, then is resized to a flavor asking for a PF.
    Create Server    vm1    flavor=vf.one
    Server Should Be On Host    vm1    vf-compute
    PCI Device Counts On Host Should Be    vf-compute    total=1    free=0
    PCI Device Counts On Host Should Be    pf-compute    total=1    free=1
    Resize Server    vm1    pf.one

Resize To Vanilla
    [Documentation]    vm1 takes test_compute0's device, then is resized to a flavor with none.
    Create Server    vm1    flavor=pci.one
    Server Should Be On Host    vm1    test_compute0
    Resize Server    vm1    vanilla

Resize Should Have Found No Host
    [Documentation]    The scheduler refused the resize: the migration ``error``, vm1 ACTIVE
    ...    on ``host`` with its ``count`` devices, and every device of ``host`` but those free.
    [Arguments]    ${host}    ${count}
    Wait Until Migration Status Is    vm1    error
    Server Fault Should Contain    vm1    No valid host was found
    Wait Until Server Has    vm1    host=${host}    status=ACTIVE
    PCI Allocation On Host Should Be    vm1    ${host}    ${count}
    Resource Accounting Should Be Consistent
