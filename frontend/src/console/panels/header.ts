// Top bar: title, map name, 24-hour clock, connection indicator, language, mute, shortcuts, user,
// change password, logout.
import { h, setText } from "../../shared/dom";
import { clock } from "../../shared/format";
import { S } from "../../shared/i18n";
import { setIcon } from "../../shared/icons";
import { isMuted, onMuteChange, setMuted } from "../../shared/sound";
import type { ConnectionState } from "../../shared/socket";

export interface Header {
  setConnection(state: ConnectionState): void;
  /** The close code of the live socket's last close (data-close-code, for diagnostics and tests). */
  setLastClose(code: number): void;
  setUser(text: string): void;
  setMapName(name: string): void;
  /** Where the language toggle sits while the console is shown. */
  langSlot: HTMLElement;
  tick(): void;
}

export function mountHeader(root: HTMLElement, onLogout: () => void, onHelp: () => void, onPassword: () => void): Header {
  // The testid element keeps the raw state ("connected" / "reconnecting") for automation; the
  // visible label next to it is translated.
  const conn = h("span", { class: "raw", "data-testid": "connection-status", "data-state": "reconnecting", "aria-hidden": "true" }, "reconnecting");
  const connLabel = h("span", { class: "conn" }, S.reconnectingLabel);
  const mapName = h("span", { class: "map-name" });
  const time = h("span", { class: "clock mono", "data-testid": "clock" });
  const user = h("span", { class: "user", "data-testid": "current-user" });
  const langSlot = h("span", { class: "lang-slot" });
  const mute = h("button", { type: "button", class: "btn small icon", "data-testid": "mute-toggle" });
  const renderMute = (m: boolean) => {
    setIcon(mute, m ? "bellOff" : "bell");
    mute.title = m ? S.unmute : S.mute;
    mute.setAttribute("aria-label", mute.title);
    mute.setAttribute("aria-pressed", String(m));
    mute.dataset["muted"] = String(m);
  };
  renderMute(isMuted());
  onMuteChange(renderMute);
  mute.addEventListener("click", () => setMuted(!isMuted()));
  const help = h(
    "button",
    { type: "button", class: "btn small icon", "data-testid": "shortcut-help-open", title: S.shortcutsButtonTitle, "aria-label": S.shortcuts },
    "?",
  );
  help.addEventListener("click", onHelp);
  const password = h("button", { type: "button", class: "btn small", "data-testid": "change-password" }, S.changePassword);
  password.addEventListener("click", onPassword);
  const logout = h("button", { type: "button", class: "btn small", "data-testid": "logout" }, S.logout);
  logout.addEventListener("click", onLogout);
  root.append(
    h("div", { class: "brand" }, h("span", { class: "brand-mark" }, "✚"), h("strong", {}, S.appTitle), mapName),
    h("span", { class: "spacer" }),
    h("span", { class: "conn-wrap" }, h("span", { class: "dot" }), connLabel, conn),
    time,
    langSlot,
    mute,
    help,
    user,
    password,
    logout,
  );
  const tick = () => setText(time, clock(new Date()));
  tick();
  return {
    setConnection(state) {
      setText(conn, state);
      conn.dataset["state"] = state;
      root.dataset["conn"] = state;
      setText(connLabel, state === "connected" ? S.connectedLabel : S.reconnectingLabel);
      connLabel.parentElement!.title = state === "connected" ? S.connectionTitleConnected : S.connectionTitleReconnecting;
    },
    setLastClose(code) {
      conn.dataset["closeCode"] = String(code);
    },
    setUser(text) {
      setText(user, text);
    },
    setMapName(name) {
      setText(mapName, name);
    },
    langSlot,
    tick,
  };
}
