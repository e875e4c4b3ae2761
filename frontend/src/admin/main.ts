// Account administration (/admin/), the admin's screen (issue 12: separation of duties, the admin
// runs accounts and never sees incident data): the logins with their role, binding, state, failed
// sign-ins and last sign-in; create a login, deactivate / activate it, reset its password, unlock it,
// bind a crew login to a unit. Only GET/POST/PATCH /admin/users, and /units and /hospitals for the
// pickers (call signs and names), are read here.
import "../shared/styles.css";
import "./admin.css";

import * as api from "../shared/api";
import { byId, h, setText } from "../shared/dom";
import { setTimeZone } from "../shared/format";
import { S } from "../shared/i18n";
import { langToggle } from "../shared/langtoggle";
import { mountLogin } from "../shared/panels/login";
import { mountMessage, showError, showMessage } from "../shared/panels/message";
import { openPasswordDialog } from "../shared/panels/password";
import type { Session } from "../shared/types";
import { mountCreate, type CreateForm } from "./create";
import { loadRefs, type Refs } from "./refs";
import { mountUsers, type UsersPanel } from "./users";

const loginRoot = byId("login");
const appRoot = byId("app");
mountMessage(document.body);
const loginForm = mountLogin(byId("login-box"), (s) => start(s), {
  subtitle: S.adminSubtitle,
  testidPrefix: "",
  accept: (s) => (s.role === "admin" ? null : S.adminOnly),
});

interface AdminUi {
  langSlot: HTMLElement;
  user: HTMLElement;
  reload(): void;
}
let ui: AdminUi | null = null;

function showLogin(): void {
  appRoot.hidden = true;
  loginRoot.hidden = false;
  loginForm.langSlot.append(langToggle());
  document.title = `${S.appTitle} · ${S.adminTitle}`;
  loginForm.focus();
}

/** Back to the login screen; `endSession`: also end it on the server (the logout button). */
function logout(endSession = true): void {
  if (endSession) void api.logout();
  else api.clearSession();
  showLogin();
}

api.setUnauthorizedHandler(() => {
  if (!api.loadSession()) return;
  logout(false);
  showMessage(S.sessionExpired, "error");
});

api.setPasswordChangeHandler(() => {
  const s = api.loadSession();
  if (!s) return;
  showLogin();
  loginForm.requirePasswordChange({ ...s, must_change_password: true });
});

function start(session: Session): void {
  if (session.role !== "admin") {
    void api.logout();
    showMessage(S.adminOnly, "error");
    showLogin();
    return;
  }
  loginRoot.hidden = true;
  appRoot.hidden = false;
  if (!ui) ui = build();
  ui.langSlot.append(langToggle());
  setText(ui.user, `${session.username} · ${S.roles[session.role] ?? session.role}`);
  document.title = `${S.appTitle} · ${S.adminTitle}`;
  // Sign-in times in the centre's time zone (GET /config time_zone), like every other screen.
  void api
    .config()
    .then(
      (c) => setTimeZone(c.time_zone),
      () => false,
    )
    .then(() => ui?.reload());
}

function build(): AdminUi {
  const user = h("span", { class: "user", "data-testid": "current-user" });
  const langSlot = h("span", { class: "lang-slot" });
  const passwordBtn = h("button", { type: "button", class: "btn small", "data-testid": "change-password" }, S.changePassword);
  passwordBtn.addEventListener("click", () => openPasswordDialog(api.loadSession()?.username ?? ""));
  const logoutBtn = h("button", { type: "button", class: "btn small", "data-testid": "logout" }, S.logout);
  logoutBtn.addEventListener("click", () => logout());
  byId("header").append(
    h("div", { class: "brand" }, h("span", { class: "brand-mark" }, "✚"), h("strong", {}, S.appTitle), h("span", { class: "map-name" }, S.adminTitle)),
    h("span", { class: "spacer" }),
    langSlot,
    user,
    passwordBtn,
    logoutBtn,
  );

  let refs: Refs = { units: [], hospitals: [] };
  let loading = false;
  const reload = () => {
    if (loading) return;
    loading = true;
    Promise.all([api.adminUsers(), loadRefs()])
      .then(([users, fresh]) => {
        refs = fresh;
        create.setRefs(refs);
        users.sort((a, b) => a.username.localeCompare(b.username, undefined, { numeric: true }));
        list.render(users, refs);
      })
      .catch(showError)
      .finally(() => {
        loading = false;
      });
  };
  const list: UsersPanel = mountUsers(byId("users"), {
    me: () => api.loadSession()?.username ?? "",
    changed: reload,
    refresh: reload,
  });
  const create: CreateForm = mountCreate(byId("create"), () => reload());
  return { langSlot, user, reload };
}

// Boot: the tab's session (renewed if its token expired meanwhile).
const existing = api.restoreSession();
if (existing?.role === "admin" && existing.must_change_password) {
  showLogin();
  loginForm.requirePasswordChange(existing);
} else if (existing?.role === "admin") {
  start(existing);
  api.me().catch(() => undefined);
} else {
  showLogin();
}
