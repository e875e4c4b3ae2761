// The list of logins: user, role, unit or hospital it is bound to (a picker for crew and ED logins:
// the admin binds a crew login to its unit for the shift), state (active, locked, must change its
// password), failed sign-ins, last sign-in; and per login: deactivate / activate, reset password,
// unlock. Every change is the server's (PATCH / POST /admin/users/...); the list is then re-read.
// data-testids: admin-users, admin-user-row (data-username, data-active, data-locked), and inside a
// row: admin-unit, admin-hospital, admin-toggle, admin-reset, admin-unlock, admin-state.
import * as api from "../shared/api";
import { h } from "../shared/dom";
import { dateTime } from "../shared/format";
import { S, t } from "../shared/i18n";
import { showError, showMessage } from "../shared/panels/message";
import type { AdminUser } from "../shared/types";
import { type Refs, fillPicker, hospitalChoices, pickedId, unitChoices, unitLabel } from "./refs";
import { askTemporaryPassword } from "./reset";

export interface UsersPanel {
  render(users: AdminUser[], refs: Refs): void;
}

export interface UsersHandlers {
  /** The admin's own login: it cannot deactivate itself from here. */
  me(): string;
  /** Something changed: read the list again. */
  changed(): void;
  refresh(): void;
}

function isLocked(u: AdminUser, now = Date.now()): boolean {
  return u.locked_until !== null && Date.parse(u.locked_until) > now;
}

export function mountUsers(root: HTMLElement, handlers: UsersHandlers): UsersPanel {
  const refresh = h("button", { type: "button", class: "btn small", "data-testid": "admin-refresh" }, S.refresh);
  refresh.addEventListener("click", handlers.refresh);
  const count = h("span", { class: "count" });
  const body = h("tbody", {});
  const table = h(
    "table",
    { class: "grid admin-grid", "data-testid": "admin-users" },
    h(
      "thead",
      {},
      h("tr", {}, h("th", {}, S.colUser), h("th", {}, S.colRole), h("th", {}, S.colBinding), h("th", {}, S.colState), h("th", { class: "num" }, S.colFailed), h("th", {}, S.colLastLogin), h("th", {}, S.colActions)),
    ),
    body,
  );
  root.append(h("div", { class: "panel-title" }, h("h2", {}, S.adminUsers, " ", count), h("span", { class: "spacer" }), refresh), h("div", { class: "scroll" }, table));

  /** Run one change, say what happened, re-read the list. */
  const act = (work: Promise<unknown>, done: string) =>
    work
      .then(() => {
        showMessage(done, "info");
        handlers.changed();
      })
      .catch((e: unknown) => {
        showError(e);
        handlers.changed();
      });

  const binding = (u: AdminUser, refs: Refs): HTMLElement | string => {
    if (u.role === "crew") {
      const pick = h("select", { "data-testid": "admin-unit", "aria-label": `${S.colUnit}: ${u.username}` });
      fillPicker(pick, S.noUnitChoice, unitChoices(refs), u.unit_id);
      pick.addEventListener("change", () => {
        const unitId = pickedId(pick);
        const label = unitLabel(refs, unitId);
        act(api.updateUser(u.username, { unit_id: unitId }), label ? t("userBound", { user: u.username, unit: label }) : t("userUnbound", { user: u.username }));
      });
      return pick;
    }
    if (u.role === "hospital") {
      const pick = h("select", { "data-testid": "admin-hospital", "aria-label": `${S.hospital}: ${u.username}` });
      fillPicker(pick, S.noHospitalChoice, hospitalChoices(refs), u.hospital_id);
      pick.addEventListener("change", () => {
        const hospitalId = pickedId(pick);
        const label = refs.hospitals.find((x) => x.id === hospitalId)?.name ?? "—";
        act(api.updateUser(u.username, { hospital_id: hospitalId }), t("userBound", { user: u.username, unit: label }));
      });
      return pick;
    }
    return S.noBinding;
  };

  const state = (u: AdminUser): HTMLElement => {
    const cell = h("span", { class: "admin-state", "data-testid": "admin-state" });
    cell.append(h("span", { class: `badge ${u.active ? "ok" : "off"}` }, u.active ? S.stateActive : S.stateInactive));
    if (isLocked(u)) cell.append(" ", h("span", { class: "badge warn" }, t("stateLocked", { time: dateTime(u.locked_until) })));
    if (u.must_change_password) cell.append(" ", h("span", { class: "badge" }, S.stateMustChange));
    return cell;
  };

  const actions = (u: AdminUser): HTMLElement => {
    const toggle = h("button", { type: "button", class: `btn small ${u.active ? "danger" : ""}`, "data-testid": "admin-toggle" }, u.active ? S.deactivate : S.activate);
    toggle.disabled = u.username === handlers.me();
    toggle.addEventListener("click", () => {
      toggle.disabled = true;
      act(api.updateUser(u.username, { active: !u.active }), t(u.active ? "userDeactivated" : "userActivated", { user: u.username }));
    });
    const reset = h("button", { type: "button", class: "btn small", "data-testid": "admin-reset" }, S.resetPassword);
    reset.addEventListener("click", () => {
      void askTemporaryPassword(u.username).then((password) => {
        if (password !== null) act(api.resetPassword(u.username, password), t("userPasswordReset", { user: u.username }));
      });
    });
    const unlock = h("button", { type: "button", class: "btn small", "data-testid": "admin-unlock" }, S.unlock);
    unlock.disabled = !isLocked(u) && u.failed_logins === 0;
    unlock.addEventListener("click", () => act(api.unlockUser(u.username), t("userUnlocked", { user: u.username })));
    return h("span", { class: "admin-actions" }, toggle, reset, unlock);
  };

  return {
    render(users, refs) {
      count.textContent = `(${users.length})`;
      if (users.length === 0) {
        body.replaceChildren(h("tr", {}, h("td", { colspan: 7, class: "empty" }, S.adminNoUsers)));
        return;
      }
      body.replaceChildren(
        ...users.map((u) =>
          h(
            "tr",
            { "data-testid": "admin-user-row", "data-username": u.username, "data-active": String(u.active), "data-locked": String(isLocked(u)), class: u.active ? "" : "inactive" },
            h("td", { class: "strong" }, u.username),
            h("td", {}, S.roles[u.role] ?? u.role),
            h("td", {}, binding(u, refs)),
            h("td", {}, state(u)),
            h("td", { class: "num mono" }, String(u.failed_logins)),
            h("td", { class: "mono nowrap" }, u.last_login_at ? dateTime(u.last_login_at) : S.never),
            h("td", {}, actions(u)),
          ),
        ),
      );
    },
  };
}
