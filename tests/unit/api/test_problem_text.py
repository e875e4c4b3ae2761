"""Problems in the reader's language: which language a header asks for, and what the Chinese
title and detail say (naming the unit or incident the English one names)."""

from __future__ import annotations

import pytest

from dispatch.api.problem_text import TITLE_BY_CODE_ZH, localise, negotiate
from dispatch.api.problems import STATUS_BY_CODE


@pytest.mark.parametrize(
    ("header", "default", "expected"),
    [
        (None, "en", "en"),
        (None, "zh", "zh"),
        ("", "zh", "zh"),
        ("zh-CN", "en", "zh"),
        ("zh-Hans-CN,zh;q=0.9", "en", "zh"),
        ("ZH", "en", "zh"),
        ("en-US,en;q=0.9", "zh", "en"),
        ("zh-CN, zh;q=0.9, en;q=0.5", "en", "zh"),
        ("en;q=0.4, zh;q=0.8", "en", "zh"),
        ("zh;q=0.3, en", "zh", "en"),
        ("fr-FR, de;q=0.9", "zh", "zh"),  # neither: the centre's language
        ("*", "zh", "zh"),
        ("zh;q=0, en;q=0.1", "zh", "en"),  # q=0: not acceptable
        ("zh;q=abc, en;q=0.2", "zh", "en"),  # an unreadable q counts as 0
        ("zhx, enx", "zh", "zh"),  # not zh or en tags at all
    ],
)
def test_the_language_a_request_asks_for(header: str | None, default: str, expected: str) -> None:
    assert negotiate(header, default) == expected  # type: ignore[arg-type]


def test_english_is_left_as_the_server_wrote_it() -> None:
    assert localise(
        "en", status=409, code="unit-not-available", title="Unit not available", detail="x"
    ) == ("Unit not available", "x")


def test_a_chinese_detail_names_the_unit_and_its_status_in_chinese() -> None:
    title, detail = localise(
        "zh",
        status=409,
        code="unit-not-available",
        title="Unit not available",
        detail="Unit A03 is en_route, not available",
        params={"unit": "A03", "status": "en_route"},
    )
    assert (title, detail) == ("车组不可派", "车组 A03 当前为“出车”，不可派车。")


def test_without_the_values_a_chinese_detail_is_general_but_still_chinese() -> None:
    _, detail = localise(
        "zh", status=409, code="unit-not-available", title="t", detail="Unit A03 is gone"
    )
    assert detail == "该车组当前不可派车。"


def test_a_code_without_chinese_detail_keeps_its_english_detail_under_a_chinese_title() -> None:
    assert localise("zh", status=409, code="some-new-rule", title="t", detail="Why") == (
        "操作冲突",
        "Why",
    )


def test_every_domain_problem_code_has_a_chinese_title() -> None:
    assert sorted(set(STATUS_BY_CODE) - set(TITLE_BY_CODE_ZH)) == []
