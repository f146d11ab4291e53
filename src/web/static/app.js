// The dashboard: conversations on the left, the chat on the right. State lives on the server
// (conversations in pocketpaw's store, transcripts on the OpenCode server, runs in pocketpaw's
// memory); this page shows it and follows the running turn. This module wires the page's parts:
// page.js (elements, state), conversations.js, composer.js, header.js, actions.js, and the
// turn's rendering in render.js, questions.js and panels.js.
import { runOperation, toggleMenu } from "./actions.js";
import { attach, onKey, send, stop, updateSuggestions } from "./composer.js";
import { keyFromAddress, loadConversations, select, startDraft } from "./conversations.js";
import { messageOf } from "./dom.js";
import { loadAgents, loadBackend, loadCommands, loadHealth, loadModels, rememberModel, showAgent } from "./header.js";
import { guarded, state, ui } from "./page.js";

ui.composer.addEventListener("submit", (event) => void send(event));
ui.input.addEventListener("keydown", onKey);
ui.input.addEventListener("input", updateSuggestions);
ui.input.addEventListener("blur", () => setTimeout(() => (ui.suggestions.hidden = true), 150));
ui.stop.addEventListener("click", () => void stop());
ui.attach.addEventListener("click", () => ui.fileInput.click());
ui.fileInput.addEventListener("change", () => {
  void attach([...(ui.fileInput.files ?? [])]);
  ui.fileInput.value = "";
});
// Files dropped anywhere on the chat are attached.
ui.chat.addEventListener("dragover", (event) => {
  if (!event.dataTransfer?.types.includes("Files")) return;
  event.preventDefault();
  ui.chat.classList.add("dropping");
});
ui.chat.addEventListener("dragleave", (event) => {
  if (event.target === ui.chat || !ui.chat.contains(/** @type {Node | null} */ (event.relatedTarget))) ui.chat.classList.remove("dropping");
});
ui.chat.addEventListener("drop", (event) => {
  ui.chat.classList.remove("dropping");
  if (!event.dataTransfer?.files.length) return;
  event.preventDefault();
  void attach([...event.dataTransfer.files]);
});

ui.newConversation.addEventListener("click", () => {
  document.body.classList.remove("sidebar-open");
  startDraft();
});
ui.menu.addEventListener("click", () => document.body.classList.toggle("sidebar-open"));
ui.scrim.addEventListener("click", () => document.body.classList.remove("sidebar-open"));
ui.model.addEventListener("change", rememberModel);
ui.agent.addEventListener("change", () => {
  state.agentPicked = true;
});
ui.actions.addEventListener("click", () => toggleMenu());
ui.actionsMenu.addEventListener("click", (event) => {
  const item = /** @type {HTMLElement} */ (event.target).closest("button");
  if (item?.dataset.op) void runOperation(item.dataset.op);
});
document.addEventListener("click", (event) => {
  const target = /** @type {Node} */ (event.target);
  if (!ui.actionsMenu.hidden && !ui.actionsMenu.contains(target) && !ui.actions.contains(target)) toggleMenu(false);
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !ui.actionsMenu.hidden) toggleMenu(false);
});

async function start() {
  void loadHealth();
  setInterval(() => void loadHealth(), 15_000);
  void loadBackend().catch(() => {});
  void loadModels().catch((error) => {
    ui.model.replaceChildren(new Option("Server default", ""));
    ui.model.title = messageOf(error);
  });
  void loadAgents().catch((error) => {
    ui.agent.title = `The server's agents could not be listed: ${messageOf(error)}`;
    showAgent();
  });
  void loadCommands().catch(() => {});
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
