"""The console as a Chinese 120 dispatcher sees it, in a real browser, on central Shanghai.

The dispatcher switches to 中文, types a call's location as a caller gives it (an intersection,
延安西路与江苏路), triages it by keyboard and assigns the top unit. Then two things are checked
that a glance at a screenshot would miss:

- no word of English is left in the main panels, apart from data (names of stations and
  hospitals, call signs, the map's name, codes of the triage protocol);
- the Chinese text is drawn with real glyphs and not as missing-glyph boxes ("tofu"): in the
  font the panels use and in the font the map draws its street names with, every Chinese
  character of a sample must be full-width, differ from the box an unassigned code point gets,
  and differ from every other character of the sample (tofu boxes are all alike).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests.conftest import ServerProcess
from tests.support import login

#: The panels a dispatcher works in (``frontend/index.html``); the map canvas is checked apart.
MAIN_PANELS = (
    "#header",
    "#panel-newcall",
    "#panel-queue",
    "#panel-incidents",
    "#panel-recs",
    "#panel-units",
    "#panel-moveups",
    "#panel-hospitals",
    "#panel-destinations",
    "#map-overlay",
    "[data-testid='message']",
    "[data-testid='p1-alert']",
)

#: Abbreviations a Chinese 120 centre writes in Latin letters as they are, and key names as the
#: keyboard prints them.
ABBREVIATIONS = {"ALS", "BLS", "GPS", "PCI", "CPR", "ED", "P90", "Alt", "Esc", "Enter", "Ctrl"}

#: Codes of the triage protocol shown next to their Chinese names (``cardiac_arrest``,
#: ``cardiac_arrest-E-1``): identifiers a protocol card refers to, not words.
PROTOCOL_CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+(?:-[A-E](?:-\d+)?)?\b")

#: Characters of the glyph check: the address typed in this test, and words of the console.
CJK_SAMPLE = "延安西路江苏派车急救"

# Visible text of the panels: text nodes and the placeholders of empty fields, skipping what is
# only there for automation and screen readers (class "raw"), whatever is not rendered, the
# language switch (it names the other language in that language: "EN" is the way back) and key
# caps (<kbd>: "Enter", "Esc", "F2" are what the keyboard says).
VISIBLE_TEXT_JS = """(selectors) => {
  const out = [];
  const shown = (el) => el && !el.closest('.raw, kbd, [data-testid="lang-toggle"]') &&
    el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  for (const sel of selectors) for (const root of document.querySelectorAll(sel)) {
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const text = n.textContent.trim();
      if (text && shown(n.parentElement)) out.push(text);
    }
    for (const f of root.querySelectorAll('input, textarea')) {
      if (shown(f) && !f.value && f.placeholder) out.push(f.placeholder);
    }
  }
  return out;
}"""

# How a font draws each character of a sample, next to how it draws an unassigned code point
# (U+0378, which no font has: the missing-glyph box). A bitmap is reduced to a short hash.
GLYPHS_JS = """([font, sample]) => {
  const size = 64;
  const canvas = document.createElement('canvas');
  canvas.width = size; canvas.height = size;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.font = font;
  const draw = (ch) => {
    ctx.clearRect(0, 0, size, size);
    ctx.fillStyle = '#000';
    ctx.textBaseline = 'top';
    ctx.fillText(ch, 4, 4);
    const alpha = ctx.getImageData(0, 0, size, size).data;
    let h = 2166136261, ink = 0;
    for (let i = 3; i < alpha.length; i += 4) {
      h = Math.imul(h ^ alpha[i], 16777619) >>> 0;
      if (alpha[i] > 0) ink++;
    }
    return { width: ctx.measureText(ch).width, hash: h, ink };
  };
  const glyphs = [...sample].map((ch) => ({ ch, ...draw(ch) }));
  return { font: ctx.font, glyphs, tofu: draw('\\u0378') };
}"""


def english_left(texts: list[str], data: set[str]) -> list[str]:
    """The texts that still hold an English word once data and protocol codes are taken out."""
    left = []
    for text in texts:
        rest = text
        for value in sorted(data, key=len, reverse=True):
            rest = rest.replace(value, " ")
        rest = PROTOCOL_CODE.sub(" ", rest)
        words = [w for w in re.findall(r"[A-Za-z]{2,}", rest) if w not in ABBREVIATIONS]
        if words:
            left.append(text)
    return left


def assert_real_glyphs(rendering: dict[str, Any], where: str) -> None:
    """Every character drawn as its own full-width glyph, none as the missing-glyph box."""
    size = float(re.search(r"(\d+(?:\.\d+)?)px", rendering["font"]).group(1))  # type: ignore[union-attr]
    tofu, glyphs = rendering["tofu"], rendering["glyphs"]
    for g in glyphs:
        assert g["ink"] > 0, f"{where}: {g['ch']} drew nothing ({rendering['font']})"
        assert g["hash"] != tofu["hash"], f"{where}: {g['ch']} is a missing-glyph box"
        assert g["width"] >= 0.9 * size, f"{where}: {g['ch']} is {g['width']} px wide, not CJK"
    assert len({g["hash"] for g in glyphs}) == len(glyphs), f"{where}: characters drawn alike"


async def test_a_chinese_dispatcher_types_triages_and_assigns_a_call_in_chinese(
    page: Page, chinese_centre: ServerProcess, reset_chinese_centre: None, artifacts: Path
) -> None:
    server = chinese_centre
    await page.goto(server.url)
    toggle = page.get_by_test_id("lang-toggle")
    await expect(toggle).to_have_attribute("data-lang", "zh")
    await toggle.click()  # 中文: saved, and the page rebuilt in Chinese
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    await page.get_by_test_id("login-username").fill("dispatcher")
    await page.get_by_test_id("login-password").fill("dispatcher")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_have_text("connected", timeout=30_000)
    await expect(page.get_by_test_id("map")).to_have_attribute(
        "data-map-ready", "true", timeout=30_000
    )

    # Where: the intersection as the caller names it, located by the offline geocoder.
    await page.get_by_test_id("call-address").click()
    await page.keyboard.type("延安西路与江苏路")
    await page.keyboard.press("Enter")
    first = page.get_by_test_id("geocode-candidate-0")
    await expect(first).to_contain_text("延安西路", timeout=15_000)
    await expect(first).to_contain_text("江苏路")
    await expect(first).to_contain_text("路口")  # the kind of place, in Chinese
    await first.click()
    await expect(page.get_by_test_id("call-location")).to_contain_text(",")
    await expect(page.get_by_test_id("reverse-result")).to_contain_text("米", timeout=15_000)

    # What: protocol triage in Chinese, one key per answer.
    await page.get_by_test_id("triage-search").click()
    await page.keyboard.type("骤停")
    await expect(page.get_by_test_id("triage-complaint-cardiac_arrest")).to_contain_text(
        "心跳呼吸骤停"
    )
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("triage-question-breathing")).to_be_focused()
    await expect(page.get_by_test_id("triage-question-breathing")).to_contain_text("呼吸")
    await page.keyboard.press("3")  # 无呼吸或仅有叹息样呼吸
    await expect(page.get_by_test_id("triage-question-obvious_death")).to_be_focused()
    await page.keyboard.press("2")  # death not obvious
    await expect(page.get_by_test_id("triage-priority")).to_have_text("1级", timeout=15_000)
    await expect(page.get_by_test_id("triage-instructions")).to_contain_text("按压")
    await expect(page.get_by_test_id("call-submit")).to_be_focused()
    await page.keyboard.press("Enter")  # create the incident

    assign = page.locator("[data-testid^='assign-']").first
    await expect(assign).to_be_visible(timeout=30_000)
    unit_id = int((await assign.get_attribute("data-testid") or "").removeprefix("assign-"))
    await page.keyboard.press("a")  # the top recommendation
    await expect(page.get_by_test_id(f"unit-status-{unit_id}")).to_have_text(
        "dispatched", timeout=30_000
    )
    await expect(page.get_by_test_id("message")).to_contain_text("已派", timeout=15_000)

    async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
        dispatcher = await login(http, "dispatcher")
        incidents = (await http.get("/api/v1/incidents", headers=dispatcher)).json()
        units = (await http.get("/api/v1/units", headers=dispatcher)).json()
        stations = (await http.get("/api/v1/stations", headers=dispatcher)).json()
        hospitals = (await http.get("/api/v1/hospitals", headers=dispatcher)).json()
        map_name = (await http.get("/api/v1/map")).json()["name"]
    mine = max((i for i in incidents if unit_id in i["unit_ids"]), key=lambda i: int(i["id"]))
    assert "延安西路" in mine["address"] and "江苏路" in mine["address"], mine
    assert mine["address_verified"], mine
    assert (mine["priority"], mine["complaint_code"]) == (1, "cardiac_arrest"), mine
    assert mine["complaint"] == "心跳呼吸骤停", mine
    await page.screenshot(path=str(artifacts / "console-zh.png"))

    # No English left in the panels, apart from data.
    data = {map_name, "dispatcher"}
    data |= {u["call_sign"] for u in units}
    data |= {p["name"] for p in stations + hospitals}
    data |= {i["number"] for i in incidents}
    texts: list[str] = await page.evaluate(VISIBLE_TEXT_JS, list(MAIN_PANELS))
    assert any("延安西路" in t for t in texts), texts  # the panels were read, and hold the call
    assert english_left(texts, data) == []
    await page.get_by_test_id("shortcut-help-open").click()
    await expect(page.get_by_test_id("shortcut-help")).to_be_visible()
    help_texts: list[str] = await page.evaluate(VISIBLE_TEXT_JS, ["[data-testid='shortcut-help']"])
    assert any("快捷键" in t for t in help_texts), help_texts
    assert english_left(help_texts, data) == []
    await page.keyboard.press("Escape")

    # Chinese drawn with real glyphs: in the panels' font, and in the map's street-name font.
    panel_font: str = await page.get_by_test_id("call-submit").evaluate(
        "(el) => { const s = getComputedStyle(el);"
        " return `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`; }"
    )
    map_font: str = await page.evaluate(
        "() => '600 12px ' + getComputedStyle(document.documentElement)"
        ".getPropertyValue('--font').trim()"
    )
    for where, font in (("panels", panel_font), ("map labels", map_font)):
        rendering = await page.evaluate(GLYPHS_JS, [font, CJK_SAMPLE])
        assert_real_glyphs(rendering, where)
