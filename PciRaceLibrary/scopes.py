"""Which cluster a keyword works on: the test's own, else its suite's.

A cluster started inside a test belongs to that test and ends with it. A
cluster started in a suite set-up belongs to the suite; its tests see it
while they start none of their own. Nothing else passes from one test to the
next, so the order tests run in (``--randomize``, pabot) cannot change a
verdict. The library's listener drives the scopes; nothing here imports
Robot Framework.
"""

from __future__ import annotations

from .cluster import Cluster


class ClusterScopes:
    def __init__(self) -> None:
        self.suite: Cluster | None = None
        self.test: Cluster | None = None
        self.in_test = False

    @property
    def running(self) -> Cluster | None:
        return self.test or self.suite

    def replace(self, cluster: Cluster) -> None:
        """Makes ``cluster`` the running one of the current scope; the one it
        replaces there has its tasks cancelled."""
        if self.in_test:
            old, self.test = self.test, cluster
        else:
            old, self.suite = self.suite, cluster
        if old is not None:
            old.kernel.close()

    def detach(self) -> Cluster | None:
        """Takes the current scope's cluster away, still running, so that a
        refused exploration or replay can put it back (``restore``)."""
        if self.in_test:
            cluster, self.test = self.test, None
        else:
            cluster, self.suite = self.suite, None
        return cluster

    def restore(self, cluster: Cluster | None) -> None:
        """Puts a detached cluster back, closing what ran meanwhile."""
        current = self.test if self.in_test else self.suite
        if current is not None and current is not cluster:
            current.kernel.close()
        if self.in_test:
            self.test = cluster
        else:
            self.suite = cluster

    def start_test(self) -> None:
        self.in_test = True

    def end_test(self) -> None:
        """The test's cluster ends with it; the suite's is running again."""
        if self.test is not None:
            self.test.kernel.close()
        self.test, self.in_test = None, False

    def end_suite(self) -> None:
        self.end_test()
        if self.suite is not None:
            self.suite.kernel.close()
        self.suite = None
