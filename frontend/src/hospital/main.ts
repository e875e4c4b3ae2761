// The emergency department's screen (/hospital/), for hospital logins: the patients coming to
// this ED with a live ETA, priority and a summary (never the caller's data: the server does not
// send it), one button to acknowledge each ("ED acknowledged" on the dispatcher's console and
// the crew's screen), and the ED's status and free beds.
import "../shared/styles.css";
import "./hospital.css";

import * as api from "../shared/api";
import { byId, h, setText } from "../shared/dom";
import { setTimeZone } from "../shared/format";
import { S } from "../shared/i18n";
import { langToggle } from "../shared/langtoggle";
import { mountLogin } from "../shared/panels/login";
import { openPasswordDialog } from "../shared/panels/password";
import { mountMessage, showError, showMessage } from "../shared/panels/message";
import { acknowledgeIncoming, type Hospital, type IncomingPatient } from "../shared/hospitals";
import type { Session } from "../shared/types";
import { mountIncoming } from "./incoming";
import { mountBloodPanel } from "./blood";
import { mountMciIncoming } from "./mci";
import { HospitalSocket } from "./socket";
import { mountStatusForm } from "./status";

const loginRoot = byId("login");
const appRoot = byId("app");
mountMessage(document.body);
const loginForm = mountLogin(byId("login-box"), (s) => start(s), {
  subtitle: S.hospitalLoop.edTitle,
  accept: (s) => (s.role === "hospital" && s.hospital_id ? null : S.hospitalLoop.edOnly),
  testidPrefix: "ed-",
});

let ui: ReturnType<typeof build> | null = null;

function showLogin(): void {
  ui?.socket.stop();
  appRoot.hidden = true;
  loginRoot.hidden = false;
  loginForm.langSlot.append(langToggle());
  document.title = `${S.appTitle} · ${S.hospitalLoop.edTitle}`;
  loginForm.focus();
}

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
  ui?.socket.stop();
  showLogin();
  loginForm.requirePasswordChange({ ...s, must_change_password: true });
});

function start(session: Session): void {
  if (session.role !== "hospital" || !session.hospital_id) {
    // A dispatcher's session from the console in this tab: this screen is not theirs.
    showLogin();
    showMessage(S.hospitalLoop.edOnly, "error");
    return;
  }
  loginRoot.hidden = true;
  appRoot.hidden = false;
  if (!ui) ui = build(session.hospital_id);
  ui.langSlot.append(langToggle());
  setText(ui.user, `${session.username} · ${S.roles[session.role] ?? session.role}`);
  document.title = `${S.appTitle} · ${S.hospitalLoop.edTitle}`;
  ui.socket.start();
  loadTimeZone(() => ui?.redraw());
}

/** The centre's time zone (``/config``): every clock on this screen shows it, not the PC's. */
function loadTimeZone(redraw: () => void, attempt = 0): void {
  api
    .config()
    .then((c) => {
      if (setTimeZone(c.time_zone)) redraw();
    })
    .catch(() => {
      if (api.loadSession()) window.setTimeout(() => loadTimeZone(redraw, attempt + 1), Math.min(30_000, 2000 * 2 ** attempt));
    });
}

function build(hospitalId: number) {
  const user = h("span", { class: "user", "data-testid": "current-user" });
  const name = h("span", { class: "map-name", "data-testid": "ed-hospital-name" }, S.hospitalLoop.edTitle);
  const conn = h("span", { class: "conn", "data-testid": "connection-status" }, "reconnecting");
  const langSlot = h("span", { class: "lang-slot" });
  const logoutBtn = h("button", { type: "button", class: "btn small", "data-testid": "logout" }, S.logout);
  logoutBtn.addEventListener("click", () => logout());
  const passwordBtn = h("button", { type: "button", class: "btn small", "data-testid": "change-password" }, S.changePassword);
  passwordBtn.addEventListener("click", () => openPasswordDialog(api.loadSession()?.username ?? ""));
  byId("header").append(
    h("div", { class: "brand" }, h("span", { class: "brand-mark" }, "✚"), h("strong", {}, S.appTitle), name),
    h("span", { class: "spacer" }),
    conn,
    langSlot,
    user,
    passwordBtn,
    logoutBtn,
  );

  const status = mountStatusForm(byId("ed-status"), (hosp) => showHospital(hosp));
  const acknowledge = (p: IncomingPatient, btn: HTMLButtonElement) => {
    btn.disabled = true;
    acknowledgeIncoming(hospitalId, p.incident_id)
      .catch((e: unknown) => {
        btn.disabled = false;
        showError(e);
      });
    // the server resends the list with acknowledged_at at once (the event touches our patient)
  };
  const incoming = mountIncoming(byId("incoming"), acknowledge);
  const mci = mountMciIncoming(byId("incoming"), byId("ed-status"), hospitalId);
  // The Blood panel (issue 19): its own row under the incoming patients.
  const bloodRoot = h("section", { class: "panel ed-blood", "data-testid": "ed-blood" });
  byId("incoming").after(bloodRoot);
  appRoot.classList.add("ed-with-blood");
  mountBloodPanel(bloodRoot, hospitalId);

  let shown: Hospital | null = null;
  const showHospital = (hosp: Hospital) => {
    shown = hosp;
    setText(name, hosp.name);
    status.show(hosp);
  };

  const socket = new HospitalSocket({
    inbound: (msg) => {
      showHospital(msg.hospital);
      incoming.show(msg.patients, Date.now());
      mci.refresh();
    },
    state: (s) => {
      setText(conn, s);
      conn.classList.toggle("ok", s === "connected");
    },
    rejected: async () => {
      try {
        await api.me();
        return false;
      } catch (e) {
        return e instanceof api.ApiError && e.status === 401;
      }
    },
  });

  window.setInterval(() => incoming.tick(Date.now()), 1000);
  /** Draws the times again (the centre's time zone arrived after the first message). */
  const redraw = () => {
    if (shown) status.show(shown);
    incoming.tick(Date.now());
  };
  return { user, langSlot, socket, redraw };
}

// Boot: reuse this tab's session (the console sends a hospital login here after sign-in).
const existing = api.restoreSession();
if (existing?.must_change_password) {
  showLogin();
  loginForm.requirePasswordChange(existing);
} else if (existing) {
  start(existing);
  api.me().catch(() => undefined);
} else {
  showLogin();
}
