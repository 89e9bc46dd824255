"""ExploreKeywords: run racing steps under many schedules; replay one."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from robot.api import logger
from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from ..cluster import Cluster, ClusterTemplate, operations
from ..errors import InvalidArgument, ReplayError
from ..explore import Failure, ReplayPolicy, Run, decode, describe_switches, investigate
from ..explore.policies import RecordingPolicy
from ..explore.reproducer import robot_arguments
from ..report.exploration import render_failure, render_reproducer, render_summary
from ._base import LibraryComponent
from .arguments import Strategy, timestr
from .direct import DirectCheck
from .reproducer_file import write_reproducer

# Preemptions beyond a handful find nothing new and make spaces astronomical.
MAX_BOUND = 20


@dataclass
class Start:
    """One operation a step started: how to start it again without Robot."""

    operation: str
    subject: str
    delays: dict[str, float]
    arguments: dict[str, object]
    task: str  # the task name it got


@dataclass
class Scenario:
    """What an exploration runs: set-up, the racing steps, settle, the check."""

    setup: str
    check: str
    steps: list[list[str]]
    settle: str = ""
    owners: dict[str, int] = field(default_factory=dict)  # task name -> step index
    # What each step starts, learnt on the first schedule; None until then, or
    # when starting it again directly would not give the same state.
    starts: list[list[Start]] | None = None
    issued: str | None = None  # the state right after the steps, to verify ``starts``
    direct: bool = False  # ``starts`` verified: later schedules skip Robot for the steps
    # The cluster as the set-up left it, copied for later schedules once a copy
    # proved equal to a set-up run by Robot; None when it cannot be copied.
    template: ClusterTemplate | None = None
    copies: bool = False  # ``template`` verified
    tried: bool = False  # a template was tried
    checker: DirectCheck | None = None  # runs ``check``, directly where that is the same


class ExploreKeywords(LibraryComponent):
    # robot:flatten keeps thousands of schedule runs out of log.html's tree.
    @keyword(tags=["Explore", "robot:flatten"])
    def explore_interleavings(
        self,
        setup: str,
        check: str,
        *steps: str,
        strategy: Strategy = Strategy.EXHAUSTIVE,
        bound: int = 2,
        seed: int = 0,
        schedules: int = 2000,
        budget: timedelta = timedelta(minutes=1),
        expect_race: bool = False,
        complete: bool = True,
        settle: str = "",
        shard: str = "1/1",
        reduction: bool = True,
    ) -> str:
        """Runs ``steps`` together under many schedules and checks each outcome.

        Each schedule runs ``setup`` (a keyword that calls `Start Cluster`
        and prepares servers), then starts the work of every step (keywords
        separated by ``AND``), runs all of it to the end under the schedule,
        then ``settle`` if given, and then ``check``, any keyword that fails
        on a bad outcome. A *schedule* is the order in which the racing tasks
        pass their points; no delays are needed.

        Every step only starts its work, whatever kind of keyword it is: an
        action keyword returns at once anyway, and a run keyword (`Run
        Periodic Update Available Resource`, `Start Compute Service`) starts
        its operation and lets the explorer run it with the others. So the
        order the steps are written in does not change what is explored. A
        step that starts no operation (a check, a wait) cannot race and is
        refused, with the keywords that can be steps. ``settle`` and
        ``check`` run after every task finished, in the kernel's own order,
        unexplored: ``settle`` names a keyword, for example `Run Periodics`
        (one more audit of every running compute), or a user keyword. A
        check that is one of the library's ``... Should Be ...`` checks, or
        a user keyword of nothing but such calls written out (no variables,
        no IF or TRY), is called directly after its first schedule, with
        the same verdicts and messages, several times faster; any other
        check runs through Robot Framework after each schedule.

        | =Argument= | =Description= |
        | ``strategy`` | ``exhaustive``: every schedule with at most ``bound`` preemptions, as CHESS bounds them: a preemption switches away from a task that could go on; choosing who runs after a task blocked, slept or ended is free. It runs every schedule with 0 preemptions, then every one with 1, and so on (iterative deepening), so a failure is found with the fewest preemptions it needs. ``pct``: ``schedules`` runs of probabilistic concurrency testing for bugs of depth ``bound``. ``random``: ``schedules`` random walks. |
        | ``seed`` | Seed of ``pct`` and ``random``; the same seed gives the same schedules everywhere. |
        | ``schedules`` | At most this many runs (the cap of ``exhaustive``, the plan of the others). |
        | ``budget`` | At most this much wall-clock time. |
        | ``expect_race`` | ``True`` asserts that some schedule fails (the pre-fix variant must show the bug); by default any failing schedule fails this keyword. |
        | ``complete`` | By default an exploration stopped by ``schedules`` or ``budget`` before it was complete fails, even if nothing failed; ``False`` accepts a partial exploration, and the message says what it did not cover. |
        | ``settle`` | A keyword run after the racing steps finished and before the check, unexplored. |
        | ``shard`` | ``i/n`` runs the i-th of n disjoint parts of the space, so pabot processes can share one exploration. |
        | ``reduction`` | ``exhaustive`` only, on by default: partial-order reduction. A schedule is pruned, not run, once the trace it has run so far reached a state already explored with at least as much of the bound left, or when it preempts right after a step that touched nothing, which is the same as preempting one step earlier; so every outcome of a pruned schedule is an outcome of a schedule run with no more preemptions. Two runs are one trace when they differ only in the order of steps that touch nothing in common: what each step touches is recorded from the model as it runs (a server's rows, everything of one host, a port, placement, a lock). Steps on one host all touch it, so on the model's own races, which share a host, it prunes a few percent of the schedules (steps of the API and conductor that touch nothing shared, mostly); ``False`` runs every schedule within the bound. |

        The test message always says what was covered and what was not.
        For ``exhaustive`` it reads, for example, "complete to bound 2:
        every schedule with at most 2 preemption(s) was run (switches where
        a task blocked or ended are free); none with more", or "complete to bound 1 only:
        ...; NOT covered: the rest of bound 2 (40 of its schedules ran
        before the count stopped it)"; with ``reduction`` it adds "a schedule
        is pruned, not run, once the trace it has run so far reached a state
        already explored with at least as much of the bound left, or when it
        preempts right after a step that touched nothing, which is the same
        as preempting one step earlier; so every outcome of a pruned schedule
        is an outcome of a schedule run with no more preemptions". It also gives the schedules run, the distinct traces
        among them (runs that differ only in the order of steps touching
        nothing in common are one trace), the schedules pruned and the time. For
        ``pct`` it gives the probability of finding a bug of depth
        ``bound`` within the choice points the change points were drawn
        from.

        Failing schedules are grouped by outcome and failure message. The
        smallest schedule of each group (up to five groups) is shrunk while
        it fails the same way: no single switch of it can be dropped, and
        with ``exhaustive`` no schedule with fewer preemptions fails that
        way, since every one with fewer was run (or pruned, its outcomes those of
        one run with no more preemptions). The first group's replay
        token goes into the failure message (see `Replay Schedule`), its
        timeline into the log, and the same interleaving, found again with
        ``Class.method=...`` delays and verified by running them, is written
        as an ordinary test next to output.xml (its steps start together
        with `Start Steps Together`).

        Returns the summary the test message gives (what was covered, and
        the figures), when the keyword passes.

        | `Explore Interleavings` | Server On Failed Host | Resource Accounting Should Be Consistent |
        | ... | Evacuate Server With Direct Port | vm1 | AND | Run Periodic Update Available Resource | host2 |
        | ... | bound=2 | settle=Run Periodics |
        """  # noqa: E501
        scenario = Scenario(setup, check, _split_steps(steps), settle)
        index, total = _parse_shard(shard)
        if not 0 <= bound <= MAX_BOUND or schedules < 1:
            raise InvalidArgument(
                f"'bound' must be from 0 to {MAX_BOUND} and 'schedules' at least 1, "
                f"got {bound} and {schedules}."
            )
        if budget.total_seconds() <= 0:
            raise InvalidArgument(
                "'budget' must be a positive wall-clock time, got "
                f"{timestr(budget.total_seconds())}."
            )
        with self._quiet(), self._sandboxed():
            finding = investigate(
                lambda policy, delays: self._run_once(scenario, policy, delays=delays),
                Strategy(strategy).value,
                bound=bound,
                seed=seed,
                count=schedules,
                budget=budget.total_seconds(),
                shard=(index, total),
                reduction=reduction,
            )
        self.library.last_scenario = scenario  # only an exploration that ran
        result = finding.exploration
        failure = finding.failure
        self._sign_off(check, expect_race, failure is not None, result.summary(), complete)
        logger.info(render_summary(result), html=True)
        if failure is None:
            partial = ""
            if not result.complete:
                partial = (
                    " The exploration was not complete: raise 'schedules' or 'budget', "
                    "lower 'bound', or give 'complete=False' to accept a partial one."
                )
            if expect_race:
                raise AssertionError(
                    f"Expected a race, but no schedule failed '{check}': {result.summary()}"
                    + partial
                )
            if complete and not result.complete:
                raise AssertionError(f"No schedule failed '{check}': {result.summary()}{partial}")
            return result.summary()
        for other in finding.failures:
            logger.info(render_failure(other), html=True)
        path = self._write_reproducer(scenario, failure)
        kinds = len(result.groups)
        message = (
            f"Smallest failing schedule, shrunk to {failure.preemptions} preemption(s): "
            f"{'; '.join(failure.switches)}. It fails with: {failure.run.failure} "
            f"Replay token: {failure.token}"
        )
        if expect_race:
            logger.info(f"Race found as expected. {message}")
            return result.summary()
        raise AssertionError(
            f"{result.failures} schedule(s) failed '{check}'"
            + (f", in {kinds} kinds of failure" if kinds > 1 else "")
            + f". {message}"
            + (f" Reproducer: {path.name}" if path else "")
        )

    @keyword(tags=["Action"])
    def start_steps_together(self, *steps: str) -> None:
        """Starts the work of each step, as `Explore Interleavings` does, and returns at once.

        ``steps`` are keyword calls separated by ``AND``. A run keyword
        among them (`Run Periodic Update Available Resource`, `Start
        Compute Service`) only starts its operation here, so that all of
        them run together once a run or wait keyword moves the clock, such
        as `Run Until Idle`. The reproducers an exploration writes use it.
        Fails, with nothing started, for a step that starts no operation.

        | `Start Steps Together` | Evacuate Server With Direct Port | vm1 | AND | Start Compute Service | host1 |
        | `Run Until Idle` |

        New in 0.4.
        """  # noqa: E501
        cluster = self.cluster
        _issue(cluster, _split_steps(steps), {}, None)
        logger.info(f"{len(steps and _split_steps(steps))} step(s) started at {cluster.clock}.")

    @keyword(tags=["Explore", "robot:flatten"])
    def replay_schedule(
        self, token: str, setup: str | None = None, check: str | None = None, *steps: str
    ) -> None:
        """Runs one schedule again, from a replay token, and runs the check.

        Without ``setup``, ``check`` and ``steps`` it replays the scenario of
        the last `Explore Interleavings` in this test. The run is the same,
        point for point, as the one that produced the token; afterwards the
        cluster is left as the schedule left it, for checks and `Log Timeline`.

        | `Replay Schedule` | PCR1:12=1,16=1:08c2 |
        """
        schedule = decode(token)
        if setup is None:
            scenario = getattr(self.library, "last_scenario", None)
            if scenario is None:
                raise ReplayError(
                    "No scenario to replay: give 'setup', 'check' and the steps, or run "
                    "'Explore Interleavings' first in this test."
                )
        else:
            scenario = Scenario(setup, check or "No Operation", _split_steps(steps))
        policy = ReplayPolicy(prefix=schedule)
        with self._quiet(), self._sandboxed():
            run = self._run_once(scenario, policy, check=False)
            self.cluster.kernel.policy = None
            if len(policy.choices) < len(schedule):
                raise ReplayError(
                    f"Replay token '{token}' preempts at choice point {len(schedule) - 1}, "
                    f"but this scenario has only {len(policy.choices)} choice point(s): it "
                    "was recorded on another scenario."
                )
        switches = describe_switches(policy.choices) or ["no preemption"]
        logger.info(f"Replayed {token}: {'; '.join(switches)}. Outcome: {run.outcome}.")
        BuiltIn().run_keyword(scenario.check)

    @keyword(tags=["Run"])
    def run_until_idle(self, timeout: timedelta | None = None) -> None:
        """Runs every started operation to its end, at most ``timeout``."""
        cluster = self.cluster
        seconds = self.seconds(timeout)
        if not cluster.kernel.run_all(seconds):
            running = ", ".join(t.name for t in cluster.kernel.tasks if not t.done)
            raise AssertionError(
                f"Operations should finish within {self.timestr(seconds)}, but at "
                f"{cluster.clock} these still run: {running}."
            )
        logger.info(f"Every operation finished at {cluster.clock}.")

    # -- one schedule ----------------------------------------------------------------

    def _run_once(self, scenario: Scenario, policy: RecordingPolicy | None, check: bool = True,
                  delays: dict[str, dict[str, float]] | None = None) -> Run:  # fmt: skip
        builtin = BuiltIn()
        cluster = self._set_up(scenario)
        cluster = self._start_steps(scenario, cluster, delays)
        cluster.kernel.policy = policy
        try:
            settled = cluster.kernel.run_all(self.library.default_timeout)
        except BaseException:
            cluster.kernel.close()  # a refused replay: close the unfinished tasks
            raise
        cluster.kernel.policy = None  # settle and check run in the kernel's own order
        failure = None if settled else f"operations did not finish by {cluster.clock}"
        if failure is None and scenario.settle:
            status, message = builtin.run_keyword_and_ignore_error(scenario.settle)
            failure = f"settle step failed: {message}" if status == "FAIL" else None
        if check and failure is None:
            if scenario.checker is None:
                scenario.checker = DirectCheck(scenario.check)
            failure = scenario.checker.run(self.library)[1]
        return Run(
            outcome=_outcome(cluster), failure=failure, journal=cluster.kernel.journal.entries()
        )

    def _set_up(self, scenario: Scenario) -> Cluster:
        """A fresh cluster as the set-up keyword leaves it. The first schedule
        runs the keyword and keeps a copy; the second runs it again and, if
        the copy is equal to what it gave, later ones start from copies."""
        if scenario.copies and scenario.template is not None:
            cluster = scenario.template.copy()
            self.library.replace_cluster(cluster)
            return cluster
        before = self.library.running_cluster
        BuiltIn().run_keyword(scenario.setup)
        cluster = self.library.running_cluster
        if cluster is None or cluster is before:
            raise InvalidArgument(
                f"The set-up keyword '{scenario.setup}' must start a fresh cluster with "
                "'Start Cluster' for every schedule."
            )
        if not scenario.tried:
            scenario.tried = True
            scenario.template = _template_of(cluster)
        elif scenario.template is not None and not scenario.copies:
            scenario.copies = _set_up_state(scenario.template.copy()) == _set_up_state(cluster)
            if not scenario.copies:
                scenario.template = None
        return cluster

    def _start_steps(
        self, scenario: Scenario, cluster: Cluster, delays: dict[str, dict[str, float]] | None
    ) -> Cluster:
        """Starts the work of every step. The first schedule runs the step
        keywords and learns what they start; the next one starts the same
        directly and, if that gives the same state, so do all later ones."""
        if scenario.starts is not None and (scenario.direct or scenario.issued is not None):
            for step in scenario.starts:
                for start in step:
                    own = (delays or {}).get(start.task, {})
                    cluster.start(
                        start.operation,
                        start.subject,
                        delays={**start.delays, **own},
                        **start.arguments,
                    )
            if scenario.direct:
                return cluster
            same = _issued_state(cluster) == scenario.issued
            scenario.issued = None
            if same:
                scenario.direct = True
                return cluster
            # Starting directly missed something a keyword does: keywords from now on.
            cluster.kernel.close()
            scenario.starts = []
            BuiltIn().run_keyword(scenario.setup)
            cluster = self.library.running_cluster
        starts, owners = _issue(cluster, scenario.steps, scenario.owners, delays)
        scenario.owners = owners
        if scenario.starts is None and not delays:
            scenario.starts = starts
            scenario.issued = _issued_state(cluster)
        return cluster

    def _write_reproducer(self, scenario: Scenario, failure: Failure) -> Path | None:
        """The failing schedule as an ordinary test with delays, written next
        to output.xml, when delays were found that give the same run."""
        reproduction = failure.reproduction
        if reproduction is None:
            racing = {e.task for e in failure.run.journal if e.kind == "switch"} | {
                e.target for e in failure.run.journal if e.kind == "switch" and e.target
            }
            outside = sorted(task for task in racing if task not in scenario.owners)
            why = (
                f": {', '.join(repr(task) for task in outside)} started in the set-up, and "
                "a reproducer gives delays only to the tasks its steps start"
                if outside
                else ""
            )
            logger.warn(
                f"No delays reproduce schedule {failure.token} without the explorer{why}; "
                "use 'Replay Schedule' instead."
            )
            return None
        builtin = BuiltIn()
        test = builtin.get_variable_value("${TEST NAME}", "Exploration")
        together = ["Start Steps Together"]
        for number, step in enumerate(scenario.steps):
            together += [*(["AND"] if number else []), *step]
            together += _step_delays(number, scenario.owners, reproduction.delays)
        body = [[scenario.setup], together, ["Run Until Idle"]]
        body += [[scenario.settle]] if scenario.settle else []
        body += [[scenario.check]]
        exact = "event for event" if reproduction.exact else "with the same outcome"
        output = Path(builtin.get_variable_value("${OUTPUT DIR}", "."))
        path, text = write_reproducer(
            output,
            Path(builtin.get_variable_value("${SUITE SOURCE}", "") or "."),
            test=test,
            documentation=f"Schedule {failure.token} of '{test}' as plain delays ({exact}).",
            body=body,
        )
        logger.info(render_reproducer(_link(path, output), text), html=True)
        return path

    def _sign_off(
        self, check: str, expect_race: bool, found: bool, summary: str, complete: bool
    ) -> None:
        """Says what was explored where a release manager reads it: the test's
        message and tags, and metadata naming the test, check, variant and
        verdict. The top suite's metadata gets one entry per test, so a
        pabot ``--testlevelsplit`` merge, which updates the top suite's
        metadata from every part, keeps them all."""
        cluster = self.library.running_cluster
        variant = cluster.describe() if cluster is not None else "no cluster"
        verdict = {
            (True, True): "race expected and found",
            (True, False): "race expected but not found",
            (False, True): "race found",
            (False, False): "no race found",
        }[(expect_race, found)]
        accepted = "" if complete else " (a partial exploration was accepted)"
        line = f"Exploration of '{check}' on {variant}: {verdict}{accepted}. {summary}"
        with contextlib.suppress(RobotNotRunningError):  # plain Python: no suite
            builtin = BuiltIn()
            builtin.set_test_message(line, append=True)
            tags = ["exploration", "race-found" if found else "no-race"]
            builtin.set_tags(*tags, *(["race-expected"] if expect_race else []))
            test = builtin.get_variable_value("${TEST NAME}", "")
            suite = builtin.get_variable_value("${SUITE NAME}", "")
            self.library.suite_explorations.append(f"{test}: {line}" if test else line)
            builtin.set_suite_metadata("Explorations", "\n\n".join(self.library.suite_explorations))
            explorations = self.library.suite_explorations
            mine = [entry for entry in explorations if entry.startswith(f"{test}: ")]
            builtin.set_suite_metadata(
                f"Exploration: {suite}: {test}", "\n\n".join(mine) or line, top=True
            )

    @contextlib.contextmanager
    def _sandboxed(self) -> Iterator[None]:
        """Runs schedules aside: if they are refused, the cluster running before
        is running again, untouched; if not, it is replaced as by `Start Cluster`."""
        scopes = self.library.scopes
        previous = scopes.detach()
        try:
            yield
        except BaseException:
            scopes.restore(previous)
            raise
        if previous is not None:
            previous.kernel.close()

    def _quiet(self) -> _Quiet:
        return _Quiet(self.library)


class _Quiet:
    """Silences the log and the failure context while schedules run."""

    def __init__(self, library: object) -> None:
        self.library = library

    def __enter__(self) -> None:
        self.level = BuiltIn().set_log_level("NONE")
        self.library.quiet = True  # type: ignore[attr-defined]

    def __exit__(self, *exc_info: object) -> None:
        BuiltIn().set_log_level(self.level)
        self.library.quiet = False  # type: ignore[attr-defined]


def _issue(
    cluster: Cluster,
    steps: list[list[str]],
    owners: dict[str, int],
    delays: dict[str, dict[str, float]] | None,
) -> tuple[list[list[Start]], dict[str, int]]:
    """Runs each step keyword so that it only starts its work (see
    ``Cluster.starting_steps``); returns what each started and the task
    name -> step index map. Raises InvalidArgument for a step that starts
    nothing: it cannot race."""
    builtin = BuiltIn()
    starts: list[list[Start]] = []
    found: dict[str, int] = {}
    cluster.starting_steps = True
    try:
        for number, step in enumerate(steps):
            cluster.started = []
            builtin.run_keyword(step[0], *step[1:], *_step_delays(number, owners, delays))
            if not cluster.started:
                raise InvalidArgument(
                    f"Step {number + 1}, '{step[0]}', starts no operation, so it cannot race. A "
                    f"step must be a keyword that starts one: {_step_keywords()}; checks "
                    "and waits can go in the check or settle keyword."
                )
            starts.append([
                Start(one.operation, one.subject, one.delays, one.arguments, one.task.name)
                for one in cluster.started
            ])  # fmt: skip
            found.update(dict.fromkeys((one.task.name for one in cluster.started), number))
    finally:
        cluster.starting_steps = False
        cluster.started = None
    return starts, found


def _template_of(cluster: Cluster) -> ClusterTemplate | None:
    """A template to copy later schedules' clusters from, or None when it
    cannot be copied safely: a task still runs or a timer is pending (a
    coroutine cannot be copied)."""
    try:
        return ClusterTemplate(cluster)
    except ValueError:  # not quiescent
        return None
    except TypeError:  # something else that cannot be copied: run the set-up each time
        return None


def _set_up_state(cluster: Cluster) -> str:
    return f"{cluster.clock}\n{cluster.snapshot()!r}\n{cluster.kernel.journal.text()}"


def _step_keywords() -> str:
    names = sorted({name for op in operations.all_operations() for name in op.keywords})
    return ", ".join(f"'{name}'" for name in names)


def _issued_state(cluster: Cluster) -> str:
    """The cluster's tables and journal: equal after equal starts."""
    return repr(cluster.snapshot()) + cluster.kernel.journal.text()


def _split_steps(cells: Sequence[str]) -> list[list[str]]:
    steps: list[list[str]] = [[]]
    for cell in cells:
        if cell == "AND":
            steps.append([])
        else:
            steps[-1].append(cell)
    if any(not step for step in steps):
        raise InvalidArgument(
            "Give the racing steps as keyword calls separated by AND, as in "
            "'Evacuate Server    vm1    AND    Run Periodics'; an empty step was found."
        )
    return steps


def _parse_shard(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise InvalidArgument(f"Shard '{text}' must look like 2/4: part 2 of 4, counting from 1.")
    return int(match[1]) - 1, int(match[2])


def _link(path: Path, output: Path) -> str:
    """``path`` relative to where log.html will be: the output directory, or
    under pabot the directory its merged log goes to, above each worker's
    ``pabot_results/<n>``."""
    logs = output
    if BuiltIn().get_variable_value("${PABOTQUEUEINDEX}") is not None and (
        output.parent.name == "pabot_results"
    ):
        logs = output.parent.parent
    return Path(os.path.relpath(path, logs)).as_posix()


def _step_delays(
    number: int, owners: dict[str, int], delays: dict[str, dict[str, float]] | None
) -> list[str]:
    """The delay arguments, for the tasks the step ``number`` started."""
    if not delays:
        return []
    found: dict[str, float] = {}
    for task, points in delays.items():
        if owners.get(task) == number:
            found.update(points)
    return robot_arguments(found)


def _outcome(cluster: Cluster) -> str:
    parts = []
    for server in cluster.servers:
        allocations = cluster.pci_allocations(server)
        held = ",".join(f"{host}={len(a)}" for host, a in allocations.items()) or "none"
        records = cluster.migrations_of(server)
        last = records[-1]["status"] if records else "-"
        parts.append(f"{server}: {cluster.server_status(server)} on {cluster.server_host(server)}, "
                     f"PCI {held}, migration {last}")  # fmt: skip
    return "; ".join(parts)
