// Top bar: title, map name, 24-hour clock, connection indicator, user, logout.
import { h, setText } from "../dom";
import { clock } from "../format";
import { S } from "../i18n";
import type { ConnectionState } from "../ws";

export interface Header {
  setConnection(state: ConnectionState): void;
  setUser(text: string): void;
  setMapName(name: string): void;
  tick(): void;
}

export function mountHeader(root: HTMLElement, onLogout: () => void): Header {
  const conn = h("span", { class: "conn", "data-testid": "connection-status", "data-state": "reconnecting" }, "reconnecting");
  const mapName = h("span", { class: "map-name" });
  const time = h("span", { class: "clock mono", "data-testid": "clock" });
  const user = h("span", { class: "user", "data-testid": "current-user" });
  const logout = h("button", { type: "button", class: "btn small", "data-testid": "logout" }, S.logout);
  logout.addEventListener("click", onLogout);
  root.append(
    h("div", { class: "brand" }, h("span", { class: "brand-mark" }, "✚"), h("strong", {}, S.appTitle), mapName),
    h("span", { class: "spacer" }),
    h("span", { class: "conn-wrap" }, h("span", { class: "dot" }), conn),
    time,
    user,
    logout,
  );
  const tick = () => setText(time, clock(new Date()));
  tick();
  return {
    setConnection(state) {
      // The text is the raw state ("connected" / "reconnecting"); the tooltip is translated.
      setText(conn, state);
      conn.dataset["state"] = state;
      root.dataset["conn"] = state;
      conn.title = state === "connected" ? S.connectionTitleConnected : S.connectionTitleReconnecting;
    },
    setUser(text) {
      setText(user, text);
    },
    setMapName(name) {
      setText(mapName, name);
    },
    tick,
  };
}
