// New-call form, the call-taker's screen: the answered phone line's caller (callback number, name,
// network location), address with typeahead and Locate, a map pin reverse-geocoded to the nearest
// address, the duplicate / repeat-caller prompt, protocol triage, and a priority that the triage
// sets and the call-taker may override with a recorded reason.
import { geocode } from "../../shared/api";
import { h, setText } from "../../shared/dom";
import { lonLat } from "../../shared/format";
import { S, t } from "../../shared/i18n";
import { store } from "../state";
import type { GeocodeCandidate, Incident, LonLat } from "../../shared/types";
import { showError, showMessage } from "../../shared/panels/message";
import { addNote, createCall, intakeCheck, linkCall, reverse, type CallBody, type CallerIn, type PhoneCall } from "../calltaking/api";
import { mountDuplicates } from "../calltaking/duplicates";
import type { CallLayers } from "../calltaking/maplayers";
import { mountTriage } from "../calltaking/triage";

export interface NewCallCallbacks {
  created(incident: Incident): void;
  located(loc: LonLat): void;
  /** The call was linked to an existing incident instead (the duplicate prompt). */
  linked?(incident: Incident): void;
}

export interface NewCall {
  form: HTMLFormElement;
  focusAddress(): void;
  locate(): void;
  setPriority(p: number): void;
  /** Hide the geocoder candidates; false when they were not shown. */
  closeCandidates(): boolean;
  /** A line was answered: take its caller into the form and start the triage. */
  takeCall(call: PhoneCall): void;
  /** Link this call to the duplicate prompt's first candidate (F4); false when there is none. */
  linkFirst(): boolean;
}

const TYPEAHEAD_MS = 300;
const CHECK_MS = 250;

