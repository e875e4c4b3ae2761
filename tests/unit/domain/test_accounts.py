"""An admin's changes to an account: bindings follow the role, and the changes that alter what a
token says (deactivation, role, unit, hospital) end the account's sessions."""

from __future__ import annotations

import pytest

from dispatch.domain.accounts import AccountFields, InvalidBinding, OwnAccount, change

CREW_A01 = AccountFields(role="crew", unit_id=1, hospital_id=None, active=True)


def test_binding_a_crew_login_to_another_unit_for_a_shift_ends_its_sessions() -> None:
    done = change(CREW_A01, {"unit_id": 7}, by_self=False)
    assert done.after.unit_id == 7
    assert done.changed == ("unit_id",)
    assert done.ends_sessions == "unit-changed"


def test_unbinding_is_a_null_unit() -> None:
    assert change(CREW_A01, {"unit_id": None}, by_self=False).after.unit_id is None


def test_deactivating_ends_the_sessions_reactivating_does_not() -> None:
    off = change(CREW_A01, {"active": False}, by_self=False)
    assert off.ends_sessions == "deactivated"
    assert change(off.after, {"active": True}, by_self=False).ends_sessions is None


def test_a_new_role_drops_a_binding_it_cannot_have() -> None:
    done = change(CREW_A01, {"role": "dispatcher"}, by_self=False)
    assert done.after == AccountFields("dispatcher", None, None, True)
    assert done.ends_sessions == "role-changed"


def test_only_crews_have_units_and_only_hospitals_hospitals() -> None:
    with pytest.raises(InvalidBinding):
        change(CREW_A01, {"hospital_id": 2}, by_self=False)
    with pytest.raises(InvalidBinding):
        change(CREW_A01, {"role": "supervisor", "unit_id": 1}, by_self=False)


def test_nothing_requested_changes_nothing() -> None:
    done = change(CREW_A01, {}, by_self=False)
    assert done.changed == () and done.ends_sessions is None


def test_an_admin_cannot_lock_themself_out() -> None:
    admin = AccountFields("admin", None, None, True)
    with pytest.raises(OwnAccount):
        change(admin, {"active": False}, by_self=True)
    with pytest.raises(OwnAccount):
        change(admin, {"role": "auditor"}, by_self=True)
    assert change(admin, {"role": "auditor"}, by_self=False).ends_sessions == "role-changed"
