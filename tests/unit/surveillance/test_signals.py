"""Deduplication: one open signal per syndrome, method and overlapping areas."""

from __future__ import annotations

from datetime import date, timedelta

from dispatch.surveillance.signals import Detection, Level, SignalBook

D0 = date(2026, 1, 10)


def det(
    day: int,
    cells: set[str],
    *,
    level: Level = Level.WARNING,
    obs: float = 5,
    method: str = "ears-c2",
    syndrome: str = "gastrointestinal",
) -> Detection:
    return Detection(
        method, syndrome, frozenset(cells), D0 + timedelta(days=day), obs, 2.0, 3.5, level
    )


def test_repeated_alerts_are_one_signal_with_since_and_the_latest_numbers() -> None:
    book = SignalBook(quiet_days=3)
    assert len(book.update(D0, [det(0, {"a"})])) == 1
    assert book.update(D0 + timedelta(days=1), [det(1, {"a"}, level=Level.ALERT, obs=9)]) == []
    assert book.update(D0 + timedelta(days=2), [det(2, {"a", "b"}, obs=7)]) == []
    [signal] = book.open
    assert signal.since == D0
    assert signal.last_seen == D0 + timedelta(days=2)
    assert signal.observed == 7  # the latest
    assert signal.level is Level.ALERT  # the highest seen
    assert signal.areas == frozenset({"a", "b"})
    assert signal.days == 3


def test_other_syndromes_methods_and_areas_are_other_signals() -> None:
    book = SignalBook()
    opened = book.update(
        D0,
        [
            det(0, {"a"}),
            det(0, {"a"}, syndrome="heat"),
            det(0, {"a"}, method="regression-cusum"),
            det(0, {"z"}),
        ],
    )
    assert len(opened) == 4
    assert len({s.id for s in opened}) == 4


def test_a_quiet_signal_closes_and_a_later_alert_opens_a_new_one() -> None:
    book = SignalBook(quiet_days=3)
    book.update(D0, [det(0, {"a"})])
    book.update(D0 + timedelta(days=2), [])
    assert len(book.open) == 1  # two quiet days: still open
    book.update(D0 + timedelta(days=3), [])
    assert not book.open and len(book.closed) == 1
    opened = book.update(D0 + timedelta(days=4), [det(4, {"a"})])
    assert len(opened) == 1 and opened[0].id == 2 and opened[0].since == D0 + timedelta(days=4)


def test_a_cluster_detection_starts_the_signal_at_its_first_day() -> None:
    book = SignalBook()
    d = Detection(
        "space-time-scan",
        "heat",
        frozenset({"a", "b"}),
        D0,
        12,
        3.1,
        0.001,
        Level.ALERT,
        first_day=D0 - timedelta(days=2),
    )
    [signal] = book.update(D0, [d])
    assert signal.since == D0 - timedelta(days=2)
