// The conversation's menu (⋯ in its header): undo the last turn, redo it, fork the conversation,
// compact it. Each says what happened in the banner; the conversation is then shown afresh.
import { api, conversationPath } from "./api.js";
import { isStored, loadConversations, newKey, select } from "./conversations.js";
import { messageOf } from "./dom.js";
import { showBanner, state, ui } from "./page.js";

/** @type {Record<string, {busy: string, run: (key: string) => Promise<string>}>} */
const OPERATIONS = {
  undo: {
    busy: "Undoing the last turn…",
    async run(key) {
      const { undone } = await api(`${conversationPath(key)}/undo`, { method: "POST" });
      await select(key);
      return undone
        ? "Undid the last turn: its messages and its changes to files are reverted (Redo brings them back)."
        : "Nothing to undo.";
    },
  },
  redo: {
    busy: "Redoing…",
    async run(key) {
      const { redone } = await api(`${conversationPath(key)}/redo`, { method: "POST" });
      await select(key);
      return redone ? "Redone: what was undone is back." : "Nothing to redo.";
    },
  },
  fork: {
    busy: "Forking…",
    async run(key) {
      const copy = newKey();
      await api(`${conversationPath(key)}/fork`, { method: "POST", body: { key: copy } });
      await loadConversations();
      await select(copy);
      return "Forked: this is a copy of the conversation; the original stays as it was.";
    },
  },
  compact: {
    busy: "Compacting the conversation (the model summarises it)…",
    async run(key) {
      await api(`${conversationPath(key)}/compact`, { method: "POST" });
      await select(key);
      return "Compacted: the conversation is summarised and takes less context now.";
    },
  },
};

/** Opens or closes the menu; its items are enabled only for a stored conversation with no turn running. */
export function toggleMenu(open = ui.actionsMenu.hidden) {
  ui.actionsMenu.hidden = !open;
  ui.actions.setAttribute("aria-expanded", String(open));
  if (!open) return;
  const usable = isStored() && !state.stream;
  for (const item of ui.actionsMenu.querySelectorAll("button")) item.disabled = !usable;
  ui.actionsMenu.title = usable ? "" : "Send a first message (and wait for the turn to end) to use these.";
}

/** @param {string} name */
export async function runOperation(name) {
  const operation = OPERATIONS[name];
  if (!operation) return;
  toggleMenu(false);
  const key = state.key;
  ui.actions.disabled = true;
  showBanner(operation.busy, "info");
  try {
    const said = await operation.run(key);
    showBanner(said, "info");
  } catch (error) {
    showBanner(messageOf(error), "error");
  } finally {
    ui.actions.disabled = Boolean(state.stream);
  }
}
