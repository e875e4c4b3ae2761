// Protocol triage on screen: choose the chief complaint (search in English, Chinese or by code),
// then its key questions in the protocol's order, one key per answer (1, 2, 3 … on the focused
// question). After every answer the server's rule engine (POST /triage/evaluate) returns the
// determinant, priority and response target and the pre-arrival instructions to read to the
// caller, marked as content awaiting a medical director's review.
import { h, setText } from "../../shared/dom";
import { duration } from "../../shared/format";
import { S, lang, t } from "../../shared/i18n";
import { showError } from "../../shared/panels/message";
import { evaluate, protocol, type Complaint, type TriageCard } from "./api";

type Bilingual = { en: string; zh: string };
const say = (t: Bilingual) => (lang === "zh" ? t.zh : t.en);

export interface Triage {
  readonly root: HTMLElement;
  readonly complaintCode: string | null;
  readonly complaintLabel: string | null;
  readonly answers: Record<string, string>;
  readonly card: TriageCard | null;
  focusSearch(): void;
  reset(): void;
}

export interface TriageCallbacks {
  /** The card changed (a complaint chosen, an answer given): priority, code for the duplicate check. */
  changed(card: TriageCard | null): void;
  /** Every question answered: the call can be created. */
  complete(): void;
}

/** Lower-case, without spaces and accents, for matching either language. */
function fold(s: string): string {
  return s.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f\s_-]/g, "");
}

