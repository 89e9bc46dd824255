"""The deterministic kernel: virtual time, cooperative tasks, named points.

Knows nothing of Nova or Robot Framework; the cluster and the explorer build on
these names only.
"""

from .journal import Entry, Journal, format_time
from .kernel import ChoicePolicy, Injection, Kernel, Statistics, Task
from .locks import Event, Lock
from .traps import point, sleep

__all__ = [
    "ChoicePolicy",
    "Entry",
    "Event",
    "Injection",
    "Journal",
    "Kernel",
    "Lock",
    "Statistics",
    "Task",
    "format_time",
    "point",
    "sleep",
]
