"""Robot sees only the converters the arguments of the keyword it converts can reach."""

from datetime import timedelta

import pytest

from PciRaceLibrary import PciRaceLibrary
from PciRaceLibrary.keywords.arguments import CONVERTERS, KeywordConverters, VnicType


def _given(library: PciRaceLibrary, name: str, *args: str) -> list[type]:
    shape = library._shape_of(name)
    assert shape is not None
    CONVERTERS.narrow(shape.types_given(args))
    return [kind for kind, _ in CONVERTERS.items()]


def test_a_keyword_sees_the_converters_its_arguments_reach_only() -> None:
    library = PciRaceLibrary()
    try:
        assert _given(library, "Wait Until Server Has", "vm1", "timeout=30 s") == [timedelta]
        # positional: the 4th parameter is the timeout
        assert _given(library, "Wait Until Server Has", "vm1", "host2", "ACTIVE", "3") == [
            timedelta
        ]
        assert _given(library, "Wait Until Server Has", "vm1", "host=host2") == []
        assert _given(library, "Start Cluster", "bugs=1896463") == []
        assert _given(library, "Start Cluster", "allow_resize_to_same_host=yes") == [bool]
        # a free named argument is a delay
        assert _given(library, "Evacuate Server", "vm1", "drop_migration_context=1 s") == [
            timedelta
        ]
        assert _given(library, "Evacuate Server", "vm1", "force=yes") == [bool]
        assert _given(library, "Create Server", "vm1", "vnic_type=direct") == [VnicType]
        assert _given(library, "PCI Allocation On Host Should Be", "vm1", "host1", "1") == [int]
        CONVERTERS.narrow(frozenset({int, bool}))
        assert [kind for kind, _ in CONVERTERS.items()] == [bool, int]
        assert library._shape_of("No Operation") is None  # not ours: all of them
    finally:
        CONVERTERS.narrow(None)
    assert len(CONVERTERS) == 6
    assert VnicType in dict(CONVERTERS.items())


@pytest.mark.parametrize(
    "args",
    [
        ("@{arguments}",),
        ("vm1", "&{named}"),
        ("vm1", "${name}=1 s"),
        ("vm1", "force\\=yes"),
    ],
)
def test_arguments_placed_only_once_resolved_reach_every_type(args: tuple[str, ...]) -> None:
    library = PciRaceLibrary()
    shape = library._shape_of("Evacuate Server")
    assert shape is not None
    assert shape.types_given(args) == shape.all
    assert {bool, timedelta} <= shape.all
    assert shape.types_given(("vm1",), {"force": True}) == shape.all


def test_narrowed_to_nothing_reads_as_no_converters() -> None:
    converters = KeywordConverters({int: int})
    converters.narrow(frozenset({str}))
    assert not converters
    assert list(converters.items()) == []
    converters.narrow(None)
    assert list(converters.items()) == [(int, int)]
