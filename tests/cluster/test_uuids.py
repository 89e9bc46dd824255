"""The cluster's uuids are uuid5's, made without its UUID object."""

import uuid

import pytest

from PciRaceLibrary.cluster.context import _NAMESPACE, _uuid5


@pytest.mark.parametrize("text", ["instance:vm1:1", "port:vm 42:3", "request:\u00fc\u00df:9", ""])
def test_a_uuid_is_uuid5_of_its_text(text: str) -> None:
    assert _uuid5(text) == str(uuid.uuid5(_NAMESPACE, text))
