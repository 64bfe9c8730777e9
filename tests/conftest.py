"""Shared test configuration: hypothesis profiles and a guard against unexpected dask computes."""

import os

from hypothesis import HealthCheck, settings

# Kernels compile on first call (seconds); no per-example deadline.  "ci" keeps the default run
# short on 2 cores; "thorough" is for local bug hunts: HYPOTHESIS_PROFILE=thorough pytest.
settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