export function mountNewCall(root: HTMLElement, cb: NewCallCallbacks, layers?: CallLayers): NewCall {
  const line = h("span", { class: "call-line mono", hidden: true, "data-testid": "call-line" });
  const callback = h("input", { id: "call-callback", autocomplete: "off", inputmode: "tel", placeholder: S.callTaking.callbackPlaceholder, "data-testid": "call-callback" });
  const name = h("input", { id: "call-name", autocomplete: "off", placeholder: S.callTaking.namePlaceholder, "data-testid": "call-name" });
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
  const nearest = h("div", { class: "reverse-line hint", hidden: true, "data-testid": "reverse-result" });
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
  const reason = h("input", { id: "call-override-reason", autocomplete: "off", placeholder: S.callTaking.overrideReason, "data-testid": "call-override-reason" });
  const reasonRow = h("div", { class: "override", hidden: true }, h("label", { for: "call-override-reason" }, S.callTaking.overrideLabel), reason);
  const submit = h("button", { type: "submit", class: "btn primary wide", "data-testid": "call-submit" }, S.createCall);

  /** The phone line answered for this call (its caller data goes with the incident). */
  let phone: PhoneCall | null = null;
  /** The address field holds the pin's reverse-geocoded address (replaced when the pin moves). */
  let addressFromPin = false;
  /** The call-taker chose a priority other than the triage's. */
  let overridden = false;

  const duplicates = mountDuplicates(
    (id) => link(id),
    (points) => layers?.setDuplicates(points),
  );
  const triage = mountTriage({
    changed(card) {
      if (card && !overridden) priority.value = String(card.priority);
      if (card && overridden && Number(priority.value) === card.priority) setOverride(false);
      scheduleCheck();
    },
    complete() {
      submit.focus();
    },
  });

  const form = h(
    "form",
    { class: "new-call", "data-testid": "new-call-form", autocomplete: "off" },
    h(
      "div",
      { class: "row" },
      h("div", { class: "grow" }, h("label", { for: "call-callback" }, S.callTaking.callback), callback),
      h("div", { class: "grow" }, h("label", { for: "call-name" }, S.callTaking.name), name),
    ),
    h("label", { for: "call-address" }, S.address),
    h("div", { class: "row" }, address, locate),
    candidates,
    h("div", { class: "loc-line" }, h("span", { class: "label" }, `${S.location}:`), locText, locHint, clearLoc),
    nearest,
    duplicates.root,
    triage.root,
    h(
      "div",
      { class: "row" },
      h("div", { class: "grow" }, h("label", { for: "call-complaint" }, S.complaint), complaint),
      h("div", {}, h("label", { for: "call-priority" }, S.priority), priority),
    ),
    reasonRow,
    submit,
  );
  root.append(h("div", { class: "panel-title" }, h("h2", {}, S.newCall), h("span", { class: "spacer" }), line), form);

  const setOverride = (on: boolean) => {
    overridden = on;
    reasonRow.hidden = !on;
    if (!on) reason.value = "";
  };

  priority.addEventListener("change", () => {
    const card = triage.card;
    setOverride(card !== null && Number(priority.value) !== card.priority);
  });

  // --- where: pin, reverse geocoding, caller circle ----------------------------------------------

  let reverseAsked = 0;
  /** Where the located area's pin is; the outline goes when the call is placed elsewhere. */
  let areaAt: LonLat | null = null;
  const renderLocation = () => {
    const loc = store.callLocation;
    if (areaAt && (!loc || loc[0] !== areaAt[0] || loc[1] !== areaAt[1])) {
      areaAt = null;
      layers?.setArea(null);
    }
    locText.textContent = loc ? lonLat(loc) : "";
    locHint.hidden = loc !== null;
    clearLoc.hidden = loc === null;
    const mine = ++reverseAsked;
    if (!loc) {
      nearest.hidden = true;
      return;
    }
    reverse(loc)
      .then((hit) => {
        if (mine !== reverseAsked) return;
        const metres = Math.round(hit.distance_m ?? 0);
        setText(nearest, S.callTaking.nearest.replace("{address}", hit.label).replace("{distance}", String(metres)));
        nearest.dataset["distance"] = String(metres);
        nearest.hidden = false;
        if (!address.value.trim() || addressFromPin) {
          address.value = hit.label;
          addressFromPin = true;
        }
      })
      .catch(() => {
        if (mine !== reverseAsked) return;
        setText(nearest, S.callTaking.noAddressNearby);
        delete nearest.dataset["distance"];
        nearest.hidden = false;
      });
    scheduleCheck();
  };
  store.subscribe((changes) => {
    if (changes.has("callLocation")) renderLocation();
  });
  renderLocation();

  clearLoc.addEventListener("click", () => store.setCallLocation(null));

  // --- address typeahead ------------------------------------------------------------------------

  const pick = (c: GeocodeCandidate) => {
    address.value = c.label;
    addressFromPin = false;
    candidates.hidden = true;
    candidates.replaceChildren();
    store.setCallLocation(c.location);
    areaAt = c.outline?.length ? c.location : null;
    layers?.setArea(c.outline ?? null);
    cb.located(c.location);
  };

  let searched = 0;
  const runLocate = () => {
    const q = address.value.trim();
    if (!q) return;
    const mine = ++searched;
    locate.disabled = true;
    locate.textContent = S.locating;
    geocode(q, 5)
      .then((list) => {
        if (mine !== searched) return;
        candidates.replaceChildren();
        if (list.length === 0) {
          candidates.append(h("li", { class: "empty" }, S.noCandidates));
        }
        list.forEach((c, i) => {
          const btn = h(
            "button",
            { type: "button", class: "candidate", "data-testid": `geocode-candidate-${i}` },
            h("span", {}, c.label),
            h("span", { class: "kind" }, S.placeKinds[c.kind] ?? c.kind),
          );
          btn.addEventListener("click", () => pick(c));
          candidates.append(h("li", {}, btn));
        });
        candidates.hidden = false;
      })
      .catch(showError)
      .finally(() => {
        if (mine !== searched) return;
        locate.disabled = false;
        locate.textContent = S.locate;
      });
  };
  locate.addEventListener("click", runLocate);
  let typeahead: number | undefined;
  address.addEventListener("input", () => {
    addressFromPin = false;
    window.clearTimeout(typeahead);
    if (address.value.trim().length >= 3) typeahead = window.setTimeout(runLocate, TYPEAHEAD_MS);
  });
  address.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.isComposing) {
      ev.preventDefault();
      window.clearTimeout(typeahead);
      runLocate();
    } else if (ev.key === "ArrowDown" && !candidates.hidden) {
      ev.preventDefault();
      candidates.querySelector<HTMLButtonElement>("button.candidate")?.focus();
    }
  });

  // --- who: the caller ---------------------------------------------------------------------------

  const caller = (): CallerIn | undefined => {
    const number = phone?.caller?.number ?? null;
    const back = callback.value.trim();
    const who = name.value.trim();
    if (!number && !back && !who && !phone?.caller?.location) return undefined;
    return {
      number: number ?? (back || null),
      location: phone?.caller?.location ?? null,
      accuracy_m: phone?.caller?.accuracy_m ?? null,
      ...(who ? { name: who } : {}),
      ...(back && back !== number ? { callback: back } : {}),
    };
  };

  // --- duplicate and repeat-caller check -----------------------------------------------------------

  let checkTimer: number | undefined;
  let checked = 0;
  const scheduleCheck = () => {
    window.clearTimeout(checkTimer);
    checkTimer = window.setTimeout(runCheck, CHECK_MS);
  };
  const runCheck = () => {
    const loc = store.callLocation ?? phone?.caller?.location ?? null;
    const who = caller();
    if (!loc && !who?.number) {
      duplicates.clear();
      return;
    }
    const mine = ++checked;
    intakeCheck({
      ...(loc ? { location: loc as LonLat } : {}),
      complaint: complaint.value.trim() || triage.complaintLabel || "",
      ...(triage.complaintCode ? { complaint_code: triage.complaintCode } : {}),
      ...(who ? { caller: who } : {}),
    })
      .then((found) => {
        if (mine === checked) duplicates.show(found);
      })
      .catch(() => undefined);
  };

  const reset = () => {
    address.value = "";
    complaint.value = "";
    callback.value = "";
    name.value = "";
    priority.value = "2";
    setOverride(false);
    addressFromPin = false;
    phone = null;
    line.hidden = true;
    candidates.hidden = true;
    candidates.replaceChildren();
    triage.reset();
    duplicates.clear();
    checked++;
    layers?.setCaller(null, null);
    store.setCallLocation(null);
  };

  const link = (incidentId: number) => {
    const text = complaint.value.trim() || triage.complaintLabel || S.callTaking.linkedComplaint;
    linkCall(incidentId, text, caller(), phone?.id)
      .then((incident) => {
        showMessage(S.callTaking.linked.replace("{number}", incident.number), "info");
        reset();
        cb.linked?.(incident);
      })
      .catch(showError);
  };

  // Enter in the complaint field creates the call (the submit handler checks that it is valid).
  complaint.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.isComposing && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
      ev.preventDefault();
      if (!submit.disabled) form.requestSubmit();
    }
  });
  complaint.addEventListener("change", scheduleCheck);

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const addr = address.value.trim();
    const loc = store.callLocation;
    if (!loc && !addr) {
      showMessage(S.needLocation, "error");
      return;
    }
    const card = triage.card;
    const why = reason.value.trim();
    if (overridden && !why) {
      showMessage(S.callTaking.needReason, "error");
      reason.focus();
      return;
    }
    const code = triage.complaintCode;
    const body: CallBody = {
      ...(loc ? { location: loc } : {}),
      ...(addr ? { address: addr } : {}),
      complaint: complaint.value.trim() || triage.complaintLabel || "",
    };
    if (code) {
      body.complaint_code = code;
      body.answers = triage.answers;
      if (overridden) body.priority = Number(priority.value);
    } else {
      body.priority = Number(priority.value);
    }
    const who = caller();
    if (who) body.caller = who;
    if (phone) body.phone_call_id = phone.id;
    const override = overridden && card ? S.callTaking.overrideNote.replace("{from}", String(card.priority)).replace("{to}", priority.value).replace("{reason}", why) : null;
    submit.disabled = true;
    submit.textContent = S.creating;
    createCall(body)
      .then(async (incident) => {
        if (override) await addNote(incident.id, override).catch(showError);
        showMessage(t("callCreated", { number: incident.number }), "info");
        reset();
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
    takeCall(call) {
      reset();
      phone = call;
      line.hidden = false;
      setText(line, `${S.callTaking.onLine} ${call.line} · ${call.caller?.number ?? S.callTaking.withheld}`);
      callback.value = call.caller?.number ?? "";
      name.value = call.caller?.name ?? "";
      const where = call.caller?.location ?? null;
      if (where) {
        layers?.setCaller(where as LonLat, call.caller?.accuracy_m ?? null);
        store.setCallLocation(where as LonLat);
        cb.located(where as LonLat);
      }
      scheduleCheck();
      triage.focusSearch();
    },
    linkFirst() {
      const id = duplicates.first();
      if (id === null) return false;
      link(id);
      return true;
    },
  };
}
