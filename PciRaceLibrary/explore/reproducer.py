"""From a failing schedule to an ordinary test: the same interleaving by delays.

A preemption at point ``P`` of task ``A`` lets the other runnable tasks run
until they block, then ``A`` goes on. A delay at that pass of ``P`` for ``A``
(``Class.method#n`` when ``A`` passes ``P`` more than once) does the same in
plain virtual time: ``A`` sleeps, the others run until they block, ``A``
wakes. So each preemption becomes a ``Class.method=<delay>`` argument of the
step that started ``A``; later preemptions get longer delays, so they happen
in the same order. The caller verifies the result by running it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .policies import Choice

STEP = 0.5  # seconds of virtual time between consecutive preemptions


def switch_delays(
    choices: Sequence[Choice],
    passes: Mapping[str, Mapping[str, int]] | None = None,
    step: float = STEP,
) -> dict[str, dict[str, float]]:
    """Task name -> {point: seconds} reproducing the preemptions in ``choices``.

    ``passes`` (task -> point -> total passes in the run) tells which points a
    task passes more than once; those get ``#n`` to delay the n-th pass only.
    """
    passes = passes or {}
    delays: dict[str, dict[str, float]] = {}
    switches = [choice for choice in choices if choice.chosen]
    for number, choice in enumerate(switches, start=1):
        task = choice.candidates[0]
        total = passes.get(task, {}).get(choice.point, choice.nth)
        name = choice.point if total <= 1 else f"{choice.point}#{choice.nth}"
        delays.setdefault(task, {}).setdefault(name, round(step * number, 3))
    return delays


def describe_switches(choices: Iterable[Choice]) -> list[str]:
    """One line per preemption, for logs and failure messages."""
    return [
        f"at choice point {position}: '{choice.candidates[0]}' at {choice.point} "
        f"yields to '{choice.candidates[choice.chosen]}'"
        for position, choice in enumerate(choices)
        if choice.chosen
    ]


def robot_arguments(delays: dict[str, float]) -> list[str]:
    """``Class.method=0.5 s`` arguments for a keyword call."""
    return [f"{point}={_seconds(seconds)}" for point, seconds in sorted(delays.items())]


def robot_test(
    *,
    name: str,
    documentation: str,
    settings: Sequence[str],
    body: Sequence[Sequence[str]],
    keywords_section: str = "",
) -> str:
    """A complete ``.robot`` file with one test case; ``body`` rows are keyword
    calls as lists of cells."""
    lines = ["*** Settings ***", *settings, "", "", "*** Test Cases ***", name]
    lines.append(f"    [Documentation]    {documentation}")
    lines.extend("    " + "    ".join(cells) for cells in body)
    text = "\n".join(lines) + "\n"
    if keywords_section.strip():
        text += "\n\n" + keywords_section.strip() + "\n"
    return text


def _seconds(seconds: float) -> str:
    return f"{seconds:g} s"
