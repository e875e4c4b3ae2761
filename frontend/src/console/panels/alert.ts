// Priority-1 alert: a flashing banner (data-testid="p1-alert") and a generated tone, unless muted.
import { h, setText } from "../../shared/dom";
import { clock } from "../../shared/format";
import { S } from "../../shared/i18n";
import { beep } from "../../shared/sound";
import type { Incident } from "../../shared/types";

const SHOW_MS = 20_000;
const FLASH_MS = 6_000;

export interface P1Alert {
  show(incident: Incident): void;
  hide(): void;
}

export function mountP1Alert(parent: HTMLElement, onShow: (incidentId: number) => void): P1Alert {
  const text = h("span", { class: "p1-text" });
  const time = h("span", { class: "mono" });
  const showBtn = h("button", { type: "button", class: "btn small" }, S.p1AlertShow);
  const close = h("button", { type: "button", class: "message-close", title: S.dismiss, "aria-label": S.dismiss }, "×");
  const root = h(
    "div",
    { class: "p1-alert", role: "alert", "data-testid": "p1-alert", hidden: true },
    h("strong", {}, `⚠ ${S.p1Alert}`),
    time,
    text,
    showBtn,
    close,
  );
  parent.append(root);
  let current: number | null = null;
  let hideTimer: number | undefined;
  let flashTimer: number | undefined;

  const hide = () => {
    window.clearTimeout(hideTimer);
    window.clearTimeout(flashTimer);
    root.hidden = true;
    root.classList.remove("flashing");
    current = null;
  };
  showBtn.addEventListener("click", () => {
    if (current !== null) onShow(current);
    hide();
  });
  close.addEventListener("click", hide);

  return {
    show(i) {
      current = i.id;
      root.dataset["incidentId"] = String(i.id);
      setText(time, clock(i.received_at));
      setText(text, [i.number, i.address || S.unknownAddress, i.complaint].filter(Boolean).join(" · "));
      root.hidden = false;
      root.classList.remove("flashing");
      void root.offsetWidth; // restart the animation
      root.classList.add("flashing");
      root.dataset["sound"] = String(beep());
      window.clearTimeout(hideTimer);
      window.clearTimeout(flashTimer);
      flashTimer = window.setTimeout(() => root.classList.remove("flashing"), FLASH_MS);
      hideTimer = window.setTimeout(hide, SHOW_MS);
    },
    hide,
  };
}
