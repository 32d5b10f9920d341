"""Hypothesis profiles of the fuzz tests, chosen with ``ODQ_FUZZ_PROFILE``:

- ``quick`` (default, in ``make test``): a bounded number of examples, so the fuzz files stay
  under a minute;
- ``long`` (``make fuzz``): many more examples and longer deadlines.

The profiles are applied per test (``fuzz_settings()``), never loaded globally, so other
property tests keep their own settings.
"""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("ODQ_FUZZ_PROFILE", "quick")
if PROFILE not in {"quick", "long"}:
    raise ValueError(f"ODQ_FUZZ_PROFILE must be quick or long, not {PROFILE!r}")

_COMMON = {
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
    "print_blob": True,
}
settings.register_profile(
    "odq-fuzz-quick",
    max_examples=25,
    deadline=timedelta(seconds=30),
    **_COMMON,  # type: ignore[arg-type]
)
settings.register_profile(
    "odq-fuzz-long",
    max_examples=1500,
    deadline=timedelta(seconds=60),
    **_COMMON,  # type: ignore[arg-type]
)


def fuzz_settings(scale: float = 1.0) -> settings:
    """The chosen profile, with ``max_examples`` scaled (e.g. 0.2 for the subprocess runs)."""
    base = settings.get_profile(f"odq-fuzz-{PROFILE}")
    return settings(base, max_examples=max(2, int(base.max_examples * scale)))
