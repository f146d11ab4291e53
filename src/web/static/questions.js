// Cards that wait for the person: the agent's questions (OpenCode's `question` tool: each
// question, a button per option, a field for an answer of one's own, Submit and Reject) and
// permission requests. Labels, descriptions and questions come from the model: text nodes only.
import { button, el, messageOf } from "./dom.js";

/** @typedef {import("../../agent/events.js").QuestionEvent} QuestionEvent */
/** @typedef {import("../../agent/events.js").Question} Question */
/** @typedef {{answers: string[][]} | {reject: true}} QuestionReply */

/** One question of the card: its chosen options and typed answer. */
class QuestionItem {
  /**
   * @param {Question} question
   * @param {number} index
   * @param {(item: QuestionItem) => void} onPick an option was clicked
   * @param {() => void} onEnter Enter in the typed answer
   */
  constructor(question, index, onPick, onEnter) {
    this.question = question;
    this.root = el("div", "question-item");
    this.root.dataset.index = String(index);
    if (question.header) this.root.append(el("div", "question-header", question.header));
    this.root.append(el("div", "question-text", question.question));
    if (question.multiple) this.root.append(el("div", "question-hint", "Choose any that apply."));
    /** @type {Set<string>} */
    this.chosen = new Set();
    const options = el("div", "options");
    /** @type {HTMLButtonElement[]} */
    this.buttons = question.options.map((option) => {
      const choice = button("option", "", () => {
        this.toggle(option.label);
        onPick(this);
      });
      choice.dataset.label = option.label;
      choice.setAttribute("aria-pressed", "false");
      choice.append(el("span", "option-label", option.label));
      if (option.description) choice.append(el("span", "option-description", option.description));
      return choice;
    });
    options.append(...this.buttons);
    this.typed = el("input", "typed-answer");
    this.typed.type = "text";
    this.typed.maxLength = 10_000;
    this.typed.placeholder = question.options.length ? "Or type your own answer…" : "Type your answer…";
    this.typed.setAttribute("aria-label", `Your answer to: ${question.question}`);
    this.typed.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        onEnter();
      }
    });
    this.root.append(options, this.typed);
  }

  /** @param {string} label */
  toggle(label) {
    if (this.chosen.has(label)) this.chosen.delete(label);
    else {
      if (!this.question.multiple) this.chosen.clear();
      this.chosen.add(label);
    }
    for (const b of this.buttons) b.setAttribute("aria-pressed", String(this.chosen.has(b.dataset.label ?? "")));
  }

  /** The chosen labels, then the typed text if any. */
  answer() {
    const typed = this.typed.value.trim();
    return [...this.question.options.map((o) => o.label).filter((l) => this.chosen.has(l)), ...(typed ? [typed] : [])];
  }

  /** @param {boolean} disabled */
  disable(disabled) {
    for (const b of this.buttons) b.disabled = disabled;
    this.typed.disabled = disabled;
  }
}

export class QuestionCard {
  /**
   * @param {QuestionEvent} event
   * @param {(id: string, reply: QuestionReply) => Promise<void>} send
   * @param {() => void} onAnswered
   */
  constructor(event, send, onAnswered) {
    this.id = event.metadata.id;
    this.send = send;
    this.onAnswered = onAnswered;
    this.done = false;
    this.sending = false;
    const questions = event.metadata.questions;
    this.root = el("div", "card question");
    this.root.dataset.questionId = this.id;
    const title = el("div", "card-title", questions.length > 1 ? "The agent asks" : "Question");
    if (event.metadata.subagent) title.append(" ", el("span", "pill subtle", "subagent"));
    this.root.append(title);
    // One simple question: a click on an option is the answer. Otherwise options are chosen, then submitted.
    const immediate = questions.length === 1 && !questions[0]?.multiple;
    this.items = questions.map(
      (q, i) =>
        new QuestionItem(
          q,
          i,
          (item) => {
            if (immediate && item.chosen.size > 0) void this.submit();
          },
          () => void this.submit(),
        ),
    );
    this.root.append(...this.items.map((item) => item.root));
    if (questions.length === 0 && event.content) this.root.append(el("div", "question-text", event.content));
    this.actions = el("div", "actions");
    this.submitButton = button("primary", "Submit", () => void this.submit());
    this.submitButton.dataset.action = "submit";
    this.rejectButton = button("danger", "Reject", () => void this.reply({ reject: true }, "Rejected"));
    this.rejectButton.dataset.action = "reject";
    this.actions.append(this.submitButton, this.rejectButton);
    this.outcome = el("div", "outcome");
    this.root.append(this.actions, this.outcome);
  }

