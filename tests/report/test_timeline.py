"""The journal as a lane chart: lanes, delay bars, lock waits, the freeing, escaping."""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Callable
from typing import NamedTuple
from xml.etree import ElementTree

import pytest

from PciRaceLibrary import PciRaceLibrary
from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.errors import TaskCrashed
from PciRaceLibrary.explore import RandomWalkPolicy
from PciRaceLibrary.report import render_timeline
from PciRaceLibrary.report.svg import text_width
from PciRaceLibrary.sim import ChoicePolicy, Entry, Kernel, Kind, Lock, point, sleep

SVG = "{http://www.w3.org/2000/svg}"


def race(bugs: str | None = "1896463", server: str = "vm1") -> Cluster:
    """The canonical reproducer: evacuation against the audit on host2."""
    cluster = Cluster(bugs=bugs, microversion="2.94")
    cluster.run_task(cluster.create_server(server, "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    cluster.evacuate(server, delays={"ComputeDriver.rebuild": 0.5, "drop_migration_context": 1})
    cluster.run_task(
        cluster.update_available_resource("host2", delays={"get_in_progress_and_error": 2})
    )
    cluster.kernel.run_all()
    return cluster


def three_tasks(policy: ChoicePolicy | None = None) -> tuple[Entry, ...]:
    """The race with a third task, a creation of vm2 on host2: with the
    canonical delays, or, given a policy, as an explored schedule (all at t=0)."""
    cluster = Cluster(bugs="1896463", kernel=Kernel(policy=None), microversion="2.94")
    cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    cluster.kernel.policy = policy  # the set-up runs alone; the race starts here
    timed = policy is None
    cluster.evacuate(
        "vm1",
        delays={"ComputeDriver.rebuild": 0.5, "drop_migration_context": 1} if timed else {},
    )
    cluster.update_available_resource(
        "host2", delays={"get_in_progress_and_error": 2} if timed else {}
    )
    cluster.create_server("vm2", "host2")
    cluster.kernel.run_all()
    return cluster.kernel.journal.entries()


def explored() -> tuple[Entry, ...]:
    return three_tasks(RandomWalkPolicy(seed=1))


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


def marks(html: str) -> list[ElementTree.Element]:
    """The chart's marks, in the order the chart draws them from left to right."""
    found = [node for svg in svgs(html) for node in svg.iter(f"{SVG}g") if node.get("data-order")]
    return sorted(found, key=lambda node: int(node.get("data-order", "0")))


def test_every_entry_is_drawn_once_left_to_right_in_journal_order() -> None:
    for journal in (race().kernel.journal, explored(), three_tasks()):
        html = render_timeline(journal)
        drawn = marks(html)
        xs = [float(node.get("data-x", "0")) for node in drawn]
        assert xs == sorted(xs)
        assert len(set(xs)) == len(xs), "two marks share a slot"
        assert "\n".join(title_of(node) for node in drawn) == "\n".join(map(str, journal))


def test_instants_are_bands_headed_by_their_time_and_gaps_grow_with_time() -> None:
    html = render_timeline(race().kernel.journal)
    (chart, _) = svgs(html)
    bands = [node for node in chart.iter(f"{SVG}rect") if node.get("data-kind") == "instant"]
    assert [title_of(band) for band in bands] == [
        f"all events in this band happen at {t}" for t in ("0 s", "0.5 s", "1.5 s", "2 s")
    ]
    edges = [(float(b.get("x", "0")), float(b.get("width", "0"))) for b in bands]
    gaps = [x2 - (x1 + w1) for (x1, w1), (x2, _) in itertools.pairwise(edges)]
    assert gaps[0] == pytest.approx(gaps[2])  # 0.5 s, 1 s, 0.5 s
    assert gaps[0] < gaps[1]
    heads = [box for box in texts(chart) if box.text in ("0 s", "0.5 s", "1.5 s", "2 s")]
    assert len(heads) == 4


def test_an_explored_schedule_at_t0_is_one_band_read_in_order() -> None:
    journal = explored()
    assert {entry.time for entry in journal} == {0.0}
    html = render_timeline(journal)
    (chart, _) = svgs(html)
    bands = [node for node in chart.iter(f"{SVG}rect") if node.get("data-kind") == "instant"]
    assert len(bands) == 1
    assert "every entry at virtual time 0 s: the order is the schedule" in html
    assert len(groups(html, "switch-arrow")) >= 2  # the schedule's preemptions


def test_each_injected_delay_is_a_bar_from_its_point_to_where_its_task_resumed() -> None:
    html = render_timeline(race().kernel.journal)
    bars = {title_of(bar): bar for bar in groups(html, "delay-bar")}
    assert sorted(bars) == [
        "audit(host2): delay 2 s at MigrationList.get_in_progress_and_error, t=0.000s to t=2.000s",
        "evacuate(vm1): delay 0.5 s at ComputeDriver.rebuild, t=0.000s to t=0.500s",
        "evacuate(vm1): delay 1 s at Instance.drop_migration_context, t=0.500s to t=1.500s",
    ]
    span = {title.split(" at ")[0]: bar for title, bar in bars.items()}

    def edges(name: str) -> tuple[float, float]:
        bar = span[name]
        return float(bar.get("data-x1", "0")), float(bar.get("data-x2", "0"))

    audit = edges("audit(host2): delay 2 s")
    rebuild = edges("evacuate(vm1): delay 0.5 s")
    drop = edges("evacuate(vm1): delay 1 s")
    # The audit sleeps through the evacuation's rest: both its delays lie under the 2 s bar.
    assert audit[0] < rebuild[1] <= drop[0] < drop[1] < audit[1]
    assert all(text_of(bar).startswith("delay ") for bar in bars.values())


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
    assert "frees PciDevice" not in html
    (wait,) = groups(html, "lock-wait")
    assert title_of(wait) == "evacuate(vm1) waits for lock[host2] from t=0.500s to t=2.000s"
    holders = sorted(title_of(hold) for hold in groups(html, "lock-hold"))
    assert holders == [
        "audit(host2) holds lock[host2] from t=0.000s to t=2.000s",
        "create(vm1) holds instance[vm1] from t=0.000s to t=0.000s",  # the build's own lock
        "create(vm1) holds lock[host1] from t=0.000s to t=0.000s",
        "evacuate(vm1) holds lock[host2] from t=0.000s to t=0.000s",
        "evacuate(vm1) holds lock[host2] from t=2.000s to t=3.000s",
    ]


def test_the_chart_opens_at_its_start_and_fits_a_1200_px_log() -> None:
    html = render_timeline(race().kernel.journal)
    assert "direction:rtl" not in html
    for svg in svgs(html):
        assert float(svg.get("width", "0")) <= 1200
    chart = svgs(html)[0]
    assert float(chart.get("height", "0")) < 700


def test_hostile_names_are_escaped() -> None:
    hostile = "<script>alert('é & \"x\"')</script>"
    html = render_timeline(race(server=hostile).kernel.journal)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;é &amp; &quot;x&quot;&#x27;)&lt;/script&gt;" in html
    lanes = [node.get("data-lane") for node in groups(html, "lane")]
    assert f"evacuate({hostile})" in lanes  # parsed back from the escaped SVG
    story = html.split('data-kind="story"', 1)[1].split("</table>", 1)[0]
    assert "<th" in story
    assert "evacuate(&lt;script&gt;" in story
    assert_no_text_overlaps_or_clips(html)


def test_an_empty_journal_says_so() -> None:
    html = render_timeline([], title="Nothing yet")
    assert "Nothing yet" in html
    assert "No journal entries." in html
    assert "<svg" not in html


def test_a_run_of_plain_points_is_one_slot_but_listed() -> None:
    kernel = Kernel()

    async def busy() -> None:
        for n in range(200):
            await point(f"Busy.step{n}")

    kernel.spawn(busy(), "busy")
    kernel.run_all()
    html = render_timeline(kernel.journal)
    (fold,) = groups(html, "fold")
    assert title_of(fold).count("\n") == 199
    labels = [text_of(label) for label in groups(html, "label")]
    assert labels == ["200 points"]
    assert "Journal: 202 entries" in html
    assert "Busy.step100" in html  # in the fold's tooltip and the journal table


def every_kind() -> list[Entry]:
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
    return list(kernel.journal)


def test_faults_crashes_sleeps_and_cancels_are_drawn() -> None:
    html = render_timeline(every_kind())
    kinds = {node.get("data-kind") for svg in svgs(html) for node in svg.iter(f"{SVG}g")}
    assert {"sleep-bar", "lock-wait", "wait", "lock-hold", "fault", "crash", "cancel"} <= kinds
    assert_no_text_overlaps_or_clips(html)


def test_keyword_steps_are_flagged_on_the_cluster_lane() -> None:
    library = PciRaceLibrary()
    library.run_keyword("start_cluster", (), {})
    library.run_keyword("create_server_with_direct_port", ("vm1",), {"host": "host1"})
    library.run_keyword("PCI Allocation On Host Should Be", ("vm1", "host1", 1), {})
    journal = library.running_cluster.kernel.journal
    steps = [e.detail for e in journal if e.kind == "step"]
    assert steps == ["Create Server With Direct Port    vm1    host=host1"]  # checks: no step
    html = render_timeline(journal)
    (step,) = groups(html, "step")
    assert title_of(step).endswith("step Create Server With Direct Port    vm1    host=host1")
    (label,) = [node for node in groups(html, "label") if node.get("data-for") == "step"]
    assert title_of(label) == "▶ Create Server With Direct Port vm1 host=host1"
    assert text_of(label).startswith("▶ Create Server")
    assert "keyword step" in text_of(groups(html, "legend")[0])
    assert "<b>▶ Create Server With Direct Port vm1 host=host1</b>" in html  # in the story


# -- geometry: no label meets another or leaves the picture -------------------


def translation(node: ElementTree.Element) -> tuple[float, float]:
    found = re.fullmatch(r"translate\(([-\d.]+) ([-\d.]+)\)", node.get("transform", ""))
    return (float(found[1]), float(found[2])) if found else (0.0, 0.0)


class Box(NamedTuple):
    text: str
    x1: float
    y1: float
    x2: float
    y2: float

    def meets(self, other: Box) -> bool:
        """Whether the boxes overlap by more than half a pixel both ways."""
        return (
            min(self.x2, other.x2) - max(self.x1, other.x1) > 0.5
            and min(self.y2, other.y2) - max(self.y1, other.y1) > 0.5
        )


def texts(node: ElementTree.Element, dx: float = 0.0, dy: float = 0.0) -> list[Box]:
    """Each text of ``node`` with its box as the renderer estimates it: the
    width from ``text_width``, 0.8 em above the baseline and 0.25 em below."""
    boxes = []
    for child in node:
        ox, oy = translation(child)
        if child.tag == f"{SVG}text":
            style = dict(part.split(":", 1) for part in child.get("style", "").split(";") if part)
            size = float(style["font-size"].removesuffix("px"))
            content = "".join(child.itertext())
            width = text_width(content, size, bold=style.get("font-weight") == "bold")
            x, y = float(child.get("x", "0")) + dx + ox, float(child.get("y", "0")) + dy + oy
            anchor = child.get("text-anchor", "start")
            x1 = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
            boxes.append(Box(content, x1, y - 0.8 * size, x1 + width, y + 0.25 * size))
        else:
            boxes += texts(child, dx + ox, dy + oy)
    return boxes


def assert_no_text_overlaps_or_clips(html: str) -> None:
    for svg in svgs(html):
        width, height = float(svg.get("width", "0")), float(svg.get("height", "0"))
        boxes = texts(svg)
        for box in boxes:
            assert box.text.strip(), "an empty text"
            assert box.x1 >= 0, f"{box} is clipped on the left"
            assert box.x2 <= width, f"{box} is clipped on the right (width {width})"
            assert box.y1 >= 0, f"{box} is clipped at the top"
            assert box.y2 <= height, f"{box} is clipped at the bottom (height {height})"
        for a, b in itertools.combinations(boxes, 2):
            assert not a.meets(b), f"{a} meets {b}"


@pytest.mark.parametrize(
    "journal",
    [
        pytest.param(lambda: race().kernel.journal, id="canonical"),
        pytest.param(lambda: race(bugs=None).kernel.journal, id="fixed"),
        pytest.param(three_tasks, id="three-tasks"),
        pytest.param(explored, id="explored-at-t0"),
    ],
)
def test_no_text_meets_another_or_leaves_the_chart(journal: Callable[[], list[Entry]]) -> None:
    html = render_timeline(journal())
    assert_no_text_overlaps_or_clips(html)
    chart = svgs(html)[0]
    assert float(chart.get("width", "0")) <= 1200
    cut = [title_of(node) for node in groups(html, "label") if text_of(node).endswith("…")]
    shown = groups(html, "label")
    assert len(cut) <= len(shown) / 2, "most labels should be whole"


def test_the_canonical_chart_is_small() -> None:
    chart = svgs(render_timeline(race().kernel.journal))[0]
    assert float(chart.get("width", "0")) <= 1200
    assert float(chart.get("height", "0")) <= 600


def test_the_geometry_check_catches_an_overlap() -> None:
    bad = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40">'
        '<text x="2" y="20" style="font-size:11px">overlap</text>'
        '<text x="10" y="22" style="font-size:11px">me</text></svg>'
    )
    with pytest.raises(AssertionError, match="meets"):
        assert_no_text_overlaps_or_clips(bad)


# -- the story: the race in a few steps, a column per task --------------------


def story(html: str) -> str:
    return html.split('data-kind="story"', 1)[1].split("</table>", 1)[0]


def test_the_story_tells_the_race_in_journal_order_one_column_per_task() -> None:
    html = render_timeline(race().kernel.journal)
    table = story(html)
    heads = re.findall(r"<th[^>]*>(.*?)</th>", table)
    assert heads == ["virtual time", "cluster", "create(vm1)", "evacuate(vm1)", "audit(host2)"]
    steps = [
        "reads <b>InstanceList.get_by_host_and_node</b>",
        "reads <b>MigrationList.get_in_progress_and_error</b>",
        "vm1 evacuation pre-migrating → done",
        "frees PciDevice",
    ]
    at = [table.index(step) for step in steps]
    assert at == sorted(at)
    assert table.rindex("releases <b>lock[host2]</b>") > at[-1]  # the audit lets go last
    assert table.count("<tr") <= 41
    assert "left out" not in table
    # The freeing row is marked red, and the audit's 2 s delay joins its read.
    assert "background:#fdecea" in table.split("frees PciDevice")[0].rsplit("<tr", 1)[1]
    assert "then waits 2 s (injected delay)" in table
    # Plain points are not steps.
    assert "ComputeTaskAPI.rebuild_instance" not in table


def test_a_long_story_is_bounded_and_says_what_it_left_out() -> None:
    kernel = Kernel()
    lock = Lock("lock[host1]")

    async def churn() -> None:
        for _ in range(60):
            async with lock:
                await point("PciDevTracker.save")

    kernel.spawn(churn(), "churn")
    kernel.run_all()
    table = story(render_timeline(kernel.journal))
    rows = table.count("<tr") - 1
    assert rows <= 40 + 20  # 40 steps and at most one "left out" row between two
    left_out = sum(int(n) for n in re.findall(r"⋯ (\d+) step\(s\) left out here", table))
    assert left_out == 121 - 40  # 60 acquires, 60 releases and the end
    assert "81 step(s) left out" in render_timeline(kernel.journal)
