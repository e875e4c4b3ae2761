// Change-password form, the same in every app: forced after a sign-in with `must_change_password`
// (seeded and reset accounts: nothing else is shown before it), or opened from the console's header
// and the crew app's menu. The policy is stated in words; the server has the last word (it also
// refuses common and guessable passwords) and its answer is shown as it comes.
// data-testids (with the app's prefix): password-form, password-current, password-new,
// password-repeat, password-submit, password-cancel, password-dialog.
import * as api from "../api";
import { h } from "../dom";
import { S } from "../i18n";
import type { Session } from "../types";
import { clearMessage, showError, showMessage } from "./message";
import "./password.css";

/** The policy's rules a browser can check (dispatch/domain/password_policy.py has them all). */
const MIN_LENGTH = 12;

export interface PasswordFormOptions {
  username: string;
  /** First sign-in or reset: no way around it but signing out. */
  forced: boolean;
  testidPrefix?: string;
  /** The password was changed; the session to go on with. */
  done(session: Session): void;
  /** Leave without changing: close the dialog, or (forced) sign out. */
  leave(): void;
}

/** What is wrong with the new password before asking the server, or null. */
function localRefusal(username: string, current: string, next: string, repeat: string): string | null {
  if ([...next].length < MIN_LENGTH) return S.passwordTooShort;
  if (next.trim().toLowerCase() === username.trim().toLowerCase()) return S.passwordIsUsername;
  if (next === current) return S.passwordSameAsCurrent;
  if (next !== repeat) return S.passwordMismatch;
  return null;
}

export function passwordForm(o: PasswordFormOptions): HTMLFormElement {
  const p = o.testidPrefix ?? "";
  const field = (id: string, autocomplete: string) =>
    h("input", { id: `${p}${id}`, name: id, type: "password", autocomplete, required: true, "data-testid": `${p}${id}` });
  const current = field("password-current", "current-password");
  const next = field("password-new", "new-password");
  const repeat = field("password-repeat", "new-password");
  next.setAttribute("minlength", String(MIN_LENGTH));
  next.setAttribute("aria-describedby", `${p}password-policy`);
  const submit = h("button", { type: "submit", class: "btn primary", "data-testid": `${p}password-submit` }, S.changePassword);
  const leave = h("button", { type: "button", class: "btn", "data-testid": `${p}password-cancel` }, o.forced ? S.logout : S.cancel);
  leave.addEventListener("click", () => o.leave());
  const form = h(
    "form",
    { class: "login-card password-card", "aria-label": S.changePasswordTitle, "data-testid": `${p}password-form` },
    h("h2", { class: "password-title" }, S.changePasswordTitle),
    o.forced ? h("p", { class: "password-why", "data-testid": `${p}password-forced` }, S.changePasswordForced) : null,
    h("p", { class: "password-user" }, o.username),
    h("label", { for: `${p}password-current` }, S.currentPassword),
    current,
    h("label", { for: `${p}password-new` }, S.newPassword),
    next,
    h("label", { for: `${p}password-repeat` }, S.repeatPassword),
    repeat,
    h("p", { class: "password-policy", id: `${p}password-policy` }, S.passwordPolicy),
    submit,
    leave,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const refusal = localRefusal(o.username, current.value, next.value, repeat.value);
    if (refusal !== null) {
      showMessage(refusal, "error");
      return;
    }
    submit.disabled = true;
    submit.textContent = S.saving;
    const chosen = next.value;
    api
      .changePassword(current.value, chosen)
      .then(() => api.sessionAfterPasswordChange(o.username, chosen))
      .then((session) => {
        form.reset();
        clearMessage();
        showMessage(S.passwordChanged, "info");
        o.done(session);
      })
      .catch(showError)
      .finally(() => {
        submit.disabled = false;
        submit.textContent = S.changePassword;
      });
  });
  window.setTimeout(() => current.focus(), 0);
  return form;
}

let dialog: HTMLElement | null = null;

/** The form as a dialog over the running app (not forced): Esc or Cancel closes it. */
export function openPasswordDialog(username: string, testidPrefix = ""): void {
  dialog?.remove();
  const close = () => {
    root.remove();
    if (dialog === root) dialog = null;
  };
  const form = passwordForm({ username, forced: false, testidPrefix, done: close, leave: close });
  const root = h("div", { class: "overlay password-overlay", "data-testid": `${testidPrefix}password-dialog`, role: "dialog", "aria-modal": "true" }, form);
  root.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") close();
  });
  dialog = root;
  document.body.append(root);
}
