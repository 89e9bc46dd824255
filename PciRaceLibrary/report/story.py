"""The race as a short sequence: the few journal steps that matter, one column per task.

A PCI-accounting race is told by a handful of entries among dozens: who took
and gave back the compute lock, which database snapshots the audit read, how
devices, migrations and instances changed, and where a task freed devices it
should have kept. This module picks those entries by their fields (kind,
``change.object``, the point passed) and lays them out as an HTML table whose
rows are in journal order and whose columns are the tasks, so the
interleaving reads top to bottom at a glance. It is bounded: past
``MAX_ROWS`` the least telling rows (set-up first) are left out, and a row
says how many.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..sim.journal import Entry, Kind
from .svg import esc

MODEL_TASK = "-"  # what the kernel journals when no task is running
MAX_ROWS = 40

# The database queries an audit takes its snapshot from; a race slips between
# such a read and the writes that act on it.
DB_READS = frozenset(
    {
        "InstanceList.get_by_host_and_node",
        "InstanceList.get_by_host",
        "MigrationList.get_in_progress_and_error",
        "MigrationList.get_by_filters",
        "PciDeviceList.get_by_compute_node",
    }
)
STORY_OBJECTS = frozenset({"PciDevice", "Migration", "Instance"})
LOCK_KINDS = frozenset({Kind.ACQUIRE, Kind.WAIT, Kind.RELEASE})
FINISH_KINDS = frozenset({Kind.END, Kind.CANCEL, Kind.CRASH})

RED = "#d32f2f"
RED_BG = "#fdecea"
INK = "#263238"
MUTED = "#607d8b"
LOCK_INK = "#8a5300"
DELAY = "#3b6fd0"
OBJECT_INK = {"PciDevice": "#2e7d32", "Migration": "#6a1b9a", "Instance": "#00838f"}

# The story table's look, once per table instead of on each of its hundreds of
# cells (that was a third of a failure's timeline in output.xml). Scoped by the
# table's class, so log.html's own tables are untouched. Rows of a new instant
# (``at``) get a rule above; the first column holds the instant, in bold.
_CELL = "padding:2px 8px;vertical-align:top;text-align:left;border-left:1px solid #eceff1"
STORY_STYLE = (
    "<style>"
    f".prl-story{{border-collapse:collapse;font-size:11px;color:{INK};margin-bottom:8px}}"
    f".prl-story td,.prl-story th{{{_CELL}}}"
    ".prl-story th{white-space:nowrap;border-bottom:1px solid #b0bec5}"
    ".prl-story td:first-child,.prl-story th:first-child{border-left:none;white-space:nowrap}"
    ".prl-story td:first-child{font-weight:bold}"
    ".prl-story tr.at td{border-top:1px solid #b0bec5}"
    f".prl-story tr.cut td{{border-left:none;color:{MUTED};font-style:italic;font-weight:normal}}"
    "</style>"
)


def frees(entry: Entry) -> bool:
    """A PCI device state change that makes the device free again."""
    change = entry.change
    return change is not None and change.object == "PciDevice" and change.new == "available"


def is_db_read(entry: Entry) -> bool:
    return entry.kind is Kind.POINT and entry.detail in DB_READS


def tells(entry: Entry) -> bool:
    """Whether ``entry`` is one of the steps the story shows."""
    if entry.kind is Kind.STATE:
        return entry.change is not None and entry.change.object in STORY_OBJECTS
    return (
        entry.kind in LOCK_KINDS
        or entry.kind in FINISH_KINDS
        or entry.kind in (Kind.DELAY, Kind.FAULT, Kind.STEP)
        or is_db_read(entry)
    )


def secs(t: float) -> str:
    return f"{round(t, 6):g} s"


def change_text(entry: Entry) -> str:
    """A state change without its object's kind: ``host2 0000:02:00.1 allocated → available``."""
    change = entry.change
    assert change is not None
    return change.sentence(arrow="→", kind=False)


@dataclass
class _Row:
    """One row of the story: entries of one task at one instant, told together."""

    time: float
    lane: str
    entries: list[Entry] = field(default_factory=list)
    delay: Entry | None = None  # the delay injected at this row's point

    @property
    def first(self) -> Entry:
        return self.entries[0]

    @property
    def rank(self) -> int:
        """How much the row tells: rows of the lowest rank are left out first."""
        entry = self.first
        if any(frees(e) for e in self.entries) or entry.kind in (Kind.FAULT, Kind.CRASH):
            return 3
        if is_db_read(entry) or entry.kind in (Kind.WAIT, Kind.DELAY) or self.delay:
            return 3
        if entry.kind in (Kind.ACQUIRE, Kind.RELEASE, Kind.STEP):
            return 2
        if entry.change is not None and entry.change.object == "Migration":
            return 2
        return 1


