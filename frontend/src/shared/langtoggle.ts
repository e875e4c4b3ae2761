// The language switch (data-testid="lang-toggle"): one button per page, moved between the login
// screen and the header, so automation always finds exactly one.
import { h } from "./dom";
import { S, otherLanguage, setLanguage } from "./i18n";

let button: HTMLButtonElement | null = null;

export function langToggle(): HTMLButtonElement {
  if (button) return button;
  const next = otherLanguage();
  button = h(
    "button",
    {
      type: "button",
      class: "btn small lang-toggle",
      "data-testid": "lang-toggle",
      "data-lang": next,
      lang: next === "zh" ? "zh-CN" : "en",
      title: S.switchLanguageTitle,
      "aria-label": S.switchLanguageTitle,
    },
    S.switchLanguage,
  );
  button.addEventListener("click", () => setLanguage(next));
  return button;
}