export function mountTriage(cb: TriageCallbacks): Triage {
  let complaints: Complaint[] = [];
  let chosen: Complaint | null = null;
  let answers: Record<string, string> = {};
  let card: TriageCard | null = null;
  let highlighted = 0;
  let asked = 0; // evaluate requests in flight are numbered: only the latest answer is shown

  const search = h("input", {
    id: "triage-search",
    autocomplete: "off",
    placeholder: S.callTaking.complaintSearch,
    "data-testid": "triage-search",
  });
  const results = h("ul", { class: "candidates triage-results", hidden: true, "data-testid": "triage-results" });
  const chosenLine = h("div", { class: "triage-chosen", hidden: true, "data-testid": "triage-chosen" });
  const questions = h("ol", { class: "triage-questions", "data-testid": "triage-questions" });
  const cardBox = h("div", { class: "triage-card", hidden: true, "data-testid": "triage-card" });
  const instructions = h("div", { class: "triage-instructions", hidden: true, "data-testid": "triage-instructions" });
  const root = h(
    "fieldset",
    { class: "triage", "data-testid": "triage" },
    h("legend", {}, S.callTaking.triage),
    search,
    results,
    chosenLine,
    questions,
    cardBox,
    instructions,
  );

  protocol()
    .then((p) => (complaints = p.complaints))
    .catch(showError);

  const matches = (): Complaint[] => {
    const q = fold(search.value);
    if (!q) return [];
    return complaints.filter((c) => [c.label.en, c.label.zh, c.code].some((t) => fold(t).includes(q)));
  };

  const renderResults = () => {
    const found = matches();
    highlighted = Math.min(highlighted, Math.max(0, found.length - 1));
    results.replaceChildren(
      ...found.map((c, i) => {
        const btn = h(
          "button",
          { type: "button", class: `candidate${i === highlighted ? " active" : ""}`, "data-testid": `triage-complaint-${c.code}` },
          h("span", {}, say(c.label)),
          h("span", { class: "kind" }, lang === "zh" ? c.label.en : c.label.zh),
        );
        btn.addEventListener("mousedown", (ev) => ev.preventDefault());
        btn.addEventListener("click", () => choose(c));
        return h("li", {}, btn);
      }),
    );
    if (found.length === 0 && search.value.trim()) results.append(h("li", { class: "empty" }, S.noCandidates));
    results.hidden = !search.value.trim();
  };

  const questionEl = (qid: string) => questions.querySelector<HTMLElement>(`[data-question="${qid}"]`);

  const focusNext = () => {
    const next = chosen?.questions.find((q) => !(q.id in answers));
    if (next) questionEl(next.id)?.focus();
    else cb.complete();
  };

  const renderQuestions = () => {
    questions.replaceChildren(
      ...(chosen?.questions ?? []).map((q) => {
        const buttons = q.answers.map((a, i) => {
          const btn = h(
            "button",
            {
              type: "button",
              tabindex: -1,
              class: `btn small answer${answers[q.id] === a.code ? " chosen" : ""}`,
              "data-testid": `triage-answer-${q.id}-${a.code}`,
            },
            h("kbd", {}, String(i + 1)),
            ` ${say(a.label)}`,
          );
          btn.addEventListener("click", () => give(q.id, a.code, false));
          return btn;
        });
        const li = h(
          "li",
          { tabindex: 0, class: `triage-question${q.id in answers ? " answered" : ""}`, "data-question": q.id, "data-testid": `triage-question-${q.id}` },
          h("div", { class: "q-text" }, say(q.text)),
          h("div", { class: "q-answers" }, ...buttons),
        );
        li.addEventListener("keydown", (ev) => {
          if (ev.altKey || ev.ctrlKey || ev.metaKey || ev.isComposing) return;
          const m = /^(?:Digit|Numpad)([1-9])$/.exec(ev.code) ?? /^([1-9])$/.exec(ev.key);
          if (!m) return;
          const answer = q.answers[Number(m[1]) - 1];
          ev.preventDefault(); // also keeps the console's priority shortcut out of it
          if (answer) give(q.id, answer.code, true);
        });
        return li;
      }),
    );
  };

  const renderCard = () => {
    cardBox.hidden = card === null;
    instructions.hidden = card === null;
    if (!card) return;
    cardBox.replaceChildren(
      h("span", { class: `prio p${card.priority}`, "data-testid": "triage-priority" }, t("priorityLabel", { priority: card.priority })),
      h("span", { class: "mono", "data-testid": "triage-determinant", title: say(card.determinant_label) }, card.determinant_code),
      h("span", {}, say(card.priority_label)),
      h("span", { class: "mono", "data-testid": "triage-target", title: S.callTaking.target }, `≤ ${duration(card.target_s)}`),
    );
    if (card.unanswered.length > 0) cardBox.append(h("span", { class: "hint" }, S.callTaking.provisional));
    instructions.replaceChildren(
      h("div", { class: "review-flag", "data-testid": "instructions-review", title: say(card.instructions_review.note) }, `⚠ ${S.callTaking.needsReview}`),
      ...card.instructions.map((b) =>
        h("section", {}, h("strong", {}, say(b.title)), h("ol", {}, ...b.steps.map((s) => h("li", {}, say(s))))),
      ),
    );
  };

  const refresh = () => {
    if (!chosen) {
      card = null;
      renderCard();
      cb.changed(null);
      return;
    }
    const mine = ++asked;
    const code = chosen.code;
    evaluate(code, { ...answers })
      .then((c) => {
        if (mine !== asked) return;
        card = c;
        renderCard();
        cb.changed(c);
      })
      .catch(showError);
  };

  const give = (qid: string, code: string, byKey: boolean) => {
    answers = { ...answers, [qid]: code };
    renderQuestions();
    refresh();
    if (byKey) focusNext();
  };

  const choose = (c: Complaint) => {
    chosen = c;
    answers = {};
    search.value = "";
    results.hidden = true;
    chosenLine.hidden = false;
    setText(chosenLine, `${say(c.label)} · ${c.code}`);
    renderQuestions();
    refresh();
    focusNext();
  };

  search.addEventListener("input", () => {
    highlighted = 0;
    renderResults();
  });
  search.addEventListener("keydown", (ev) => {
    if (ev.isComposing) return;
    const found = matches();
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      highlighted = (highlighted + (ev.key === "ArrowDown" ? 1 : found.length - 1)) % Math.max(1, found.length);
      renderResults();
    } else if (ev.key === "Enter") {
      ev.preventDefault();
      const c = found[highlighted];
      if (c) choose(c);
    }
  });

  return {
    root,
    get complaintCode() {
      return chosen?.code ?? null;
    },
    get complaintLabel() {
      return chosen ? say(chosen.label) : null;
    },
    get answers() {
      return { ...answers };
    },
    get card() {
      return card;
    },
    focusSearch() {
      search.focus();
    },
    reset() {
      chosen = null;
      answers = {};
      card = null;
      asked++;
      search.value = "";
      results.hidden = true;
      chosenLine.hidden = true;
      renderQuestions();
      renderCard();
    },
  };
}
