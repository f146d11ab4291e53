// One turn of the conversation on the page: the person's message, then the run's AgentEvents as
// they come (live, or read back from the transcript). Model and tool output is untrusted: text
// goes in through textContent, Markdown only through renderMarkdown (sanitised).
import { el, formatBytes } from "./dom.js";
import { renderMarkdown } from "./markdown.js";
import { FilesCard } from "./panels.js";
import { permissionCard, QuestionCard } from "./questions.js";

/** @typedef {import("../../agent/events.js").AgentEvent} AgentEvent */
/** @typedef {import("../../agent/events.js").TokenUsage} TokenUsage */
/** @typedef {import("../../agent/events.js").PermissionReply} PermissionReply */
/** @typedef {import("../../agent/events.js").Todo} Todo */
/** @typedef {import("./questions.js").QuestionReply} QuestionReply */

/**
 * @typedef {object} TurnHooks
 * @property {(id: string, reply: PermissionReply) => Promise<void>} answerPermission
 * @property {(id: string, reply: QuestionReply) => Promise<void>} answerQuestion
 * @property {(usage: TokenUsage) => void} onUsage
 * @property {(todos: Todo[]) => void} onTodos
 * @property {(turn: TurnView) => Promise<{diff: string, whole: boolean}>} loadDiff what this turn changed
 */

/** @typedef {{name: string, size: number}} AttachedFile */

/** Re-rendering a growing Markdown text costs its whole length: at most this often per part. */
const RENDER_INTERVAL_MS = 60;

/** A text part whose Markdown is re-rendered as it grows, throttled. */
class MarkdownPart {
  /** @param {HTMLElement} node */
  constructor(node) {
    this.node = node;
    this.text = "";
    this.renderedAt = 0;
    /** @type {number | undefined} */
    this.timer = undefined;
  }

  /** @param {string} more */
  append(more) {
    this.text += more;
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.renderedAt + RENDER_INTERVAL_MS - performance.now());
    this.timer = window.setTimeout(() => this.flush(), wait);
  }

  flush() {
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    this.timer = undefined;
    this.renderedAt = performance.now();
    this.node.replaceChildren(renderMarkdown(this.text));
  }
}

export class TurnView {
  /**
   * @param {HTMLElement} container where the turn is appended
   * @param {string} userText
   * @param {TurnHooks} hooks
   * @param {AttachedFile[]} [files] attached to the message
   */
  constructor(container, userText, hooks, files = []) {
    this.hooks = hooks;
    this.root = el("article", "turn");
    const user = el("div", "user-message");
    const bubble = el("div", "bubble", userText);
    if (files.length) {
      const chips = el("div", "bubble-files");
      for (const file of files) chips.append(el("span", "chip", `${file.name} · ${formatBytes(file.size)}`));
      bubble.append(chips);
    }
    user.append(bubble);
    this.answer = el("div", "answer");
    this.statusLine = el("div", "status-line");
    this.statusLine.hidden = true;
    this.root.append(user, this.answer, this.statusLine);
    container.append(this.root);
    /** @type {Map<string, MarkdownPart>} */
    this.texts = new Map();
    /** @type {Map<string, HTMLElement>} */
    this.thoughts = new Map();
    /** @type {Map<string, ToolCard>} */
    this.tools = new Map();
    /** @type {QuestionCard[]} */
    this.questions = [];
    this.finished = false;
  }

  /** @param {AgentEvent} event */
  apply(event) {
    switch (event.type) {
      case "message": {
        let part = this.texts.get(event.metadata.partId);
        if (!part) {
          part = new MarkdownPart(this.add(el("div", "markdown")));
          this.texts.set(event.metadata.partId, part);
        }
        part.append(event.content);
        this.setStatus("");
        return;
      }
      case "thinking": {
        let body = this.thoughts.get(event.metadata.partId);
        if (!body) {
          const details = this.add(el("details", "thinking"));
          details.append(el("summary", undefined, event.metadata.subagent ? "Subagent thinking…" : "Thinking…"));
          body = el("div", "thinking-text");
          details.append(body);
          this.thoughts.set(event.metadata.partId, body);
        }
        body.append(event.content);
        return;
      }
      case "thinking_done": {
        const summary = this.thoughts.get(event.metadata.partId)?.parentElement?.querySelector("summary");
        if (summary) summary.textContent = event.metadata.subagent ? "Subagent thought" : "Thought";
        return;
      }
      case "tool_use": {
        if (this.isQuestionTool(event.metadata.name)) return; // its question card stands for it
        const card = this.toolCard(event.metadata.callId, event.metadata.name, Boolean(event.metadata.subagent));
        card.use(event.content, event.metadata.input, event.metadata.title);
        this.setStatus("");
        return;
      }
      case "tool_result": {
        if (this.isQuestionTool(event.metadata.name)) {
          // Answered (here, or by another client), or refused: the questions are over.
          for (const card of this.questions)
            card.settle(event.metadata.isError ? "Closed without an answer." : "Answered.", event.metadata.isError ? "closed" : "answered");
          return;
        }
        const card = this.toolCard(event.metadata.callId, event.metadata.name, Boolean(event.metadata.subagent));
        card.result(event.content, event.metadata.isError, event.metadata.title);
        return;
      }
      case "permission_request":
        this.add(
          permissionCard(event.content, event.metadata.id, event.metadata.patterns, this.hooks.answerPermission, () => this.setStatus("")),
        );
        this.setStatus("Waiting for your answer…");
        return;
      case "question": {
        const card = new QuestionCard(event, this.hooks.answerQuestion, () => this.setStatus(""));
        this.questions.push(card);
        // The question tool's own card, if it came first, would only repeat it as JSON.
        for (const [callId, tool] of this.tools) {
          if (tool.name.textContent === "question" && !tool.done) {
            tool.root.remove();
            this.tools.delete(callId);
          }
        }
        this.add(card.root);
        this.setStatus("Waiting for your answer…");
        return;
      }
      case "todo":
        this.hooks.onTodos(event.metadata.todos);
        return;
      case "files_changed":
        if (event.metadata.files.length) this.add(new FilesCard(event.metadata.files, () => this.hooks.loadDiff(this)).root);
        return;
      case "token_usage":
        this.hooks.onUsage(event.metadata);
        return;
      case "status":
        this.showStatus(event);
        return;
      case "error":
        this.add(el("div", "error-card", event.content)).setAttribute("role", "alert");
        return;
      case "done":
        this.finish(event.metadata.reason);
        return;
      default: {
        /** @type {never} */
        const unknown = event;
        console.warn("pocketpaw: an event type this page does not know", unknown);
      }
    }
  }

