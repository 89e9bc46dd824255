"""The journal for log.html: the race as a short story, a lane chart, the full journal.

The fragment is read by someone signing off a release, top to bottom:

1. the *story* (:mod:`.story`): the dozen-odd steps that decide a PCI race,
   one column per task, in journal order;
2. the *chart*: one lane per task, events left to right in journal order,
   one slot each, so who ran first at an instant is always visible. Virtual
   time is drawn as *bands*: the events of one instant share a shaded band
   headed by its time, and the gap between two bands grows with the time
   that passed. An explored schedule, where everything happens at t=0, is
   one band that still reads in order. Labels are horizontal; each stands on
   the lowest level of its lane where it meets no other, on a thin leader
   from its mark, cut with an ellipsis where it would run into the next (its
   tooltip keeps the whole text). Plain points, the kernel's bookkeeping,
   are dots with tooltips; runs of them fold into one. Delays and sleeps are
   bars to where their task resumed, lock holds run below a lane, switches
   are arrows to the task chosen, and where a task frees PCI devices a red
   rule crosses every lane under a sentence saying who freed whose devices:
   the moment of bug 1896463. The chart aims at 1,200 px, what a log shows
   without scrolling, and opens at its start;
3. the whole journal, folded away in a table.

Output is deterministic (no ids, no hashing of objects), escaped throughout,
and uses inline styles only: Robot's log.html embeds it in a table cell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..sim.journal import Entry, Kind, format_time
from .story import MODEL_TASK, change_text, frees, is_db_read, render_story, secs
from .svg import FONT, circle, esc, fit, line, num, points, rect, svg, text, text_width

CLUSTER_LANE = "cluster"

TARGET_WIDTH = 1200  # px, what a log shows without scrolling
LABEL_SIZE = 11  # px, event labels
SMALL_SIZE = 10  # px, lock, axis and gap labels
NAME_SIZE = 12  # px, lane names
SLOT_LABELLED = 17  # px per labelled event, before fitting into TARGET_WIDTH
SLOT_PLAIN = 9  # px per unlabelled event (plain point, spawn, end)
SQUEEZE = 0.7  # slots shrink at most to this share; past it the chart scrolls
BAND_PAD = 6  # px before the first and after the last slot of a band
GAP_MIN = 16  # px between two bands
GAP_TIME = 100  # px more for the gap that takes the whole run's time
LABEL_MAX = 200  # px, longest label before an ellipsis
LABEL_MIN = 36  # px, shortest cut label; rather none than a stub
LEVEL_H = 14  # px per label level
MAX_LEVELS = 6  # label levels per lane
LABEL_CLEAR = 12  # px from a lane's baseline to its first level's baseline
BAR_ZONE = 26  # px below a lane's baseline for delay bars and their labels
LOCK_ROW = 18  # px per row of lock holds
LANE_PAD = 6
CALLOUT_H = 16  # px per row of freed-device sentences
BAND_H = 16  # px for the bands' times
RIGHT_PAD = 12

INK = "#263238"
MUTED = "#607d8b"
RED = "#d32f2f"
LOCK = "#e08e0b"
LOCK_INK = "#8a5300"
DELAY = "#3b6fd0"
SLEEP = "#78909c"
SWITCH = "#7b1fa2"
BAND = "#e3ebf6"
LANE_FILLS = ("#ffffff", "#f6f7f9")
STATE_COLOURS = {
    "PciDevice": "#2e7d32",
    "Migration": "#6a1b9a",
    "Instance": "#00838f",
    "Placement": "#8d6e63",
}
STATE_OTHER = "#455a64"


@dataclass
class _Label:
    """A horizontal label on one of its lane's levels, starting at ``x``."""

    x: float
    full: str
    colour: str
    bold: bool = False
    italic: bool = False
    level: int = -1  # -1: no room anywhere, the tooltip alone tells
    room: float = LABEL_MAX  # px it may take before the next label on its level


@dataclass
class _Mark:
    """One slot of the chart: an entry, and the entries drawn with it."""

    entry: Entry
    lane: int
    instant: int
    order: int = 0
    x: float = 0.0
    bar: Entry | None = None  # the delay or sleep starting here
    bar_end: float = 0.0  # when it ended: its planned end, or a cancel before
    switch: Entry | None = None  # the policy's switch to another task here
    folded: list[Entry] = field(default_factory=list)  # points folded into this slot
    label: _Label | None = None

    @property
    def kind(self) -> str:
        return "fold" if self.folded else self.entry.kind.value

    @property
    def plain(self) -> bool:
        """A kernel point nobody needs to read: a dot, folded with its neighbours."""
        return (
            self.entry.kind is Kind.POINT
            and self.bar is None
            and self.switch is None
            and not is_db_read(self.entry)
        )


@dataclass
class _Lane:
    name: str
    marks: list[_Mark] = field(default_factory=list)
    levels: int = 0
    top: float = 0.0
    base: float = 0.0
    height: float = 0.0
    lock_rows: int = 0
    below: float = 0.0  # px under the baseline before the lock rows
    fill: str = "#ffffff"


@dataclass(frozen=True)
class _Hold:
    x1: float
    x2: float
    lock: str
    is_open: bool
    title: str


