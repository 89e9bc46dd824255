"""The journal as a lane chart: inline SVG, plus the entries in a collapsed table.

The chart is read by someone signing off a release, so every event must stay
visible and legible although virtual time piles dozens of them on one instant
(everything before the first delay happens at t=0). Time alone cannot spread
them, so the x axis is hybrid:

- each distinct instant becomes a *column* with one slot per event, in journal
  order across all lanes, because which task ran first at an instant is what
  a race is about; the columns read like the rows of a sequence diagram;
- the *gaps* between columns show elapsed virtual time, to scale where they
  can (a gap too wide is drawn shortened, with a break on the axis).

Event labels rise at an angle from their slots: parallel labels one slot apart
never overlap, however long the point names. Delays, lock holds and lock waits
are drawn from the slot where they start to the slot where they end.

Where a task frees PCI devices, a red rule crosses every lane and a sentence
above them says who freed which devices of whom: that is the moment of bug
1896463. The lane names stand in their own column; the lanes scroll sideways
and open at the end of the run, where a race or a failure shows.

Output is deterministic (no ids, no hashing of objects), escaped throughout,
and uses inline styles only: Robot's log.html embeds it in a table cell.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..sim.journal import Entry, format_time

MODEL_TASK = "-"  # what the kernel journals when no task is running
CLUSTER_LANE = "cluster"

FONT = "Helvetica,Arial,sans-serif"
LABEL_SIZE = 11  # px, event labels
SMALL_SIZE = 10  # px, bar, lock and axis labels
ANGLE = 40  # degrees that event labels rise
SLOT = 18  # px between two events of one instant; with ANGLE, 11.6 px between labels
COL_PAD = 12  # px before the first and after the last slot of an instant
GAP_MIN = 70  # px, narrowest gap between two instants
GAP_MAX = 480  # px, widest; a longer time is drawn shortened
TIME_WIDTH = 640  # px that the gaps of a whole run aim at: the race is there
LABEL_CHARS = 72  # longer labels are cut (the tooltip keeps the whole text)
RUN_LIMIT = 16  # longer runs of plain points on one lane at one instant are folded
RUN_KEEP = 6  # points kept visible at each end of a folded run
HEADER = 20  # px above the lanes, for the instants' times
CALLOUT = 20  # px more above them when a PCI device is freed, for the callout
BAR_ZONE = 26  # px below a lane's baseline: delay bars and their labels
LOCK_ROW = 18  # px per row of lock holds
LANE_PAD = 8
WIDE = 1000  # px of lanes past which the summary says to scroll for the start

INK = "#263238"
MUTED = "#607d8b"
RED = "#d32f2f"
LOCK = "#e08e0b"
LOCK_INK = "#8a5300"
DELAY = "#3b6fd0"
SLEEP = "#78909c"
SWITCH = "#7b1fa2"
COLUMN = "#e3ebf6"
STATE_COLOURS = {
    "PciDevice": "#2e7d32",
    "Migration": "#6a1b9a",
    "Instance": "#00838f",
    "Placement": "#8d6e63",
}
STATE_OTHER = "#455a64"

_SIN = math.sin(math.radians(ANGLE))
_COS = math.cos(math.radians(ANGLE))


@dataclass
class _Mark:
    """One slot of the chart: an entry, and the entries drawn with it."""

    entry: Entry
    lane: int
    instant: int
    order: int = 0
    slot: int = 0
    x: float = 0.0
    bar: Entry | None = None  # the delay or sleep starting here
    bar_end: float = 0.0  # when it ended: its planned end, or a cancel before
    switch: Entry | None = None  # the policy's switch to another task here
    folded: list[Entry] = field(default_factory=list)  # points folded into this slot

    @property
    def kind(self) -> str:
        return "fold" if self.folded else self.entry.kind


@dataclass
class _Lane:
    name: str
    marks: list[_Mark] = field(default_factory=list)
    top: float = 0.0
    base: float = 0.0
    height: float = 0.0
    lock_rows: int = 0


@dataclass(frozen=True)
class _Hold:
    x1: float
    x2: float
    lock: str
    is_open: bool
    title: str


def render_timeline(entries: Iterable[Entry], *, title: str = "Timeline") -> str:
    """Returns an HTML fragment: a lane chart of ``entries`` and a table of them.

    One lane per task in order of first appearance; entries journaled outside
    any task (task ``-``) go on a lane called ``cluster``. Accepts a
    :class:`~PciRaceLibrary.sim.Journal` or any sequence of entries.
    """
    entries = list(entries)
    heading = f'<div style="font-weight:bold;font-size:13px;margin:2px 0 4px">{_esc(title)}</div>'
    if not entries:
        return (
            f'<div style="font-family:{FONT};font-size:12px;color:{INK}">'
            f"{heading}<div>No journal entries.</div></div>"
        )
    chart = _Chart(entries)
    names, lanes = chart.svgs()
    legend, legend_width = _legend(4, 16)
    # The lane names stay put while the lanes scroll sideways. The scroller is
    # right-to-left so that it opens at the end of the run, where a race
    # shows and a failure happened; the chart inside reads left to right.
    return (
        f'<div style="font-family:{FONT};font-size:12px;color:{INK}">'
        f"{heading}{chart.summary()}"
        '<div style="display:flex;align-items:flex-start;max-width:100%">'
        f'<div style="flex:none">{names}</div>'
        f'<div style="overflow-x:auto;direction:rtl;min-width:0">{lanes}</div></div>'
        f'<div style="overflow-x:auto;max-width:100%">'
        f"{_svg(legend_width + 8, 24, ''.join(legend), 'Key to the symbols')}</div>"
        f"{_journal_table(entries, chart.lane_name)}</div>"
    )


class _Chart:
    """Lays the entries out (lanes, columns, slots) and draws them as SVG."""

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
                self.lanes.append(_Lane(name))
        self._bar_ends = _bar_ends(entries)
        ends = {_key(end) for end in self._bar_ends.values()}
        self.instants = sorted({_key(entry.time) for entry in entries} | ends)
        self._instant_index = {t: i for i, t in enumerate(self.instants)}
        self.marks = _fold(self._marks())
        for order, mark in enumerate(self.marks):
            mark.order = order
            self.lanes[mark.lane].marks.append(mark)
        self._columns()
        self._holds = {i: self._lane_holds(lane) for i, lane in enumerate(self.lanes)}
        self.frees = _free_groups(self.marks)
        self.header = HEADER + (CALLOUT if self.frees else 0)
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
                and last.entry.kind == "point"
                and last.entry.task == entry.task
                and _key(last.entry.time) == _key(entry.time)
                and last.bar is None
                and last.switch is None
            ):
                if entry.kind == "delay" and entry.detail == last.entry.detail:
                    last.bar, last.bar_end = entry, self._bar_ends[index]
                    continue
                if entry.kind == "switch" and entry.detail == last.entry.detail:
                    last.switch = entry
                    continue
            mark = _Mark(
                entry,
                self._lane_index[self.lane_name(entry.task)],
                self._instant_index[_key(entry.time)],
            )
            if entry.kind in ("delay", "sleep"):
                mark.bar, mark.bar_end = entry, self._bar_ends[index]
            marks.append(mark)
        return marks

    def _columns(self) -> None:
        """Gives each instant a column wide enough for its slots, then places
        the slots; the gaps between columns follow elapsed time."""
        counts = [0] * len(self.instants)
        for mark in self.marks:
            mark.slot = counts[mark.instant]
            counts[mark.instant] += 1
        widest_name = max(_text_width(lane.name, 12, bold=True) for lane in self.lanes)
        self.left = min(max(widest_name + 24, 90), 240)
        span = self.instants[-1] - self.instants[0]
        scale = TIME_WIDTH / span if span > 0 else 0.0
        self.col_start: list[float] = []
        self.col_end: list[float] = []
        self.broken: list[bool] = []
        x = self.left + 10
        for i, count in enumerate(counts):
            self.col_start.append(x)
            x += 2 * COL_PAD + max(count - 1, 0) * SLOT
            self.col_end.append(x)
            if i + 1 < len(counts):
                wanted = (self.instants[i + 1] - self.instants[i]) * scale
                self.broken.append(wanted > GAP_MAX)
                x += min(max(wanted, GAP_MIN), GAP_MAX)
        self.chart_end = x + 24
        for mark in self.marks:
            mark.x = self.col_start[mark.instant] + COL_PAD + mark.slot * SLOT

    def time_x(self, t: float) -> float:
        """The x of virtual time ``t``: a column's start, or a point in a gap."""
        t = _key(t)
        if t in self._instant_index:
            return self.col_start[self._instant_index[t]]
        if t < self.instants[0]:
            return self.col_start[0]
        for i in range(len(self.instants) - 1):
            t0, t1 = self.instants[i], self.instants[i + 1]
            if t0 < t < t1:
                gap = self.col_start[i + 1] - self.col_end[i]
                return self.col_end[i] + (t - t0) / (t1 - t0) * gap
        return self.chart_end

    def _in_broken_gap(self, t: float) -> bool:
        """Whether ``t`` falls in a gap drawn shorter than its time."""
        return any(
            self.instants[i] < t < self.instants[i + 1]
            for i, broken in enumerate(self.broken)
            if broken
        )

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

    def _rows(self) -> None:
        """Stacks the lanes: label room above each baseline (labels rise), bar
        and lock rows below it."""
        y = self.header
        for index, lane in enumerate(self.lanes):
            rise = max(
                (_text_width(_label(m, self), LABEL_SIZE, bold=_bold(m)) for m in lane.marks),
                default=0.0,
            )
            lane.top = y
            lane.base = y + max(rise * _SIN + 14, 30)
            lane.lock_rows = _assign_rows(self._holds[index])
            lane.height = lane.base - y + BAR_ZONE + lane.lock_rows * LOCK_ROW + LANE_PAD
            y += lane.height
        self.lanes_bottom = y
        self.width = self.chart_end
        for mark in self.marks:
            reach = _text_width(_label(mark, self), LABEL_SIZE, bold=_bold(mark)) * _COS
            self.width = max(self.width, mark.x + 4 + reach + 12)

    # -- drawing ---------------------------------------------------------------

    def summary(self) -> str:
        frees = [e for e in self.entries if _frees(e)]
        tasks = sum(lane.name != self.cluster for lane in self.lanes)
        parts = [
            f"{tasks} task(s)",
            f"{len(self.entries)} journal entries",
            f"virtual time {_secs(self.instants[0])} to {_secs(self.instants[-1])}",
        ]
        text = " · ".join(_esc(part) for part in parts)
        if frees:
            when = ", ".join(dict.fromkeys(_secs(e.time) for e in frees))
            text += (
                f' · <span style="color:{RED};font-weight:bold">'
                f"{len(frees)} PCI device(s) freed (at {_esc(when)})</span>"
            )
        if self.width - self.left > WIDE:
            text += " · the chart opens at its end: scroll left for earlier events"
        return f'<div style="color:#455a64;margin-bottom:4px">{text}</div>'

    def svgs(self) -> tuple[str, str]:
        """Two SVGs of one height: the lane names, and the lanes with the axis."""
        axis_y = self.lanes_bottom + 14
        height = axis_y + 26
        names = self._names(axis_y)
        out = self._backgrounds()
        out += self._freed_callouts()  # under the marks, so the red rule hides none
        for index, lane in enumerate(self.lanes):
            out += self._lane(index, lane)
        out += self._switches()
        out += self._axis(axis_y)
        return (
            _svg(self.left, height, "".join(names), "Tasks of the lane chart"),
            _svg(
                self.width - self.left,
                height,
                "".join(out),
                "Lane chart of the journal",
                x=self.left,
            ),
        )

    def _backgrounds(self) -> list[str]:
        out = []
        for index, lane in enumerate(self.lanes):
            fill = "#ffffff" if index % 2 == 0 else "#f6f7f9"
            out.append(_rect(0, lane.top, self.width, lane.height, f"fill:{fill}", "lane-bg"))
        for i, t in enumerate(self.instants):
            x1, x2 = self.col_start[i], self.col_end[i]
            out.append(
                _rect(
                    x1,
                    self.header - 4,
                    x2 - x1,
                    self.lanes_bottom - self.header + 4,
                    f"fill:{COLUMN};fill-opacity:0.6",
                    "instant",
                    f"all events in this column happen at {_secs(t)}",
                )
            )
            out.append(
                _text(
                    (x1 + x2) / 2,
                    self.header - 8,
                    _secs(t),
                    f"font-size:{SMALL_SIZE}px;fill:{MUTED};font-weight:bold",
                    anchor="middle",
                )
            )
        return out

    def _names(self, axis_y: float) -> list[str]:
        """The column left of the lanes: each lane's task, and the axis's name."""
        out = []
        for index, lane in enumerate(self.lanes):
            fill = "#ffffff" if index % 2 == 0 else "#f6f7f9"
            out.append(_rect(0, lane.top, self.left, lane.height, f"fill:{fill}"))
            out.append(_line(4, lane.base, self.left - 4, lane.base, "stroke:#cfd8dc"))
            name = _fit(lane.name, self.left - 14, 12, bold=True)
            out.append(
                f'<g data-kind="lane" data-lane="{_esc(lane.name)}">'
                f"<title>{_esc(lane.name)}</title>"
                + _text(
                    self.left - 8,
                    lane.base + 4,
                    name,
                    f"font-size:12px;font-weight:bold;fill:{INK}",
                    anchor="end",
                )
                + "</g>"
            )
        out.append(
            _text(
                self.left - 8,
                axis_y + 4,
                "virtual time",
                f"font-size:{SMALL_SIZE}px;fill:{MUTED};font-style:italic",
                anchor="end",
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
        out.append(_line(first, base, last, base, f"stroke:#90a4ae;stroke-width:1.5{dash}"))
        # Waits first, so the marks stay on top of their shading.
        for i, mark in enumerate(lane.marks):
            if mark.kind != "wait":
                continue
            after = lane.marks[i + 1] if i + 1 < len(lane.marks) else None
            x2 = after.x if after else self.chart_end
            until = format_time(after.entry.time) if after else "the end"
            what = mark.entry.detail
            tip = f"{lane.name} waits for {what} from {format_time(mark.entry.time)} to {until}"
            out.append(
                f'<g data-kind="lock-wait"><title>{_esc(tip)}</title>'
                + _rect(
                    mark.x,
                    base - 9,
                    max(x2 - mark.x, 2),
                    18,
                    f"fill:{LOCK};fill-opacity:0.18;stroke:{LOCK};"
                    "stroke-dasharray:3 2;stroke-width:1",
                )
                + _text(
                    mark.x + 8,
                    base + 20,
                    _fit(f"waits for {what}", x2 - mark.x - 10, SMALL_SIZE),
                    f"font-size:{SMALL_SIZE}px;fill:{LOCK_INK};font-style:italic",
                )
                + "</g>"
            )
        for i, mark in enumerate(lane.marks):
            if mark.bar is not None:
                out.append(self._bar(lane, i, mark))
        for hold, row in zip(self._holds[index], _rows_of(self._holds[index]), strict=True):
            out.append(self._hold(base, hold, row))
        for mark in lane.marks:
            out.append(self._mark(base, mark))
        return out

    def _bar(self, lane: _Lane, i: int, mark: _Mark) -> str:
        bar = mark.bar
        assert bar is not None
        end = mark.bar_end
        after = lane.marks[i + 1] if i + 1 < len(lane.marks) else None
        if after is not None and _key(after.entry.time) == _key(end):
            x2 = after.x
        else:
            x2 = self.time_x(end)
        colour = DELAY if bar.kind == "delay" else SLEEP
        minimum = _text_width(f"{bar.kind} {_secs(bar.duration)}", SMALL_SIZE + 1, bold=True) + 2
        # The duration first: a short bar cuts its label, and keeps that.
        if bar.kind == "delay":
            label = f"delay {_secs(bar.duration)} · {bar.detail}"
        elif bar.detail in ("", "sleep"):
            label = f"sleep {_secs(bar.duration)}"
        else:
            label = f"sleep {_secs(bar.duration)} · {bar.detail}"
        tip = (
            f"{lane.name}: {bar.kind} {_secs(bar.duration)} at {bar.detail}, "
            f"{format_time(bar.time)} to {format_time(end)}"
        )
        if _key(end) < _key(bar.time + bar.duration):
            tip += " (cut short)"
        return (
            f'<g data-kind="{bar.kind}-bar"><title>{_esc(tip)}</title>'
            + _rect(
                mark.x,
                lane.base - 7,
                max(x2 - mark.x, 3),
                14,
                f"fill:{colour};fill-opacity:0.35;stroke:{colour};stroke-width:1.5",
                rx=3,
            )
            + _text(
                mark.x + 8,
                lane.base + 20,
                _fit(label, max(x2 - mark.x - 10, minimum), SMALL_SIZE + 1, bold=True),
                f"font-size:{SMALL_SIZE + 1}px;fill:{colour};font-weight:bold",
            )
            + "</g>"
        )

    def _hold(self, base: float, hold: _Hold, row: int) -> str:
        y = base + BAR_ZONE + row * LOCK_ROW
        fade = ";stroke-dasharray:4 3" if hold.is_open else ""
        return (
            f'<g data-kind="lock-hold"><title>{_esc(hold.title)}</title>'
            + _rect(
                hold.x1,
                y,
                max(hold.x2 - hold.x1, 3),
                5,
                f"fill:{LOCK};fill-opacity:0.75;stroke:{LOCK};stroke-width:0.5{fade}",
                rx=1,
            )
            + _text(
                hold.x1,
                y + 15,
                hold.lock,
                f"font-size:{SMALL_SIZE}px;fill:{LOCK_INK};font-weight:bold",
            )
            + "</g>"
        )

    def _mark(self, base: float, mark: _Mark) -> str:
        entry, x, kind = mark.entry, mark.x, mark.kind
        colour = _colour(mark)
        glyph = _glyph(mark, x, base, colour)
        label = _label(mark, self)
        style = f"font-size:{LABEL_SIZE}px;fill:{colour}"
        if _bold(mark):
            style += ";font-weight:bold"
        if kind == "note":
            style += ";font-style:italic"
        tip = "\n".join(str(e) for e in (mark.folded or [entry]))
        if mark.switch is not None:
            tip += "\n" + str(mark.switch)
        data = "freed" if _frees(entry) else kind
        return (
            f'<g data-kind="{_esc(data)}"><title>{_esc(tip)}</title>{glyph}'
            f'<text x="0" y="0" transform="translate({_n(x + 3)} {_n(base - 9)}) '
            f'rotate(-{ANGLE})" style="{style}">{_esc(label)}</text></g>'
        )

    def _switches(self) -> list[str]:
        out = []
        for mark in self.marks:
            switch = mark.switch or (mark.entry if mark.kind == "switch" else None)
            if switch is None:
                continue
            target = next(
                (
                    index
                    for index, lane in enumerate(self.lanes)
                    if self.lane_name(switch.target or "") == lane.name
                ),
                None,
            )
            if target is None or target == mark.lane:
                continue
            x2 = next(
                (m.x for m in self.lanes[target].marks if m.order > mark.order),
                mark.x + SLOT,
            )
            y1, y2 = self.lanes[mark.lane].base, self.lanes[target].base
            # Stop short of the target mark, and point the head along the line.
            length = math.hypot(x2 - mark.x, y2 - y1) or 1.0
            ux, uy = (x2 - mark.x) / length, (y2 - y1) / length
            tx, ty = x2 - ux * 7, y2 - uy * 7
            head = [
                (tx, ty),
                (tx - ux * 8 - uy * 4, ty - uy * 8 + ux * 4),
                (tx - ux * 8 + uy * 4, ty - uy * 8 - ux * 4),
            ]
            points = " ".join(f"{_n(px)},{_n(py)}" for px, py in head)
            out.append(
                f'<g data-kind="switch"><title>{_esc(str(switch))}</title>'
                + _line(
                    mark.x,
                    y1,
                    tx - ux * 6,
                    ty - uy * 6,
                    f"stroke:{SWITCH};stroke-width:1.5;stroke-dasharray:5 3",
                )
                + f'<polygon points="{points}" style="fill:{SWITCH}"/></g>'
            )
        return out

    def _freed_callouts(self) -> list[str]:
        """A red rule across every lane where a task frees PCI devices, and a
        sentence above the lanes saying who freed what: the moment to look at."""
        out = []
        for marks in self.frees:
            x = marks[0].x
            lane = self.lanes[marks[0].lane]
            text = _free_sentence(lane.name, [m.entry for m in marks])
            width = _text_width(text, LABEL_SIZE, bold=True)
            y = self.header - CALLOUT - 2  # the sentence's baseline; instants' times below
            if x + 8 + width <= self.width - 4 or x - 8 - width < self.left:
                anchor, tx = "start", x + 8
            else:
                anchor, tx = "end", x - 8
            out.append(
                f'<g data-kind="freed-callout"><title>{_esc(text)}</title>'
                + _line(x, y - 10, x, self.lanes_bottom, f"stroke:{RED};stroke-width:1.5")
                + _text(
                    tx,
                    y,
                    text,
                    f"font-size:{LABEL_SIZE}px;fill:{RED};font-weight:bold",
                    anchor=anchor,
                )
                + "</g>"
            )
        return out

    def _axis(self, y: float) -> list[str]:
        out = [_line(self.col_start[0] - 8, y, self.chart_end, y, "stroke:#90a4ae")]
        taken: list[tuple[float, float]] = []
        for i, t in enumerate(self.instants):
            x1, x2 = self.col_start[i] + COL_PAD - 6, self.col_end[i] - COL_PAD + 6
            middle = (x1 + x2) / 2
            label = _secs(t)
            half = _text_width(label, 11, bold=True) / 2
            taken.append((middle - half - 6, middle + half + 6))
            out.append(
                f'<g data-kind="instant-tick"><title>{_esc(format_time(t))}</title>'
                + _line(x1, y, x2, y, f"stroke:{INK};stroke-width:4")
                + _text(
                    middle,
                    y + 17,
                    label,
                    f"font-size:11px;font-weight:bold;fill:{INK}",
                    anchor="middle",
                )
                + "</g>"
            )
        for i, broken in enumerate(self.broken):
            if broken:
                middle = (self.col_end[i] + self.col_start[i + 1]) / 2
                out.append(
                    f'<g data-kind="axis-break"><title>{_esc("time shortened here")}'
                    "</title>"
                    + _rect(middle - 6, y - 6, 12, 12, "fill:#ffffff")
                    + _line(middle - 7, y + 5, middle - 1, y - 5, "stroke:#546e7a")
                    + _line(middle + 1, y + 5, middle + 7, y - 5, "stroke:#546e7a")
                    + "</g>"
                )
        for t in _ticks(self.instants[0], self.instants[-1]):
            if _key(t) in self._instant_index or self._in_broken_gap(t):
                continue
            x = self.time_x(t)
            label = _secs(t)
            half = _text_width(label, SMALL_SIZE) / 2
            if any(a < x + half and x - half < b for a, b in taken):
                continue
            taken.append((x - half - 4, x + half + 4))
            out.append(
                _line(x, y - 3, x, y + 4, f"stroke:{MUTED}")
                + _text(
                    x,
                    y + 16,
                    label,
                    f"font-size:{SMALL_SIZE}px;fill:{MUTED}",
                    anchor="middle",
                )
            )
        return out


# -- layout helpers -----------------------------------------------------------


def _fold(marks: list[_Mark]) -> list[_Mark]:
    """Folds the middle of long runs of plain points (one lane, one instant)
    into one slot whose tooltip lists them: the chart stays readable, and the
    table under it still has every entry."""

    def plain(mark: _Mark) -> bool:
        return mark.kind == "point" and mark.bar is None and mark.switch is None

    folded: list[_Mark] = []
    i = 0
    while i < len(marks):
        j = i
        while (
            j < len(marks)
            and plain(marks[j])
            and marks[j].lane == marks[i].lane
            and marks[j].instant == marks[i].instant
        ):
            j += 1
        if j - i > RUN_LIMIT:
            hidden = marks[i + RUN_KEEP : j - RUN_KEEP]
            middle = _Mark(hidden[0].entry, hidden[0].lane, hidden[0].instant)
            middle.folded = [mark.entry for mark in hidden]
            folded += [*marks[i : i + RUN_KEEP], middle, *marks[j - RUN_KEEP : j]]
            i = j
        elif j > i:
            folded += marks[i:j]
            i = j
        else:
            folded.append(marks[i])
            i += 1
    return folded


def _free_groups(marks: list[_Mark]) -> list[list[_Mark]]:
    """Marks that free PCI devices, grouped by task and instant."""
    groups: dict[tuple[int, int], list[_Mark]] = {}
    for mark in marks:
        if _frees(mark.entry):
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
    return f"✖ {task} frees {where}{held} at {_secs(entries[0].time)}"


def _bar_ends(entries: list[Entry]) -> dict[int, float]:
    """When each delay or sleep (by position) ended: at its planned end, or
    earlier if its task was cancelled meanwhile (its next entry comes first)."""
    ends: dict[int, float] = {}
    next_time: dict[str, float] = {}
    for index in range(len(entries) - 1, -1, -1):
        entry = entries[index]
        if entry.kind in ("delay", "sleep"):
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
        end = max(hold.x2, hold.x1 + _text_width(hold.lock, SMALL_SIZE, bold=True)) + 6
        for row, row_end in enumerate(row_ends):
            if row_end <= hold.x1:
                row_ends[row] = end
                rows.append(row)
                break
        else:
            row_ends.append(end)
            rows.append(len(row_ends) - 1)
    return rows


def _assign_rows(holds: list[_Hold]) -> int:
    return max(_rows_of(holds), default=-1) + 1


def _ticks(start: float, stop: float) -> list[float]:
    """Round times between ``start`` and ``stop``: steps of 1, 2, 2.5 or 5
    times a power of ten, about eight of them."""
    span = stop - start
    if span <= 0:
        return []
    raw = span / 8
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(start / step - 1e-9)
    count = math.floor(stop / step + 1e-9) - first + 1
    return [round((first + k) * step, 9) for k in range(count)]


# -- labels, colours and glyphs -----------------------------------------------


def _label(mark: _Mark, chart: _Chart) -> str:
    entry, kind = mark.entry, mark.kind
    if kind == "fold":
        text = f"… {len(mark.folded)} more points"
    elif kind == "state":
        text = entry.detail.replace(" -> ", " → ")
    elif kind in ("acquire", "release"):
        text = f"{kind} {entry.detail}"
    elif kind == "wait":
        text = f"wait {entry.detail}"
    elif kind == "spawn":
        text = "spawn"
    elif kind in ("end", "cancel"):
        text = "end" if kind == "end" else "cancelled"
    elif kind == "fault":
        text = f"fault {entry.detail}"
    elif kind == "crash":
        text = f"crash {entry.detail}"
    elif kind == "sleep":
        text = "sleep" if entry.detail in ("", "sleep") else f"sleep {entry.detail}"
    elif kind == "switch":
        text = f"switch {entry.detail} → {entry.target}"
    elif kind == "step":
        text = "▶ " + " ".join(entry.detail.split())
    else:
        text = entry.detail
    if mark.switch is not None:
        text += " ⇢ " + chart.lane_name(mark.switch.target or "")
    if len(text) > LABEL_CHARS:
        text = text[: LABEL_CHARS - 1] + "…"
    return text


def _bold(mark: _Mark) -> bool:
    return mark.kind in ("state", "fault", "crash", "step")


def _frees(entry: Entry) -> bool:
    """A PCI device state change that makes the device free again."""
    change = entry.change
    return change is not None and change.object == "PciDevice" and change.new == "available"


def _colour(mark: _Mark) -> str:
    kind, change = mark.kind, mark.entry.change
    if kind == "state":
        if _frees(mark.entry):
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
    return INK


def _glyph(mark: _Mark, x: float, y: float, colour: str) -> str:
    kind = mark.kind
    if kind == "state":
        size = 7.0 if _frees(mark.entry) else 5.5
        halo = _circle(x, y, 12, f"fill:{RED};fill-opacity:0.18") if _frees(mark.entry) else ""
        points = _points((x, y - size), (x + size, y), (x, y + size), (x - size, y))
        return halo + f'<polygon points="{points}" style="fill:{colour};stroke:#ffffff"/>'
    if kind in ("fault", "crash"):
        style = f"stroke:{RED};stroke-width:2.5;stroke-linecap:round"
        return _line(x - 5, y - 5, x + 5, y + 5, style) + _line(x - 5, y + 5, x + 5, y - 5, style)
    if kind in ("end", "cancel"):
        ink = INK if kind == "end" else MUTED
        return _line(x, y - 9, x, y + 9, f"stroke:{ink};stroke-width:3")
    if kind == "spawn":
        points = _points((x - 4, y - 5), (x + 5, y), (x - 4, y + 5))
        return f'<polygon points="{points}" style="fill:#2e7d32"/>'
    if kind == "acquire":
        return _rect(x - 4, y - 4, 8, 8, f"fill:{LOCK};stroke:{LOCK_INK}")
    if kind == "release":
        return _rect(x - 4, y - 4, 8, 8, f"fill:#ffffff;stroke:{LOCK_INK};stroke-width:1.5")
    if kind == "wait":
        points = _points((x - 4, y - 5), (x + 4, y - 5), (x - 4, y + 5), (x + 4, y + 5))
        return f'<polygon points="{points}" style="fill:{LOCK};stroke:{LOCK_INK}"/>'
    if kind == "fold":
        return "".join(_circle(x + dx, y, 1.8, f"fill:{MUTED}") for dx in (-5, 0, 5))
    if kind == "note":
        return _circle(x, y, 3.5, f"fill:#ffffff;stroke:{MUTED};stroke-width:1.5")
    if kind == "sleep":
        return _circle(x, y, 3.5, f"fill:{SLEEP}")
    if kind == "switch":
        return _circle(x, y, 3.5, f"fill:{SWITCH}")
    if kind == "step":  # a keyword of the suite: a black flag on the cluster lane
        points = _points((x - 1, y - 9), (x + 7, y - 6), (x - 1, y - 3))
        return _line(x - 1, y - 9, x - 1, y + 5, f"stroke:{INK};stroke-width:1.5") + (
            f'<polygon points="{points}" style="fill:{INK}"/>'
        )
    fill = DELAY if mark.bar is not None else "#546e7a"
    return _circle(x, y, 3.5, f"fill:{fill}")


def _legend(x: float, y: float) -> tuple[list[str], float]:
    """The key to the symbols, on one line; returns its parts and width."""
    items: list[tuple[str, str]] = []
    cy = y - 4
    flag = _points((3, cy - 7), (11, cy - 4), (3, cy - 1))
    items.append(
        (
            _line(3, cy - 7, 3, cy + 7, f"stroke:{INK};stroke-width:1.5")
            + f'<polygon points="{flag}" style="fill:{INK}"/>',
            "keyword step",
        )
    )
    items.append((_circle(6, cy, 3.5, "fill:#546e7a"), "point"))
    items.append(
        (
            f'<polygon points="6,{_n(cy - 5.5)} 11.5,{_n(cy)} 6,{_n(cy + 5.5)} '
            f'0.5,{_n(cy)}" style="fill:{STATE_COLOURS["Migration"]}"/>',
            "state change",
        )
    )
    items.append(
        (
            f'<polygon points="6,{_n(cy - 6)} 12,{_n(cy)} 6,{_n(cy + 6)} '
            f'0,{_n(cy)}" style="fill:{RED}"/>',
            "PCI device freed",
        )
    )
    items.append(
        (
            _rect(0, cy - 5, 22, 10, f"fill:{DELAY};fill-opacity:0.28;stroke:{DELAY}"),
            "injected delay",
        )
    )
    items.append(
        (
            _rect(0, cy - 5, 22, 10, f"fill:{SLEEP};fill-opacity:0.28;stroke:{SLEEP}"),
            "sleep",
        )
    )
    items.append(
        (
            _rect(0, cy - 4, 8, 8, f"fill:{LOCK};stroke:{LOCK_INK}")
            + _rect(12, cy - 4, 8, 8, f"fill:#ffffff;stroke:{LOCK_INK}"),
            "acquire / release",
        )
    )
    items.append((_rect(0, cy - 2, 22, 5, f"fill:{LOCK};fill-opacity:0.75"), "lock held"))
    items.append(
        (
            _rect(
                0,
                cy - 7,
                22,
                14,
                f"fill:{LOCK};fill-opacity:0.18;stroke:{LOCK};stroke-dasharray:3 2",
            ),
            "waiting",
        )
    )
    style = f"stroke:{RED};stroke-width:2.5;stroke-linecap:round"
    items.append(
        (
            _line(1, cy - 5, 11, cy + 5, style) + _line(1, cy + 5, 11, cy - 5, style),
            "fault / crash",
        )
    )
    items.append(
        (
            _line(0, cy, 22, cy, f"stroke:{SWITCH};stroke-width:1.5;stroke-dasharray:5 3"),
            "switch",
        )
    )
    items.append((_line(4, cy - 8, 4, cy + 8, f"stroke:{INK};stroke-width:3"), "end"))
    out = [f'<g data-kind="legend" transform="translate({_n(x)} 0)">']
    offset = 0.0
    for glyph, text in items:
        out.append(f'<g transform="translate({_n(offset)} 0)">{glyph}')
        out.append(_text(28, y, text, f"font-size:{SMALL_SIZE}px;fill:{MUTED}") + "</g>")
        offset += 28 + _text_width(text, SMALL_SIZE) + 18
    out.append("</g>")
    return out, offset


# -- SVG and HTML primitives ----------------------------------------------------


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _n(value: float) -> str:
    """A coordinate, short and identical for identical input."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _key(t: float) -> float:
    """Virtual time rounded so that 0.1 + 0.2 and 0.3 are one instant."""
    return round(t, 9)


def _secs(t: float) -> str:
    return f"{round(t, 6):g} s"


def _rect(  # noqa: PLR0917 - SVG's own attribute order
    x: float,
    y: float,
    width: float,
    height: float,
    style: str,
    kind: str = "",
    title: str = "",
    rx: float = 0,
) -> str:
    data = f' data-kind="{kind}"' if kind else ""
    corner = f' rx="{_n(rx)}"' if rx else ""
    attrs = (
        f'x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}"'
        f'{corner} style="{style}"{data}'
    )
    if title:
        return f"<rect {attrs}><title>{_esc(title)}</title></rect>"
    return f"<rect {attrs}/>"


def _svg(width: float, height: float, body: str, label: str, x: float = 0) -> str:
    """An inline SVG showing ``width`` x ``height`` px of ``body`` from ``x`` on."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="{_n(x)} 0 {_n(width)} {_n(height)}" '
        f'style="display:block;direction:ltr;font-family:{FONT};background:#ffffff" '
        f'role="img" aria-label="{_esc(label)}">{body}</svg>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, style: str) -> str:
    return f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" style="{style}"/>'


def _circle(x: float, y: float, r: float, style: str) -> str:
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" style="{style}"/>'


def _text(x: float, y: float, text: str, style: str, anchor: str = "start") -> str:
    middle = f' text-anchor="{anchor}"' if anchor != "start" else ""
    return f'<text x="{_n(x)}" y="{_n(y)}"{middle} style="{style}">{_esc(text)}</text>'


# Average advance of Helvetica/Arial glyphs, in ems; an estimate is enough to
# size lanes and cut labels (browsers measure, Python cannot).
_NARROW = frozenset("fijlrtI.,:;!|'()[] ")
_WIDE = frozenset("mwMW@%")


def _text_width(text: str, size: float, *, bold: bool = False) -> float:
    ems = 0.0
    for char in text:
        if char in _NARROW:
            ems += 0.3
        elif char in _WIDE:
            ems += 0.85
        elif char.isupper():
            ems += 0.67
        elif char.isdigit():
            ems += 0.56
        else:
            ems += 0.54
    return ems * size * (1.08 if bold else 1.0)


def _fit(text: str, width: float, size: float, *, bold: bool = False) -> str:
    """``text`` cut with an ellipsis to fit ``width`` px (empty if nothing fits)."""
    if _text_width(text, size, bold=bold) <= width:
        return text
    while text and _text_width(text + "…", size, bold=bold) > width:
        text = text[:-1]
    return text + "…" if text else ""


def _journal_table(entries: list[Entry], lane_name: Callable[[str], str]) -> str:
    """Every entry, in a table folded away under the chart."""
    cell = "padding:1px 8px 1px 0;vertical-align:top;text-align:left"
    rows = []
    for entry in entries:
        detail = entry.detail if entry.target is None else f"{entry.detail} → {entry.target}"
        if entry.duration:
            detail += f" (+{entry.duration:.3f}s)"
        red = entry.kind in ("fault", "crash") or _frees(entry)
        row = f' style="color:{RED};font-weight:bold"' if red else ""
        rows.append(
            f"<tr{row}>"
            f'<td style="{cell};white-space:nowrap">{_esc(format_time(entry.time))}</td>'
            f'<td style="{cell};white-space:nowrap">{_esc(lane_name(entry.task))}</td>'
            f'<td style="{cell}">{_esc(entry.kind)}</td>'
            f'<td style="{cell}">{_esc(detail)}</td></tr>'
        )
    head = "".join(
        f'<th style="{cell};border-bottom:1px solid #b0bec5">{name}</th>'
        for name in ("time", "task", "kind", "detail")
    )
    return (
        '<details style="margin-top:4px"><summary style="cursor:pointer;color:#455a64">'
        f"Journal: {len(entries)} entries</summary>"
        '<table style="border-collapse:collapse;font-family:monospace;font-size:11px;'
        f'margin-top:2px"><tr>{head}</tr>{"".join(rows)}</table></details>'
    )


def _points(*xy: tuple[float, float]) -> str:
    """An SVG ``points`` attribute value."""
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in xy)
