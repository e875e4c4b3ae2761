// One visible message area (data-testid="message") for errors and confirmations.
import { ApiError } from "../api";
import { h } from "../dom";
import { S } from "../i18n";

export type MessageKind = "error" | "info";

let root: HTMLElement | null = null;
let textEl: HTMLElement | null = null;
let timer: number | undefined;

export function mountMessage(parent: HTMLElement): void {
  textEl = h("span", { class: "message-text", "data-testid": "message", role: "status", "aria-live": "polite" });
  const dismiss = h("button", { class: "message-close", type: "button", title: S.dismiss, "aria-label": S.dismiss }, "×");
  dismiss.addEventListener("click", clearMessage);
  root = h("div", { class: "message", hidden: true }, textEl, dismiss);
  parent.append(root);
}

export function showMessage(text: string, kind: MessageKind = "error"): void {
  if (!root || !textEl) return;
  window.clearTimeout(timer);
  textEl.textContent = text;
  root.dataset["kind"] = kind;
  root.hidden = false;
  // Confirmations fade after a while; errors stay until dismissed or replaced.
  if (kind === "info") timer = window.setTimeout(clearMessage, 8000);
}

export function showError(e: unknown): void {
  if (e instanceof ApiError) showMessage(e.status === 0 ? `${S.networkError}: ${e.message}` : e.message, "error");
  else showMessage(e instanceof Error ? e.message : String(e), "error");
}

export function clearMessage(): void {
  window.clearTimeout(timer);
  if (textEl) textEl.textContent = "";
  if (root) root.hidden = true;
}
