// Login screen: OAuth2 password form posted as application/x-www-form-urlencoded.
import { login, saveSession } from "../api";
import { h } from "../dom";
import { S } from "../i18n";
import type { Session } from "../types";
import { clearMessage, showError } from "./message";

export function mountLogin(root: HTMLElement, onLoggedIn: (s: Session) => void): { focus(): void } {
  const user = h("input", {
    id: "login-username",
    name: "username",
    autocomplete: "username",
    required: true,
    "data-testid": "login-username",
  });
  const pass = h("input", {
    id: "login-password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
    "data-testid": "login-password",
  });
  const submit = h("button", { type: "submit", class: "btn primary", "data-testid": "login-submit" }, S.signIn);
  const form = h(
    "form",
    { class: "login-card", "aria-label": S.loginTitle },
    h("div", { class: "brand" }, h("span", { class: "brand-mark" }, "✚"), h("div", {}, h("h1", {}, S.appTitle), h("p", {}, S.appSubtitle))),
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
  return { focus: () => user.focus() };
}
