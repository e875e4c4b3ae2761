"""The auto-dispatcher's bookkeeping: grace period for humans, urgency order, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatch.demo.pending import PendingBoard

T0 = datetime(2026, 11, 26, 22, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_calls_wait_out_the_grace_period() -> None:
    board = PendingBoard(grace_s=15)
    board.observe(1, "2026-000001", "pending", 3, T0)
    assert board.due(at(14.9)) == []
    assert board.due(at(15)) == [(1, "2026-000001")]
    assert board.next_due() == at(15)


def test_seeing_a_call_again_does_not_restart_its_clock() -> None:
    board = PendingBoard(grace_s=15)
    board.observe(1, "n1", "pending", 3, T0)
    board.observe(1, "n1", "pending", 2, at(10))  # priority raised meanwhile
    assert board.due(at(15)) == [(1, "n1")]


def test_most_urgent_then_oldest_first() -> None:
    board = PendingBoard(grace_s=0)
    board.observe(1, "old-p3", "pending", 3, T0)
    board.observe(2, "new-p1", "pending", 1, at(5))
    board.observe(3, "old-p1", "pending", 1, at(1))
    assert [n for _, n in board.due(at(10))] == ["old-p1", "new-p1", "old-p3"]


def test_assigned_elsewhere_drops_out() -> None:
    board = PendingBoard(grace_s=15)
    board.observe(1, "n1", "pending", 1, T0)
    board.observe(1, "n1", "dispatched", 1, at(3))  # the human was faster
    assert 1 not in board and board.due(at(60)) == []
    board.observe(2, "n2", "closed", 1, at(3))
    assert len(board) == 0 and board.next_due() is None


def test_postpone_and_forget() -> None:
    board = PendingBoard(grace_s=15, retry_s=5)
    board.observe(1, "n1", "pending", 1, T0)
    board.postpone(1, at(15))  # 409 or no unit free
    assert board.due(at(19)) == []
    assert board.due(at(20)) == [(1, "n1")]
    board.forget(1)
    assert board.due(at(100)) == []
    board.postpone(1, at(100))  # unknown ids are harmless
    assert len(board) == 0
