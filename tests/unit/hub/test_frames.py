"""Socket frames are measured before they are parsed (issue 12)."""

from __future__ import annotations

import json

import pytest

from dispatch.hub.frames import MAX_DEPTH, json_depth


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("{}", 1),
        ('{"type": "ping"}', 1),
        ('{"type": "position", "position": [24.9, 60.1]}', 2),
        ('{"a": "[[[[{{{{"}', 1),  # brackets in strings do not count
        ('{"a": "\\"[[[", "b": [[1]]}', 3),  # nor after an escaped quote
        ("[" * 40 + "]" * 40, 40),
        ('"unterminated [[[[', 0),
        ("", 0),
        ("not json [ at all", 1),
    ],
)
def test_json_depth(text: str, depth: int) -> None:
    assert json_depth(text) == depth


def test_depth_agrees_with_the_parser() -> None:
    value: object = {"type": "ping"}
    for expected in range(2, MAX_DEPTH + 2):
        value = [value] if expected % 2 else {"k": value}
        assert json_depth(json.dumps(value)) == expected


def test_the_scan_stops_past_the_limit() -> None:
    assert json_depth("[" * 100_000, stop_above=MAX_DEPTH) == MAX_DEPTH + 1
