// Keyboard shortcut help overlay (data-testid="shortcut-help").
import { h } from "../../shared/dom";
import { S } from "../../shared/i18n";

export interface Help {
  open(): void;
  close(): void;
  readonly isOpen: boolean;
}

export function mountHelp(parent: HTMLElement): Help {
  const close = h("button", { type: "button", class: "message-close", title: S.close, "aria-label": S.close }, "×");
  const rows = S.shortcutList.map(([keys, what]) =>
    h("tr", {}, h("td", {}, ...keys.split(" ").map((k) => (k.length > 0 && k !== "…" ? h("kbd", {}, k) : ` ${k} `))), h("td", {}, what)),
  );
  const dialog = h(
    "div",
    { class: "help-card", role: "dialog", "aria-modal": "true", "aria-label": S.shortcuts },
    h("div", { class: "panel-title" }, h("h2", {}, S.shortcuts), h("span", { class: "spacer" }), close),
    h("table", { class: "help-table" }, h("tbody", {}, ...rows)),
    h("p", { class: "sub" }, S.shortcutsNote),
  );
  const root = h("div", { class: "overlay", hidden: true, "data-testid": "shortcut-help" }, dialog);
  parent.append(root);
  let previous: Element | null = null;
  const api: Help = {
    open() {
      if (!root.hidden) return;
      previous = document.activeElement;
      root.hidden = false;
      close.focus();
    },
    close() {
      if (root.hidden) return;
      root.hidden = true;
      if (previous instanceof HTMLElement) previous.focus();
    },
    get isOpen() {
      return !root.hidden;
    },
  };
  close.addEventListener("click", api.close);
  // Esc closes the overlay before any other shortcut sees the key.
  document.addEventListener(
    "keydown",
    (ev) => {
      if (ev.key === "Escape" && !root.hidden) {
        ev.preventDefault();
        ev.stopImmediatePropagation();
        api.close();
      }
    },
    true,
  );
  root.addEventListener("click", (ev) => {
    if (ev.target === root) api.close();
  });
  return api;
}
