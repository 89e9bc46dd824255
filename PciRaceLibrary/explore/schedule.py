"""Schedules: the choices made at the kernel's choice points, and replay tokens.

A choice point is a point a task passes while other tasks are runnable at the
same virtual time. Choice 0 lets the passing task go on; choice ``k`` switches
to the ``k``-th other runnable task: a *preemption*. A *free* choice point is
where the running task blocked, slept or ended while several tasks can run:
choice 0 runs the one the kernel's order would, choice ``k`` another one, and
no task is preempted (CHESS's preemption bounding counts only preemptions). A
schedule is the list of choices, one per choice point in the order they came.
Because the kernel is deterministic, the same schedule on the same scenario
gives the same run.

A replay token writes a schedule down compactly: only the choices other than
0, as ``position=choice`` pairs, with a checksum against typing errors, for
example ``PCR2:3=1,17=1:5c2e``. Version 1 tokens came before free choice
points, so their positions mean other points.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

from ..errors import ReplayError

PREFIX = "PCR2"
# No scenario of the model has this many choice points; a larger position is
# a typing error, refused before it can cost memory.
MAX_POSITION = 1_000_000
_TOKEN = re.compile(r"PCR2:((?:\d+=\d+(?:,\d+=\d+)*)?):([0-9a-f]{4})")


def preemptions(choices: Sequence[int], free: Sequence[bool] = ()) -> int:
    """How many choices switch away from the passing task; ``free`` marks the
    free choice points, whose switches preempt nobody."""
    return sum(
        1
        for position, choice in enumerate(choices)
        if choice and not (position < len(free) and free[position])
    )


def trimmed(choices: Sequence[int]) -> tuple[int, ...]:
    """The schedule without trailing zeros, which replay would choose anyway."""
    end = len(choices)
    while end and not choices[end - 1]:
        end -= 1
    return tuple(choices[:end])


def encode(choices: Sequence[int]) -> str:
    """The replay token of ``choices``."""
    pairs = ",".join(f"{position}={choice}" for position, choice in enumerate(choices) if choice)
    return f"{PREFIX}:{pairs}:{_checksum(pairs)}"


def decode(token: str) -> tuple[int, ...]:
    """The schedule a replay token writes down.

    Raises ReplayError saying what is wrong with a malformed token.
    """
    text = token.strip()
    version = re.match(r"PCR(\d+):", text)
    if version and version[1] != PREFIX[3:]:
        raise ReplayError(
            f"Replay token '{token}' is of version {version[1]}; this library reads "
            f"version {PREFIX[3:]} ('{PREFIX}:...'). Run the exploration again to get one."
        )
    match = _TOKEN.fullmatch(text)
    if match is None:
        raise ReplayError(
            f"Replay token '{token}' is malformed; a token looks like "
            f"'{PREFIX}:3=1,17=2:5c2e' (the failure message of an exploration shows it)."
        )
    pairs, checksum = match.groups()
    if _checksum(pairs) != checksum:
        raise ReplayError(
            f"Replay token '{token}' has a wrong checksum; it was changed or mistyped."
        )
    choices: dict[int, int] = {}
    for pair in filter(None, pairs.split(",")):
        position, choice = (int(part) for part in pair.split("="))
        if position >= MAX_POSITION:
            raise ReplayError(
                f"Replay token '{token}' preempts at choice point {position}; no scenario "
                f"has more than {MAX_POSITION} choice points."
            )
        if choice == 0:
            raise ReplayError(
                f"Replay token '{token}' gives choice 0 at position {position}; a token "
                "lists only switches (choices from 1)."
            )
        if position in choices:
            raise ReplayError(
                f"Replay token '{token}' gives position {position} twice; each choice "
                "point has one choice."
            )
        choices[position] = choice
    length = max(choices, default=-1) + 1
    return tuple(choices.get(position, 0) for position in range(length))


def _checksum(pairs: str) -> str:
    return f"{zlib.crc32(pairs.encode()) & 0xFFFF:04x}"
