"""Prints how fast exploration runs: figures, never pass/fail.

Usage: python scripts/bench_explore.py

- the size of the evacuation-vs-audit space and the time to exhaust it, for
  preemption bounds 1 to 3, before and after the fix of bug 1896463;
- schedules per second with the library alone and through Robot Framework
  keywords (``Explore Interleavings``).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import robot

from PciRaceLibrary.explore import explore
from PciRaceLibrary.explore.scenarios import evacuation_vs_audit

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
    for bound in (1, 2):
        bench_robot(bound)


if __name__ == "__main__":
    main()