def render_timeline(
    entries: Iterable[Entry], *, title: str = "Timeline", journal: bool = True
) -> str:
    """Returns an HTML fragment: the race's story, a lane chart of ``entries``
    and, unless ``journal`` is False, a folded table of them.

    One lane per task in order of first appearance; entries journaled outside
    any task (task ``-``) go on a lane called ``cluster``. Accepts a
    :class:`~PciRaceLibrary.sim.Journal` or any sequence of entries.
    """
    entries = list(entries)
    heading = f'<div style="font-weight:bold;font-size:13px;margin:2px 0 4px">{esc(title)}</div>'
    if not entries:
        return (
            f'<div style="font-family:{FONT};font-size:12px;color:{INK}">'
            f"{heading}<div>No journal entries.</div></div>"
        )
    chart = _Chart(entries)
    lanes = {entry.task: chart.lane_name(entry.task) for entry in entries}
    story = render_story(entries, [lane.name for lane in chart.lanes], lanes)
    legend, legend_width = _legend(4, 16)
    # Plain left-to-right scrolling (only ever needed past TARGET_WIDTH): the
    # chart opens at its start, where the lane names are.
    return (
        f'<div style="font-family:{FONT};font-size:12px;color:{INK}">'
        f"{heading}{chart.summary()}{story}"
        f'<div style="overflow-x:auto;max-width:100%">{chart.svg()}</div>'
        f'<div style="overflow-x:auto;max-width:100%">'
        f"{svg(legend_width + 8, 24, ''.join(legend), 'Key to the symbols')}</div>"
        f"{_journal_table(entries, chart.lane_name) if journal else ''}</div>"
    )


