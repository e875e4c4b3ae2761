// New-call form: address + Locate (geocoder candidates), map-click pin, complaint, priority.
import { createIncident, geocode } from "../../shared/api";
import { h } from "../../shared/dom";
import { lonLat } from "../../shared/format";
import { S, t } from "../../shared/i18n";
import { store } from "../state";
import type { GeocodeCandidate, Incident, LonLat } from "../../shared/types";
import { showError, showMessage } from "../../shared/panels/message";

export interface NewCallCallbacks {
  created(incident: Incident): void;
  located(loc: LonLat): void;
}

export interface NewCall {
  form: HTMLFormElement;
  focusAddress(): void;
  locate(): void;
  setPriority(p: number): void;
  /** Hide the geocoder candidates; false when they were not shown. */
  closeCandidates(): boolean;
}

export function mountNewCall(root: HTMLElement, cb: NewCallCallbacks): NewCall {
  const address = h("input", {
    id: "call-address",
    name: "address",
    placeholder: S.addressPlaceholder,
    autocomplete: "off",
    "data-testid": "call-address",
  });
  const locate = h("button", { type: "button", class: "btn", "data-testid": "call-locate" }, S.locate);
  const candidates = h("ul", { class: "candidates", hidden: true, "data-testid": "geocode-candidates" });
  const locText = h("span", { class: "mono", "data-testid": "call-location" });
  const locHint = h("span", { class: "hint" }, S.locationHint);
  const clearLoc = h("button", { type: "button", class: "btn small ghost", hidden: true, title: S.clearLocation }, "×");
  const complaint = h("input", {
    id: "call-complaint",
    name: "complaint",
    placeholder: S.complaintPlaceholder,
    autocomplete: "off",
    "data-testid": "call-complaint",
  });
  const priority = h("select", { id: "call-priority", name: "priority", "data-testid": "call-priority" });
  for (const p of [1, 2, 3, 4]) priority.append(h("option", { value: p }, S.priorityNames[p] ?? String(p)));
  priority.value = "2";
  const submit = h("button", { type: "submit", class: "btn primary wide", "data-testid": "call-submit" }, S.createCall);

  const form = h(
    "form",
    { class: "new-call", "data-testid": "new-call-form", autocomplete: "off" },
    h("label", { for: "call-address" }, S.address),
    h("div", { class: "row" }, address, locate),
    candidates,
    h("div", { class: "loc-line" }, h("span", { class: "label" }, `${S.location}:`), locText, locHint, clearLoc),
    h(
      "div",
      { class: "row" },
      h("div", { class: "grow" }, h("label", { for: "call-complaint" }, S.complaint), complaint),
      h("div", {}, h("label", { for: "call-priority" }, S.priority), priority),
    ),
    submit,
  );
  root.append(h("h2", {}, S.newCall), form);

  const renderLocation = () => {
    const loc = store.callLocation;
    locText.textContent = loc ? lonLat(loc) : "";
    locHint.hidden = loc !== null;
    clearLoc.hidden = loc === null;
  };
  store.subscribe((changes) => {
    if (changes.has("callLocation")) renderLocation();
  });
  renderLocation();

  clearLoc.addEventListener("click", () => store.setCallLocation(null));

  const pick = (c: GeocodeCandidate) => {
    address.value = c.label;
    candidates.hidden = true;
    candidates.replaceChildren();
    store.setCallLocation(c.location);
    cb.located(c.location);
  };

  const runLocate = () => {
    const q = address.value.trim();
    if (!q) return;
    locate.disabled = true;
    locate.textContent = S.locating;
    geocode(q, 5)
      .then((list) => {
        candidates.replaceChildren();
        if (list.length === 0) {
          candidates.append(h("li", { class: "empty" }, S.noCandidates));
        }
        list.forEach((c, i) => {
          const btn = h(
            "button",
            { type: "button", class: "candidate", "data-testid": `geocode-candidate-${i}` },
            h("span", {}, c.label),
            h("span", { class: "kind" }, c.kind),
          );
          btn.addEventListener("click", () => pick(c));
          candidates.append(h("li", {}, btn));
        });
        candidates.hidden = false;
      })
      .catch(showError)
      .finally(() => {
        locate.disabled = false;
        locate.textContent = S.locate;
      });
  };
  locate.addEventListener("click", runLocate);
  address.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.isComposing) {
      ev.preventDefault();
      runLocate();
    }
  });

  // Enter in the complaint field creates the call (the submit handler checks that it is valid).
  complaint.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.isComposing && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
      ev.preventDefault();
      if (!submit.disabled) form.requestSubmit();
    }
  });

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const addr = address.value.trim();
    const loc = store.callLocation;
    if (!loc && !addr) {
      showMessage(S.needLocation, "error");
      return;
    }
    submit.disabled = true;
    submit.textContent = S.creating;
    createIncident({
      ...(loc ? { location: loc } : {}),
      ...(addr ? { address: addr } : {}),
      complaint: complaint.value.trim(),
      priority: Number(priority.value),
    })
      .then((incident) => {
        showMessage(t("callCreated", { number: incident.number }), "info");
        address.value = "";
        complaint.value = "";
        priority.value = "2";
        candidates.hidden = true;
        candidates.replaceChildren();
        store.setCallLocation(null);
        cb.created(incident);
      })
      .catch(showError)
      .finally(() => {
        submit.disabled = false;
        submit.textContent = S.createCall;
      });
  });

  return {
    form,
    focusAddress() {
      address.focus();
      address.select();
    },
    locate() {
      if (address.value.trim()) runLocate();
      else address.focus();
    },
    closeCandidates() {
      if (candidates.hidden) return false;
      candidates.hidden = true;
      return true;
    },
    setPriority(p) {
      if (p >= 1 && p <= 4) {
        priority.value = String(p);
        priority.dispatchEvent(new Event("change", { bubbles: true }));
      }
    },
  };
}
