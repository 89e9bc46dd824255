"""Argument conversion: Robot's, with one clear sentence for what does not convert.

Robot Framework converts keyword arguments from their type hints. Where a
value does not convert, Robot's own message starts with a Python exception
name (``ValueError: Argument ...``), and some values crash the conversion
(``1e400 s`` raises ``OverflowError``). The library registers these
converters instead (``ROBOT_LIBRARY_CONVERTERS``): a value that does not
convert becomes an :class:`Invalid`, and the library refuses the keyword with
its sentence before the keyword runs, so nothing changes.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any

from robot import utils as robot_utils
from robot.api import TypeInfo
from robot.running import EXECUTION_CONTEXTS
from robot.utils import secs_to_timestr, timestr_to_secs

from ..errors import InvalidArgument

# A virtual time beyond this is surely a typing error, and far below where
# timedelta and the clock's float lose their meaning.
MAX_SECONDS = 10**9
MAX_COUNT = 10**9
_WHOLE = re.compile(r"[+-]?[0-9]+")
_SECRET = getattr(robot_utils, "Secret", ())  # Robot 7.4 on; isinstance(x, ()) is False


@dataclass(frozen=True)
class Invalid:
    """A keyword argument that did not convert, and what was expected."""

    value: object
    expected: str

    def sentence(self, what: str) -> str:
        """``Argument 'timeout' must be a time such as 30 s, got 'soon'.``"""
        return f"{what} must be {self.expected}, got {describe(self.value)}."


def describe(value: object) -> str:
    """A value as a sentence shows it: text quoted, other kinds named."""
    if isinstance(value, str):
        shown = value if len(value) <= 80 else value[:77] + "..."
        return "'" + "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in shown) + "'"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a value of type {type(value).__name__}"


def timestr(seconds: float) -> str:
    """Robot's ``1 minute 30 seconds``, with a plain minus sign when negative."""
    return f"-{secs_to_timestr(-seconds)}" if seconds < 0 else secs_to_timestr(seconds)


def to_timedelta(value: object) -> timedelta | Invalid:
    """A Robot Framework time: ``2 s``, ``500 ms``, ``1 min 30 s``, ``1.5``
    (seconds) or ``00:01:30``, finite and at most 10^9 seconds either way."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        return _time_of_text(value)
    return _time_of(value)


# Robot's parse of a time string takes 14 us, and a suite writes the same few
# again and again; both results are immutable.
@functools.lru_cache(maxsize=1024)
def _time_of_text(text: str) -> timedelta | Invalid:
    return _time_of(text)


def _time_of(value: object) -> timedelta | Invalid:
    expected = "a time such as '2 s', '500 ms' or '1 min 30 s'"
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return Invalid(value, expected)
    try:
        seconds = timestr_to_secs(value)
    except (ValueError, TypeError, OverflowError):
        return Invalid(value, expected)
    if not math.isfinite(seconds) or abs(seconds) > MAX_SECONDS:
        return Invalid(value, f"a finite time of at most {MAX_SECONDS} seconds")
    return timedelta(seconds=seconds)


def to_int(value: object) -> int | Invalid:
    """A whole number written with the digits 0-9 (a sign allowed), at most 10^9."""
    expected = "a whole number such as 2"
    if isinstance(value, bool):
        return Invalid(value, expected)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and _WHOLE.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return Invalid(value, expected)
    if abs(number) > MAX_COUNT:
        return Invalid(value, f"a whole number of at most {MAX_COUNT}")
    return number


_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0", "none", ""})


def to_bool(value: object) -> bool | Invalid:
    """``True``/``False`` as Robot reads them: also yes/no, on/off, 1/0."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return Invalid(value, "true or false")


def check_at_least_zero(what: str, amount: int) -> None:
    """Refuses a negative count or amount, naming what it is."""
    if amount < 0:
        raise InvalidArgument(f"{what} must be 0 or more, got {amount}.")


class Choice(str, Enum):
    """Base of the keywords' choices: a value is matched case-insensitively."""

    @classmethod
    def convert(cls, value: object) -> Choice | Invalid:
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            for member in cls:
                if member.value.lower() == value.strip().lower():
                    return member
        valid = ", ".join(f"'{member.value}'" for member in cls)
        return Invalid(value, f"one of {valid}")