  /** The turn's text rendered at once (after a burst, or when read from the transcript). */
  flush() {
    for (const part of this.texts.values()) part.flush();
  }

  /** @param {import("../../agent/events.js").DoneReason} reason */
  finish(reason) {
    if (this.finished) return;
    this.finished = true;
    this.flush();
    this.setStatus("");
    this.root.classList.add("finished");
    for (const card of this.tools.values()) card.settle();
    for (const card of this.questions) card.settle();
    if (reason === "stopped") this.add(el("div", "note", "Stopped."));
    else if (reason === "max_turns") this.add(el("div", "note", "Stopped at the turn limit."));
    if (this.answer.childElementCount === 0 && reason === "completed") this.add(el("div", "note", "(no answer)"));
  }

  /** @param {Extract<AgentEvent, {type: "status"}>} event */
  showStatus(event) {
    const state = event.metadata.state;
    switch (state) {
      case "busy":
        this.setStatus("Working…");
        return;
      case "retrying":
      case "reconnecting":
      case "stopping":
        this.setStatus(event.content);
        return;
      case "resynced":
      case "session_created":
        this.setStatus("");
        return;
      case "session_replaced":
        this.add(el("div", "note", event.content));
        return;
      default: {
        /** @type {never} */
        const unknown = state;
        console.warn("pocketpaw: a status this page does not know", unknown);
      }
    }
  }

  /** @param {string} text "" hides the line */
  setStatus(text) {
    this.statusLine.textContent = text;
    this.statusLine.hidden = text === "";
  }

  /**
   * @template {HTMLElement} T
   * @param {T} node
   * @returns {T}
   */
  add(node) {
    this.answer.append(node);
    return node;
  }

  /** The `question` tool once the turn shows question cards. @param {string} name */
  isQuestionTool(name) {
    return name === "question" && this.questions.length > 0;
  }

  /**
   * @param {string} callId
   * @param {string} name
   * @param {boolean} subagent
   */
  toolCard(callId, name, subagent) {
    let card = this.tools.get(callId);
    if (!card) {
      card = new ToolCard(name, subagent);
      this.add(card.root);
      this.tools.set(callId, card);
    }
    return card;
  }
}

/** A tool step: name, what it does, its input, a live status, and its output folded. */
class ToolCard {
  /**
   * @param {string} name
   * @param {boolean} subagent
   */
  constructor(name, subagent) {
    this.root = el("div", "card tool running");
    const head = el("div", "tool-head");
    this.status = el("span", "pill", "running");
    this.name = el("span", "tool-name", name);
    head.append(this.name);
    if (subagent) head.append(el("span", "pill subtle", "subagent"));
    this.title = el("span", "tool-title");
    head.append(this.title, this.status);
    this.input = el("details", "tool-input");
    this.input.append(el("summary", undefined, "Input"));
    this.output = el("details", "tool-output");
    this.output.hidden = true;
    this.root.append(head, this.input, this.output);
    this.done = false;
  }

  /**
   * @param {string} summary
   * @param {Record<string, unknown>} input
   * @param {string | undefined} title
   */
  use(summary, input, title) {
    // The summary starts with the tool's name, which the card already shows.
    const name = this.name.textContent ?? "";
    this.title.textContent = title ?? (summary.startsWith(`${name} `) ? summary.slice(name.length + 1) : summary);
    this.input.append(el("pre", undefined, JSON.stringify(input, null, 2)));
  }

  /**
   * @param {string} output
   * @param {boolean} isError
   * @param {string | undefined} title
   */
  result(output, isError, title) {
    this.done = true;
    if (title) this.title.textContent = title;
    this.root.classList.remove("running");
    this.root.classList.add(isError ? "failed" : "succeeded");
    this.status.textContent = isError ? "failed" : "done";
    const lines = output === "" ? 0 : output.replace(/\n$/, "").split("\n").length;
    this.output.replaceChildren(
      el("summary", undefined, isError ? "Error" : `Output · ${lines} line${lines === 1 ? "" : "s"}`),
      el("pre", undefined, output),
    );
    this.output.hidden = false;
    if (isError) this.output.open = true;
  }

  /** The run ended before this tool did (stopped, failed). */
  settle() {
    if (this.done) return;
    this.root.classList.remove("running");
    this.status.textContent = "not finished";
  }
}
