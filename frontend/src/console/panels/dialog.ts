// A small modal that asks for a reason (and optionally a choice, e.g. the incident to divert to).
// data-testids: action-dialog, action-choice (select), action-reason, action-confirm, action-dismiss.
import { h } from "../../shared/dom";
import { S } from "../../shared/i18n";

export interface AskOptions {
  title: string;
  /** Options of a select shown above the reason (value, label); none = no select. */
  choices?: { value: string; label: string }[];
  choiceLabel?: string;
  /** Shown instead of the select when `choices` is an empty list. */
  noChoices?: string;
  confirm: string;
  danger?: boolean;
  /** Label and placeholder of the text field (default: reason). */
  textLabel?: string;
}

export interface Answer {
  reason: string;
  choice: string | null;
}

let open: HTMLElement | null = null;

/** Resolve with the answer, or null when dismissed (Esc, backdrop, the dismiss button). */
export function ask(o: AskOptions): Promise<Answer | null> {
  open?.remove();
  return new Promise((resolve) => {
    const select = o.choices && o.choices.length > 0 ? h("select", { id: "action-choice", "data-testid": "action-choice" }) : null;
    for (const c of o.choices ?? []) select?.append(h("option", { value: c.value }, c.label));
    const reason = h("input", {
      id: "action-reason",
      "data-testid": "action-reason",
      autocomplete: "off",
      maxlength: 500,
      placeholder: S.reasonPlaceholder,
      required: true,
    });
    const confirm = h("button", { type: "submit", class: `btn ${o.danger ? "danger" : "primary"}`, "data-testid": "action-confirm" }, o.confirm);
    const dismiss = h("button", { type: "button", class: "btn", "data-testid": "action-dismiss" }, S.back);
    const noChoice = o.choices && o.choices.length === 0;
    if (noChoice) confirm.disabled = true;
    const form = h(
      "form",
      { class: "help-card action-card", role: "dialog", "aria-modal": "true", "aria-label": o.title },
      h("div", { class: "panel-title" }, h("h2", {}, o.title)),
      select ? h("label", { for: "action-choice" }, o.choiceLabel ?? "") : null,
      select,
      noChoice ? h("p", { class: "empty" }, o.noChoices ?? "") : null,
      h("label", { for: "action-reason" }, o.textLabel ?? S.reason),
      reason,
      h("div", { class: "row action-buttons" }, h("span", { class: "spacer" }), dismiss, confirm),
    );
    const root = h("div", { class: "overlay", "data-testid": "action-dialog" }, form);
    open = root;
    const finish = (a: Answer | null) => {
      root.remove();
      if (open === root) open = null;
      resolve(a);
    };
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const text = reason.value.trim();
      if (!text) {
        reason.focus();
        return;
      }
      finish({ reason: text, choice: select ? select.value : null });
    });
    dismiss.addEventListener("click", () => finish(null));
    root.addEventListener("click", (ev) => {
      if (ev.target === root) finish(null);
    });
    root.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        ev.preventDefault();
        ev.stopPropagation();
        finish(null);
      }
    });
    document.body.append(root);
    (select ?? reason).focus();
  });
}

/** Whether an action dialog is showing (console shortcuts stay quiet meanwhile). */
export function dialogOpen(): boolean {
  return open !== null;
}
