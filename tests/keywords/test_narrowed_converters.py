"""Robot sees only the converters the keyword it converts needs."""

from datetime import timedelta

from PciRaceLibrary import PciRaceLibrary
from PciRaceLibrary.keywords.arguments import CONVERTERS, KeywordConverters, VnicType


def test_a_keyword_sees_the_converters_of_its_types_only() -> None:
    library = PciRaceLibrary()
    try:
        CONVERTERS.narrow(library._types_of("Wait Until Server Has"))
        assert [kind for kind, _ in CONVERTERS.items()] == [timedelta]
        CONVERTERS.narrow(library._types_of("Start Cluster"))  # bool's, not int's
        assert [kind for kind, _ in CONVERTERS.items()] == [bool]
        CONVERTERS.narrow(frozenset({int, bool}))
        assert [kind for kind, _ in CONVERTERS.items()] == [bool, int]
        CONVERTERS.narrow(library._types_of("No Operation"))  # not ours: all of them
        assert len(CONVERTERS) == 6
    finally:
        CONVERTERS.narrow(None)
    assert len(CONVERTERS) == 6
    assert VnicType in dict(CONVERTERS.items())


def test_narrowed_to_nothing_reads_as_no_converters() -> None:
    converters = KeywordConverters({int: int})
    converters.narrow(frozenset({str}))
    assert not converters
    assert list(converters.items()) == []
    converters.narrow(None)
    assert list(converters.items()) == [(int, int)]