class VnicType(Choice):
    """The ``binding:vnic_type`` of a server's port.

    | =Value= | =Meaning= |
    | normal | no PCI device (an OVS port) |
    | direct | an SR-IOV VF |
    | macvtap | an SR-IOV VF behind a macvtap |
    | direct-physical | a whole PF |
    | virtio-forwarder | an SR-IOV VF behind a vhost-user forwarder |
    | vdpa | a vDPA device (a VF of a PF, device type ``vdpa``) |
    | remote-managed | a VF tagged ``remote_managed`` (a SmartNIC DPU programs it) |
    """

    NORMAL = "normal"
    DIRECT = "direct"
    MACVTAP = "macvtap"
    DIRECT_PHYSICAL = "direct-physical"
    VIRTIO_FORWARDER = "virtio-forwarder"
    VDPA = "vdpa"
    REMOTE_MANAGED = "remote-managed"


class NumaPolicy(Choice):
    """A PCI NUMA affinity policy (Nova's ``PCINUMAAffinityPolicy``), for a
    guest with a NUMA topology.

    | =Value= | =Devices may come from= |
    | required | the guest's NUMA cells only |
    | legacy | the guest's cells, or devices that report no NUMA node |
    | preferred | any cell, the guest's first |
    | socket | a cell on a socket of the guest's cells |
    """

    REQUIRED = "required"
    LEGACY = "legacy"
    PREFERRED = "preferred"
    SOCKET = "socket"


class Strategy(Choice):
    """How `Explore Interleavings` picks schedules.

    | =Value= | =Meaning= |
    | exhaustive | every schedule with at most ``bound`` preemptions |
    | pct | ``schedules`` runs of probabilistic concurrency testing, bug depth ``bound`` |
    | random | ``schedules`` random walks |
    """

    EXHAUSTIVE = "exhaustive"
    PCT = "pct"
    RANDOM = "random"


def _presigned(converter: Any) -> Any:
    """``converter`` with its signature and type hints worked out once.

    Robot Framework (7.x) re-reads every library converter's signature and
    type hints on every keyword call, about 0.3 ms per converter: 1.5 ms a
    keyword, more than most keywords cost. Robot takes a function's
    ``__signature__`` and ``robot_types`` (as TypeInfo, unparsed) as given,
    so work them out now: 0.05 ms a converter is left."""
    function = getattr(converter, "__func__", converter)  # a classmethod's function
    hints = {
        name: TypeInfo.from_type_hint(hint)
        for name, hint in typing.get_type_hints(function).items()
        if name != "return"
    }
    function.__signature__ = inspect.signature(function, eval_str=True)
    function.robot_types = hints
    return converter


class KeywordConverters(dict):
    """``ROBOT_LIBRARY_CONVERTERS``: all of them for libdoc and imports, none
    while a run executes.

    Robot Framework (7.x) reads every library converter's signature again on
    every keyword call, presigned or not (0.05 ms each), whether or not an
    argument asks for it. In a run the library converts its keywords'
    arguments itself (``ArgumentShape``), so Robot needs none of them there.
    """

    def __len__(self) -> int:
        return 0 if EXECUTION_CONTEXTS.current is not None else super().__len__()

    def items(self) -> Any:
        return () if EXECUTION_CONTEXTS.current is not None else super().items()


