"""Prints how fast exploration runs: figures, never pass/fail.

Usage: python scripts/bench_explore.py [--full]   (--full: three tasks at bound 3, ~25 s)

- the size of the evacuation-vs-audit space and the time to exhaust it, for
  preemption bounds 1 to 3, before and after the fix of bug 1896463;
- the same with a third racing task (vm2 built on host2, or vm1 deleted), whose
  spaces grow faster;
- what a verified delays-only reproducer costs: plain runs per failing schedule;
- schedules per second with the library alone and through Robot Framework
  keywords (``Explore Interleavings``).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import robot

from PciRaceLibrary.explore import ReplayPolicy, Run, explore, reproduce_with_delays
from tests.explore.scenarios import evacuation_vs_audit, evacuation_vs_audit_and

Scenario = Callable[[dict[str, dict[str, float]] | None], Callable[[ReplayPolicy | None], Run]]

ACCEPTANCE = Path(__file__).resolve().parents[1] / "acceptance"

SUITE = """\
*** Settings ***
Resource    {resource}

*** Test Cases ***
Explore
    Explore Interleavings    Setup    Check
    ...    Evacuate Server With Direct Port    vm1
    ...    AND    Run Periodic Update Available Resource    host2
    ...    bound={bound}

*** Keywords ***
Setup
    Server On Failed Host

Check
    PCI Allocation On Host Should Be    vm1    host2    1
"""


def bench_library() -> None:
    for bugs in ("1896463", None):
        for bound in (1, 2, 3):
            result = explore(evacuation_vs_audit(bugs), bound=bound, count=1_000_000)
            print(
                f"library, {bugs or 'current Nova':>12}, bound {bound}: {result.schedules:5} "
                f"schedules ({result.failures:3} failing"
                f", exhausted={result.exhausted}) in {result.seconds:6.3f} s = "
                f"{result.schedules / result.seconds:6.0f} schedules/s"
            )


def bench_three_tasks(bounds: tuple[int, ...]) -> None:
    for third in ("create", "delete"):
        for bound in bounds:
            result = explore(
                evacuation_vs_audit_and(third, "1896463"), bound=bound, count=1_000_000
            )
            print(
                f"library, 1896463 + {third:>6}, bound {bound}: {result.schedules:5} schedules "
                f"({result.failures:4} failing, exhausted={result.exhausted}) in "
                f"{result.seconds:6.3f} s = {result.schedules / result.seconds:6.0f} schedules/s"
            )


def bench_reproducer() -> None:
    scenarios: list[tuple[str, Scenario]] = [
        ("evacuation vs audit", lambda d: evacuation_vs_audit("1896463", d)),
        ("+ create", lambda d: evacuation_vs_audit_and("create", "1896463", d)),
        ("+ delete", lambda d: evacuation_vs_audit_and("delete", "1896463", d)),
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

        explore(keep, bound=2, count=1_000_000)  # type: ignore[arg-type]
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
            f"reproducer, {name:>19}, bound 2: {exact}/{len(targets)} schedules ({failing} "
            f"failing) reproduced event for event by delays alone, {runs / len(targets):.1f} "
            f"plain runs and {1000 * elapsed / len(targets):.1f} ms each"
        )


def bench_robot(bound: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        suite = Path(tmp) / "explore.robot"
        resource = ACCEPTANCE / "resources" / "evacuation.resource"
        suite.write_text(SUITE.format(resource=resource, bound=bound), encoding="utf-8")
        schedules = explore(evacuation_vs_audit(None), bound=bound, count=1_000_000).schedules
        started = time.perf_counter()
        rc = robot.run(str(suite), outputdir=tmp, console="none", log="NONE", report="NONE")
        elapsed = time.perf_counter() - started
    print(
        f"Robot keywords, current Nova, bound {bound}: {schedules} schedules in {elapsed:.2f} s "
        f"= {schedules / elapsed:.0f} schedules/s (rc={rc})"
    )


def main() -> None:
    bench_library()
    bench_three_tasks((1, 2, 3) if "--full" in sys.argv else (1, 2))
    bench_reproducer()
    for bound in (1, 2):
        bench_robot(bound)


if __name__ == "__main__":
    main()
