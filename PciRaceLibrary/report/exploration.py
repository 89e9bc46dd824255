"""An exploration's results as HTML for log.html: the outcome table and the
failing schedule with its timeline."""

from __future__ import annotations

import html

from ..explore import Exploration, Failure
from .timeline import render_timeline


def render_summary(result: Exploration) -> str:
    """The summary sentence, the speed, and how many schedules gave each outcome."""
    rows = "".join(
        f"<tr><td>{_esc(outcome)}</td><td style='text-align:right'>{count}</td></tr>"
        for outcome, count in sorted(result.outcomes.items(), key=lambda item: -item[1])
    )
    levels = ", ".join(f"{level}: {count}" for level, count in enumerate(result.levels))
    levels = f"<br>Schedules by preemptions: {_esc(levels)}." if levels else ""
    kinds = "".join(
        f"<tr><td>{_esc(group.failure)}</td><td style='text-align:right'>{group.count}</td>"
        f"<td>{_esc(group.smallest.token)} ({group.smallest.preemptions})</td></tr>"
        for group in result.ordered_groups()
    )
    if kinds:
        kinds = (
            "<table border='1' style='border-collapse:collapse;margin-top:4px'><tr>"
            "<th>Failure</th><th>Schedules</th><th>Smallest (preemptions)</th></tr>"
            f"{kinds}</table>"
        )
    return (
        f"<b>{_esc(result.summary())}</b><br>Wall time {result.seconds:.2f} s, "
        f"{result.schedules / max(result.seconds, 1e-9):.0f} schedules/s.{levels}{kinds}"
        "<table border='1' "
        f"style='border-collapse:collapse;margin-top:4px'><tr><th>Outcome</th>"
        f"<th>Schedules</th></tr>{rows}</table>"
    )


def render_failure(failure: Failure) -> str:
    """The shrunk failing schedule: its token, switches, outcome and timeline."""
    items = "".join(f"<li>{_esc(line)}</li>" for line in failure.switches)
    run = failure.run
    return (
        f"<b>Smallest failing schedule</b> {_esc(failure.token)}<ul>{items}</ul>"
        f"Outcome: {_esc(run.outcome)}; failure: {_esc(run.failure or '')}"
        + render_timeline(run.journal, title=f"Timeline of schedule {failure.token}")
    )


def render_reproducer(name: str, text: str) -> str:
    """A link to the reproducer file (relative to the log) and its text."""
    return f"Reproducer written to <a href='{_esc(name)}'>{_esc(name)}</a>:<pre>{_esc(text)}</pre>"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)
