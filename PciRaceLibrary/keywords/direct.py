"""An exploration's check run again without Robot's per-keyword machinery, where that is the same.

`Explore Interleavings` runs its check after every schedule, hundreds of
times a second. Through ``Run Keyword And Ignore Error`` Robot Framework
builds, for every keyword the check runs, its data and result objects, a
status reporter, a variable scope and the arguments' conversion: about
1.5 ms a check, where the checks themselves read the state in 0.1 ms.

A check whose run is fixed is called directly instead. It is fixed when it
is one of this library's read-only checks (tagged ``Check``), or a user
keyword whose body is nothing but calls of such checks or of user keywords
of the same kind, every name and argument written out (no variables, no
escapes), without arguments, setup, teardown, timeout, ``robot:private`` or
anything Robot warns about at each call (``*DEPRECATED*``). Robot then
runs the same checks with the same converted arguments every time, in the
same order, and the check passes exactly when each of them returns.
Anything else (variables, ``Run Keyword If``, ``TRY``, embedded arguments,
another library's keyword) runs through Robot as before.

The converted arguments are learnt from a passing run through Robot: the
library records the calls it receives (``PciRaceLibrary.recording``). A
direct run that raises is never trusted for its message: the check runs
again through Robot, which gives the status and the message it always
gives; a check only reads, so running it twice reads the same state. Names
are resolved again whenever another keyword ran through Robot since (a
settle step could have changed the library search order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from robot.errors import TimeoutExceeded
from robot.libraries.BuiltIn import BuiltIn
from robot.running import EXECUTION_CONTEXTS
from robot.running.librarykeywordrunner import LibraryKeywordRunner
from robot.running.userkeywordrunner import UserKeywordRunner
from robot.variables.search import contains_variable

if TYPE_CHECKING:
    from .. import PciRaceLibrary

Call = tuple[str, tuple, dict]
Leaf = tuple[Any, tuple[str, ...]]  # a library keyword, its arguments as written

_DEPTH = 10  # user keywords within user keywords; deeper ones run through Robot


@dataclass
class DirectCheck:
    """How to run one exploration's check; see the module docstring."""

    name: str
    # The library keywords the check runs, in order, as Robot resolves them
    # now, each with the arguments written for it; None when not fixed.
    leaves: list[Leaf] | None = None
    calls: list[Call] | None = None  # their converted arguments, once learnt
    resolved_at: int = -1  # library.keywords_started when ``leaves`` was resolved
    runs: dict[str, int] = field(default_factory=lambda: {"direct": 0, "robot": 0})

    def run(self, library: PciRaceLibrary) -> tuple[str, str | None]:
        """``("PASS", None)`` or ``("FAIL", message)``, as Robot gives them."""
        if self.resolved_at != library.keywords_started:
            leaves = fixed_leaves(self.name, library)
            if self.leaves is None or not _same(leaves, self.leaves):
                self.calls = None  # learn the arguments again
            self.leaves = leaves
            self.resolved_at = library.keywords_started
        if self.leaves is not None and self.calls is not None:
            try:
                for name, args, kwargs in self.calls:
                    library.run_keyword(name, args, kwargs)
            except TimeoutExceeded:
                raise
            except Exception:  # Robot's run says how it fails
                pass
            else:
                self.runs["direct"] += 1
                return "PASS", None
        return self._through_robot(library)

    def _through_robot(self, library: PciRaceLibrary) -> tuple[str, str | None]:
        self.runs["robot"] += 1
        learn = self.leaves is not None and self.calls is None
        library.recording = [] if learn else None
        try:
            status, message = BuiltIn().run_keyword_and_ignore_error(self.name)
        finally:
            recorded, library.recording = library.recording, None
        # Robot ran keywords: the names were resolved by that run itself.
        self.resolved_at = library.keywords_started
        if learn and status == "PASS" and len(recorded or ()) == len(self.leaves or ()):
            self.calls = recorded
        return status, None if status == "PASS" else str(message)


def fixed_leaves(name: str, library: PciRaceLibrary) -> list[Leaf] | None:
    """The library keywords Robot runs, in order, for the keyword call
    ``name`` without arguments, when that run is fixed; None otherwise."""
    context = EXECUTION_CONTEXTS.current
    if context is None or context.dry_run or not _literal(name):
        return None
    return _expand(context, name, (), library, 0)


def _expand(
    context: Any, name: str, args: tuple[str, ...], library: PciRaceLibrary, depth: int
) -> list[Leaf] | None:
    runner = context.get_runner(name, recommend_on_failure=False)
    if getattr(runner, "pre_run_messages", None):
        return None  # Robot warns at each call (a name found in two places, ...)
    if type(runner) is LibraryKeywordRunner:  # not embedded, not Run Keyword ...
        keyword = runner.keyword
        if (
            keyword.owner.instance is library
            and library.is_check(keyword.name)
            and not keyword.error
            and not _deprecated(keyword)
        ):
            return [(keyword, args)]
        return None
    if type(runner) is not UserKeywordRunner or depth >= _DEPTH:  # embedded, invalid, ...
        return None
    user = runner.keyword
    if (
        user.error
        or user.embedded
        or user.private
        or user.args.argument_names
        or user.has_setup
        or user.has_teardown
        or user.timeout
        or _deprecated(user)
        or args
        or not user.body
    ):
        return None
    leaves: list[Leaf] = []
    for item in user.body:
        if item.type != "KEYWORD" or item.assign or item.named_args:
            return None  # IF, TRY, FOR, VAR, RETURN, an assignment, ...
        if not _literal(item.name) or not all(_literal(arg) for arg in item.args):
            return None
        found = _expand(context, item.name, tuple(item.args), library, depth + 1)
        if found is None:
            return None
        leaves.extend(found)
    return leaves


def _deprecated(keyword: Any) -> bool:
    """Robot warns at each call of a keyword documented as deprecated."""
    doc = keyword.doc or ""
    return doc.startswith("*DEPRECATED") and "*" in doc[1:]


def _literal(text: object) -> bool:
    """Written out: Robot passes it on as it is."""
    return isinstance(text, str) and "\\" not in text and not contains_variable(text)


def _same(first: list[Leaf] | None, second: list[Leaf] | None) -> bool:
    if first is None or second is None:
        return first is second
    return len(first) == len(second) and all(
        a[0] is b[0] and a[1] == b[1] for a, b in zip(first, second, strict=True)
    )
