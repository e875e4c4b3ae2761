// Login screen: OAuth2 password form posted as application/x-www-form-urlencoded.
import { login, saveSession } from "../api";
import { h } from "../dom";
import { S } from "../i18n";
import type { Session } from "../types";
import { clearMessage, showError, showMessage } from "./message";

export interface LoginOptions {
  subtitle?: string;
  /** Accept or refuse a session before it is saved (e.g. the crew app refuses dispatchers). */
  accept?(s: Session): string | null;
  /** Prefix for data-testids ("" for the console, "crew-" for the crew app). */
  testidPrefix?: string;
}

export function mountLogin(
  root: HTMLElement,
  onLoggedIn: (s: Session) => void,
  options: LoginOptions = {},
): { focus(): void; langSlot: HTMLElement } {
  const p = options.testidPrefix ?? "";
  const user = h("input", {
    id: "login-username",
    name: "username",
    autocomplete: "username",
    autocapitalize: "none",
    autocorrect: "off",
    spellcheck: "false",
    required: true,
    "data-testid": `${p}login-username`,
  });
  const pass = h("input", {
    id: "login-password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
    "data-testid": `${p}login-password`,
  });
  const submit = h("button", { type: "submit", class: "btn primary", "data-testid": `${p}login-submit` }, S.signIn);
  const langSlot = h("span", { class: "lang-slot" });
  const form = h(
    "form",
    { class: "login-card", "aria-label": S.loginTitle },
    h("div", { class: "brand" }, h("span", { class: "brand-mark" }, "✚"), h("div", {}, h("h1", {}, S.appTitle), h("p", {}, options.subtitle ?? S.appSubtitle)), h("span", { class: "spacer" }), langSlot),
    h("label", { for: "login-username" }, S.username),
    user,
    h("label", { for: "login-password" }, S.password),
    pass,
    submit,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    submit.textContent = S.signingIn;
    login(user.value.trim(), pass.value)
      .then((session) => {
        const refusal = options.accept?.(session) ?? null;
        if (refusal !== null) {
          showMessage(refusal, "error");
          return;
        }
        saveSession(session);
        clearMessage();
        pass.value = "";
        onLoggedIn(session);
      })
      .catch(showError)
      .finally(() => {
        submit.disabled = false;
        submit.textContent = S.signIn;
      });
  });
  root.append(form);
  return { focus: () => user.focus(), langSlot };
}
