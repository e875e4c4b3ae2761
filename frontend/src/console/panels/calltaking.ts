// The call-taker's panel: the phone lines above the new-call form. F2 answers the line ringing
// longest and takes its caller into the form; F4 links the call to the duplicate prompt's first
// candidate. Function keys work even while typing in a field, which letter shortcuts cannot.
import "../calltaking/calltaking.css";

import { h } from "../../shared/dom";
import { CallLayers } from "../calltaking/maplayers";
import { mountLines, type Lines } from "../calltaking/lines";
import type { DispatchMap } from "../map";
import { mountNewCall, type NewCall, type NewCallCallbacks } from "./newcall";

export interface CallTaking extends NewCall {
  lines: Lines;
}

export function mountCallTaking(root: HTMLElement, map: DispatchMap, cb: NewCallCallbacks, enabled: () => boolean): CallTaking {
  const linesRoot = h("div", { class: "lines-box", "data-testid": "call-taking" });
  root.append(linesRoot);
  const layers = new CallLayers(map.map);
  const newCall = mountNewCall(root, cb, layers);
  const lines = mountLines(linesRoot, (call) => newCall.takeCall(call));

  document.addEventListener("keydown", (ev) => {
    if (!enabled() || ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
    if (ev.key === "F2") {
      ev.preventDefault();
      lines.answerNext();
    } else if (ev.key === "F4") {
      ev.preventDefault();
      newCall.linkFirst();
    }
  });
  return { ...newCall, lines };
}