class _Chart:
    """Lays the entries out (lanes, bands, slots, label levels) and draws them."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        tasks = {entry.task for entry in entries if entry.task != MODEL_TASK}
        # A task really called "cluster" keeps its name; the model lane yields.
        self.cluster = CLUSTER_LANE if CLUSTER_LANE not in tasks else "cluster (model)"
        self.lanes: list[_Lane] = []
        self._lane_index: dict[str, int] = {}
        for entry in entries:
            name = self.lane_name(entry.task)
            if name not in self._lane_index:
                self._lane_index[name] = len(self.lanes)
                fill = LANE_FILLS[len(self.lanes) % 2]
                self.lanes.append(_Lane(name, fill=fill))
        self._bar_ends = _bar_ends(entries)
        ends = {_key(end) for end in self._bar_ends.values()}
        self.instants = sorted({_key(entry.time) for entry in entries} | ends)
        self._instant_index = {t: i for i, t in enumerate(self.instants)}
        self.marks = _fold(self._marks())
        for order, mark in enumerate(self.marks):
            mark.order = order
            mark.label = self._label(mark)
            self.lanes[mark.lane].marks.append(mark)
        for lane in self.lanes:
            _group_device_labels(lane.marks)
        widest_name = max(text_width(lane.name, NAME_SIZE, bold=True) for lane in self.lanes)
        self.left = min(max(widest_name + 20, 96), 220)
        self._columns()
        self.width = self._width()
        for lane in self.lanes:
            lane.levels = _place_labels([m.label for m in lane.marks if m.label])
        self._holds = [self._lane_holds(lane) for lane in self.lanes]
        self.frees = _free_groups(self.marks)
        self._callout_rows = self._place_callouts()
        self._band_labels = self._place_band_labels()
        band_rows = max((row for _, _, row in self._band_labels), default=0) + 1
        self.callout_top = 4
        self.band_y = self.callout_top + CALLOUT_H * self._callout_rows + 11 * band_rows + 1
        self._rows()

    def lane_name(self, task: str) -> str:
        return self.cluster if task == MODEL_TASK else task

    # -- layout ----------------------------------------------------------------

    def _marks(self) -> list[_Mark]:
        """One mark per entry, except that a delay or a switch joins the point
        it happened at (the kernel journals the point first, then the delay)."""
        marks: list[_Mark] = []
        for index, entry in enumerate(self.entries):
            last = marks[-1] if marks else None
            if (
                last is not None
                and last.entry.kind is Kind.POINT
                and last.entry.task == entry.task
                and _key(last.entry.time) == _key(entry.time)
                and last.bar is None
                and last.switch is None
                and entry.detail == last.entry.detail
            ):
                if entry.kind is Kind.DELAY:
                    last.bar, last.bar_end = entry, self._bar_ends[index]
                    continue
                if entry.kind is Kind.SWITCH:
                    last.switch = entry
                    continue
            mark = _Mark(
                entry,
                self._lane_index[self.lane_name(entry.task)],
                self._instant_index[_key(entry.time)],
            )
            if entry.kind in (Kind.DELAY, Kind.SLEEP):
                mark.bar, mark.bar_end = entry, self._bar_ends[index]
            marks.append(mark)
        return marks

    def _label(self, mark: _Mark) -> _Label | None:
        """The short text above a mark, or None: plain points, spawns, ends and
        bars say enough by their shape (and their tooltip says all)."""
        entry, kind = mark.entry, mark.kind
        colour, bold, italic = _colour(mark), _bold(mark), kind == "note"
        if kind == "fold":
            if len(mark.folded) < 6:
                return None
            content = f"{len(mark.folded)} points"
        elif kind == "state":
            content = _state_label(entry)
        elif kind in ("acquire", "release", "wait"):
            content = f"{kind} {entry.detail}"
        elif kind in ("fault", "crash"):
            content = f"{kind}: {entry.detail}"
        elif kind == "switch":
            content = f"⇢ {self.lane_name(entry.target or '')}"
        elif kind == "step":
            content = "▶ " + " ".join(entry.detail.split())
        elif kind in ("point", "note"):
            if mark.plain or (mark.bar is not None and not is_db_read(entry)):
                return None  # a delayed point: its bar names it
            content = entry.detail
        else:  # spawn, end, cancel, delay, sleep
            return None
        if mark.switch is not None:
            content += " ⇢ " + self.lane_name(mark.switch.target or "")
        return _Label(0.0, content, colour, bold, italic)

    def _columns(self) -> None:
        """Gives each instant a band wide enough for its slots and places the
        slots; the gaps between bands grow with elapsed time. Slots shrink
        (down to SQUEEZE) so that the chart fits TARGET_WIDTH."""
        span = self.instants[-1] - self.instants[0]
        gaps = [
            GAP_MIN + (GAP_TIME * (b - a) / span if span > 0 else 0.0)
            for a, b in zip(self.instants, self.instants[1:], strict=False)
        ]
        labelled = sum(mark.label is not None for mark in self.marks)
        slots = labelled * SLOT_LABELLED + (len(self.marks) - labelled) * SLOT_PLAIN
        fixed = self.left + 8 + 2 * BAND_PAD * len(self.instants) + sum(gaps) + RIGHT_PAD
        scale = min(1.0, max(SQUEEZE, (TARGET_WIDTH - fixed) / slots)) if slots else 1.0
        for _ in range(4):  # and again, narrower, till the last labels end inside too
            self._place(scale, gaps)
            over = self._reach() - TARGET_WIDTH
            if over <= 0 or scale <= SQUEEZE:
                break
            scale = max(SQUEEZE, scale - over / slots)

    def _place(self, scale: float, gaps: list[float]) -> None:
        self.col_start: list[float] = []
        self.col_end: list[float] = []
        x = self.left + 8
        marks = iter(self.marks)
        mark = next(marks, None)
        for i in range(len(self.instants)):
            self.col_start.append(x)
            x += BAND_PAD
            while mark is not None and mark.instant == i:
                slot = (SLOT_LABELLED if mark.label else SLOT_PLAIN) * scale
                mark.x = x + slot / 2
                if mark.label is not None:
                    mark.label.x = mark.x - 3
                x += slot
                mark = next(marks, None)
            x += BAND_PAD
            self.col_end.append(x)
            if i < len(gaps):
                x += gaps[i]
        self.chart_end = x

    def _reach(self) -> float:
        """Where the chart would end if every label had its full width."""
        ends = [
            m.label.x + min(LABEL_MAX, _label_width(m.label)) + 6
            for m in self.marks
            if m.label is not None
        ]
        return max([self.chart_end + RIGHT_PAD, *ends])

    def _width(self) -> float:
        """The chart's width: its slots, and room for the last labels to end,
        unless that would pass TARGET_WIDTH (they are cut instead)."""
        return max(self.chart_end + RIGHT_PAD, min(self._reach(), TARGET_WIDTH))

    def time_x(self, t: float) -> float:
        """The x of virtual time ``t``: a band's start, or a point in a gap."""
        t = _key(t)
        if t in self._instant_index:
            return self.col_start[self._instant_index[t]]
        for i in range(len(self.instants) - 1):
            t0, t1 = self.instants[i], self.instants[i + 1]
            if t0 < t < t1:
                gap = self.col_start[i + 1] - self.col_end[i]
                return self.col_end[i] + (t - t0) / (t1 - t0) * gap
        return self.col_start[0] if t < self.instants[0] else self.chart_end

    def _lane_holds(self, lane: _Lane) -> list[_Hold]:
        """Each acquire to the same task's next release of that lock."""
        holds = []
        for i, mark in enumerate(lane.marks):
            if mark.kind != "acquire":
                continue
            lock = mark.entry.detail
            release = next(
                (
                    later
                    for later in lane.marks[i + 1 :]
                    if later.kind == "release" and later.entry.detail == lock
                ),
                None,
            )
            x2 = release.x if release else self.chart_end
            until = format_time(release.entry.time) if release else "the end"
            holds.append(
                _Hold(
                    mark.x,
                    x2,
                    lock,
                    release is None,
                    f"{lane.name} holds {lock} from {format_time(mark.entry.time)} to {until}",
                )
            )
        return holds

    def _place_callouts(self) -> int:
        """Places each freed-devices sentence on the first row where it meets
        no other; returns the number of rows."""
        self._callouts: list[tuple[_Mark, str, float, int]] = []
        row_ends: list[float] = []
        for marks in self.frees:
            x = marks[0].x
            sentence = _free_sentence(self.lanes[marks[0].lane].name, [m.entry for m in marks])
            width = min(text_width(sentence, LABEL_SIZE, bold=True), self.width - self.left - 8)
            # Right of the rule if it fits, else left of it, else as far right as it can.
            if x + 6 + width <= self.width - 4:
                start = x + 6
            elif x - 6 - width >= self.left + 4:
                start = x - 6 - width
            else:
                start = self.width - 4 - width
            row = next((r for r, end in enumerate(row_ends) if end <= start), len(row_ends))
            if row == len(row_ends):
                row_ends.append(0.0)
            row_ends[row] = start + width + 12
            self._callouts.append((marks[0], sentence, start, row))
        return len(row_ends)

    def _place_band_labels(self) -> list[tuple[float, str, int]]:
        """Each band's time at its start, on the first of two rows where it
        meets no other; a band with no room keeps its time in its tooltip."""
        placed = []
        row_ends = [0.0, 0.0]
        for i, t in enumerate(self.instants):
            x, label = self.col_start[i] + 2, secs(t)
            row = next((r for r, end in enumerate(row_ends) if end <= x), None)
            if row is not None:
                row_ends[row] = x + text_width(label, SMALL_SIZE, bold=True) + 6
                placed.append((x, label, row))
        return placed

    def _rows(self) -> None:
        """Stacks the lanes: label levels above each baseline, bars and lock
        rows below it."""
        y = self.band_y + 6
        for index, lane in enumerate(self.lanes):
            lane.top = y
            lane.base = y + LANE_PAD + LABEL_CLEAR + 9 + max(lane.levels - 1, 0) * LEVEL_H
            if not lane.levels:
                lane.base = y + LANE_PAD + 12
            lane.lock_rows = max(_rows_of(self._holds[index]), default=-1) + 1
            barred = any(m.bar is not None or m.kind == "wait" for m in lane.marks)
            lane.below = BAR_ZONE if barred else 12
            lane.height = lane.base - y + lane.below + lane.lock_rows * LOCK_ROW + LANE_PAD
            y += lane.height
        self.lanes_bottom = y
        self.axis_y = y + 10
        self.height = self.axis_y + 24

    # -- drawing ---------------------------------------------------------------

    def summary(self) -> str:
        freed = [e for e in self.entries if frees(e)]
        tasks = sum(lane.name != self.cluster for lane in self.lanes)
        parts = [f"{tasks} task(s)", f"{len(self.entries)} journal entries"]
        if len(self.instants) == 1:
            parts.append(
                f"every entry at virtual time {secs(self.instants[0])}: the order is the schedule"
            )
        else:
            parts.append(f"virtual time {secs(self.instants[0])} to {secs(self.instants[-1])}")
        content = " · ".join(esc(part) for part in parts)
        if freed:
            when = ", ".join(dict.fromkeys(secs(e.time) for e in freed))
            content += (
                f' · <span style="color:{RED};font-weight:bold">'
                f"{len(freed)} PCI device(s) freed (at {esc(when)})</span>"
            )
        return f'<div style="color:#455a64;margin-bottom:4px">{content}</div>'

    def svg(self) -> str:
        out = self._backgrounds()
        out += self._callout_rules()  # under the marks, so the red rule hides none
        for index, lane in enumerate(self.lanes):
            out += self._lane(index, lane)
        out += self._switches()
        for lane in self.lanes:  # last, so every leader and bar passes under them
            out += [self._label_text(lane, m) for m in lane.marks if m.label]
        out += self._callout_texts()
        out += self._axis()
        return svg(self.width, self.height, "".join(out), "Lane chart of the journal")

    def _backgrounds(self) -> list[str]:
        out = []
        for index, lane in enumerate(self.lanes):
            out.append(rect(0, lane.top, self.width, lane.height, f"fill:{lane.fill}", "lane-bg"))
            out.append(line(4, lane.base, self.left - 4, lane.base, "stroke:#cfd8dc"))
            name = fit(lane.name, self.left - 14, NAME_SIZE, bold=True)
            out.append(
                f'<g data-kind="lane" data-lane="{esc(lane.name)}" data-index="{index}">'
                f"<title>{esc(lane.name)}</title>"
                + text(
                    self.left - 8,
                    lane.base + 4,
                    name,
                    f"font-size:{NAME_SIZE}px;font-weight:bold;fill:{INK}",
                    anchor="end",
                )
                + "</g>"
            )
        out.append(
            text(
                self.left - 8,
                self.band_y,
                "virtual time",
                f"font-size:{SMALL_SIZE}px;fill:{MUTED};font-style:italic",
                anchor="end",
            )
        )
        for i, t in enumerate(self.instants):
            x1, x2 = self.col_start[i], self.col_end[i]
            out.append(
                rect(
                    x1,
                    self.band_y + 4,
                    x2 - x1,
                    self.lanes_bottom - self.band_y - 4,
                    f"fill:{BAND};fill-opacity:0.55",
                    "instant",
                    f"all events in this band happen at {secs(t)}",
                )
            )
        for x, label, row in self._band_labels:
            out.append(
                text(
                    x,
                    self.band_y - row * 11,
                    label,
                    f"font-size:{SMALL_SIZE}px;fill:{MUTED};font-weight:bold",
                )
            )
        return out

    def _lane(self, index: int, lane: _Lane) -> list[str]:
        out: list[str] = []
        base = lane.base
        first = lane.marks[0].x
        finish = next(
            (m for m in reversed(lane.marks) if m.kind in ("end", "crash", "cancel")),
            None,
        )
        last = finish.x if finish else self.chart_end
        dash = "" if finish else ";stroke-dasharray:6 4"
        out.append(line(first, base, last, base, f"stroke:#90a4ae;stroke-width:1.5{dash}"))
        # Under a lane: bars and waits, each label cut before the next one starts.
        spans = [(i, m) for i, m in enumerate(lane.marks) if m.bar is not None or m.kind == "wait"]
        for n, (i, mark) in enumerate(spans):
            stop = spans[n + 1][1].x - 6 if n + 1 < len(spans) else self.width - 4
            if mark.kind == "wait":
                out.append(self._wait(lane, i, mark, stop))
            else:
                out.append(self._bar(lane, i, mark, stop))
        for hold, row in zip(self._holds[index], _rows_of(self._holds[index]), strict=True):
            out.append(self._hold(base + lane.below, hold, row))
        for mark in lane.marks:
            out.append(self._mark(lane, mark))
        return out

    def _wait(self, lane: _Lane, i: int, mark: _Mark, stop: float) -> str:
        after = lane.marks[i + 1] if i + 1 < len(lane.marks) else None
        x2 = after.x if after else self.chart_end
        until = format_time(after.entry.time) if after else "the end"
        what = mark.entry.detail
        tip = f"{lane.name} waits for {what} from {format_time(mark.entry.time)} to {until}"
        label = fit(f"waits for {what}", stop - mark.x - 6, SMALL_SIZE)
        return (
            f'<g data-kind="lock-wait"><title>{esc(tip)}</title>'
            + rect(
                mark.x,
                lane.base - 9,
                max(x2 - mark.x, 2),
                18,
                f"fill:{LOCK};fill-opacity:0.18;stroke:{LOCK};stroke-dasharray:3 2;stroke-width:1",
            )
            + (
                text(
                    mark.x + 6,
                    lane.base + 20,
                    label,
                    f"font-size:{SMALL_SIZE}px;fill:{LOCK_INK};font-style:italic",
                )
                if label
                else ""
            )
            + "</g>"
        )

    def _bar(self, lane: _Lane, i: int, mark: _Mark, stop: float) -> str:
        bar = mark.bar
        assert bar is not None
        end = mark.bar_end
        after = lane.marks[i + 1] if i + 1 < len(lane.marks) else None
        if after is not None and _key(after.entry.time) == _key(end):
            x2 = after.x  # the bar ends where its task resumes
        else:
            x2 = self.time_x(end)
        colour = DELAY if bar.kind is Kind.DELAY else SLEEP
        # The duration first: a short bar cuts its label, and keeps that.
        if bar.kind is Kind.DELAY:
            label = f"delay {secs(bar.duration)} · {bar.detail}"
        elif bar.detail in ("", "sleep"):
            label = f"sleep {secs(bar.duration)}"
        else:
            label = f"sleep {secs(bar.duration)} · {bar.detail}"
        tip = (
            f"{lane.name}: {bar.kind} {secs(bar.duration)} at {bar.detail}, "
            f"{format_time(bar.time)} to {format_time(end)}"
        )
        if _key(end) < _key(bar.time + bar.duration):
            tip += " (cut short)"
        shown = fit(label, stop - mark.x - 4, SMALL_SIZE + 1, bold=True)
        return (
            f'<g data-kind="{bar.kind}-bar" data-x1="{num(mark.x)}" data-x2="{num(x2)}">'
            f"<title>{esc(tip)}</title>"
            + rect(
                mark.x,
                lane.base - 7,
                max(x2 - mark.x, 3),
                14,
                f"fill:{colour};fill-opacity:0.3;stroke:{colour};stroke-width:1.5",
                rx=3,
            )
            + (
                text(
                    mark.x + 4,
                    lane.base + 20,
                    shown,
                    f"font-size:{SMALL_SIZE + 1}px;fill:{colour};font-weight:bold",
                )
                if shown
                else ""
            )
            + "</g>"
        )

    def _hold(self, top: float, hold: _Hold, row: int) -> str:
        y = top + row * LOCK_ROW
        fade = ";stroke-dasharray:4 3" if hold.is_open else ""
        label = fit(hold.lock, self.width - hold.x1 - 4, SMALL_SIZE, bold=True)
        return (
            f'<g data-kind="lock-hold"><title>{esc(hold.title)}</title>'
            + rect(
                hold.x1,
                y,
                max(hold.x2 - hold.x1, 3),
                5,
                f"fill:{LOCK};fill-opacity:0.75;stroke:{LOCK};stroke-width:0.5{fade}",
                rx=1,
            )
            + text(
                hold.x1,
                y + 15,
                label,
                f"font-size:{SMALL_SIZE}px;fill:{LOCK_INK};font-weight:bold",
            )
            + "</g>"
        )

    def _level_y(self, lane: _Lane, level: int) -> float:
        return lane.base - LABEL_CLEAR - level * LEVEL_H

    def _mark(self, lane: _Lane, mark: _Mark) -> str:
        """A mark's glyph and, for a label above the first level, its leader."""
        entry, x = mark.entry, mark.x
        # Every entry drawn here, in journal order: the point, then its delay or switch.
        drawn = [*(mark.folded or [entry])]
        drawn += [e for e in (mark.bar, mark.switch) if e is not None and e is not entry]
        tip = "\n".join(str(e) for e in drawn)
        data = "freed" if frees(entry) else mark.kind
        leader = ""
        if mark.label is not None and mark.label.level > 0:
            top = self._level_y(lane, mark.label.level) + 2
            leader = line(
                x, lane.base - 8, x, top, f"stroke:{mark.label.colour};stroke-opacity:0.45"
            )
        return (
            f'<g data-kind="{esc(data)}" data-x="{num(x)}" data-order="{mark.order}">'
            f"<title>{esc(tip)}</title>"
            f"{leader}{_glyph(mark, x, lane.base)}</g>"
        )

    def _label_text(self, lane: _Lane, mark: _Mark) -> str:
        label = mark.label
        assert label is not None
        if label.level < 0:
            return ""
        room = min(label.room, LABEL_MAX, self.width - 4 - label.x)
        shown = fit(label.full, room, LABEL_SIZE, bold=label.bold)

        if not shown:
            return ""
        style = f"font-size:{LABEL_SIZE}px;fill:{label.colour}"
        if label.bold:
            style += ";font-weight:bold"
        if label.italic:
            style += ";font-style:italic"
        # A halo in the lane's colour keeps leaders from higher levels off the letters.
        style += f";paint-order:stroke;stroke:{lane.fill};stroke-width:3px;stroke-linejoin:round"
        data = "freed" if frees(mark.entry) else mark.kind
        return (
            f'<g data-kind="label" data-for="{esc(data)}"><title>{esc(label.full)}</title>'
            + text(label.x, self._level_y(lane, label.level), shown, style)
            + "</g>"
        )

    def _switches(self) -> list[str]:
        out = []
        for mark in self.marks:
            switch = mark.switch or (mark.entry if mark.kind == "switch" else None)
            if switch is None:
                continue
            target = self._lane_index.get(self.lane_name(switch.target or ""))
            if target is None or target == mark.lane:
                continue
            x2 = next(
                (m.x for m in self.lanes[target].marks if m.order > mark.order),
                mark.x + SLOT_PLAIN,
            )
            y1, y2 = self.lanes[mark.lane].base, self.lanes[target].base
            # Stop short of the target mark, and point the head along the line.
            length = ((x2 - mark.x) ** 2 + (y2 - y1) ** 2) ** 0.5 or 1.0
            ux, uy = (x2 - mark.x) / length, (y2 - y1) / length
            tx, ty = x2 - ux * 7, y2 - uy * 7
            head = points(
                (tx, ty),
                (tx - ux * 8 - uy * 4, ty - uy * 8 + ux * 4),
                (tx - ux * 8 + uy * 4, ty - uy * 8 - ux * 4),
            )
            out.append(
                f'<g data-kind="switch-arrow"><title>{esc(str(switch))}</title>'
                + line(
                    mark.x,
                    y1,
                    tx - ux * 6,
                    ty - uy * 6,
                    f"stroke:{SWITCH};stroke-width:1.5;stroke-dasharray:5 3",
                )
                + f'<polygon points="{head}" style="fill:{SWITCH}"/></g>'
            )
        return out

    def _callout_y(self, row: int) -> float:
        return self.callout_top + 11 + row * CALLOUT_H

    def _callout_rules(self) -> list[str]:
        """A red rule across every lane where a task frees PCI devices."""
        return [
            line(
                mark.x,
                self._callout_y(row) - 10,
                mark.x,
                self.lanes_bottom,
                f"stroke:{RED};stroke-width:1.5",
            )
            for mark, _, _, row in self._callouts
        ]

    def _callout_texts(self) -> list[str]:
        """The sentence above the lanes saying who freed what: the moment to look at."""
        out = []
        for _, sentence, start, row in self._callouts:
            shown = fit(sentence, self.width - 4 - start, LABEL_SIZE, bold=True)
            out.append(
                f'<g data-kind="freed-callout"><title>{esc(sentence)}</title>'
                + text(
                    start,
                    self._callout_y(row),
                    shown,
                    f"font-size:{LABEL_SIZE}px;fill:{RED};font-weight:bold",
                )
                + "</g>"
            )
        return out

    def _axis(self) -> list[str]:
        """Under the lanes: each band as a thick segment, and in each gap the
        virtual time that passed there."""
        y = self.axis_y
        out = [
            line(self.col_start[0], y, self.chart_end, y, "stroke:#90a4ae"),
            text(
                self.left - 8,
                y + 4,
                "journal order →",
                f"font-size:{SMALL_SIZE}px;fill:{MUTED};font-style:italic",
                anchor="end",
            ),
        ]
        free = 0.0
        for i, t in enumerate(self.instants):
            out.append(
                f'<g data-kind="instant-tick"><title>{esc(format_time(t))}</title>'
                + line(self.col_start[i], y, self.col_end[i], y, f"stroke:{INK};stroke-width:4")
                + "</g>"
            )
            if i + 1 == len(self.instants):
                break
            label = f"+{secs(self.instants[i + 1] - t)}"
            middle = (self.col_end[i] + self.col_start[i + 1]) / 2
            half = text_width(label, SMALL_SIZE) / 2
            if middle - half < free:
                continue  # crowded: the bands' times above still say it
            free = middle + half + 6
            out.append(
                text(middle, y + 14, label, f"font-size:{SMALL_SIZE}px;fill:{MUTED}", "middle")
            )
        return out


