// The dashboard: conversations on the left, the chat on the right. State lives on the server
// (conversations in pocketpaw's store, transcripts on the OpenCode server, runs in pocketpaw's
// memory); this page shows it and follows the running turn.
import { ApiFailure, RunStream, api, conversationPath } from "./api.js";
import { TurnView, el } from "./render.js";

/** @typedef {import("../../agent/events.js").AgentEvent} AgentEvent */
/** @typedef {import("../../agent/events.js").TokenUsage} TokenUsage */
/** @typedef {import("../../agent/events.js").PermissionReply} PermissionReply */
/** @typedef {{key: string, title: string, model: string, createdAt: number, lastUsedAt: number, running: boolean}} Conversation */
/** @typedef {{id: string, text: string, at?: number, events: AgentEvent[]}} Turn */
/** @typedef {{id: string, running: boolean, text: string, startedAt: number, lastEventId: string}} RunInfo */

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return /** @type {T} */ (node);
}

const ui = {
  conversations: /** @type {HTMLUListElement} */ (byId("conversations")),
  newConversation: /** @type {HTMLButtonElement} */ (byId("new-conversation")),
  menu: /** @type {HTMLButtonElement} */ (byId("menu")),
  scrim: /** @type {HTMLDivElement} */ (byId("scrim")),
  title: /** @type {HTMLHeadingElement} */ (byId("title")),
  model: /** @type {HTMLSelectElement} */ (byId("model")),
  tokens: /** @type {HTMLSpanElement} */ (byId("tokens")),
  cost: /** @type {HTMLSpanElement} */ (byId("cost")),
  health: /** @type {HTMLDivElement} */ (byId("health")),
  badges: /** @type {HTMLDivElement} */ (byId("badges")),
  banner: /** @type {HTMLDivElement} */ (byId("banner")),
  log: /** @type {HTMLElement} */ (byId("log")),
  empty: /** @type {HTMLDivElement} */ (byId("empty")),
  composer: /** @type {HTMLFormElement} */ (byId("composer")),
  input: /** @type {HTMLTextAreaElement} */ (byId("input")),
  send: /** @type {HTMLButtonElement} */ (byId("send")),
  stop: /** @type {HTMLButtonElement} */ (byId("stop")),
};

const state = {
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
};

const MODEL_CHOICE = "pocketpaw.model";

// ---------------------------------------------------------------------------------------------
// Conversations

/**
 * The conversation the address names (`#web%3A3f2a…`), or "" when it names none: empty, a
 * malformed escape (`#%`, which decodeURIComponent throws on), or not a key the API accepts
 * (the same rule as ConversationKey in src/web/schemas.ts).
 */
function keyFromAddress() {
  try {
    const key = decodeURIComponent(location.hash.slice(1));
    return /^[A-Za-z0-9_.:@-]{1,200}$/.test(key) ? key : "";
  } catch {
    return "";
  }
}

function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `web:${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function loadConversations() {
  const { conversations } = await api("/api/conversations");
  state.conversations = conversations;
  renderConversationList();
}

function renderConversationList() {
  const items = [...state.drafts]
    .filter((key) => !state.conversations.some((c) => c.key === key))
    .map((key) => ({ key, title: "New conversation", model: "", createdAt: Date.now(), lastUsedAt: Date.now(), running: false }));
  const rows = [...items, ...state.conversations].map((c) => {
    const li = el("li", `conversation${c.key === state.key ? " active" : ""}${c.running ? " running" : ""}`);
    li.dataset.key = c.key;
    const open = el("button", "conversation-open");
    open.type = "button";
    open.append(el("span", "conversation-title", c.title || c.key), el("span", "conversation-meta", c.running ? "running…" : ago(c.lastUsedAt)));
    open.addEventListener("click", () => {
      document.body.classList.remove("sidebar-open");
      void select(c.key);
    });
    li.append(open);
    if (!state.drafts.has(c.key) || state.conversations.some((s) => s.key === c.key)) {
      li.append(iconButton("✎", `Rename “${c.title}”`, "rename", () => rename(c)), iconButton("×", `Forget “${c.title}”`, "forget", () => forget(c)));
    }
    return li;
  });
  ui.conversations.replaceChildren(...rows);
  const current = state.conversations.find((c) => c.key === state.key);
  if (current) ui.title.textContent = current.title;
}

/**
 * @param {string} symbol
 * @param {string} label
 * @param {string} action
 * @param {() => void} onClick
 */
function iconButton(symbol, label, action, onClick) {
  const button = el("button", "icon", symbol);
  button.type = "button";
  button.title = label;
  button.setAttribute("aria-label", label);
  button.dataset.action = action;
  button.addEventListener("click", onClick);
  return button;
}

/** @param {Conversation} c */
async function rename(c) {
  const title = window.prompt("Rename the conversation", c.title)?.trim();
  if (!title || title === c.title) return;
  await guarded(async () => {
    await api(conversationPath(c.key), { method: "PATCH", body: { title } });
    await loadConversations();
    if (c.key === state.key) ui.title.textContent = title;
  });
}

/** @param {Conversation} c */
async function forget(c) {
  if (!window.confirm(`Forget “${c.title}”? pocketpaw stops remembering it (the OpenCode server keeps its session).`)) return;
  await guarded(async () => {
    await api(conversationPath(c.key), { method: "DELETE" });
    await loadConversations();
    if (c.key === state.key) startDraft();
  });
}

function startDraft() {
  const key = newKey();
  state.drafts.add(key);
  void select(key);
}

/** Shows a conversation: its transcript, then its running turn live. @param {string} key */
async function select(key) {
  const generation = ++state.generation;
  state.stream?.close();
  state.stream = undefined;
  state.turn = undefined;
  state.key = key;
  location.hash = `#${encodeURIComponent(key)}`;
  resetUsage();
  ui.log.replaceChildren();
  setRunning(false);
  renderConversationList();
  void loadConversations().catch(() => {});
  /** @type {{conversation: Conversation, turns: Turn[], run: RunInfo | null} | undefined} */
  let data;
  // A draft is known to be empty: the conversation list (which includes starting runs) lacks it.
  const draft = state.drafts.has(key) && !state.conversations.some((c) => c.key === key);
  try {
    if (!draft) data = await api(conversationPath(key));
  } catch (error) {
    if (!(error instanceof ApiFailure && error.status === 404)) showBanner(messageOf(error), "error");
  }
  if (generation !== state.generation) return;
  ui.title.textContent = data?.conversation.title || "New conversation";
  for (const turn of data?.turns ?? []) {
    const view = newTurn(turn.text);
    for (const event of turn.events) view.apply(event);
    view.finish("completed");
  }
  if (data?.run?.running) {
    state.turn = newTurn(data.run.text);
    followRun(key, generation).attach();
  }
  updateEmpty();
  scrollToEnd(true);
}

