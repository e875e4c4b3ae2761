// The supervisor's blood stock (issue 19, data-testid="blood-stock-dialog"), opened from the map's
// "Stock" button: every lot with its free units and expiry, a form to set one lot as counted at the
// bank (PUT /blood/banks/{id}/stock), and a CSV import (bank,lot,product,group,units,expires_at;
// all rows or none: a refused file lists every bad row, column and reason). Waitlisted requests
// are served by the server as soon as stock arrives.
import * as blood from "../../shared/blood";
import { ApiError } from "../../shared/api";
import { h } from "../../shared/dom";
import { dateTime } from "../../shared/format";
import { fill } from "../../shared/hospitals";
import { S } from "../../shared/i18n";
import { showError, showMessage } from "../../shared/panels/message";

export interface StockButton {
  /** Only a supervisor keeps the stock (dispatch/api/policy.py). */
  setSupervisor(on: boolean): void;
}

export function mountBloodStock(tools: HTMLElement): StockButton {
  const button = h("button", { type: "button", class: "btn small map-btn", "data-testid": "blood-stock-open", hidden: true, title: S.blood.stockTitle }, S.blood.stock);
  tools.append(button);
  button.addEventListener("click", () => void open());
  return {
    setSupervisor(on) {
      button.hidden = !on;
    },
  };
}

async function open(): Promise<void> {
  let banks: blood.BloodBank[];
  try {
    banks = await blood.banks();
  } catch (e) {
    showError(e);
    return;
  }
  const bankName = (id: number) => banks.find((b) => b.id === id)?.name ?? fill(S.blood.bankNo, { id });
  const body = h("tbody");
  const table = h(
    "table",
    { class: "grid", "data-testid": "blood-stock-table" },
    h("thead", {}, h("tr", {}, ...[S.blood.stockBank, S.blood.stockLot, S.blood.product, S.blood.group, S.blood.units, S.blood.stockExpires].map((c) => h("th", {}, c)))),
    body,
  );
  const reload = () =>
    blood
      .stock()
      .then((lots) => {
        body.replaceChildren(
          ...lots.map((l) =>
            h(
              "tr",
              { "data-testid": `blood-stock-row-${l.bank_id}-${l.lot}`, "data-units": l.units },
              h("td", {}, bankName(l.bank_id)),
              h("td", { class: "mono" }, l.lot),
              h("td", {}, blood.productLabel(l.product)),
              h("td", {}, l.group),
              h("td", { class: "num" }, String(l.units)),
              h("td", { class: "mono" }, dateTime(l.expires_at)),
            ),
          ),
        );
      })
      .catch(showError);

  // One lot, as counted at the bank.
  const bankSel = h("select", { "data-testid": "blood-stock-bank", "aria-label": S.blood.stockBank }, ...banks.map((b) => h("option", { value: b.id }, b.name)));
  const lot = h("input", { "data-testid": "blood-stock-lot", placeholder: S.blood.stockLot, maxlength: 40, required: true, autocomplete: "off" });
  const product = h("select", { "data-testid": "blood-stock-product", "aria-label": S.blood.product }, ...blood.PRODUCTS.map((p) => h("option", { value: p }, blood.productLabel(p))));
  const group = h("select", { "data-testid": "blood-stock-group", "aria-label": S.blood.group }, ...blood.GROUPS.map((g) => h("option", { value: g }, g)));
  const units = h("input", { type: "number", min: 0, max: 10000, value: 1, "data-testid": "blood-stock-units", "aria-label": S.blood.units });
  const expires = h("input", { type: "date", "data-testid": "blood-stock-expires", required: true, "aria-label": S.blood.stockExpires });
  const save = h("button", { type: "submit", class: "btn primary", "data-testid": "blood-stock-save" }, S.blood.stockSave);
  const one = h("form", { class: "row blood-stock-form" }, bankSel, lot, product, group, units, expires, save);
  one.addEventListener("submit", (ev) => {
    ev.preventDefault();
    // a date alone is the end of that day, as bank labels print it (and as the CSV reads it)
    const end = new Date(`${expires.value}T23:59:59`);
    if (Number.isNaN(end.getTime())) return;
    save.disabled = true;
    blood
      .setStock(Number(bankSel.value), { lot: lot.value.trim(), product: product.value as blood.Product, group: group.value, units: Number(units.value), expires_at: end.toISOString() })
      .then(() => {
        showMessage(fill(S.blood.stockSaved, { lot: lot.value.trim() }), "info");
        void reload();
      })
      .catch(showError)
      .finally(() => (save.disabled = false));
  });

  // A whole file, all rows or none.
  const csv = h("textarea", { rows: 4, "data-testid": "blood-stock-csv", placeholder: "bank,lot,product,group,units,expires_at", spellcheck: "false" });
  const file = h("input", { type: "file", accept: ".csv,text/csv", "data-testid": "blood-stock-file", "aria-label": S.blood.stockFile });
  file.addEventListener("change", () => {
    const f = file.files?.[0];
    if (f) void f.text().then((text) => (csv.value = text));
  });
  const errors = h("ul", { class: "blood-stock-errors", "data-testid": "blood-stock-errors", hidden: true });
  const importBtn = h("button", { type: "submit", class: "btn", "data-testid": "blood-stock-import" }, S.blood.stockImport);
  const many = h("form", { class: "blood-stock-import" }, h("label", {}, S.blood.stockCsv), csv, h("div", { class: "row" }, file, h("span", { class: "spacer" }), importBtn), errors);
  many.addEventListener("submit", (ev) => {
    ev.preventDefault();
    errors.hidden = true;
    importBtn.disabled = true;
    blood
      .importStock(csv.value)
      .then((done) => {
        showMessage(fill(S.blood.stockImported, { lots: done.lots, units: done.units }), "info");
        csv.value = "";
        void reload();
      })
      .catch((e: unknown) => {
        const rows = e instanceof ApiError ? (e.problem.rows ?? []) : [];
        if (rows.length === 0) return showError(e);
        errors.replaceChildren(...rows.map((r) => h("li", { "data-row": r.row }, fill(S.blood.stockRowError, { row: r.row, column: r.column, reason: r.reason }))));
        errors.hidden = false;
        showMessage(S.blood.stockRefused, "error");
      })
      .finally(() => (importBtn.disabled = false));
  });

  const close = h("button", { type: "button", class: "btn", "data-testid": "blood-stock-close" }, S.back);
  const card = h(
    "div",
    { class: "help-card blood-stock-card", role: "dialog", "aria-modal": "true", "aria-label": S.blood.stock },
    h("div", { class: "panel-title" }, h("h2", {}, S.blood.stock), h("span", { class: "spacer" }), close),
    h("div", { class: "scroll blood-stock-lots" }, table),
    h("h3", {}, S.blood.stockSetLot),
    one,
    many,
  );
  const root = h("div", { class: "overlay", "data-testid": "blood-stock-dialog" }, card);
  const finish = () => {
    root.remove();
    document.removeEventListener("keydown", onKey);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") finish();
  };
  close.addEventListener("click", finish);
  root.addEventListener("click", (e) => {
    if (e.target === root) finish();
  });
  document.addEventListener("keydown", onKey);
  document.body.append(root);
  await reload();
}