# -- layout helpers -----------------------------------------------------------


def _label_width(label: _Label) -> float:
    return text_width(label.full, LABEL_SIZE, bold=label.bold)


def _is_device_change(mark: _Mark) -> bool:
    change = mark.entry.change
    return mark.kind == "state" and change is not None and change.object == "PciDevice"


def _group_device_labels(marks: list[_Mark]) -> None:
    """One label for a run of device changes (one lane, one instant), as a
    claim of two devices is one step: ``2 devices → unclaimable, claimed``."""
    i = 0
    while i < len(marks):
        j = i
        while (
            j < len(marks)
            and _is_device_change(marks[j])
            and marks[j].instant == marks[i].instant
            and frees(marks[j].entry) == frees(marks[i].entry)
        ):
            j += 1
        first = marks[i].label
        if j - i > 1 and first is not None:
            news = dict.fromkeys(m.entry.change.new or "" for m in marks[i:j] if m.entry.change)
            first.full = f"{j - i} devices → {', '.join(news)}"
            for other in marks[i + 1 : j]:
                other.label = None
        i = max(j, i + 1)


def _place_labels(labels: list[_Label]) -> int:
    """Gives each label (in x order) a level so that no two labels meet and no
    leader crosses a label: where labels crowd they step down, from upper left
    to lower right, each below every label still running over its mark (so
    its leader passes none), and as high as the marks coming under it need.
    When a label still runs on the first level, it is cut short, or, if it
    would shrink to a stub, this label goes without (its tooltip remains).
    Returns the number of levels used."""
    placed: list[_Label] = []
    for index, label in enumerate(labels):
        want = min(_label_width(label), LABEL_MAX)
        running = [other for other in placed if other.x + other.room + 5 > label.x]
        below = min((other.level for other in running), default=MAX_LEVELS)
        # Labels whose marks come under this one, or under those: each needs a level below.
        coming, reach = 0, label.x + want
        for other in labels[index + 1 :]:
            if other.x >= reach or coming == MAX_LEVELS:
                break
            coming, reach = coming + 1, max(reach, other.x + _label_width(other))
        if below == 0:  # cut the first level's label short, and step down past it
            (lowest,) = (other for other in running if other.level == 0)
            room = label.x - 5 - lowest.x
            if room < LABEL_MIN:
                continue
            lowest.room = room
            below = min((other.level for other in running if other.level), default=MAX_LEVELS)
        level = min(below - 1, coming, MAX_LEVELS - 1)
        label.level, label.room = level, want
        placed.append(label)
    return max((label.level for label in placed), default=-1) + 1


