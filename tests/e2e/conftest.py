"""The end-to-end tests drive ftcluster like the engine tests (tests/engine/engine_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))
