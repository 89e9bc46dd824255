"""The report package: the journal as a lane chart, the state as tables."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from PciRaceLibrary import PciRaceLibrary
from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.report import render_state, render_timeline
from PciRaceLibrary.sim import Kernel, point


def race(bugs: str | None = "1896463", server: str = "vm1") -> Cluster:
    cluster = Cluster(bugs=bugs)
    cluster.run_task(cluster.create_server(server, "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    cluster.evacuate(server, delays={"ComputeDriver.rebuild": 0.5, "drop_migration_context": 1})
    cluster.run_task(
        cluster.update_available_resource("host2", delays={"get_in_progress_and_error": 2})
    )
    cluster.kernel.run_all()
    return cluster


def svg_of(html: str) -> ElementTree.Element:
    match = re.search(r"<svg.*?</svg>", html, re.S)
    assert match, "no SVG in the timeline"
    return ElementTree.fromstring(match.group(0))  # well-formed XML or it raises


def texts(svg: ElementTree.Element) -> list[str]:
    return ["".join(node.itertext()) for node in svg.iter() if node.tag.endswith("text")]


def test_the_same_journal_renders_the_same_html() -> None:
    assert render_timeline(race().kernel.journal) == render_timeline(race().kernel.journal)


def test_one_lane_per_task_with_delay_bars_and_the_freeing_marked() -> None:
    html = render_timeline(race().kernel.journal, title="Race")
    labels = texts(svg_of(html))
    for lane in ("create(vm1)", "evacuate(vm1)", "audit(host2)"):
        assert lane in labels
    assert any("ComputeDriver.rebuild" in label and "0.5 s" in label for label in labels)
    assert any("get_in_progress_and_error" in label and "2 s" in label for label in labels)
    assert "2 PCI device(s) freed (at 2 s)" in html
    assert "0000:02:00.1 allocated → available (vm1)" in html or "allocated -> available" in html


def test_with_the_fix_nothing_is_freed_and_the_lock_wait_is_drawn() -> None:
    html = render_timeline(race(bugs=None).kernel.journal)
    assert "freed" not in html.split("<svg")[0]
    assert "lock[host2]" in html


def test_hostile_names_are_escaped() -> None:
    html = render_timeline(race(server="<script>x</script>").kernel.journal)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    svg_of(html)


def test_an_empty_journal_says_so() -> None:
    assert "No journal entries." in render_timeline(Kernel().journal)


def test_a_long_run_of_points_at_one_instant_still_renders() -> None:
    kernel = Kernel()

    async def busy() -> None:
        for n in range(200):
            await point(f"Busy.step{n}")

    kernel.spawn(busy(), "busy")
    kernel.run_all()
    html = render_timeline(kernel.journal)
    svg_of(html)
    assert "Journal: 202 entries" in html


def test_state_tables_list_every_host_server_and_device() -> None:
    cluster = race()
    state = cluster.snapshot()
    html = render_state(state, title="State")
    for host in ("host1", "host2"):
        assert f">{host}<" in html
    assert ">vm1<" in html
    assert html.count("0000:0") >= 12  # every device row of both hosts
    assert "down" in html  # host1's service, highlighted
    empty = render_state({"Migrations": []})
    assert "none" in empty


def test_state_tables_escape_cells() -> None:
    html = render_state({"Servers": [{"server": "<b>vm</b>", "status": "ERROR"}]})
    assert "<b>vm</b>" not in html
    assert "&lt;b&gt;vm&lt;/b&gt;" in html


def test_keyword_steps_are_flagged_on_the_cluster_lane() -> None:
    library = PciRaceLibrary()
    library.run_keyword("start_cluster", (), {})
    library.run_keyword("create_server_with_direct_port", ("vm1",), {"host": "host1"})
    library.run_keyword("PCI Allocation On Host Should Be", ("vm1", "host1", 1), {})
    steps = [e.detail for e in library.running_cluster.kernel.journal if e.kind == "step"]
    assert steps == ["Create Server With Direct Port    vm1    host=host1"]  # checks: no step
    labels = texts(svg_of(render_timeline(library.running_cluster.kernel.journal)))
    assert "▶ Create Server With Direct Port vm1 host=host1" in labels
    assert "keyword step" in labels