class ArgumentShape:
    """A keyword's parameters, and how the library converts their arguments
    in a run (``convert``) in Robot's place (``robot_hints``).

    Robot converts each typed argument of every call through its converter
    machinery, building new converter objects per argument and per call
    (1.4M of a race test's 21.6M instructions). Where every hint of a keyword
    is text or a type with a converter of ours (alone or ``| None``), the
    library converts its arguments in a run as Robot does with those
    converters: a value of the hinted type, or None for ``X | None``, passes
    as it is, anything else goes to the converter, and a default is never
    converted. Robot is then shown no hint at all. A keyword with another
    hint is left to Robot whole; in a run Robot has none of our converters
    (``KeywordConverters``), and tests/keywords/test_conversion.py shows that
    no such keyword needs them. Libdoc reads every hint.
    """

    def __init__(self, arguments: list[str | tuple[str, object]], hints: dict[str, Any]) -> None:
        self.positional: list[str] = []  # in order, each also usable as name=value
        self.named: set[str] = set()
        self.var_positional: str | None = None
        self.var_named: str | None = None
        named_only = False
        for argument in arguments:
            name = argument[0] if isinstance(argument, tuple) else argument.split("=", 1)[0]
            if name.startswith("**"):
                self.var_named = name[2:]
            elif name.startswith("*"):
                self.var_positional = name[1:] or None
                named_only = True
            else:
                if not named_only:
                    self.positional.append(name)
                self.named.add(name)
        own = {name: own_converter(hint) for name, hint in hints.items() if name != "return"}
        # Either the library converts every argument of the keyword, and Robot
        # none (None: not even by a default's type), or Robot all of them.
        self.own: dict[str, Callable[[object], object]] = {}
        self.robot_hints: dict[str, Any] | None = hints
        if all(convert is not None for convert in own.values()):
            self.own, self.robot_hints = own, None  # type: ignore[assignment]
        self._at = [self.own.get(name) for name in self.positional]

    def convert(self, args: tuple, kwargs: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
        """``args`` and ``kwargs`` as Robot gave them, converted where the
        library converts them (an :class:`Invalid` where a value does not)."""
        own = self.own
        if not own:
            return args, kwargs
        at, count = self._at, len(self._at)
        extra = own.get(self.var_positional or "")
        converted = tuple(
            value if (convert := at[index] if index < count else extra) is None else convert(value)
            for index, value in enumerate(args)
        )
        if kwargs:
            free = own.get(self.var_named or "")
            kwargs = {
                name: value
                if (convert := own.get(name) if name in self.named else free) is None
                else convert(value)
                for name, value in kwargs.items()
            }
        return converted, kwargs


def own_converter(hint: Any) -> Callable[[object], object] | None:
    """How the library converts an argument hinted ``hint`` in a run, as
    Robot would with the library's converters: ``str``, a type with a
    converter of ours, either of them ``| None``; None for any other hint."""
    if hint is str:
        return to_str
    convert = _CONVERTER_OF.get(hint)
    if convert is not None:
        return _unless_instance(hint, convert)
    members = typing.get_args(hint) if isinstance(hint, types.UnionType) else ()
    if len(members) == 2 and members[1] is type(None):
        inner = own_converter(members[0])
        if inner is not None:
            return _unless_none(inner)
    return None


def _unless_instance(kind: type, convert: Callable[[object], object]) -> Callable:
    # Robot's conversion: a value of the hinted type needs none.
    def converted(value: object) -> object:
        return value if isinstance(value, kind) else convert(value)

    return converted


def _unless_none(convert: Callable[[object], object]) -> Callable:
    # ``X | None``: None passes, anything else converts as ``X`` (tried first).
    def converted(value: object) -> object:
        return None if value is None else convert(value)

    return converted


def to_str(value: object) -> object:
    """Robot's ``str`` conversion: text as it is, bytes as Latin-1, anything
    else through ``str()``; a secret is not turned into text."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return value.decode("latin-1")
    if isinstance(value, _SECRET):
        return Invalid(value, "text")
    return str(value)


# The converter of each type as hinted (Robot picks the first that fits by
# subclass; the keywords' hints name these types themselves).
_CONVERTER_OF: dict[type, Any] = {
    bool: _presigned(to_bool),  # before int: a bool is an int to Python
    timedelta: _presigned(to_timedelta),
    int: _presigned(to_int),
    VnicType: _presigned(VnicType.convert),
    NumaPolicy: _presigned(NumaPolicy.convert),
    Strategy: _presigned(Strategy.convert),
}
CONVERTERS = KeywordConverters(_CONVERTER_OF)


def refuse_invalid(
    arguments: list[str | tuple[str, object]], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> str | None:
    """The sentence for the first argument that did not convert, or None.

    ``arguments`` is the keyword's argument spec (``name``, ``name=default``,
    ``*``, ``**delays``), to name positional arguments.
    """
    if not any(isinstance(value, Invalid) for value in (*args, *kwargs.values())):
        return None  # the usual case: nothing to name
    specs = [a[0] if isinstance(a, tuple) else a.split("=", 1)[0] for a in arguments]
    names = [a for a in specs if not a.startswith("*")]
    for index, value in enumerate(args):
        if isinstance(value, Invalid):
            name = names[index] if index < len(names) else f"#{index + 1}"
            return value.sentence(f"Argument '{name}'")
    free = next((a[2:] for a in specs if a.startswith("**")), None)
    for name, value in kwargs.items():
        if isinstance(value, Invalid):
            what = "Delay" if free == "delays" and name not in names else "Argument"
            return value.sentence(f"{what} '{name}'")
    return None
