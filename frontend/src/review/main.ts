// Incident review for supervisors and auditors (/review/): search (time range, priorities, statuses, area),
// results, the selected incident's timeline and a replay of its units' tracks, response-time KPIs
// per priority with SVG charts, the NEMSIS CSV export and the NEMSIS v3.5.1 XML export (./nemsis.ts).
import "../shared/styles.css";
import "./review.css";

import * as api from "../shared/api";
import { byId, h, setText } from "../shared/dom";
import { clock, dateTime, duration, LOCAL_TEXT_PATTERN, parseLocalText, setTimeZone, timeZone, toLocalText } from "../shared/format";
import { S, statusLabel, t } from "../shared/i18n";
import { langToggle } from "../shared/langtoggle";
import { mountLogin } from "../shared/panels/login";
import { openPasswordDialog } from "../shared/panels/password";
import { mountMessage, showError, showMessage } from "../shared/panels/message";
import type { Incident, ReviewFilter, Session, TimelineEvent } from "../shared/types";
import { renderKpis } from "./kpi";
import { nemsisButton } from "./nemsis";
import { ReplayMap } from "./replay";
import { mountSignalHistory } from "./signals";

type BBox = [number, number, number, number];
const LIMIT = 500;
const OPEN_STATUSES = ["pending", "dispatched", "en_route", "on_scene", "transporting", "at_hospital"];

/** Who may use the review (dispatch/api/policy.py: /review/*, tracks, timeline). */
const REVIEWERS: string[] = ["supervisor", "auditor"];

const loginRoot = byId("login");
const appRoot = byId("app");
mountMessage(document.body);
const loginForm = mountLogin(byId("login-box"), (s) => start(s), {
  subtitle: S.reviewSubtitle,
  accept: (s) => (REVIEWERS.includes(s.role) ? null : S.reviewOnlySupervisors),
});

let ui: ReturnType<typeof build> | null = null;