def _rows(entries: list[Entry], lane_name: dict[str, str]) -> list[_Row]:
    """The story's rows. Device changes of one task at one point share a row
    (a claim of two devices is one step); a delay joins the read it delays."""
    rows: list[_Row] = []
    last_point: dict[str, int] = {}  # task -> index of the last point it passed
    row_point: list[int] = []  # per row: the point its task had last passed
    for index, entry in enumerate(entries):
        if entry.kind is Kind.POINT:
            last_point[entry.task] = index
        if not tells(entry):
            continue
        lane = lane_name[entry.task]
        last = rows[-1] if rows else None
        if last is not None and last.lane == lane and round(last.time - entry.time, 9) == 0:
            first = last.first
            if (
                entry.kind is Kind.DELAY
                and last.delay is None
                and is_db_read(first)
                and first.detail == entry.detail
            ):
                last.delay = entry
                continue
            if (
                entry.change is not None
                and first.change is not None
                and entry.change.object == first.change.object == "PciDevice"
                and frees(entry) == frees(first)
                and row_point[-1] == last_point.get(entry.task, -1)
            ):
                last.entries.append(entry)
                continue
        rows.append(_Row(entry.time, lane, [entry]))
        row_point.append(last_point.get(entry.task, -1))
    return rows


def _bounded(rows: list[_Row], limit: int) -> list[_Row | int]:
    """``rows`` with at most ``limit`` kept; a run of left-out rows becomes
    its count. The lowest ranks go first, and among them the earliest (the
    set-up comes before the race)."""
    if len(rows) <= limit:
        return list(rows)
    order = sorted(range(len(rows)), key=lambda i: (rows[i].rank, i))
    dropped = set(order[: len(rows) - limit])
    out: list[_Row | int] = []
    for index, row in enumerate(rows):
        if index not in dropped:
            out.append(row)
        elif out and isinstance(out[-1], int):
            out[-1] += 1
        else:
            out.append(1)
    return out


def _cell(row: _Row) -> str:
    entry = row.first
    kind = entry.kind
    if kind is Kind.STATE:
        change = entry.change
        assert change is not None
        colour = RED if frees(entry) else OBJECT_INK.get(change.object, INK)
        head = "frees PciDevice" if frees(entry) else change.object
        lines = [esc(change_text(e)) for e in row.entries]
        return f'<span style="color:{colour};font-weight:bold">{esc(head)}</span> ' + "<br>".join(
            lines
        )
    if kind in LOCK_KINDS:
        verb = {Kind.ACQUIRE: "acquires", Kind.WAIT: "waits for", Kind.RELEASE: "releases"}
        return f'<span style="color:{LOCK_INK}">{verb[kind]} <b>{esc(entry.detail)}</b></span>'
    if kind is Kind.POINT:  # a database read
        text = f"reads <b>{esc(entry.detail)}</b>"
        if row.delay is not None:
            text += (
                f' <span style="color:{DELAY};font-weight:bold">'
                f"then waits {esc(secs(row.delay.duration))} (injected delay)</span>"
            )
        return text
    if kind is Kind.DELAY:
        return (
            f'<span style="color:{DELAY}"><b>delay {esc(secs(entry.duration))}</b> '
            f"at {esc(entry.detail)}</span>"
        )
    if kind is Kind.STEP:
        return f"<b>▶ {esc(' '.join(entry.detail.split()))}</b>"
    if kind is Kind.FAULT:
        return f'<span style="color:{RED};font-weight:bold">fault {esc(entry.detail)}</span>'
    if kind is Kind.CRASH:
        return f'<span style="color:{RED};font-weight:bold">crashes: {esc(entry.detail)}</span>'
    return f'<span style="color:{MUTED}">{"ends" if kind is Kind.END else "is cancelled"}</span>'


def render_story(entries: list[Entry], lanes: list[str], lane_name: dict[str, str]) -> str:
    """The story table of ``entries``: a column per lane in ``lanes`` that
    has a step (``lane_name`` maps each task to its lane), or "" if none."""
    rows = _rows(entries, lane_name)
    if not rows:
        return ""
    shown = [lane for lane in lanes if any(row.lane == lane for row in rows)]
    kept = _bounded(rows, MAX_ROWS)
    head = "<th>virtual time</th>" + "".join(f"<th>{esc(lane)}</th>" for lane in shown)
    out = []
    previous: float | None = None
    for item in kept:
        if isinstance(item, int):
            out.append(
                f'<tr class="cut"><td colspan="{len(shown) + 1}">'
                f"⋯ {item} step(s) left out here</td></tr>"
            )
            continue
        new_time = previous is None or round(item.time - previous, 9) != 0
        previous = item.time
        red = any(frees(e) for e in item.entries) or item.first.kind in (Kind.FAULT, Kind.CRASH)
        background = f' style="background:{RED_BG}"' if red else ""
        # The time heads the first row of each instant; the rows under it share it.
        tds = [f"<td>{esc(secs(item.time))}</td>" if new_time else "<td></td>"]
        for lane in shown:
            content = _cell(item) if lane == item.lane else ""
            tds.append(f"<td{background if content else ''}>{content}</td>")
        opens = '<tr class="at">' if new_time else "<tr>"
        out.append(f"{opens}{''.join(tds)}</tr>")
    left_out = sum(item for item in kept if isinstance(item, int))
    told = sum(len(row.entries) + (row.delay is not None) for row in rows)
    caption = (
        f"The race in {len(rows)} step(s) ({told} of {len(entries)} journal entries: locks, "
        "database reads, device, migration and instance changes, delays), in journal order"
    )
    if left_out:
        caption += f"; {left_out} step(s) left out, all of them in the journal below"
    return (
        f'<div style="color:#455a64;margin:6px 0 2px">{esc(caption)}.</div>'
        f"{STORY_STYLE}"
        '<div style="overflow-x:auto;max-width:100%">'
        f'<table data-kind="story" class="prl-story"><tr>{head}</tr>'
        f"{''.join(out)}</table></div>"
    )
