"""Fixtures of the security tests; the helpers they use live in security_support.py (a module
named conftest would collide with the other test folders' when the whole suite is collected)."""

from security_support import bombs, canary, canary_2, data_dir, heavy_csv, secured

__all__ = ["bombs", "canary", "canary_2", "data_dir", "heavy_csv", "secured"]
