"""The keyword layer: names, documentation, argument handling, failure context."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
import robot
from robot.libdoc import libdoc

from PciRaceLibrary import PciRaceLibrary
from PciRaceLibrary.errors import (
    ApiRefused,
    InvalidArgument,
    NoCluster,
    TopologyError,
    UnknownName,
)

# The public vocabulary of ARCHITECTURE.md, plus what the issues added.
KEYWORDS = {
    "Create Port",
    "Get Port Bindings",
    "Get Port",
    "Attach Interface",
    "Detach Interface",
    "PCI Devices Of Server Should Be",
    "PCI Pools On Host Should Be",
    "Get PCI Devices Of Server",
    "Get PCI Pools",
    "NUMA Placement Of Server Should Be",
    "NUMA Usage On Host Should Be",
    "Get NUMA Placement",
    "Migrate Server",
    "Resize Server",
    "Confirm Resize",
    "Revert Resize",
    "Start Cluster",
    "Stop Compute Service",
    "Force Down Compute Service",
    "Start Compute Service",
    "Get Virtual Time",
    "Get Known Bugs",
    "Create Server With Direct Port",
    "Create Server",
    "Evacuate Server With Direct Port",
    "Evacuate Server",
    "Delete Server",
    "Rebuild Server",
    "Stop Server",
    "Start Server",
    "Suspend Server",
    "Resume Server",
    "Live Migrate Server",
    "Audit Failures On Host Should Be",
    "Get Audit Failures",
    "Shelve Server",
    "Shelve Offload Server",
    "Unshelve Server",
    "Placement Usage On Host Should Be",
    "Get Placement Usage",
    "Placement Allocations Should Be",
    "Get Placement Allocations",
    "Port Binding Should Be",
    "Get Port Binding",
    "Migrations Should Be",
    "Get Migrations",
    "Resource Usage On Host Should Be",
    "Get Resource Usage",
    "Start Periodic Audits",
    "Disable Compute Service",
    "Enable Compute Service",
    "Force Up Compute Service",
    "Stop Periodic Audits",
    "Wait Until Server Is Active",
    "Wait Until Server Has",
    "Wait Until Migration Status Is",
    "Run Periodic Update Available Resource",
    "Run Periodics",
    "Inject Delay",
    "Inject Failure",
    "Clear Injected Delays",
    "PCI Allocation On Host Should Be",
    "PCI Allocations Should Be",
    "Server Should Be On Host",
    "Migration Status Should Be",
    "Server Fault Should Contain",
    "PCI Device Counts On Host Should Be",
    "Free PCI Devices On Host Should Be",
    "Resource Accounting Should Be Consistent",
    "Get PCI Allocations",
    "Get Spawned PCI Devices",
    "Log Timeline",
    "Log Cluster State",
    "Explore Interleavings",
    "Replay Schedule",
    "Run Until Idle",
    "Start Steps Together",
}

CANONICAL = """\
*** Settings ***
Library    PciRaceLibrary

*** Test Cases ***
Canonical
    Start Cluster    {bugs}
    Create Server With Direct Port    vm1    host=host1
    Stop Compute Service    host1
    Force Down Compute Service    host1
    Evacuate Server With Direct Port    vm1    ComputeDriver.rebuild=0.5 s    drop_migration_context=1 s
    Run Periodic Update Available Resource    host2    get_in_progress_and_error=2 s
    Wait Until Server Has    vm1    host=host2    status={status}    timeout=30 s
    PCI Allocation On Host Should Be    vm1    host1    1
    PCI Allocation On Host Should Be    vm1    host2    {expected}
"""  # noqa: E501 - typed as ARCHITECTURE.md shows it; from 2.95 the server ends SHUTOFF


def _normal(name: str) -> str:
    return name.lower().replace("_", "").replace(" ", "")


def keyword_names(library: PciRaceLibrary) -> set[str]:
    """Names as Robot shows them (``start_cluster`` becomes ``Start Cluster``)."""
    return {
        name if " " in name else name.replace("_", " ").title()
        for name in library.get_keyword_names()
    }


def call(library: PciRaceLibrary, name: str, *args: object, **kwargs: object) -> object:
    """Calls a keyword by its Robot name, the way Robot's dynamic API does."""
    method = next(kw for kw in library.get_keyword_names() if _normal(kw) == _normal(name))
    return library.run_keyword(method, args, kwargs)


@pytest.fixture
def library() -> PciRaceLibrary:
    return PciRaceLibrary()


def test_keyword_names_are_the_documented_vocabulary(library: PciRaceLibrary) -> None:
    assert keyword_names(library) == KEYWORDS


def test_every_keyword_is_documented_and_typed(library: PciRaceLibrary) -> None:
    for name in KEYWORDS:
        method = next(kw for kw in library.get_keyword_names() if _normal(kw) == _normal(name))
        doc = library.get_keyword_documentation(method)
        assert len(doc.split()) >= 8, f"{name} has no real documentation"
        arguments = library.get_keyword_arguments(method)
        types = library.get_keyword_types(method)
        plain = [
            (a[0] if isinstance(a, tuple) else a.split("=")[0]).lstrip("*")
            for a in arguments
            if a != "*"
        ]
        assert set(plain) <= set(types), f"{name} has untyped arguments: {plain} vs {types}"


def test_libdoc_has_the_sections_and_every_point(tmp_path: Path) -> None:
    out = tmp_path / "PciRaceLibrary.html"
    libdoc("PciRaceLibrary", str(out), quiet=True)
    page = out.read_text(encoding="utf-8")
    for section in (
        "Virtual time",
        "Clusters and topology files",
        "Delays and interleaving points",
        "Bug variants",
        "Timeouts",
        "Reading failures",
    ):
        assert section in page
    assert "drop_migration_context" in page
    assert "1896463" in page


