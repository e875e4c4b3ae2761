// The ED reports its status and free beds, in the ED and per speciality it offers
// (POST /hospitals/{id}/status): every dispatcher's
// hospital board shows it at once, and destination advice skips a closed ED and avoids one on
// diversion.
import { h, setText } from "../shared/dom";
import { dateTime } from "../shared/format";
import { S } from "../shared/i18n";
import { showError, showMessage } from "../shared/panels/message";
import { capabilityLabel, edStatusLabel, fill, setHospitalStatus, type EdStatus, type Hospital } from "../shared/hospitals";

const STATUSES: EdStatus[] = ["open", "diversion", "closed"];

export interface StatusForm {
  /** The hospital as the server last described it (the form follows unless being edited). */
  show(hosp: Hospital): void;
}

export function mountStatusForm(root: HTMLElement, onSaved: (h: Hospital) => void): StatusForm {
  let hospitalId: number | null = null;
  let editing = false;
  const radios = STATUSES.map((s) =>
    h("input", { type: "radio", name: "ed-status", value: s, id: `ed-status-${s}`, "data-testid": `ed-status-${s}` }),
  );
  const beds = h("input", { type: "number", min: 0, max: 10000, step: 1, id: "ed-beds", "data-testid": "ed-beds", class: "mono" });
  // One count per speciality the hospital offers (stroke unit, cath lab...): empty = not reported.
  const wards = h("div", { class: "ed-wards", "data-testid": "ed-capability-beds" });
  const wardInputs = new Map<string, HTMLInputElement>();
  const buildWards = (capabilities: readonly string[]) => {
    if (capabilities.length === wardInputs.size && capabilities.every((c) => wardInputs.has(c))) return;
    wardInputs.clear();
    wards.replaceChildren(
      ...capabilities.map((c) => {
        const input = h("input", { type: "number", min: 0, max: 10000, step: 1, id: `ed-beds-${c}`, "data-testid": `ed-beds-${c}`, class: "mono" });
        wardInputs.set(c, input);
        return h("label", { for: `ed-beds-${c}`, class: "ed-ward" }, h("span", {}, capabilityLabel(c)), input);
      }),
    );
  };
  const save = h("button", { type: "submit", class: "btn primary", "data-testid": "ed-save" }, S.hospitalLoop.save);
  const current = h("div", { class: "ed-current", "data-testid": "ed-current" });
  const report = h("div", { class: "sub", "data-testid": "ed-last-report" });
  const form = h(
    "form",
    { class: "ed-form" },
    h("div", { class: "panel-title" }, h("h2", {}, S.hospitalLoop.edStatusTitle)),
    current,
    h(
      "div",
      { class: "ed-radios", role: "radiogroup" },
      ...STATUSES.map((s, i) => h("label", { for: `ed-status-${s}`, class: `ed-radio ed-${s}` }, radios[i] ?? null, edStatusLabel(s))),
    ),
    h("label", { for: "ed-beds" }, S.hospitalLoop.bedsFree),
    beds,
    wards,
    save,
    report,
  );
  root.append(form);
  form.addEventListener("input", () => {
    editing = true;
  });

  const fillFrom = (hosp: Hospital) => {
    for (const r of radios) r.checked = r.value === hosp.ed_status;
    beds.value = String(hosp.beds_available);
    buildWards(hosp.capabilities);
    for (const [c, input] of wardInputs) {
      const n = hosp.capability_beds?.[c];
      input.value = n === undefined ? "" : String(n);
    }
  };

  const show = (hosp: Hospital) => {
    hospitalId = hosp.id;
    const perWard = Object.entries(hosp.capability_beds ?? {}).map(([c, n]) => `${capabilityLabel(c)} ${n}`);
    setText(current, [edStatusLabel(hosp.ed_status), fill(S.hospitalLoop.beds, { n: hosp.beds_available }), ...perWard].join(" · "));
    current.className = `ed-current ed-${hosp.ed_status}`;
    current.dataset["edStatus"] = hosp.ed_status;
    setText(report, hosp.status_at ? fill(S.hospitalLoop.lastReport, { time: dateTime(hosp.status_at) }) : S.hospitalLoop.neverUpdated);
    if (!editing) fillFrom(hosp);
  };

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (hospitalId === null) return;
    const status = radios.find((r) => r.checked)?.value as EdStatus | undefined;
    const n = Number(beds.value);
    save.disabled = true;
    const perWard: Record<string, number> = {};
    for (const [c, input] of wardInputs) {
      const k = Number(input.value);
      if (input.value !== "" && Number.isInteger(k) && k >= 0) perWard[c] = k;
    }
    setHospitalStatus(hospitalId, {
      ...(status ? { ed_status: status } : {}),
      ...(beds.value !== "" && Number.isInteger(n) ? { beds_available: n } : {}),
      capability_beds: perWard,
    })
      .then((hosp) => {
        editing = false;
        show(hosp);
        onSaved(hosp);
        showMessage(fill(S.hospitalLoop.saved, { status: edStatusLabel(hosp.ed_status), beds: hosp.beds_available }), "info");
      })
      .catch((e: unknown) => showError(e))
      .finally(() => {
        save.disabled = false;
      });
  });

  return { show };
}
