"""Cluster state as HTML tables for log.html: one table per section.

Cells whose value says something went wrong or is held are coloured, so a
reader finds the allocated device or the failed migration without reading
every row. Everything escaped. Each table's cells take their look from one
style block scoped by the table's class (``prl-state``); only highlighted
cells carry a style of their own.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

FONT = "Helvetica,Arial,sans-serif"

HELD = frozenset({"allocated", "claimed"})
UNUSABLE = frozenset({"unavailable", "unclaimable"})
BAD = frozenset({"down", "ERROR", "error", "failed"})

HELD_STYLE = "background:#dcebff;color:#0d47a1"
UNUSABLE_STYLE = "background:#fff1c9;color:#7a4f00"
BAD_STYLE = "background:#ffd9d9;color:#b71c1c;font-weight:bold"

CELL = "border:1px solid #cfd8dc;padding:1px 8px;text-align:left;vertical-align:top"
# Once per table rather than on every cell: on a failure the cells' inline
# styles were most of the state tables' bytes in output.xml.
TABLE_STYLE = (
    "<style>.prl-state{border-collapse:collapse;font-size:12px}"
    f".prl-state td,.prl-state th{{{CELL}}}.prl-state th{{background:#eceff1}}</style>"
)


def render_state(
    state: Mapping[str, Sequence[Mapping[str, object]]], *, title: str = "Cluster state"
) -> str:
    """Returns an HTML fragment with one table per section of ``state``.

    Section headings are the keys (``Hosts``, ``PCI devices``, ...); columns
    are the keys of the section's first row, in order, then any key first seen
    in a later row. An empty section says "none". Cells reading ``allocated``
    or ``claimed``, ``unavailable`` or ``unclaimable``, and ``down``,
    ``ERROR``, ``error`` or ``failed`` are highlighted, each group in its
    own colour.
    """
    parts = [
        f'<div style="font-family:{FONT};font-size:12px;color:#263238">{TABLE_STYLE}',
        f'<div style="font-weight:bold;font-size:13px;margin:2px 0 4px">{_esc(title)}</div>',
    ]
    for section, rows in state.items():
        count = f" ({len(rows)})" if rows else ""
        parts.append(f'<div style="font-weight:bold;margin:8px 0 2px">{_esc(section)}{count}</div>')
        parts.append(_table(rows) if rows else '<div style="color:#607d8b">none</div>')
    parts.append("</div>")
    return "".join(parts)


def bounded_state(
    state: Mapping[str, Sequence[Mapping[str, object]]],
    *,
    hosts: set[str],
    servers: set[str],
    limit: int = 40,
) -> dict[str, list[Mapping[str, object]]]:
    """The rows of ``state`` about ``hosts`` and ``servers`` (by their
    ``host``, ``server`` and ``owner`` cells), at most ``limit`` per section;
    a section's heading says how many rows of how many are shown, so a
    failure on a cluster of thousands of hosts stays kilobytes."""
    bounded: dict[str, list[Mapping[str, object]]] = {}
    for section, rows in state.items():
        kept = [row for row in rows if _about(row, hosts, servers)]
        shown = kept[:limit]
        title = section if len(shown) == len(rows) else f"{section}, {len(shown)} of {len(rows)}"
        bounded[title] = shown
    return bounded


def _about(row: Mapping[str, object], hosts: set[str], servers: set[str]) -> bool:
    """Whether a row names one of ``hosts`` or ``servers``; rows naming
    neither kind of thing always stay."""
    named = False
    for column, wanted in (("host", hosts), ("server", servers), ("owner", servers)):
        if column in row:
            named = True
            if str(row[column]) in wanted:
                return True
    return not named


def _table(rows: Sequence[Mapping[str, object]]) -> str:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    head = "".join(f"<th>{_esc(str(column))}</th>" for column in columns)
    body = []
    for row in rows:
        cells = []
        for column in columns:
            text = _text(row.get(column))
            style = _highlight(text)
            cells.append(f'<td style="{style}">' if style else "<td>")
            cells.append(f"{_esc(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f'<table class="prl-state"><tr>{head}</tr>{"".join(body)}</table>'


def _text(value: object) -> str:
    """A cell's text: empty for None, lists joined, mappings as key=value."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return ", ".join(f"{key}={_text(item)}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(item) for item in value)
    return str(value)


def _highlight(text: str) -> str:
    if text in HELD:
        return HELD_STYLE
    if text in UNUSABLE:
        return UNUSABLE_STYLE
    if text in BAD:
        return BAD_STYLE
    return ""


def _esc(text: str) -> str:
    return html.escape(text, quote=True)
