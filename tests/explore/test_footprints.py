"""The footprints the model records are complete: between two choice points,
every change of the cluster's state lies within what the blocks run there
declared; and choice points whose trace keys are equal have equal states
(what state caching assumes). The acceptance explorations are checked too,
in ``test_reduction.test_every_acceptance_exploration_loses_nothing``."""

from __future__ import annotations

import pytest

from PciRaceLibrary.explore import explore
from PciRaceLibrary.explore.footprints import Recorder

from .checking import Checked
from .scenarios import evacuation_vs_audit, evacuation_vs_audit_and

SCENARIOS = {
    "evacuation-audit": evacuation_vs_audit(None),
    "evacuation-audit-1896463": evacuation_vs_audit("1896463"),
    "with-create": evacuation_vs_audit_and("create"),
    "with-delete": evacuation_vs_audit_and("delete"),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_change_lies_within_the_footprints_and_equal_keys_have_equal_states(name) -> None:
    checked = Checked(SCENARIOS[name])
    result = explore(checked, bound=1, count=100_000, reduction=False)
    assert result.schedules > 20
    assert not checked.problems(), checked.problems()


def test_the_checker_sees_a_change_outside_the_footprints(monkeypatch) -> None:
    """Without the hosts' scopes, what the trackers change escapes."""
    monkeypatch.setattr(Recorder, "enter", lambda self, host: None)
    monkeypatch.setattr(Recorder, "leave", lambda self, host: None)
    checked = Checked(SCENARIOS["evacuation-audit"])
    explore(checked, bound=0, count=100_000, reduction=False)
    assert "host host2 changed" in checked.problems()
