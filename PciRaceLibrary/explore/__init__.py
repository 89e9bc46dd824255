"""Schedule exploration: find races without hand-tuned delays.

Policies plug into the kernel's choice points; ``explore`` runs a scenario
under many schedules; ``shrink`` minimises a failing one; ``reproducer``
turns it into plain delays; ``schedule`` writes it as a replay token.
"""

from .explorer import STRATEGIES, Exploration, Failing, Group, Run, explore, untimed
from .pipeline import Failure, Finding, investigate
from .policies import (
    FREE,
    Choice,
    PCTPolicy,
    RandomWalkPolicy,
    RecordingPolicy,
    ReplayPolicy,
    SwitchPolicy,
)
from .reduction import trace_of
from .reproducer import (
    Reproduction,
    describe_switches,
    interleaving,
    reproduce_with_delays,
    switch_delays,
)
from .schedule import decode, encode, preemptions
from .shrink import shrink

__all__ = [
    "FREE",
    "STRATEGIES",
    "Choice",
    "Exploration",
    "Failing",
    "Failure",
    "Finding",
    "Group",
    "PCTPolicy",
    "RandomWalkPolicy",
    "RecordingPolicy",
    "ReplayPolicy",
    "Reproduction",
    "Run",
    "SwitchPolicy",
    "decode",
    "describe_switches",
    "encode",
    "explore",
    "interleaving",
    "investigate",
    "preemptions",
    "reproduce_with_delays",
    "shrink",
    "switch_delays",
    "trace_of",
    "untimed",
]