def _fold(marks: list[_Mark]) -> list[_Mark]:
    """Folds each run of two or more plain points (one lane, one instant)
    into one slot whose tooltip lists them; the table below has every entry."""
    folded: list[_Mark] = []
    i = 0
    while i < len(marks):
        j = i
        while (
            j < len(marks)
            and marks[j].plain
            and marks[j].lane == marks[i].lane
            and marks[j].instant == marks[i].instant
        ):
            j += 1
        if j - i >= 2:
            run = marks[i:j]
            fold = _Mark(run[0].entry, run[0].lane, run[0].instant)
            fold.folded = [mark.entry for mark in run]
            folded.append(fold)
            i = j
        else:
            folded.append(marks[i])
            i += 1
    return folded


def _free_groups(marks: list[_Mark]) -> list[list[_Mark]]:
    """Marks that free PCI devices, grouped by task and instant."""
    groups: dict[tuple[int, int], list[_Mark]] = {}
    for mark in marks:
        if frees(mark.entry):
            groups.setdefault((mark.lane, mark.instant), []).append(mark)
    return list(groups.values())


def _free_sentence(task: str, entries: list[Entry]) -> str:
    """``audit(host2) frees 0000:02:00.0, 0000:02:00.1 on host2, held by vm1, at 2 s``."""
    hosts: dict[str, list[str]] = {}
    owners: list[str] = []
    for entry in entries:
        change = entry.change
        assert change is not None  # _free_groups keeps state changes only
        hosts.setdefault(change.host or "?", []).append(change.address or change.name)
        if change.owner:
            owners.append(change.owner)
    where = "; ".join(f"{', '.join(addresses)} on {host}" for host, addresses in hosts.items())
    held = f", held by {', '.join(dict.fromkeys(owners))}," if owners else ""
    return f"✖ {task} frees {where}{held} at {secs(entries[0].time)}"


