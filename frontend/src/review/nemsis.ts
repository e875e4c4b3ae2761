// The review's NEMSIS v3.5.1 XML export: a button that downloads the ZIP of the searched time range
// (GET /review/nemsis). Its few strings live here, in both languages, beside the code that shows them.
import * as api from "../shared/api";
import { h } from "../shared/dom";
import { lang } from "../shared/i18n";
import { showError, showMessage } from "../shared/panels/message";

const TEXT = {
  en: {
    button: "Export NEMSIS XML",
    title: "NEMSIS v3.5.1 XML of the time range (at most 31 days): one patient care report per unit, as a ZIP",
    needRange: "Choose a from and a to time (at most 31 days) for the NEMSIS export",
    done: "NEMSIS XML exported ({size})",
  },
  zh: {
    button: "导出 NEMSIS XML",
    title: "所选时间段（最多 31 天）的 NEMSIS v3.5.1 XML：每辆出车车组一份病历，打包为 ZIP",
    needRange: "请先选择开始和结束时间（最多 31 天）再导出 NEMSIS",
    done: "已导出 NEMSIS XML（{size}）",
  },
} as const;

export const NEMSIS_TEXT = TEXT[lang];

/** The export button; `range` gives the search form's from/to (UTC ISO strings) or null when the
 * form is invalid (it has shown why). */
export function nemsisButton(range: () => { from?: string | null; to?: string | null } | null): HTMLButtonElement {
  const T = NEMSIS_TEXT;
  const btn = h("button", { type: "button", class: "btn small", title: T.title, "data-testid": "nemsis-export" }, T.button);
  btn.addEventListener("click", () => {
    const r = range();
    if (!r) return;
    if (!r.from || !r.to) {
      showMessage(T.needRange, "error");
      return;
    }
    btn.disabled = true;
    api
      .reviewNemsis(r.from, r.to)
      .then((blob) => {
        const url = URL.createObjectURL(blob);
        const name = `nemsis-${r.from!.slice(0, 10)}-${r.to!.slice(0, 10)}.zip`;
        const a = h("a", { href: url, download: name, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
        showMessage(T.done.replace("{size}", `${(blob.size / 1024).toFixed(1)} kB`), "info");
      })
      .catch(showError)
      .finally(() => (btn.disabled = false));
  });
  return btn;
}
