// Login screen: OAuth2 password form posted as application/x-www-form-urlencoded. A session that
// must change its password (first sign-in, reset by the administrator) gets the change-password
// form in the same place before the app starts (shared/panels/password.ts).
import { login, logout, saveSession } from "../api";
import { h } from "../dom";
import { S } from "../i18n";
import type { Session } from "../types";
import { clearMessage, showError, showMessage } from "./message";
import { passwordForm } from "./password";

export interface LoginOptions {
  subtitle?: string;
  /** Accept or refuse a session before it is saved (e.g. the crew app refuses dispatchers). */
  accept?(s: Session): string | null;
  /** Prefix for data-testids ("" for the console, "crew-" for the crew app). */
  testidPrefix?: string;
}

export interface LoginScreen {
  focus(): void;
  langSlot: HTMLElement;
  /** Show the forced change-password form for `session` (already saved); the app starts after it. */
  requirePasswordChange(session: Session): void;
}

export function mountLogin(
  root: HTMLElement,
  onLoggedIn: (s: Session) => void,
  options: LoginOptions = {},
): LoginScreen {
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
          void logout(session.access_token); // not this app's: end the session it opened
          showMessage(refusal, "error");
          return;
        }
        saveSession(session);
        clearMessage();
        pass.value = "";
        if (session.must_change_password) requirePasswordChange(session);
        else onLoggedIn(session);
      })
      .catch(showError)
      .finally(() => {
        submit.disabled = false;
        submit.textContent = S.signIn;
      });
  });
  root.append(form);

  const requirePasswordChange = (session: Session) => {
    const change = passwordForm({
      username: session.username,
      forced: true,
      testidPrefix: p,
      done: (renewed) => {
        change.remove();
        form.hidden = false;
        onLoggedIn(renewed);
      },
      leave: () => {
        change.remove();
        form.hidden = false;
        void logout();
        user.focus();
      },
    });
    form.hidden = true;
    root.querySelector(".password-card")?.remove();
    root.append(change);
  };
  return { focus: () => user.focus(), langSlot, requirePasswordChange };
}