def _bar_ends(entries: list[Entry]) -> dict[int, float]:
    """When each delay or sleep (by position) ended: at its planned end, or
    earlier if its task was cancelled meanwhile (its next entry comes first)."""
    ends: dict[int, float] = {}
    next_time: dict[str, float] = {}
    for index in range(len(entries) - 1, -1, -1):
        entry = entries[index]
        if entry.kind in (Kind.DELAY, Kind.SLEEP):
            end = entry.time + entry.duration
            later = next_time.get(entry.task)
            ends[index] = end if later is None else min(end, later)
        next_time[entry.task] = entry.time
    return ends


def _rows_of(holds: list[_Hold]) -> list[int]:
    """The row of each hold: the first row free at its start, counting its
    label as part of it, so neither bands nor labels overlap."""
    row_ends: list[float] = []
    rows = []
    for hold in holds:
        end = max(hold.x2, hold.x1 + text_width(hold.lock, SMALL_SIZE, bold=True)) + 6
        for row, row_end in enumerate(row_ends):
            if row_end <= hold.x1:
                row_ends[row] = end
                rows.append(row)
                break
        else:
            row_ends.append(end)
            rows.append(len(row_ends) - 1)
    return rows


# -- labels, colours and glyphs -----------------------------------------------


def _state_label(entry: Entry) -> str:
    """A state change in a few words: the lane says who, the tooltip says all."""
    change = entry.change
    assert change is not None
    if change.object == "PciDevice":
        return f"{change.address or change.name} → {change.new}"
    if change.object == "Instance" and change.field:
        return f"{change.name} {change.field} → {change.new}"
    if change.object == "Migration":
        return f"migration → {change.new}" if change.old is not None else f"migration {change.new}"
    if change.object == "Placement":
        return f"placement {change.name} {change.new}"
    return change_text(entry)


