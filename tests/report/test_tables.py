"""Cluster state as HTML tables: every row, highlights, escaping, empty sections."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from PciRaceLibrary.cluster import Cluster
from PciRaceLibrary.report import bounded_journal, render_state
from PciRaceLibrary.sim.journal import Change, Entry, Kind


class _Tables(HTMLParser):
    """Collects each table's rows as lists of cell texts, and each cell's style."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.styles: dict[str, str] = {}
        self._cell: list[str] | None = None
        self._style = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell, self._style = [], dict(attrs).get("style") or ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell)
            self.tables[-1][-1].append(text)
            self.styles[text] = self._style
            self._cell = None


def parse(html: str) -> _Tables:
    parser = _Tables()
    parser.feed(html)
    return parser


def race() -> Cluster:
    cluster = Cluster(bugs="1896463", microversion="2.94")
    cluster.run_task(cluster.create_server("vm1", "host1"))
    cluster.stop_compute_service("host1")
    cluster.force_down_compute_service("host1")
    cluster.evacuate("vm1", delays={"ComputeDriver.rebuild": 0.5, "drop_migration_context": 1})
    cluster.run_task(
        cluster.update_available_resource("host2", delays={"get_in_progress_and_error": 2})
    )
    cluster.kernel.run_all()
    return cluster


def test_every_section_becomes_a_table_with_every_row() -> None:
    state = race().snapshot()
    tables = parse(render_state(state, title="State")).tables
    assert len(tables) == len(state) == 4
    for (section, rows), table in zip(state.items(), tables, strict=True):
        header, *body = table
        assert header == list(rows[0]), section
        assert body == [[str(value) for value in row.values()] for row in rows], section


def test_hosts_servers_and_every_pci_device_are_listed() -> None:
    html = render_state(race().snapshot())
    hosts, servers, migrations, devices = parse(html).tables
    assert [row[0] for row in hosts[1:]] == ["host1", "host2"]
    assert servers[1][:4] == ["vm1", "active", "-", "host2"]
    assert migrations[1][1:5] == ["vm1", "evacuation", "done", "host1"]
    assert len(devices) == 1 + 12
    assert sorted((row[0], row[1]) for row in devices[1:]) == [
        (host, f"0000:0{bus}:00.{fn}") for host in ("host1", "host2") for bus in (1, 2, 3)
        for fn in (0, 1)
    ]  # fmt: skip
    owners = {(row[0], row[1]): (row[4], row[5]) for row in devices[1:]}
    # The bug: vm1 runs on host2 but holds its VF on host1 only.
    assert owners["host1", "0000:02:00.1"] == ("allocated", "vm1")
    assert owners["host2", "0000:02:00.1"] == ("available", "-")
    assert "PCI devices (12)" in html


def test_held_unusable_and_bad_cells_are_highlighted_each_in_its_colour() -> None:
    styles = parse(render_state(race().snapshot())).styles
    held, unusable, bad = styles["allocated"], styles["unavailable"], styles["down"]
    assert "background:#dcebff" in held
    assert "background:#fff1c9" in unusable
    assert "background:#ffd9d9" in bad
    assert "background" not in styles["available"]


def test_cells_and_headings_are_escaped() -> None:
    html = render_state(
        {"<i>Servers</i>": [{"server": "<script>alert(1)</script>", "status": "ERROR"}]},
        title="a & b",
    )
    assert "<script>" not in html
    assert "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a &amp; b" in html
    assert parse(html).tables == [[["server", "status"], ["<script>alert(1)</script>", "ERROR"]]]


def test_rows_with_other_keys_add_columns_and_values_are_flattened() -> None:
    html = render_state(
        {"Placement": [{"consumer": "vm1"}, {"consumer": "vm2", "providers": ["host1", "host2"]}]}
    )
    assert parse(html).tables == [[["consumer", "providers"], ["vm1", ""], ["vm2", "host1, host2"]]]


def test_empty_sections_and_an_empty_state_say_so() -> None:
    html = render_state({"Migrations": []}, title="Nothing")
    assert parse(html).tables == []
    assert re.search(r">Migrations</div><div[^>]*>none</div>", html)
    assert "Nothing" in render_state({}, title="Nothing")


def test_the_same_state_renders_identical_html() -> None:
    assert render_state(race().snapshot()) == render_state(race().snapshot())


def test_a_failure_timeline_keeps_the_tasks_that_changed_state_then_the_last() -> None:
    entries = [Entry(0.0, "-", Kind.NOTE, "step")]
    entries.append(Entry(0.0, "evacuate(vm1)", Kind.STATE, "", change=Change("Instance", "vm1")))
    entries += [Entry(float(n), f"audit(host{n})", Kind.POINT, "p") for n in range(20)]
    bounded = bounded_journal(entries, max_tasks=3, max_entries=100)
    assert [e.task for e in bounded.entries] == [
        "-",
        "evacuate(vm1)",
        "audit(host18)",
        "audit(host19)",
    ]
    assert bounded.summary().startswith("4 of 22 journal entries, 3 of 21 tasks")
    assert bounded_journal(entries[:5]).summary() == ""  # nothing left out, nothing said
    assert len(bounded_journal(entries, max_entries=5).entries) == 5