function showLogin(): void {
  appRoot.hidden = true;
  loginRoot.hidden = false;
  loginForm.langSlot.append(langToggle());
  document.title = `${S.appTitle} · ${S.reviewTitle}`;
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
  loginRoot.hidden = true;
  appRoot.hidden = false;
  // Every time on this page is the centre's wall clock (GET /config time_zone): learn the zone
  // before the first one is shown; without it the browser's zone is used.
  void api
    .config()
    .then(
      (c) => setTimeZone(c.time_zone),
      () => false,
    )
    .then(() => {
      if (!ui) ui = build();
      ui.langSlot.append(langToggle());
      setText(ui.user, `${session.username} · ${S.roles[session.role] ?? session.role}`);
      setText(ui.zone, timeZone() ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
      document.title = `${S.appTitle} · ${S.reviewTitle}`;
      ui.map.resize();
      ui.search();
    });
}

function build() {
  // ---- header ----
  const user = h("span", { class: "user", "data-testid": "current-user" });
  const zone = h("span", { class: "sub mono", "data-testid": "review-time-zone", title: S.timeZoneTitle });
  const langSlot = h("span", { class: "lang-slot" });
  const logoutBtn = h("button", { type: "button", class: "btn small", "data-testid": "logout" }, S.logout);
  logoutBtn.addEventListener("click", () => logout());
  const passwordBtn = h("button", { type: "button", class: "btn small", "data-testid": "change-password" }, S.changePassword);
  passwordBtn.addEventListener("click", () => openPasswordDialog(api.loadSession()?.username ?? ""));
  byId("header").append(
    h("div", { class: "brand" }, h("span", { class: "brand-mark" }, "✚"), h("strong", {}, S.appTitle), h("span", { class: "map-name" }, S.reviewTitle)),
    h("span", { class: "spacer" }),
    h("a", { class: "btn small", href: "/", "data-testid": "review-console-link" }, S.reviewConsoleLink),
    zone,
    langSlot,
    user,
    passwordBtn,
    logoutBtn,
  );

  // ---- search form ----
  // 24-hour text fields (datetime-local follows the OS locale, which may be 12-hour): they accept
  // `YYYY-MM-DD HH:MM` or `YYYY-MM-DDTHH:MM` in local time and show the former.
  const timeField = (id: string) => {
    const el = h("input", {
      type: "text",
      id,
      "data-testid": id,
      class: "mono datetime",
      inputmode: "numeric",
      autocomplete: "off",
      spellcheck: "false",
      placeholder: "YYYY-MM-DD HH:MM",
      pattern: LOCAL_TEXT_PATTERN,
      title: S.reviewTimeFormat,
      size: 16,
      maxlength: 20,
    });
    el.addEventListener("change", () => {
      const d = parseLocalText(el.value);
      if (d instanceof Date) el.value = toLocalText(d);
    });
    return el;
  };
  const from = timeField("review-from");
  const to = timeField("review-to");
  from.value = toLocalText(new Date(Date.now() - 24 * 3600_000));
  const prios = [1, 2, 3, 4].map((p) =>
    h("input", { type: "checkbox", value: p, checked: true, "data-testid": `review-priority-${p}`, id: `review-priority-${p}` }),
  );
  const statusBoxes = (["open", "closed", "cancelled"] as const).map((s) =>
    h("input", { type: "checkbox", value: s, checked: true, "data-testid": `review-status-${s}`, id: `review-status-${s}` }),
  );
  const bboxInput = h("input", { id: "review-bbox", "data-testid": "review-bbox", placeholder: S.reviewAreaPlaceholder, autocomplete: "off", spellcheck: "false" });
  const viewBtn = h("button", { type: "button", class: "btn small", "data-testid": "review-bbox-view" }, S.reviewAreaView);
  const drawBtn = h("button", { type: "button", class: "btn small", "data-testid": "review-bbox-draw", title: S.reviewAreaDrawHint }, S.reviewAreaDraw);
  const clearBtn = h("button", { type: "button", class: "btn small ghost", "data-testid": "review-bbox-clear" }, S.reviewAreaClear);
  const area = h("select", { id: "review-area", "data-testid": "review-area" }, h("option", { value: "urban" }, S.urban), h("option", { value: "rural" }, S.rural));
  const submit = h("button", { type: "submit", class: "btn primary", "data-testid": "review-search" }, S.search);
  const chip = (box: HTMLInputElement, label: string) => h("label", { class: "chip", for: box.id }, box, label);
  const form = h(
    "form",
    { class: "review-form", "data-testid": "review-form" },
    h("div", { class: "field" }, h("label", { for: "review-from" }, S.reviewFrom), from),
    h("div", { class: "field" }, h("label", { for: "review-to" }, S.reviewTo), to),
    h("div", { class: "field" }, h("span", { class: "flabel" }, S.reviewPriorities), h("div", { class: "chips" }, ...prios.map((b, i) => chip(b, `P${i + 1}`)))),
    h(
      "div",
      { class: "field" },
      h("span", { class: "flabel" }, S.reviewStatuses),
      h("div", { class: "chips" }, chip(statusBoxes[0]!, S.reviewStatusOpen), chip(statusBoxes[1]!, statusLabel("closed")), chip(statusBoxes[2]!, statusLabel("cancelled"))),
    ),
    h("div", { class: "field grow" }, h("label", { for: "review-bbox" }, S.reviewArea), h("div", { class: "row" }, bboxInput, viewBtn, drawBtn, clearBtn)),
    h("div", { class: "field" }, h("label", { for: "review-area" }, S.reviewTargetsArea), area),
    h("div", { class: "field" }, h("span", { class: "flabel" }, "\u00a0"), submit),
  );
  byId("search").append(form);

  // ---- results ----
  const count = h("span", { class: "count" });
  const csvBtn = h("button", { type: "button", class: "btn small", "data-testid": "csv-export" }, S.csvExport);
  const nemsisBtn = nemsisButton(() => filter());
  const rbody = h("tbody");
  const rempty = h("div", { class: "empty", hidden: true }, S.reviewNoResults);
  byId("results").append(
    h("div", { class: "panel-title" }, h("h2", {}, S.reviewResults, " ", count), h("span", { class: "spacer" }), csvBtn, nemsisBtn),
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { class: "grid", "data-testid": "review-results" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", {}, S.colPriority), h("th", {}, `${S.colNumber} / ${S.colStatus}`), h("th", {}, S.colAddress), h("th", { class: "num", title: S.reviewResponseTitle }, S.reviewResponse)),
        ),
        rbody,
      ),
      rempty,
    ),
  );

  // ---- timeline ----
  const tlHead = h("div", { class: "incident-head", hidden: true, "data-testid": "review-incident" });
  const tlBody = h("tbody");
  const tlTable = h(
    "table",
    { class: "grid timeline", "data-testid": "review-timeline", hidden: true },
    h("thead", {}, h("tr", {}, h("th", {}, S.colTime), h("th", {}, S.colEvent), h("th", {}, S.colActor), h("th", {}, S.colDetails))),
    tlBody,
  );
  const tlEmpty = h("div", { class: "empty" }, S.reviewSelect);
  byId("timeline").append(h("h2", {}, S.timeline), tlHead, h("div", { class: "scroll" }, tlTable, tlEmpty));

  // ---- KPIs ----
  const kpiBody = h("div", { class: "kpi-body" });
  const kpiMeta = h("span", { class: "sub" });
  byId("kpis").append(h("div", { class: "panel-title" }, h("h2", {}, S.kpis), kpiMeta), kpiBody);
  renderKpis(kpiBody, null);
  const signalHistory = mountSignalHistory(byId("signals"));

  // ---- map ----
  let results: Incident[] = [];
  let selected: number | null = null;
  const tlRows: { tr: HTMLElement; at: number }[] = [];
  const map = new ReplayMap(byId("replay-map"), byId("replay-controls"), {
    resultClick: (id) => select(id),
    time: (now) => {
      for (const r of tlRows) r.tr.classList.toggle("future", r.at > now);
    },
    loadError: (d) => showMessage(`${S.mapLoadFailed}: ${d}`, "error"),
  });
  api
    .mapInfo()
    .then((info) => {
      map.fit(info);
      map.loadRoads();
    })
    .catch(showError);

  const callSigns = new Map<number, string>();
  const loadUnits = () =>
    api
      .units()
      .then((us) => {
        for (const u of us) callSigns.set(u.id, u.call_sign);
      })
      .catch(() => undefined);
  const unitsLoaded = loadUnits();
  const sign = (id: number | undefined) => (id === undefined ? "" : (callSigns.get(id) ?? `#${id}`));

  // ---- area ----
  const parseBbox = (): BBox | null | "invalid" => {
    const text = bboxInput.value.trim();
    if (!text) return null;
    const v = text.split(",").map((x) => Number(x.trim()));
    if (v.length !== 4 || v.some((x) => !Number.isFinite(x))) return "invalid";
    const [w, s, e, n] = v as BBox;
    if (w >= e || s >= n || Math.abs(s) > 90 || Math.abs(n) > 90) return "invalid";
    return [w, s, e, n];
  };
  const setBbox = (b: BBox | null) => {
    bboxInput.value = b ? b.map((x) => x.toFixed(5)).join(",") : "";
    map.showBbox(b);
  };
  viewBtn.addEventListener("click", () => setBbox(map.viewBbox()));
  clearBtn.addEventListener("click", () => setBbox(null));
  drawBtn.addEventListener("click", () => {
    drawBtn.classList.add("active");
    void map.drawBbox().then((b) => {
      drawBtn.classList.remove("active");
      if (b) setBbox(b);
      else map.showBbox(parseBbox() === "invalid" ? null : (parseBbox() as BBox | null));
    });
  });
  bboxInput.addEventListener("change", () => {
    const b = parseBbox();
    map.showBbox(b === "invalid" ? null : b);
  });

  const filter = (): ReviewFilter | null => {
    const b = parseBbox();
    if (b === "invalid") {
      showMessage(S.reviewAreaInvalid, "error");
      bboxInput.focus();
      return null;
    }
    const times: (string | null)[] = [];
    for (const el of [from, to]) {
      const d = parseLocalText(el.value);
      if (d === "invalid") {
        showMessage(S.reviewTimeInvalid, "error");
        el.focus();
        return null;
      }
      times.push(d ? d.toISOString() : null);
    }
    const priorities = prios.filter((x) => x.checked).map((x) => Number(x.value));
    const picked = statusBoxes.filter((x) => x.checked).map((x) => x.value);
    const statuses = picked.length === statusBoxes.length ? [] : picked.flatMap((s) => (s === "open" ? OPEN_STATUSES : [s]));
    return {
      from: times[0] ?? null,
      to: times[1] ?? null,
      priorities: priorities.length === 4 ? [] : priorities,
      statuses,
      bbox: b,
      area: area.value === "rural" ? "rural" : "urban",
      limit: LIMIT,
    };
  };

  // ---- results ----
  const renderResults = () => {
    rbody.replaceChildren(
      ...results.map((i) => {
        const response = i.on_scene_at ? (Date.parse(i.on_scene_at) - Date.parse(i.received_at)) / 1000 : null;
        const tr = h(
          "tr",
          { "data-testid": `review-row-${i.id}`, "data-incident-id": i.id, tabindex: 0, class: i.id === selected ? "selected" : "" },
          h("td", {}, h("span", { class: `prio p${i.priority}` }, t("priorityLabel", { priority: i.priority }))),
          h(
            "td",
            { class: "nowrap" },
            h("div", { class: "mono" }, i.number),
            h("span", { class: `badge st-${i.status}`, "data-status": i.status }, statusLabel(i.status)),
          ),
          h("td", { class: "addr-cell" }, h("div", { class: "addr" }, i.address || S.unknownAddress), h("div", { class: "sub" }, `${dateTime(i.received_at)}${i.complaint ? ` · ${i.complaint}` : ""}`)),
          h("td", { class: "num mono" }, response === null ? "–" : duration(response)),
        );
        tr.addEventListener("click", () => select(i.id));
        tr.addEventListener("keydown", (ev) => {
          if (ev.key === "Enter" || ev.key === " ") {
            ev.preventDefault();
            select(i.id);
          }
        });
        return tr;
      }),
    );
    rempty.hidden = results.length > 0;
    setText(count, results.length >= LIMIT ? `(${results.length}, ${t("reviewLimited", { n: LIMIT })})` : `(${results.length})`);
    map.setResults(results, selected);
  };

  let searchNo = 0;
  const search = () => {
    const f = filter();
    if (!f) return;
    const mine = ++searchNo;
    submit.disabled = true;
    submit.textContent = S.searching;
    form.dataset["busy"] = "true";
    const kpis = api
      .reviewKpis(f)
      .then((k) => {
        if (mine !== searchNo) return;
        renderKpis(kpiBody, k);
        setText(kpiMeta, ` · ${k.area === "rural" ? S.rural : S.urban} · ${k.protocol_version}`);
      })
      .catch(showError);
    // The signals of the same local days (the centre's zone, as the fields are read).
    const day = (iso: string | null | undefined, fallback: Date) => toLocalText(iso ? new Date(iso) : fallback).slice(0, 10);
    signalHistory.load(day(f.from, new Date(Date.now() - 30 * 86400_000)), day(f.to, new Date()));
    const found = api
      .reviewIncidents(f)
      .then((list) => {
        if (mine !== searchNo) return;
        results = list;
        renderResults();
      })
      .catch(showError);
    void Promise.all([kpis, found]).finally(() => {
      if (mine !== searchNo) return;
      submit.disabled = false;
      submit.textContent = S.search;
      form.dataset["searched"] = String(mine);
      form.dataset["busy"] = "false";
    });
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    search();
  });

  // ---- selection: timeline + replay ----
  let selectNo = 0;
  const select = (id: number) => {
    selected = id;
    for (const tr of rbody.querySelectorAll<HTMLElement>("tr")) tr.classList.toggle("selected", tr.dataset["incidentId"] === String(id));
    map.setResults(results, selected);
    const mine = ++selectNo;
    Promise.all([api.timeline(id), api.tracks(id), unitsLoaded])
      .then(async ([tl, tracks]) => {
        if (mine !== selectNo) return;
        if (tl.events.some((e) => e.unit_id !== undefined && !callSigns.has(e.unit_id))) await loadUnits();
        renderTimeline(tl.incident, tl.events);
        const last = Math.max(...tl.events.map((e) => Date.parse(e.occurred_at)), Date.parse(tl.incident.received_at));
        map.load(tl.incident, tracks, last);
      })
      .catch(showError);
  };

  const details = (e: TimelineEvent): string => {
    const parts: string[] = [];
    if (e.unit_id !== undefined) parts.push(sign(e.unit_id));
    if (e.name === "UnitStatusChanged" && e.status) parts.push(`${statusLabel(String(e.previous ?? ""))} → ${statusLabel(e.status)}`);
    if (typeof e.order_id === "number" && e.name !== "UnitStatusChanged") parts.push(`#${e.order_id}`);
    if (typeof e.to_incident === "number") parts.push(`→ ${e.to_incident}`);
    for (const k of ["from_unit", "to_unit"]) if (typeof e[k] === "number") parts.push(`${k === "from_unit" ? "−" : "+"}${sign(e[k] as number)}`);
    if (typeof e.text === "string") parts.push(`“${e.text}”`);
    if (e.reason) parts.push(`(${String(e.reason)})`);
    return parts.join(" ");
  };

  const renderTimeline = (inc: Incident, events: TimelineEvent[]) => {
    tlHead.hidden = false;
    const headParts: (HTMLElement | null)[] = [
      h(
        "div",
        { class: "row" },
        h("span", { class: `prio p${inc.priority}` }, t("priorityLabel", { priority: inc.priority })),
        h("span", { class: "mono strong" }, inc.number),
        h("span", { class: `badge st-${inc.status}` }, statusLabel(inc.status)),
        inc.address_verified === false ? h("span", { class: "badge warn" }, S.unverifiedAddress) : null,
      ),
      h("div", { class: "addr strong" }, inc.address || S.unknownAddress),
      inc.complaint ? h("div", {}, inc.complaint) : null,
      inc.cancel_reason ? h("div", { class: "sub" }, `${statusLabel("cancelled")}: ${inc.cancel_reason}`) : null,
    ];
    tlHead.replaceChildren(...headParts.filter((p): p is HTMLElement => p !== null));
    const t0 = Date.parse(inc.received_at);
    tlRows.length = 0;
    const sorted = [...events].sort((a, b) => a.seq - b.seq);
    tlBody.replaceChildren(
      ...sorted.map((e) => {
        const at = Date.parse(e.occurred_at);
        const tr = h(
          "tr",
          { "data-testid": `timeline-row-${e.seq}`, "data-seq": e.seq, "data-name": e.name, "data-status": e.status ?? "", title: e.occurred_at },
          h("td", { class: "mono nowrap" }, clock(e.occurred_at), h("div", { class: "sub" }, `+${duration((at - t0) / 1000)}`)),
          h("td", {}, S.eventNames[e.name] ?? e.name),
          h("td", { class: "mono", "data-actor": e.actor ?? "" }, e.actor ?? "–"),
          h("td", { class: "addr" }, details(e)),
        );
        tr.addEventListener("click", () => {
          map.pause();
          map.seek(at);
        });
        tlRows.push({ tr, at });
        return tr;
      }),
    );
    tlTable.hidden = false;
    tlEmpty.hidden = true;
  };

  csvBtn.addEventListener("click", () => {
    const f = filter();
    if (!f) return;
    csvBtn.disabled = true;
    api
      .reviewCsv(f)
      .then((blob) => {
        const url = URL.createObjectURL(blob);
        const a = h("a", { href: url, download: `incidents-${new Date().toISOString().slice(0, 19).replaceAll(":", "")}.csv`, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
        showMessage(t("csvDone", { size: `${(blob.size / 1024).toFixed(1)} kB` }), "info");
      })
      .catch(showError)
      .finally(() => (csvBtn.disabled = false));
  });

  return { langSlot, user, zone, map, search };
}

// Boot: the console's tab session works here too (same origin, same sessionStorage key).
const existing = api.restoreSession();
if (existing && REVIEWERS.includes(existing.role) && existing.must_change_password) {
  showLogin();
  loginForm.requirePasswordChange(existing);
} else if (existing && REVIEWERS.includes(existing.role)) {
  start(existing);
  api.me().catch(() => undefined);
} else {
  showLogin();
}