// ---------------------------------------------------------------------------------------------
// Turns

/** @param {string} text */
function newTurn(text) {
  return new TurnView(ui.log, text, {
    answerPermission: (id, reply) => api(`/api/permissions/${encodeURIComponent(id)}`, { method: "POST", body: { reply } }),
    onUsage: addUsage,
  });
}

/**
 * A RunStream wired to the page, for the conversation shown now.
 * @param {string} key
 * @param {number} generation
 */
function followRun(key, generation) {
  const current = () => generation === state.generation;
  let gap = false;
  const stream = new RunStream(key, {
    onEvent(event) {
      if (!current()) return;
      const stick = nearEnd();
      state.turn?.apply(event);
      if (event.type === "done") {
        setRunning(false);
        hideBanner();
        void loadConversations();
        if (gap) void select(key);
      }
      scrollToEnd(stick);
    },
    onConnection(connection) {
      if (!current()) return;
      if (connection === "reconnecting") showBanner("Connection to pocketpaw lost; reconnecting…", "warning");
      else hideBanner();
    },
    onGap() {
      gap = true;
    },
    onLost(failure) {
      if (!current()) return;
      setRunning(false);
      hideBanner();
      // The run is gone from pocketpaw's memory (a restart): what the server stored is the truth.
      if (failure.code === "no_run" || failure.code === "run_changed") void select(key);
      else showBanner(failure.message, "error");
    },
  });
  state.stream = stream;
  setRunning(true);
  return stream;
}

/** @param {SubmitEvent} event */
async function send(event) {
  event.preventDefault();
  const text = ui.input.value.trim();
  if (!text || state.stream) return;
  const key = state.key;
  const generation = state.generation;
  hideBanner();
  state.turn = newTurn(text);
  updateEmpty();
  scrollToEnd(true);
  const stream = followRun(key, generation);
  ui.input.value = "";
  try {
    await stream.send({ text, ...(ui.model.value ? { model: ui.model.value } : {}) });
    state.drafts.delete(key);
    void loadConversations();
  } catch (error) {
    if (generation !== state.generation) return;
    state.stream = undefined;
    setRunning(false);
    state.turn.root.remove();
    state.turn = undefined;
    ui.input.value = text;
    updateEmpty();
    showBanner(messageOf(error), "error");
  }
}

async function stop() {
  ui.stop.disabled = true;
  await guarded(() => api(`${conversationPath(state.key)}/stop`, { method: "POST" }));
}

/** @param {boolean} running */
function setRunning(running) {
  if (!running) state.stream = undefined;
  ui.send.hidden = running;
  ui.stop.hidden = !running;
  ui.stop.disabled = false;
  ui.input.placeholder = running ? "OpenCode is working… (Stop ends the turn)" : "Message OpenCode…";
}

// ---------------------------------------------------------------------------------------------
// Counters, models, health

function resetUsage() {
  state.usage = { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0, cost: 0 };
  renderUsage();
}

/** @param {TokenUsage} usage */
function addUsage(usage) {
  for (const field of /** @type {const} */ (["input", "output", "reasoning", "cacheRead", "cacheWrite", "cost"])) state.usage[field] += usage[field];
  renderUsage();
}

