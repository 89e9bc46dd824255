"""The journal as a lane chart: lanes, delay bars, lock waits, the freeing, escaping."""

from __future__ import annotations

import contextlib
import itertools
import re
from xml.etree import ElementTree

from PciRaceLibrary import PciRaceLibrary
from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.errors import TaskCrashed
from PciRaceLibrary.report import render_timeline
from PciRaceLibrary.sim import Entry, Kernel, Kind, Lock, point, sleep

SVG = "{http://www.w3.org/2000/svg}"


def race(bugs: str | None = "1896463", server: str = "vm1") -> Cluster:
    """The canonical reproducer: evacuation against the audit on host2."""
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


def svgs(html: str) -> list[ElementTree.Element]:
    """Every SVG of the fragment, parsed: each must be well-formed XML."""
    found = re.findall(r"<svg.*?</svg>", html, re.S)
    assert found, "no SVG in the timeline"
    return [ElementTree.fromstring(svg) for svg in found]


def groups(html: str, kind: str) -> list[ElementTree.Element]:
    return [
        node for svg in svgs(html) for node in svg.iter(f"{SVG}g") if node.get("data-kind") == kind
    ]


def text_of(node: ElementTree.Element) -> str:
    return " ".join("".join(t.itertext()) for t in node.iter(f"{SVG}text"))


def title_of(node: ElementTree.Element) -> str:
    title = node.find(f"{SVG}title")
    assert title is not None
    return title.text or ""


def test_the_same_journal_renders_identical_html() -> None:
    first, second = race(), race()
    assert first.kernel.journal.text() == second.kernel.journal.text()
    assert render_timeline(first.kernel.journal) == render_timeline(second.kernel.journal)


def test_every_task_gets_a_lane_in_order_of_appearance() -> None:
    html = render_timeline(race().kernel.journal)
    lanes = [node.get("data-lane") for node in groups(html, "lane")]
    assert lanes == ["cluster", "create(vm1)", "evacuate(vm1)", "audit(host2)"]


def test_a_lane_is_drawn_for_a_task_that_only_spawned() -> None:
    entries = [Entry(0.0, "a", Kind.SPAWN, "a"), Entry(0.0, "b", Kind.SPAWN, "b")]
    lanes = [node.get("data-lane") for node in groups(render_timeline(entries), "lane")]
    assert lanes == ["a", "b"]


def test_each_injected_delay_is_a_bar_as_long_as_its_time() -> None:
    html = render_timeline(race().kernel.journal)
    bars = {text_of(bar): bar for bar in groups(html, "delay-bar")}
    assert sorted(bars) == [
        "delay 0.5 s · ComputeDriver.rebuild",
        "delay 1 s · Instance.drop_migration_context",
        "delay 2 s · MigrationList.get_in_progress_and_error",
    ]

    def width(label: str) -> float:
        rect = bars[label].find(f"{SVG}rect")
        assert rect is not None
        return float(rect.get("width", "0"))

    short, middle, long = (
        width("delay 0.5 s · ComputeDriver.rebuild"),
        width("delay 1 s · Instance.drop_migration_context"),
        width("delay 2 s · MigrationList.get_in_progress_and_error"),
    )
    assert short < middle < long
    assert long > 400  # the audit's 2 s stands out, not a sliver


def test_the_audit_freeing_vm1s_device_on_host2_is_called_out() -> None:
    html = render_timeline(race().kernel.journal)
    (callout,) = groups(html, "freed-callout")
    assert text_of(callout) == (
        "✖ audit(host2) frees 0000:02:00.0, 0000:02:00.1 on host2, held by vm1, at 2 s"
    )
    freed = [title_of(mark) for mark in groups(html, "freed")]
    assert freed == [
        "t=2.000s audit(host2) state PciDevice host2 0000:02:00.0 unavailable -> available",
        "t=2.000s audit(host2) state PciDevice host2 0000:02:00.1 allocated -> available (vm1)",
    ]
    assert "2 PCI device(s) freed (at 2 s)" in html


def test_with_the_fix_nothing_is_freed_and_the_evacuation_waits_for_the_lock() -> None:
    html = render_timeline(race(bugs=None).kernel.journal)
    assert groups(html, "freed-callout") == []
    assert groups(html, "freed") == []
    assert "freed" not in html.split("<svg", 1)[0]
    (wait,) = groups(html, "lock-wait")
    assert title_of(wait) == "evacuate(vm1) waits for lock[host2] from t=0.500s to t=2.000s"
    holders = sorted(title_of(hold) for hold in groups(html, "lock-hold"))
    assert holders == [
        "audit(host2) holds lock[host2] from t=0.000s to t=2.000s",
        "create(vm1) holds lock[host1] from t=0.000s to t=0.000s",
        "evacuate(vm1) holds lock[host2] from t=0.000s to t=0.000s",
        "evacuate(vm1) holds lock[host2] from t=2.000s to t=3.000s",
    ]


