// "New login": user name, role, the unit (crew) or hospital (ED) it is bound to, and a temporary
// password the user must change at the first sign-in (the server enforces both the policy and the
// forced change). data-testids: admin-new-username, admin-new-role, admin-new-unit,
// admin-new-hospital, admin-new-password, admin-create.
import * as api from "../shared/api";
import { h } from "../shared/dom";
import { S, t } from "../shared/i18n";
import { showError, showMessage } from "../shared/panels/message";
import type { AdminUser, NewUserBody, Role } from "../shared/types";
import { type Refs, fillPicker, hospitalChoices, pickedId, unitChoices } from "./refs";

const ROLES: Role[] = ["dispatcher", "supervisor", "crew", "hospital", "auditor", "telephony", "admin"];

export interface CreateForm {
  setRefs(refs: Refs): void;
}

export function mountCreate(root: HTMLElement, created: (user: AdminUser | undefined, username: string) => void): CreateForm {
  const username = h("input", { id: "admin-new-username", "data-testid": "admin-new-username", autocomplete: "off", autocapitalize: "none", spellcheck: "false", required: true, maxlength: 64 });
  const role = h("select", { id: "admin-new-role", "data-testid": "admin-new-role" });
  for (const r of ROLES) role.append(new Option(S.roles[r] ?? r, r));
  const unit = h("select", { id: "admin-new-unit", "data-testid": "admin-new-unit" });
  const hospital = h("select", { id: "admin-new-hospital", "data-testid": "admin-new-hospital" });
  const password = h("input", { id: "admin-new-password", "data-testid": "admin-new-password", type: "text", autocomplete: "off", spellcheck: "false", required: true, minlength: 12 });
  const submit = h("button", { type: "submit", class: "btn primary wide", "data-testid": "admin-create" }, S.adminCreateSubmit);
  const unitField = h("div", { class: "field" }, h("label", { for: "admin-new-unit" }, S.colUnit), unit);
  const hospitalField = h("div", { class: "field" }, h("label", { for: "admin-new-hospital" }, S.hospital), hospital);
  const showBinding = () => {
    unitField.hidden = role.value !== "crew";
    hospitalField.hidden = role.value !== "hospital";
  };
  role.addEventListener("change", showBinding);
  showBinding();

  const form = h(
    "form",
    { class: "admin-form", "aria-label": S.adminCreate },
    h("div", { class: "panel-title" }, h("h2", {}, S.adminCreate)),
    h("div", { class: "field" }, h("label", { for: "admin-new-username" }, S.username), username),
    h("div", { class: "field" }, h("label", { for: "admin-new-role" }, S.colRole), role),
    unitField,
    hospitalField,
    h("div", { class: "field" }, h("label", { for: "admin-new-password" }, S.temporaryPassword), password, h("p", { class: "hint" }, S.temporaryPasswordHint)),
    h("p", { class: "hint" }, S.passwordPolicy),
    submit,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const body: NewUserBody = { username: username.value.trim(), role: role.value as Role, password: password.value };
    if (body.role === "crew") body.unit_id = pickedId(unit);
    if (body.role === "hospital") body.hospital_id = pickedId(hospital);
    submit.disabled = true;
    api
      .createUser(body)
      .then((user) => {
        showMessage(t("userCreated", { user: body.username }), "info");
        form.reset();
        showBinding();
        created(user, body.username);
      })
      .catch(showError)
      .finally(() => {
        submit.disabled = false;
      });
  });
  root.append(form);
  return {
    setRefs(refs) {
      fillPicker(unit, S.noUnitChoice, unitChoices(refs), pickedId(unit));
      fillPicker(hospital, S.noHospitalChoice, hospitalChoices(refs), pickedId(hospital));
    },
  };
}
