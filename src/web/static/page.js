// The page's elements and state, shared by its modules, and small helpers (the banner, scrolling).
import { RunStream } from "./api.js";
import { byId, messageOf } from "./dom.js";
import { TodoPanel } from "./panels.js";
import { TurnView } from "./render.js";

/** @typedef {import("../../agent/events.js").TokenUsage} TokenUsage */
/** @typedef {import("../../agent/backend.js").AgentInfo} AgentInfo */
/** @typedef {import("../../agent/backend.js").CommandInfo} CommandInfo */
/** @typedef {{key: string, title: string, model: string, agent: string, createdAt: number, lastUsedAt: number, running: boolean}} Conversation */
/** @typedef {{name: string, mime: string, size: number, data: string}} PendingFile a file attached in the composer, its bytes in base64 */

export const ui = {
  conversations: /** @type {HTMLUListElement} */ (byId("conversations")),
  newConversation: /** @type {HTMLButtonElement} */ (byId("new-conversation")),
  menu: /** @type {HTMLButtonElement} */ (byId("menu")),
  scrim: /** @type {HTMLDivElement} */ (byId("scrim")),
  chat: /** @type {HTMLElement} */ (byId("chat")),
  title: /** @type {HTMLHeadingElement} */ (byId("title")),
  agentBadge: /** @type {HTMLSpanElement} */ (byId("agent-badge")),
  agent: /** @type {HTMLSelectElement} */ (byId("agent")),
  model: /** @type {HTMLSelectElement} */ (byId("model")),
  actions: /** @type {HTMLButtonElement} */ (byId("actions")),
  actionsMenu: /** @type {HTMLDivElement} */ (byId("actions-menu")),
  tokens: /** @type {HTMLSpanElement} */ (byId("tokens")),
  cost: /** @type {HTMLSpanElement} */ (byId("cost")),
  health: /** @type {HTMLDivElement} */ (byId("health")),
  badges: /** @type {HTMLDivElement} */ (byId("badges")),
  banner: /** @type {HTMLDivElement} */ (byId("banner")),
  log: /** @type {HTMLElement} */ (byId("log")),
  empty: /** @type {HTMLDivElement} */ (byId("empty")),
  todos: /** @type {HTMLElement} */ (byId("todos")),
  composer: /** @type {HTMLFormElement} */ (byId("composer")),
  suggestions: /** @type {HTMLUListElement} */ (byId("suggestions")),
  attachments: /** @type {HTMLDivElement} */ (byId("attachments")),
  attach: /** @type {HTMLButtonElement} */ (byId("attach")),
  fileInput: /** @type {HTMLInputElement} */ (byId("file-input")),
  input: /** @type {HTMLTextAreaElement} */ (byId("input")),
  send: /** @type {HTMLButtonElement} */ (byId("send")),
  stop: /** @type {HTMLButtonElement} */ (byId("stop")),
};

export const state = {
  /** @type {Conversation[]} */
  conversations: [],
  /** @type {string} */
  key: "",
  /** Conversations created on this page that have no message yet. @type {Set<string>} */
  drafts: new Set(),
  /** @type {RunStream | undefined} */
  stream: undefined,
  /** @type {TurnView | undefined} */
  turn: undefined,
  usage: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0, cost: 0 },
  /** Bumped on every switch, so answers for a conversation no longer shown are ignored. */
  generation: 0,
  /** The server's agents, once loaded (undefined: unknown, so none is sent). @type {AgentInfo[] | undefined} */
  agents: undefined,
  /** The person chose an agent for the next message. */
  agentPicked: false,
  /** @type {CommandInfo[]} */
  commands: [],
  /** Files attached in the composer, not sent yet. @type {PendingFile[]} */
  files: [],
};

/** The conversation's todo list, beside the chat. */
export const todos = new TodoPanel(ui.todos);

/** The conversation shown, when the server knows it. */
export function currentConversation() {
  return state.conversations.find((c) => c.key === state.key);
}

/**
 * @param {string} text
 * @param {"info" | "warning" | "error"} kind
 */
export function showBanner(text, kind) {
  ui.banner.textContent = text;
  ui.banner.className = `banner ${kind}`;
  ui.banner.hidden = false;
}

export function hideBanner() {
  ui.banner.hidden = true;
}

/** @param {() => Promise<unknown>} action */
export async function guarded(action) {
  try {
    await action();
  } catch (error) {
    showBanner(messageOf(error), "error");
  }
}

export function nearEnd() {
  return ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 80;
}

/** Follows the answer as it grows, unless the person scrolled up to read. @param {boolean} stick */
export function scrollToEnd(stick) {
  if (stick) requestAnimationFrame(() => ui.log.scrollTo({ top: ui.log.scrollHeight }));
}

export function updateEmpty() {
  ui.empty.hidden = ui.log.childElementCount > 0;
}

/** @param {number} ms */
export function ago(ms) {
  const s = Math.max(0, (Date.now() - ms) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(ms).toLocaleDateString();
}
