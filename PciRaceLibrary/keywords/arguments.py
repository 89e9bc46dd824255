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

import inspect
import math
import re
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any

from robot.api import TypeInfo
from robot.utils import secs_to_timestr, timestr_to_secs

from ..errors import InvalidArgument

# A virtual time beyond this is surely a typing error, and far below where
# timedelta and the clock's float lose their meaning.
MAX_SECONDS = 10**9
MAX_COUNT = 10**9
_WHOLE = re.compile(r"[+-]?[0-9]+")


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
    expected = "a time such as '2 s', '500 ms' or '1 min 30 s'"
    if isinstance(value, timedelta):
        return value
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
    """``ROBOT_LIBRARY_CONVERTERS`` as Robot sees them while it converts the
    arguments of one keyword call: only the converters of the types its
    given arguments can reach (``narrow``, ``ArgumentShape.types_given``),
    all of them otherwise (libdoc, import).

    Robot Framework (7.x) reads every library converter's signature again on
    every keyword call, presigned or not: 6 converters cost about 0.5 ms a
    keyword, most of a race test's cost above Robot's floor. A keyword is
    converted right after its start, where the library narrows the set, and
    a converter left out is one no given argument asks for, so each argument
    converts as with them all: each type gets the first converter that fits it,
    as Robot picks (``bool`` before ``int``).
    """

    def __init__(self, converters: dict[type, Any]) -> None:
        super().__init__(converters)
        self._now: dict[type, Any] | None = None  # None: all of them
        self._for_types: dict[frozenset[type], dict[type, Any]] = {}

    def narrow(self, types: frozenset[type] | None) -> None:
        """Shows only the converters ``types`` need; all with None."""
        if types is None:
            self._now = None
            return
        now = self._for_types.get(types)
        if now is None:
            # The converter Robot would pick for each type: the first that fits.
            kinds = list(self)
            picked = {
                next((kind for kind in kinds if issubclass(used, kind)), None) for used in types
            }
            now = self._for_types[types] = {
                kind: converter for kind, converter in super().items() if kind in picked
            }
        self._now = now

    def __len__(self) -> int:
        return super().__len__() if self._now is None else len(self._now)

    def items(self) -> Any:
        return super().items() if self._now is None else self._now.items()


def hinted_types(hints: dict[str, Any]) -> frozenset[type]:
    """Every class named in ``hints``, inside unions, lists and dicts too."""
    found: set[type] = set()
    stack = list(hints.values())
    while stack:
        hint = stack.pop()
        if isinstance(hint, type):
            found.add(hint)
        stack.extend(typing.get_args(hint))
    return frozenset(found)


class ArgumentShape:
    """A keyword's parameters and their types, to tell which types the
    arguments of one call can reach (``types_given``).

    Robot converts only the arguments a call gives, never a default, so a
    converter no given argument can reach is never asked for: Robot reads
    each converter left in ``ROBOT_LIBRARY_CONVERTERS`` again on every call
    (0.05 ms each), wanted or not.
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
        self.types = {name: hinted_types({name: hint}) for name, hint in hints.items()}
        self.all = hinted_types(hints)
        self._given: dict[tuple[int, tuple[str, ...]], frozenset[type]] = {}

    def types_given(self, args: Sequence[object], named_args: object = None) -> frozenset[type]:
        """Every type the arguments of a call, as written, can be converted to.

        A superset: each argument counts as positional (among the first
        ``len(args)`` parameters) and, written ``name=value``, also as named.
        Anything whose place is known only once resolved (``@{list}``,
        ``&{dict}``, a variable or escape in a name) gets every type."""
        if named_args:
            return self.all
        names: list[str] = []
        for arg in args:
            if isinstance(arg, str) and ("{" in arg or "=" in arg):
                if "@{" in arg or "&{" in arg:
                    return self.all
                name, equals, _ = arg.partition("=")
                if equals:
                    if "{" in name or "\\" in name:
                        return self.all
                    names.append(name)
        key = (len(args), tuple(names))
        found = self._given.get(key)
        if found is None:
            reached = self.positional[: len(args)]
            if len(args) > len(self.positional) and self.var_positional:
                reached.append(self.var_positional)
            for name in names:
                reached.append(name if name in self.named else self.var_named or "")
            found = self._given[key] = frozenset().union(
                *(self.types.get(name, frozenset()) for name in reached)
            )
        return found


CONVERTERS = KeywordConverters(
    {
        bool: _presigned(to_bool),  # before int: a bool is an int to Python
        timedelta: _presigned(to_timedelta),
        int: _presigned(to_int),
        VnicType: _presigned(VnicType.convert),
        NumaPolicy: _presigned(NumaPolicy.convert),
        Strategy: _presigned(Strategy.convert),
    }
)


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