def test_the_crowded_first_instant_keeps_every_event_apart_in_journal_order() -> None:
    journal = race().kernel.journal
    html = render_timeline(journal)
    at_zero = [e for e in journal if e.time == 0 and e.kind not in ("delay", "switch")]
    lanes: dict[str, list[float]] = {}
    for svg in svgs(html):
        for node in svg.iter(f"{SVG}g"):
            label = node.find(f"{SVG}text")
            if label is None or not label.get("transform"):
                continue
            x = float(re.findall(r"[\d.]+", label.get("transform", ""))[0])
            if title_of(node).startswith("t=0.000s"):
                lanes.setdefault(title_of(node).split()[1], []).append(x)
    xs = sorted(x for lane in lanes.values() for x in lane)
    assert len(xs) == len(at_zero) > 50
    assert all(b - a > 17.9 for a, b in itertools.pairwise(xs)), "labels would overlap"
    assert all(lane == sorted(lane) for lane in lanes.values()), "out of journal order"
    # Tasks that ran one after the other at t=0 stay one after the other.
    assert max(lanes["create(vm1)"]) < min(lanes["evacuate(vm1)"])


def test_the_chart_opens_at_its_end_and_keeps_a_sane_width() -> None:
    html = render_timeline(race().kernel.journal)
    assert 'overflow-x:auto;direction:rtl;min-width:0">' in html
    names, lanes = svgs(html)[:2]
    assert lanes.get("style", "").count("direction:ltr") == 1
    assert float(names.get("width", "0")) < 240
    assert float(lanes.get("width", "0")) < 3000


def test_hostile_names_are_escaped() -> None:
    html = render_timeline(race(server="<script>alert(1)</script>").kernel.journal)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    lanes = [node.get("data-lane") for node in groups(html, "lane")]
    assert "evacuate(<script>alert(1)</script>)" in lanes  # parsed back from the escaped SVG


def test_an_empty_journal_says_so() -> None:
    html = render_timeline([], title="Nothing yet")
    assert "Nothing yet" in html
    assert "No journal entries." in html
    assert "<svg" not in html


def test_a_long_run_of_points_at_one_instant_is_folded_but_listed() -> None:
    kernel = Kernel()

    async def busy() -> None:
        for n in range(200):
            await point(f"Busy.step{n}")

    kernel.spawn(busy(), "busy")
    kernel.run_all()
    html = render_timeline(kernel.journal)
    (fold,) = groups(html, "fold")
    assert text_of(fold) == "… 188 more points"
    assert "Journal: 202 entries" in html
    assert "Busy.step100" in html  # in the fold's tooltip and the journal table


def test_faults_crashes_sleeps_and_cancels_are_drawn() -> None:
    kernel = Kernel()
    lock = Lock("lock[host1]")

    async def holder() -> None:
        async with lock:
            await sleep(1.0, "waiting for RPC")
            await point("NeutronAPI.update_port")

    async def crasher() -> None:
        async with lock:
            await point("PciDevTracker.clean_usage")
        raise ValueError("instance vanished")

    async def idle() -> None:
        await sleep(10.0)

    kernel.inject_fault("NeutronAPI.update_port", lambda: RuntimeError("reset"), times=1)
    kernel.spawn(holder(), "rebuild(vm1)")
    kernel.spawn(crasher(), "audit(host1)")
    idler = kernel.spawn(idle(), "idle")
    with contextlib.suppress(TaskCrashed):
        kernel.run_all()
    kernel.cancel(idler)
    html = render_timeline(kernel.journal)
    kinds = {node.get("data-kind") for svg in svgs(html) for node in svg.iter(f"{SVG}g")}
    assert {"sleep-bar", "lock-wait", "wait", "lock-hold", "fault", "crash", "cancel"} <= kinds


def test_keyword_steps_are_flagged_on_the_cluster_lane() -> None:
    library = PciRaceLibrary()
    library.run_keyword("start_cluster", (), {})
    library.run_keyword("create_server_with_direct_port", ("vm1",), {"host": "host1"})
    library.run_keyword("PCI Allocation On Host Should Be", ("vm1", "host1", 1), {})
    journal = library.running_cluster.kernel.journal
    steps = [e.detail for e in journal if e.kind == "step"]
    assert steps == ["Create Server With Direct Port    vm1    host=host1"]  # checks: no step
    html = render_timeline(journal)
    assert [text_of(step) for step in groups(html, "step")] == [
        "▶ Create Server With Direct Port vm1 host=host1"
    ]
    assert "keyword step" in text_of(groups(html, "legend")[0])
