"""Prints how fast exploration runs: figures, never pass/fail.

Usage: python scripts/bench_explore.py [--quick | --full]

For two racing tasks (the evacuation of vm1 against host2's audit) and three
(the same and vm2 built on host2), current Nova, preemption bounds 1 to 3:
the schedules run, the distinct traces among them (runs that differ only in
the order of steps touching nothing in common, by the footprints recorded
from the model, see explore/footprints.py) and
schedules per second, through the library alone and through Robot Framework
(``Explore Interleavings``, whose own wall time is read from its message).
Each is run with partial-order reduction (the default) and, as
``unreduced``, without it (library only). Then what a verified delays-only
reproducer costs. ``--quick`` (about 20 s)
runs bounds 1 and 2 for two tasks and bound 1 for three, and skips the
reproducers; the default adds bound 3 for two tasks and 2 for three;
``--full`` adds bound 3 for three tasks (minutes). Tests never run this with
timing assertions: the figures depend on the machine.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import robot
from robot.api import ExecutionResult

from PciRaceLibrary.explore import ReplayPolicy, Run, explore, reproduce_with_delays
from tests.explore.scenarios import evacuation_vs_audit, evacuation_vs_audit_and

Scenario = Callable[[dict[str, dict[str, float]] | None], Callable[[ReplayPolicy | None], Run]]

ACCEPTANCE = Path(__file__).resolve().parents[1] / "acceptance"
THIRD = "    ...    AND    Create Server With Direct Port    vm2    host=host2\n"
SUITE = """\
*** Settings ***
Resource    {resource}

*** Test Cases ***
Explore
    Explore Interleavings    Setup    Check
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Run Periodic Update Available Resource    host2
{third}    ...    bound={bound}    schedules=1000000    budget=1 hour

*** Keywords ***
Setup
    Server On Failed Host

Check
    PCI Allocation On Host Should Be    vm1    host2    1
"""
_FIGURES = re.compile(r"(\d+) schedules, (\d+) distinct traces, .*?, ([0-9.]+) s;")


def library(tasks: int, bound: int, reduction: bool = True) -> tuple[int, int, float]:
    scenario = evacuation_vs_audit(None) if tasks == 2 else evacuation_vs_audit_and("create")
    result = explore(scenario, bound=bound, count=1_000_000, reduction=reduction)
    return result.schedules, len(result.traces), result.seconds


def keyword(tasks: int, bound: int) -> tuple[int, int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        suite = Path(tmp) / "explore.robot"
        resource = ACCEPTANCE / "resources" / "evacuation.resource"
        third = THIRD if tasks == 3 else ""
        suite.write_text(SUITE.format(resource=resource, bound=bound, third=third), "utf-8")
        robot.run(str(suite), outputdir=tmp, console="none", log="NONE", report="NONE")
        message = ExecutionResult(str(Path(tmp) / "output.xml")).suite.tests[0].message
    found = _FIGURES.search(message)
    if found is None:
        raise SystemExit(f"The exploration did not report its figures: {message}")
    return int(found[1]), int(found[2]), float(found[3])


def row(layer: str, tasks: int, bound: int, figures: tuple[int, int, float]) -> None:
    schedules, traces, seconds = figures
    # The exploration reports hundredths of a second: below that, no rate.
    rate = f"{schedules / seconds:6.0f} schedules/s" if seconds >= 0.01 else "too short to time"
    print(
        f"{layer:9} {tasks} tasks, bound {bound}: {schedules:6} schedules, {traces:5} distinct "
        f"traces in {seconds:7.2f} s = {rate}"
    )


def bench_reproducer() -> None:
    scenarios: list[tuple[str, Scenario]] = [
        ("evacuation vs audit", lambda d: evacuation_vs_audit("1896463", d)),
        ("+ create", lambda d: evacuation_vs_audit_and("create", "1896463", d)),
    ]
    for name, scenario in scenarios:
        targets: list[tuple[ReplayPolicy, Run]] = []

        def keep(
            policy: ReplayPolicy,
            scenario: Scenario = scenario,
            targets: list[tuple[ReplayPolicy, Run]] = targets,
        ) -> Run:
            run = scenario(None)(policy)
            targets.append((policy, run))
            return run

        explore(keep, bound=1, count=1_000_000)  # type: ignore[arg-type]
        started = time.perf_counter()
        runs = exact = failing = 0
        for policy, target in targets:
            found = reproduce_with_delays(
                policy.choices, target, lambda d, scenario=scenario: scenario(d)(None)
            )
            runs += found.runs if found else 0
            exact += bool(found and found.exact)
            failing += target.failure is not None
        elapsed = time.perf_counter() - started
        print(
            f"reproducer, {name:>19}, bound 1: {exact}/{len(targets)} schedules ({failing} "
            f"failing) reproduced event for event by delays alone, {runs / len(targets):.1f} "
            f"plain runs and {1000 * elapsed / len(targets):.1f} ms each"
        )


def main() -> None:
    quick, full = "--quick" in sys.argv, "--full" in sys.argv
    plan = [(2, 1), (2, 2), (3, 1)] if quick else [(2, 1), (2, 2), (2, 3), (3, 1), (3, 2)]
    plan += [(3, 3)] if full else []
    for tasks, bound in plan:
        row("unreduced", tasks, bound, library(tasks, bound, reduction=False))
        row("library", tasks, bound, library(tasks, bound))
        row("keyword", tasks, bound, keyword(tasks, bound))
    if not quick:
        bench_reproducer()


if __name__ == "__main__":
    main()
