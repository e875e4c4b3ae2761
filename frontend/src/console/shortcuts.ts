// Console keyboard shortcuts. Letter keys act only when the focus is not in a text field (so
// typing "N" in an address never opens anything), never with Ctrl/Meta, and never while an IME
// is composing (Chinese input). Priority: Alt+1..4 from anywhere, or plain 1..4 while the focus is
// inside the new-call form but not in one of its text fields (e.g. on the priority select).
export interface ShortcutActions {
  newCall(): void;
  locate(): void;
  setPriority(p: number): void;
  inNewCallForm(el: Element | null): boolean;
  assignTop(): void;
  escape(): void;
  help(): void;
  toggleMute(): void;
}

function isTextField(el: Element | null): boolean {
  if (!el) return false;
  if (el instanceof HTMLTextAreaElement) return true;
  if (el instanceof HTMLInputElement) {
    return !["button", "checkbox", "radio", "submit", "reset", "range", "color", "file"].includes(el.type);
  }
  return el instanceof HTMLElement && el.isContentEditable;
}

/** Digit from the physical key, so Alt+digit works whatever character the layout produces. */
function digitOf(ev: KeyboardEvent): number | null {
  const m = /^(?:Digit|Numpad)([1-4])$/.exec(ev.code);
  if (m) return Number(m[1]);
  return /^[1-4]$/.test(ev.key) ? Number(ev.key) : null;
}

export function installShortcuts(a: ShortcutActions, enabled: () => boolean): void {
  document.addEventListener("keydown", (ev) => {
    if (!enabled() || ev.defaultPrevented || ev.isComposing || ev.keyCode === 229) return;
    if (ev.ctrlKey || ev.metaKey) return;
    const target = document.activeElement;
    const typing = isTextField(target);

    if (ev.key === "Escape") {
      a.escape();
      if (typing && target instanceof HTMLElement) target.blur();
      return;
    }
    const digit = digitOf(ev);
    if (digit !== null && (ev.altKey || (!typing && a.inNewCallForm(target)))) {
      ev.preventDefault();
      a.setPriority(digit);
      return;
    }
    if (typing || ev.altKey) return;
    switch (ev.key) {
      case "n":
      case "N":
        ev.preventDefault();
        a.newCall();
        break;
      case "l":
      case "L":
        ev.preventDefault();
        a.locate();
        break;
      case "a":
      case "A":
        ev.preventDefault();
        a.assignTop();
        break;
      case "m":
      case "M":
        ev.preventDefault();
        a.toggleMute();
        break;
      case "?":
        ev.preventDefault();
        a.help();
        break;
    }
  });
}
