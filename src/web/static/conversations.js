// The conversations: the list on the left (new, switch, rename, forget), the one shown (its
// transcript, then its running turn followed live), and the turns on the page.
import { ApiFailure, api, conversationPath, RunStream } from "./api.js";
import { el, messageOf } from "./dom.js";
import { addUsage, resetUsage, showAgent } from "./header.js";
import { ago, currentConversation, guarded, hideBanner, nearEnd, scrollToEnd, showBanner, state, todos, ui, updateEmpty } from "./page.js";
import { TurnView } from "./render.js";

/** @typedef {import("../../agent/events.js").AgentEvent} AgentEvent */
/** @typedef {import("./page.js").Conversation} Conversation */
/** @typedef {{id: string, text: string, at?: number, events: AgentEvent[]}} Turn */
/** @typedef {{id: string, running: boolean, text: string, startedAt: number, lastEventId: string}} RunInfo */

/**
 * The conversation the address names (`#web%3A3f2a…`), or "" when it names none: empty, a
 * malformed escape (`#%`, which decodeURIComponent throws on), or not a key the API accepts
 * (the same rule as ConversationKey in src/web/schemas.ts).
 */
export function keyFromAddress() {
  try {
    const key = decodeURIComponent(location.hash.slice(1));
    return /^[A-Za-z0-9_.:@-]{1,200}$/.test(key) ? key : "";
  } catch {
    return "";
  }
}

export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `web:${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export async function loadConversations() {
  const { conversations } = await api("/api/conversations");
  state.conversations = conversations;
  renderConversationList();
}

function renderConversationList() {
  const items = [...state.drafts]
    .filter((key) => !state.conversations.some((c) => c.key === key))
    .map((key) => ({
      key,
      title: "New conversation",
      model: "",
      agent: "",
      createdAt: Date.now(),
      lastUsedAt: Date.now(),
      running: false,
    }));
  const rows = [...items, ...state.conversations].map((c) => {
    const li = el("li", `conversation${c.key === state.key ? " active" : ""}${c.running ? " running" : ""}`);
    li.dataset.key = c.key;
    const open = el("button", "conversation-open");
    open.type = "button";
    open.append(
      el("span", "conversation-title", c.title || c.key),
      el("span", "conversation-meta", c.running ? "running…" : ago(c.lastUsedAt)),
    );
    open.addEventListener("click", () => {
      document.body.classList.remove("sidebar-open");
      void select(c.key);
    });
    li.append(open);
    if (!state.drafts.has(c.key) || state.conversations.some((s) => s.key === c.key)) {
      li.append(
        iconButton("✎", `Rename “${c.title}”`, "rename", () => rename(c)),
        iconButton("×", `Forget “${c.title}”`, "forget", () => forget(c)),
      );
    }
    return li;
  });
  ui.conversations.replaceChildren(...rows);
  const current = currentConversation();
  if (current) ui.title.textContent = current.title;
  showAgent();
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

export function startDraft() {
  const key = newKey();
  state.drafts.add(key);
  void select(key);
}

/** Whether the conversation shown exists on the server (not a draft without a message yet). */
export function isStored() {
  return state.conversations.some((c) => c.key === state.key);
}

/** Shows a conversation: its transcript, then its running turn live. @param {string} key */
export async function select(key) {
  const generation = ++state.generation;
  state.stream?.close();
  state.stream = undefined;
  state.turn = undefined;
  state.key = key;
  state.agentPicked = false;
  location.hash = `#${encodeURIComponent(key)}`;
  resetUsage();
  todos.set([]);
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

/**
 * @param {string} text
 * @param {import("./render.js").AttachedFile[]} [files]
 */
export function newTurn(text, files = []) {
  const key = state.key;
  return new TurnView(
    ui.log,
    text,
    {
      answerPermission: (id, reply) => api(`/api/permissions/${encodeURIComponent(id)}`, { method: "POST", body: { reply } }),
      answerQuestion: (id, reply) => api(`/api/questions/${encodeURIComponent(id)}`, { method: "POST", body: reply }),
      onUsage: addUsage,
      onTodos: (list) => todos.set(list),
      loadDiff: async (turn) => {
        // The server keeps the last turn's diff; an older turn's file is shown from the whole conversation's.
        const whole = ui.log.lastElementChild !== turn.root;
        const { diff } = await api(`${conversationPath(key)}/diff${whole ? "?all=1" : ""}`);
        return { diff, whole };
      },
    },
    files,
  );
}

/**
 * A RunStream wired to the page, for the conversation shown now.
 * @param {string} key
 * @param {number} generation
 */
export function followRun(key, generation) {
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

/** @param {boolean} running */
export function setRunning(running) {
  if (!running) state.stream = undefined;
  ui.send.hidden = running;
  ui.stop.hidden = !running;
  ui.stop.disabled = false;
  ui.actions.disabled = running;
  if (running) ui.actionsMenu.hidden = true;
  ui.input.placeholder = running ? "OpenCode is working… (Stop ends the turn)" : "Message OpenCode… (/ for commands)";
}
