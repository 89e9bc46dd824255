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

from ..cluster import Cluster
from ..errors import InvalidArgument, ReplayError
from ..explore import Failure, ReplayPolicy, Run, decode, describe_switches, investigate
from ..explore.policies import RecordingPolicy
from ..explore.reproducer import robot_arguments
from ..report.exploration import render_failure, render_reproducer, render_summary
from ._base import LibraryComponent
from .arguments import Strategy, timestr
from .reproducer_file import write_reproducer

# Preemptions beyond a handful find nothing new and make spaces astronomical.
MAX_BOUND = 20


@dataclass
class Scenario:
    """What an exploration runs: set-up, the racing steps, the check."""

    setup: str
    check: str
    steps: list[list[str]]
    owners: dict[str, int] = field(default_factory=dict)  # task name -> step index


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
        shard: str = "1/1",
    ) -> None:
        """Runs ``steps`` together under many schedules and checks each outcome.

        Each schedule runs ``setup`` (a keyword that calls `Start Cluster`
        and prepares servers), then the ``steps`` (action keywords separated
        by ``AND``; their tasks race), runs every task to the end, and runs
        ``check``, any keyword that fails on a bad outcome. A *schedule* is
        the order in which the racing tasks pass their points; no delays
        are needed.

        | =Argument= | =Description= |
        | ``strategy`` | ``exhaustive``: every schedule with at most ``bound`` preemptions (tasks switched at a point while the running task could go on). ``pct``: ``schedules`` runs of probabilistic concurrency testing for bugs of depth ``bound``. ``random``: ``schedules`` random walks. |
        | ``seed`` | Seed of ``pct`` and ``random``; the same seed gives the same schedules everywhere. |
        | ``schedules`` | At most this many runs (a safety net for ``exhaustive``). |
        | ``budget`` | At most this much wall-clock time. |
        | ``expect_race`` | ``True`` asserts that some schedule fails (the pre-fix variant must show the bug); by default any failing schedule fails this keyword. |
        | ``shard`` | ``i/n`` runs the i-th of n disjoint parts of the space, so pabot processes can share one exploration. |

        On failing schedules, the one with the fewest preemptions is shrunk
        further, its replay token goes into the failure message (see `Replay
        Schedule`), its timeline into the log, and the same interleaving,
        found again with ``Class.method=...`` delays and verified by running
        them, is written as an ordinary test next to output.xml.

        | `Explore Interleavings` | Server On Failed Host | Resource Accounting Should Be Consistent |
        | ... | Evacuate Server With Direct Port | vm1 | AND | Run Periodic Update Available Resource | host2 |
        | ... | bound=2 |
        """  # noqa: E501
        scenario = Scenario(setup, check, _split_steps(steps))
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
            )
        self.library.last_scenario = scenario  # only an exploration that ran
        result = finding.exploration
        failure = finding.failure
        self._sign_off(check, expect_race, failure is not None, result.summary())
        logger.info(render_summary(result), html=True)
        if failure is None:
            if expect_race:
                raise AssertionError(
                    f"Expected a race, but no schedule failed '{check}': {result.summary()}"
                )
            return
        logger.info(render_failure(failure), html=True)
        path = self._write_reproducer(scenario, failure)
        message = (
            f"Smallest failing schedule, shrunk to {failure.preemptions} preemption(s): "
            f"{'; '.join(failure.switches)}. It fails with: {failure.run.failure} "
            f"Replay token: {failure.token}"
        )
        if expect_race:
            logger.info(f"Race found as expected. {message}")
            return
        raise AssertionError(
            f"{result.failures} schedule(s) failed '{check}'. {message}"
            + (f" Reproducer: {path.name}" if path else "")
        )

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
        before = self.library.running_cluster
        builtin.run_keyword(scenario.setup)
        cluster = self.library.running_cluster
        if cluster is None or cluster is before:
            raise InvalidArgument(
                f"The set-up keyword '{scenario.setup}' must start a fresh cluster with "
                "'Start Cluster' for every schedule."
            )
        cluster.kernel.policy = policy
        owners: dict[str, int] = {}
        for number, step in enumerate(scenario.steps):
            known = len(cluster.kernel.tasks)
            args = [*step[1:], *_step_delays(number, scenario.owners, delays)]
            builtin.run_keyword(step[0], *args)
            for task in cluster.kernel.tasks[known:]:
                owners[task.name] = number
        scenario.owners = owners
        try:
            settled = cluster.kernel.run_all(self.library.default_timeout)
        except BaseException:
            cluster.kernel.close()  # a refused replay: close the unfinished tasks
            raise
        failure = None if settled else f"operations did not finish by {cluster.clock}"
        if check and failure is None:
            status, message = builtin.run_keyword_and_ignore_error(scenario.check)
            failure = str(message) if status == "FAIL" else None
        return Run(
            outcome=_outcome(cluster), failure=failure, journal=cluster.kernel.journal.entries()
        )

    def _write_reproducer(self, scenario: Scenario, failure: Failure) -> Path | None:
        """The failing schedule as an ordinary test with delays, written next
        to output.xml, when delays were found that give the same run."""
        reproduction = failure.reproduction
        if reproduction is None:
            logger.warn(
                f"No delays reproduce schedule {failure.token} without the explorer; "
                "use 'Replay Schedule' instead."
            )
            return None
        builtin = BuiltIn()
        test = builtin.get_variable_value("${TEST NAME}", "Exploration")
        body = [[scenario.setup]]
        for number, step in enumerate(scenario.steps):
            body.append([*step, *_step_delays(number, scenario.owners, reproduction.delays)])
        body += [["Run Until Idle"], [scenario.check]]
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

    def _sign_off(self, check: str, expect_race: bool, found: bool, summary: str) -> None:
        """Says what was explored where a release manager reads it: the test's
        message and tags (they survive pabot and rebot merges) and the suite
        metadata, each naming the test, check, variant and verdict."""
        cluster = self.library.running_cluster
        variant = cluster.describe() if cluster is not None else "no cluster"
        verdict = {
            (True, True): "race expected and found",
            (True, False): "race expected but not found",
            (False, True): "race found",
            (False, False): "no race found",
        }[(expect_race, found)]
        line = f"Exploration of '{check}' on {variant}: {verdict}. {summary}"
        with contextlib.suppress(RobotNotRunningError):  # plain Python: no suite
            builtin = BuiltIn()
            builtin.set_test_message(line, append=True)
            tags = ["exploration", "race-found" if found else "no-race"]
            builtin.set_tags(*tags, *(["race-expected"] if expect_race else []))
            test = builtin.get_variable_value("${TEST NAME}", "")
            self.library.suite_explorations.append(f"{test}: {line}" if test else line)
            builtin.set_suite_metadata("Explorations", "\n\n".join(self.library.suite_explorations))

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