def test_checks_do_not_move_the_clock(library: PciRaceLibrary) -> None:
    call(library, "Start Cluster")
    call(library, "Create Server With Direct Port", "vm1", host="host1")
    call(library, "Rebuild Server", "vm1", **{"ComputeDriver.rebuild": timedelta(seconds=5)})
    before = library.running_cluster.now
    call(library, "PCI Allocation On Host Should Be", "vm1", "host1", 1)
    call(library, "Resource Accounting Should Be Consistent")
    call(library, "Get PCI Allocations", "vm1")
    assert library.running_cluster.now == before
    call(library, "Wait Until Server Is Active", "vm1")
    assert library.running_cluster.now == before + 5


def test_refused_and_unknown_leave_the_cluster_usable(library: PciRaceLibrary) -> None:
    call(library, "Start Cluster")
    call(library, "Create Server With Direct Port", "vm1", host="host1")
    snapshot = library.running_cluster.snapshot()
    with pytest.raises(ApiRefused, match="compute service on 'host1' is up"):
        call(library, "Evacuate Server With Direct Port", "vm1")
    with pytest.raises(UnknownName, match="Known hosts: host1, host2"):
        call(library, "Evacuate Server", "vm1", target_host="host7")
    with pytest.raises(UnknownName, match="Valid points: "):
        call(library, "Delete Server", "vm1", teleport=timedelta(seconds=1))
    with pytest.raises(InvalidArgument, match="cannot be negative"):
        call(library, "Delete Server", "vm1", **{"Instance.destroy": timedelta(seconds=-1)})
    assert library.running_cluster.snapshot() == snapshot
    call(library, "Stop Compute Service", "host1")
    call(library, "Force Down Compute Service", "host1")
    call(library, "Evacuate Server With Direct Port", "vm1")
    call(library, "Wait Until Server Has", "vm1", host="host2", status="SHUTOFF")


def test_keywords_before_start_cluster_say_what_to_do(library: PciRaceLibrary) -> None:
    with pytest.raises(NoCluster, match="Use 'Start Cluster' first"):
        call(library, "Get PCI Allocations", "vm1")


def test_a_bad_topology_keeps_the_running_cluster(library: PciRaceLibrary, tmp_path: Path) -> None:
    call(library, "Start Cluster")
    call(library, "Create Server With Direct Port", "vm1", host="host1")
    running = library.running_cluster
    bad = tmp_path / "bad.yaml"
    bad.write_text("hosts: [", encoding="utf-8")
    with pytest.raises(TopologyError, match=r"bad\.yaml"):
        call(library, "Start Cluster", bad)
    assert library.running_cluster is running


@pytest.mark.parametrize(
    ("bugs", "status", "expected"),
    [
        ("bugs=1896463    microversion=2.94", "ACTIVE", 0),  # the 2020 test's own end state
        ("microversion=2.94", "ACTIVE", 1),
        ("bugs=1896463", "SHUTOFF", 0),  # today's default microversion stops the server
        ("", "SHUTOFF", 1),
    ],
)
def test_canonical_reproducer_as_typed(
    tmp_path: Path, bugs: str, status: str, expected: int
) -> None:
    suite = tmp_path / "canonical.robot"
    text = CANONICAL.format(bugs=bugs, status=status, expected=expected)
    suite.write_text(text, encoding="utf-8")
    rc = robot.run(str(suite), outputdir=str(tmp_path), stdout=None, console="none")
    assert rc == 0, (tmp_path / "output.xml").read_text(encoding="utf-8")[-3000:]


def test_a_failing_keyword_logs_timeline_and_state(tmp_path: Path) -> None:
    suite = tmp_path / "failing.robot"
    suite.write_text(
        CANONICAL.format(bugs="bugs=1896463", status="SHUTOFF", expected=1), encoding="utf-8"
    )
    rc = robot.run(str(suite), outputdir=str(tmp_path), console="none")
    assert rc == 1
    root = ElementTree.parse(tmp_path / "output.xml").getroot()
    failed = [kw for kw in root.iter("kw") if kw.find("status").get("status") == "FAIL"]
    assert failed[-1].get("name") == "PCI Allocation On Host Should Be"
    messages = [msg.text or "" for msg in failed[-1].iter("msg")]
    assert any("<svg" in text for text in messages), "no timeline logged"
    assert any("PCI devices" in text for text in messages), "no state tables logged"
    status = failed[-1].find("status").text
    assert re.fullmatch(
        r"Server 'vm1' should hold 1 PCI device\(s\) on 'host2' but holds 0 at t=2\.000s: none\.",
        status,
    )


def test_start_cluster_records_topology_and_variant_in_metadata(tmp_path: Path) -> None:
    suite = tmp_path / "meta.robot"
    text = CANONICAL.format(bugs="bugs=1896463", status="SHUTOFF", expected=0)
    suite.write_text(text, encoding="utf-8")
    robot.run(str(suite), outputdir=str(tmp_path), console="none")
    root = ElementTree.parse(tmp_path / "output.xml").getroot()
    metadata = {item.get("name"): item.text for item in root.iter("meta")}
    assert "Clusters" in metadata
    assert "host1" in metadata["Clusters"]
    assert "bug 1896463" in metadata["Clusters"]
    assert "microversion 2.104" in metadata["Clusters"]
