"""Hypothesis runs new random examples each time on a developer's machine (the
README's command), and the same examples every time in CI (``.ci/run`` sets
HYPOTHESIS_PROFILE=ci): a CI verdict is reproducible, and a failure found
locally prints its plan and seed to replay."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