  async submit() {
    const answers = this.items.map((item) => item.answer());
    const missing = answers.findIndex((a) => a.length === 0);
    if (missing >= 0) {
      const item = this.items[missing];
      this.outcome.textContent =
        this.items.length > 1
          ? `Answer “${item?.question.header || item?.question.question}” too, or Reject.`
          : "Choose an option or type an answer, or Reject.";
      return;
    }
    const said = answers
      .map((a, i) => (this.items.length > 1 ? `${this.items[i]?.question.header || `#${i + 1}`}: ${a.join(", ")}` : a.join(", ")))
      .join(" · ");
    await this.reply({ answers }, `Answered: ${said}`);
  }

  /**
   * @param {QuestionReply} reply
   * @param {string} done what the card says once it is sent
   */
  async reply(reply, done) {
    if (this.done || this.sending) return;
    this.sending = true;
    this.disable(true);
    this.outcome.textContent = "Sending…";
    try {
      await this.send(this.id, reply);
      this.done = true;
      this.outcome.textContent = done;
      this.root.classList.add("reject" in reply ? "rejected" : "answered");
      this.onAnswered();
    } catch (error) {
      this.outcome.textContent = messageOf(error);
      this.disable(false);
    } finally {
      this.sending = false;
    }
  }

  /** @param {boolean} disabled */
  disable(disabled) {
    for (const item of this.items) item.disable(disabled);
    this.submitButton.disabled = disabled;
    this.rejectButton.disabled = disabled;
  }

  /**
   * The question is over without an answer from this card: the turn ended, or it was answered
   * elsewhere. An answer this card is sending says for itself what happened.
   * @param {string} [outcome]
   * @param {"closed" | "answered"} [kind]
   */
  settle(outcome = "Closed: the turn is over.", kind = "closed") {
    if (this.done || this.sending) return;
    this.done = true;
    this.disable(true);
    this.root.classList.add(kind);
    this.outcome.textContent = outcome;
  }
}

/** @typedef {import("../../agent/events.js").PermissionReply} PermissionReply */

const PERMISSION_ANSWERS = /** @type {const} */ ([
  ["once", "Allow once", "Allowed once"],
  ["always", "Always", "Always allowed"],
  ["reject", "Reject", "Rejected"],
]);

/**
 * A permission request: what the agent wants to do, and Allow once / Always / Reject.
 * @param {string} question
 * @param {string} id
 * @param {string[]} patterns
 * @param {(id: string, reply: PermissionReply) => Promise<void>} answer
 * @param {() => void} onAnswered
 */
export function permissionCard(question, id, patterns, answer, onAnswered) {
  const card = el("div", "card permission");
  card.dataset.permissionId = id;
  card.append(el("div", "card-title", "Permission needed"), el("div", "permission-question", question));
  if (patterns.length) card.append(el("pre", "patterns", patterns.join("\n")));
  const actions = el("div", "actions");
  const outcome = el("div", "outcome");
  for (const [reply, label, done] of PERMISSION_ANSWERS) {
    const choice = button(reply === "reject" ? "danger" : reply === "once" ? "primary" : "", label, async () => {
      for (const b of actions.querySelectorAll("button")) b.disabled = true;
      outcome.textContent = "Sending…";
      try {
        await answer(id, reply);
        outcome.textContent = done;
        card.classList.add(reply === "reject" ? "rejected" : "allowed");
        onAnswered();
      } catch (error) {
        outcome.textContent = messageOf(error);
        for (const b of actions.querySelectorAll("button")) b.disabled = false;
      }
    });
    choice.dataset.reply = reply;
    actions.append(choice);
  }
  card.append(actions, outcome);
  return card;
}
