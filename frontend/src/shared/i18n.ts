// Every user-visible string goes through here. The language is chosen once per page load:
// the saved choice (localStorage "gh.lang"), else the browser's language; switching saves the
// choice and reloads, so every panel is built again in the new language (sessions, the crew
// app's offline queue and the console's live state survive the reload).
import { en, type Strings } from "./lang/en";
import { zh } from "./lang/zh";

export type { Strings };
export type Lang = "en" | "zh";

const LANG_KEY = "gh.lang";
const languages: Record<Lang, Strings> = { en, zh };

function pickLanguage(): Lang {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(LANG_KEY);
  } catch {
    /* storage disabled */
  }
  if (saved === "en" || saved === "zh") return saved;
  const prefs = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const p of prefs) {
    const code = (p ?? "").toLowerCase();
    if (code.startsWith("zh")) return "zh";
    if (code.startsWith("en")) return "en";
  }
  return "en";
}

export const lang: Lang = pickLanguage();
export const S: Strings = languages[lang];
document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";

/** Save the choice and rebuild the page in that language. */
export function setLanguage(next: Lang): void {
  try {
    localStorage.setItem(LANG_KEY, next);
  } catch {
    /* storage disabled: the reload falls back to the browser language */
  }
  window.location.reload();
}

export function otherLanguage(): Lang {
  return lang === "zh" ? "en" : "zh";
}

type TextKey = { [K in keyof Strings]: Strings[K] extends string ? K : never }[keyof Strings];

/** Look up a string and fill `{name}` placeholders. */
export function t(key: TextKey, params: Record<string, string | number> = {}): string {
  return S[key].replace(/\{(\w+)\}/g, (_m, name: string) => String(params[name] ?? `{${name}}`));
}

export function statusLabel(status: string): string {
  return S.statuses[status] ?? status;
}
