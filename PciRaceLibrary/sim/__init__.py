"""The deterministic kernel: virtual time, cooperative tasks, named points.

Knows nothing of Nova or Robot Framework; the cluster and the explorer build on
these names only.
"""

from .journal import Change, Entry, Journal, Kind, format_time
from .kernel import ChoicePolicy, Injection, Kernel, PointPass, Task
from .locks import Event, Lock
from .traps import point, sleep

__all__ = [
    "Change",
    "ChoicePolicy",
    "Entry",
    "Event",
    "Injection",
    "Journal",
    "Kernel",
    "Kind",
    "Lock",
    "PointPass",
    "Task",
    "format_time",
    "point",
    "sleep",
]
