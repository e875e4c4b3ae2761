"""The word lists of each address convention, kept as JSON next to the code so that
adding a locale's abbreviations is a data change, not a code change."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["chinese", "english"]

_DATA = Path(__file__).parent / "data"


@cache
def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_DATA / f"{name}.json").read_text(encoding="utf-8"))
    return data


def english() -> dict[str, Any]:
    """US/English vocabulary: directionals, street types, unit designators, states."""
    return _load("english")


def chinese() -> dict[str, Any]:
    """Chinese vocabulary: administrative suffixes, number, lane and unit marks."""
    return _load("chinese")
