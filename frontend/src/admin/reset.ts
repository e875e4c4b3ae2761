// The admin's "reset password" dialog: a new temporary password, which the user must change at the
// next sign-in. Resolves with the password, or null when dismissed.
// data-testids: admin-reset-dialog, admin-reset-password, admin-reset-confirm, admin-reset-cancel.
import { h } from "../shared/dom";
import { S, t } from "../shared/i18n";

export function askTemporaryPassword(username: string): Promise<string | null> {
  return new Promise((resolve) => {
    const password = h("input", { id: "admin-reset-password", "data-testid": "admin-reset-password", type: "text", autocomplete: "off", spellcheck: "false", required: true, minlength: 12 });
    const confirm = h("button", { type: "submit", class: "btn primary", "data-testid": "admin-reset-confirm" }, S.resetPassword);
    const cancel = h("button", { type: "button", class: "btn", "data-testid": "admin-reset-cancel" }, S.cancel);
    const title = t("resetPasswordTitle", { user: username });
    const form = h(
      "form",
      { class: "help-card action-card", "aria-label": title },
      h("div", { class: "panel-title" }, h("h2", {}, title)),
      h("label", { for: "admin-reset-password" }, S.temporaryPassword),
      password,
      h("p", { class: "hint" }, S.temporaryPasswordHint),
      h("p", { class: "hint" }, S.passwordPolicy),
      h("div", { class: "row action-buttons" }, h("span", { class: "spacer" }), cancel, confirm),
    );
    const root = h("div", { class: "overlay", role: "dialog", "aria-modal": "true", "data-testid": "admin-reset-dialog" }, form);
    const finish = (value: string | null) => {
      root.remove();
      resolve(value);
    };
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      finish(password.value);
    });
    cancel.addEventListener("click", () => finish(null));
    root.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") finish(null);
    });
    document.body.append(root);
    password.focus();
  });
}
