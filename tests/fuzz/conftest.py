"""The fuzz tests reuse the real-server helpers of the operations tests (tests/ops/ops_support.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ops"))