function renderUsage() {
  const u = state.usage;
  const format = new Intl.NumberFormat();
  ui.tokens.textContent = `${format.format(u.input)} in · ${format.format(u.output)} out`;
  ui.tokens.title = `input ${u.input}, output ${u.output}, reasoning ${u.reasoning}, cache read ${u.cacheRead}, cache write ${u.cacheWrite}`;
  ui.cost.textContent = `$${u.cost.toFixed(4)}`;
}

async function loadModels() {
  /** @type {{configured: string, models: {id: string, name: string, provider: string}[]}} */
  const { configured, models } = await api("/api/models");
  const choice = localStorage.getItem(MODEL_CHOICE) ?? configured;
  const options = [new Option(configured ? `Configured (${configured})` : "Server default", "")];
  /** @type {Map<string, HTMLOptGroupElement>} */
  const groups = new Map();
  for (const model of models) {
    let group = groups.get(model.provider);
    if (!group) {
      group = document.createElement("optgroup");
      group.label = model.provider;
      groups.set(model.provider, group);
    }
    group.append(new Option(model.name === model.id ? model.id : `${model.name} · ${model.id}`, model.id));
  }
  ui.model.replaceChildren(...options, ...groups.values());
  ui.model.value = models.some((m) => m.id === choice) ? choice : "";
}

async function loadBackend() {
  /** @type {{active: string, backends: {name: string, displayName: string, capabilities: string[], status: string}[]}} */
  const { active, backends } = await api("/api/backends");
  const info = backends.find((b) => b.name === active);
  if (!info) return;
  const badges = [el("span", "badge strong", info.displayName), el("span", "badge subtle", info.status)];
  for (const capability of info.capabilities) badges.push(el("span", "badge", capability.replaceAll("_", " ")));
  ui.badges.replaceChildren(...badges);
}

async function loadHealth() {
  try {
    /** @type {{ok: boolean, pocketpaw: {version: string}, opencode: {url: string, healthy: boolean, version?: string, error?: {message: string}}}} */
    const health = await api("/api/health");
    const o = health.opencode;
    ui.health.className = `health ${o.healthy ? "ok" : "down"}`;
    ui.health.replaceChildren(
      el("span", "dot"),
      el("span", "health-text", o.healthy ? `OpenCode ${o.version ?? ""}` : "OpenCode unreachable"),
      el("span", "health-url", o.url),
      el("span", "health-url", `pocketpaw ${health.pocketpaw.version}`),
    );
    ui.health.title = o.error?.message ?? `${o.url} is healthy`;
  } catch (error) {
    ui.health.className = "health down";
    ui.health.replaceChildren(el("span", "dot"), el("span", "health-text", "pocketpaw unreachable"));
    ui.health.title = messageOf(error);
  }
}

// ---------------------------------------------------------------------------------------------
// Page helpers

/**
 * @param {string} text
 * @param {"warning" | "error"} kind
 */
function showBanner(text, kind) {
  ui.banner.textContent = text;
  ui.banner.className = `banner ${kind}`;
  ui.banner.hidden = false;
}

function hideBanner() {
  ui.banner.hidden = true;
}

/** @param {unknown} error */
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

/** @param {() => Promise<unknown>} action */
async function guarded(action) {
  try {
    await action();
  } catch (error) {
    showBanner(messageOf(error), "error");
  }
}

function nearEnd() {
  return ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 80;
}

/** Follows the answer as it grows, unless the person scrolled up to read. @param {boolean} stick */
function scrollToEnd(stick) {
  if (stick) requestAnimationFrame(() => ui.log.scrollTo({ top: ui.log.scrollHeight }));
}

function updateEmpty() {
  ui.empty.hidden = ui.log.childElementCount > 0;
}

/** @param {number} ms */
function ago(ms) {
  const s = Math.max(0, (Date.now() - ms) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(ms).toLocaleDateString();
}

// ---------------------------------------------------------------------------------------------
// Wiring

ui.composer.addEventListener("submit", (event) => void send(event));
ui.input.addEventListener("keydown", (event) => {
  // Enter sends, Shift+Enter is a new line (not while an IME composes).
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.composer.requestSubmit();
  }
});
ui.stop.addEventListener("click", () => void stop());
ui.newConversation.addEventListener("click", () => {
  document.body.classList.remove("sidebar-open");
  startDraft();
});
ui.menu.addEventListener("click", () => document.body.classList.toggle("sidebar-open"));
ui.scrim.addEventListener("click", () => document.body.classList.remove("sidebar-open"));
ui.model.addEventListener("change", () => localStorage.setItem(MODEL_CHOICE, ui.model.value));

async function start() {
  void loadHealth();
  setInterval(() => void loadHealth(), 15_000);
  void loadBackend().catch(() => {});
  void loadModels().catch((error) => {
    ui.model.replaceChildren(new Option("Server default", ""));
    ui.model.title = messageOf(error);
  });
  await guarded(loadConversations);
  const wanted = keyFromAddress();
  const first = state.conversations[0];
  if (wanted) {
    if (!state.conversations.some((c) => c.key === wanted)) state.drafts.add(wanted);
    await select(wanted);
  } else if (first && !location.hash) await select(first.key);
  else startDraft(); // nothing yet, or an address that names no conversation: a new one
  document.body.dataset.ready = "true";
}

void start();