def _bold(mark: _Mark) -> bool:
    return mark.kind in ("state", "fault", "crash", "step")


def _colour(mark: _Mark) -> str:
    kind, change = mark.kind, mark.entry.change
    if kind == "state":
        if frees(mark.entry):
            return RED
        return STATE_COLOURS.get(change.object if change else "", STATE_OTHER)
    if kind in ("fault", "crash"):
        return RED
    if kind in ("acquire", "release", "wait"):
        return LOCK_INK
    if kind in ("end", "cancel", "note", "fold", "spawn"):
        return MUTED
    if kind == "switch":
        return SWITCH
    if mark.bar is not None:
        return DELAY
    return INK


def _glyph(mark: _Mark, x: float, y: float) -> str:
    kind, colour = mark.kind, _colour(mark)
    if kind == "state":
        size = 6.0 if frees(mark.entry) else 5.0
        halo = circle(x, y, 9, f"fill:{RED};fill-opacity:0.2") if frees(mark.entry) else ""
        corners = points((x, y - size), (x + size, y), (x, y + size), (x - size, y))
        return halo + f'<polygon points="{corners}" style="fill:{colour};stroke:#ffffff"/>'
    if kind in ("fault", "crash"):
        style = f"stroke:{RED};stroke-width:2.5;stroke-linecap:round"
        return line(x - 5, y - 5, x + 5, y + 5, style) + line(x - 5, y + 5, x + 5, y - 5, style)
    if kind in ("end", "cancel"):
        ink = INK if kind == "end" else MUTED
        return line(x, y - 8, x, y + 8, f"stroke:{ink};stroke-width:3")
    if kind == "spawn":
        corners = points((x - 3, y - 5), (x + 4, y), (x - 3, y + 5))
        return f'<polygon points="{corners}" style="fill:#2e7d32"/>'
    if kind == "acquire":
        return rect(x - 4, y - 4, 8, 8, f"fill:{LOCK};stroke:{LOCK_INK}")
    if kind == "release":
        return rect(x - 4, y - 4, 8, 8, f"fill:#ffffff;stroke:{LOCK_INK};stroke-width:1.5")
    if kind == "wait":
        corners = points((x - 4, y - 5), (x + 4, y - 5), (x - 4, y + 5), (x + 4, y + 5))
        return f'<polygon points="{corners}" style="fill:{LOCK};stroke:{LOCK_INK}"/>'
    if kind == "fold":
        return rect(x - 3.5, y - 2.5, 7, 5, f"fill:{MUTED};fill-opacity:0.55", rx=2.5)
    if kind == "note":
        return circle(x, y, 3.5, f"fill:#ffffff;stroke:{MUTED};stroke-width:1.5")
    if kind == "sleep":
        return circle(x, y, 3.5, f"fill:{SLEEP}")
    if kind == "switch":
        return circle(x, y, 3.5, f"fill:{SWITCH}")
    if kind == "step":  # a keyword of the suite: a black flag on the cluster lane
        flag = points((x - 1, y - 9), (x + 6, y - 6), (x - 1, y - 3))
        return line(x - 1, y - 9, x - 1, y + 5, f"stroke:{INK};stroke-width:1.5") + (
            f'<polygon points="{flag}" style="fill:{INK}"/>'
        )
    if is_db_read(mark.entry):  # a database snapshot: what a racing audit acts on
        return rect(x - 4, y - 4, 8, 8, f"fill:#ffffff;stroke:{INK};stroke-width:1.5", rx=4)
    fill = DELAY if mark.bar is not None else "#546e7a"
    return circle(x, y, 3, f"fill:{fill}")


