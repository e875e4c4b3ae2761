"""The NEMSIS validator for tests: the shared NEMSIS folder, read where it lies (never copied into
the repository), its rules compiled once per test process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from dispatch.adapters.nemsis_schemas import NemsisValidator

ROOT = Path(__file__).resolve().parent.parent
NEMSIS = ROOT.parent / "shared" / "data" / "nemsis"


@lru_cache(maxsize=1)
def validator() -> NemsisValidator:
    """One validator per process: compiling the national Schematron takes about a second."""
    return NemsisValidator(NEMSIS)
