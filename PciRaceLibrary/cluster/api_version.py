"""Compute API microversions, as ``nova/api/openstack/api_version_request.py``.

A request names the microversion whose behaviour it wants; where Nova's API
behaves differently across versions, the model asks ``at_least``. The
default is the newest microversion Nova has: its behaviour is what the
model's evacuation follows unless a suite pins an older one.
"""

from __future__ import annotations

import re

from ..errors import InvalidArgument

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 104)  # Nova's _MAX_API_VERSION in the release modelled
_VERSION = re.compile(r"2\.([1-9][0-9]{0,2})")

# Where the model's behaviour changes, and what the version brought.
EVACUATE_FORCE = ((2, 29), (2, 67))  # 'force' with a host: no scheduler
EVACUATE_STOPS = (2, 95)  # the evacuated server ends SHUTOFF
MIGRATE_HOST = (2, 56)  # a cold migration may name its destination host
LIVE_MIGRATE_FORCE = ((2, 30), (2, 67))  # 'force' with a host: no scheduler
UNSHELVE_HOST = (2, 91)  # unshelve takes a target host


def parse(text: str) -> tuple[int, int]:
    """``"2.95"`` as (2, 95), or ``"latest"`` as the newest.

    Raises InvalidArgument naming the valid range.
    """
    text = str(text).strip()
    if text == "latest":
        return MAX_VERSION
    match = _VERSION.fullmatch(text)
    version = (2, int(match[1])) if match else None
    if version is None or not MIN_VERSION <= version <= MAX_VERSION:
        raise InvalidArgument(
            f"Microversion '{text}' is not one Nova's compute API has; give "
            f"{show(MIN_VERSION)} to {show(MAX_VERSION)} or 'latest'."
        )
    return version


def show(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"