def _legend(x: float, y: float) -> tuple[list[str], float]:
    """The key to the symbols, on one line; returns its parts and width."""
    cy = y - 4
    flag = points((3, cy - 7), (11, cy - 4), (3, cy - 1))
    strike = f"stroke:{RED};stroke-width:2.5;stroke-linecap:round"
    items = [
        (
            line(3, cy - 7, 3, cy + 7, f"stroke:{INK};stroke-width:1.5")
            + f'<polygon points="{flag}" style="fill:{INK}"/>',
            "keyword step",
        ),
        (
            circle(4, cy, 3, "fill:#546e7a")
            + rect(10, cy - 2.5, 7, 5, f"fill:{MUTED};fill-opacity:0.55", rx=2.5),
            "point(s)",
        ),
        (rect(2, cy - 4, 8, 8, f"fill:#ffffff;stroke:{INK};stroke-width:1.5", rx=4), "DB read"),
        (
            f'<polygon points="{points((6, cy - 5), (11, cy), (6, cy + 5), (1, cy))}" '
            f'style="fill:{STATE_COLOURS["Migration"]}"/>',
            "state change",
        ),
        (
            f'<polygon points="{points((6, cy - 6), (12, cy), (6, cy + 6), (0, cy))}" '
            f'style="fill:{RED}"/>',
            "PCI device freed",
        ),
        (
            rect(0, cy - 5, 22, 10, f"fill:{DELAY};fill-opacity:0.3;stroke:{DELAY}"),
            "injected delay",
        ),
        (rect(0, cy - 5, 22, 10, f"fill:{SLEEP};fill-opacity:0.3;stroke:{SLEEP}"), "sleep"),
        (
            rect(0, cy - 4, 8, 8, f"fill:{LOCK};stroke:{LOCK_INK}")
            + rect(12, cy - 4, 8, 8, f"fill:#ffffff;stroke:{LOCK_INK}"),
            "acquire / release",
        ),
        (rect(0, cy - 2, 22, 5, f"fill:{LOCK};fill-opacity:0.75"), "lock held"),
        (
            rect(
                0,
                cy - 7,
                22,
                14,
                f"fill:{LOCK};fill-opacity:0.18;stroke:{LOCK};stroke-dasharray:3 2",
            ),
            "waiting",
        ),
        (line(1, cy - 5, 11, cy + 5, strike) + line(1, cy + 5, 11, cy - 5, strike), "fault"),
        (
            line(0, cy, 22, cy, f"stroke:{SWITCH};stroke-width:1.5;stroke-dasharray:5 3"),
            "switch",
        ),
        (line(4, cy - 8, 4, cy + 8, f"stroke:{INK};stroke-width:3"), "end"),
    ]
    out = [f'<g data-kind="legend" transform="translate({num(x)} 0)">']
    offset = 0.0
    for glyph, label in items:
        out.append(f'<g transform="translate({num(offset)} 0)">{glyph}')
        out.append(text(28, y, label, f"font-size:{SMALL_SIZE}px;fill:{MUTED}") + "</g>")
        offset += 28 + text_width(label, SMALL_SIZE) + 16
    out.append("</g>")
    return out, offset


def _key(t: float) -> float:
    """Virtual time rounded so that 0.1 + 0.2 and 0.3 are one instant."""
    return round(t, 9)


# The journal table's look, once per table rather than on each of its cells:
# it lists every entry, and the inline styles were two thirds of its bytes.
JOURNAL_STYLE = (
    "<style>"
    ".prl-journal{border-collapse:collapse;font-family:monospace;font-size:11px;margin-top:2px}"
    ".prl-journal td,.prl-journal th{padding:1px 8px 1px 0;vertical-align:top;text-align:left}"
    ".prl-journal th{border-bottom:1px solid #b0bec5}"
    ".prl-journal td:nth-child(-n+2){white-space:nowrap}"
    f".prl-journal tr.red{{color:{RED};font-weight:bold}}"
    "</style>"
)


def _journal_table(entries: list[Entry], lane_name: Callable[[str], str]) -> str:
    """Every entry, in a table folded away under the chart."""
    rows = []
    for entry in entries:
        detail = entry.detail if entry.target is None else f"{entry.detail} → {entry.target}"
        if entry.duration:
            detail += f" (+{entry.duration:.3f}s)"
        red = entry.kind in (Kind.FAULT, Kind.CRASH) or frees(entry)
        opens = '<tr class="red">' if red else "<tr>"
        rows.append(
            f"{opens}"
            f"<td>{esc(format_time(entry.time))}</td><td>{esc(lane_name(entry.task))}</td>"
            f"<td>{esc(entry.kind.value)}</td><td>{esc(detail)}</td></tr>"
        )
    head = "".join(f"<th>{name}</th>" for name in ("time", "task", "kind", "detail"))
    return (
        '<details style="margin-top:4px"><summary style="cursor:pointer;color:#455a64">'
        f"Journal: {len(entries)} entries</summary>{JOURNAL_STYLE}"
        f'<table class="prl-journal"><tr>{head}</tr>{"".join(rows)}</table></details>'
    )
