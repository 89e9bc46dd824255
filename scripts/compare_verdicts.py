"""Fails unless every run gave every test the same verdict as the first run.

Usage: python scripts/compare_verdicts.py REFERENCE.xml OTHER.xml [OTHER.xml ...]

CI runs the acceptance suites plainly, in random order and split per test
under pabot; a verdict that depends on order or on the process a test ran in
is a leak of state between tests.
"""

from __future__ import annotations

import sys

from robot.api import ExecutionResult


def verdicts(path: str) -> dict[str, str]:
    result = ExecutionResult(path)
    return {test.full_name: test.status for test in result.suite.all_tests}


def main(reference: str, *others: str) -> int:
    expected = verdicts(reference)
    failed = False
    for other in others:
        found = verdicts(other)
        differ = sorted(
            name for name in expected.keys() | found.keys() if expected.get(name) != found.get(name)
        )
        for name in differ:
            print(f"{other}: '{name}' is {found.get(name, 'missing')}, "
                  f"{expected.get(name, 'missing')} in {reference}")  # fmt: skip
        print(f"{other}: {len(found)} tests, {len(differ)} verdict(s) differ from {reference}")
        failed |= bool(differ)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
