// The composer: the message, files attached to it (button, drag & drop; shown as chips, too
// large ones refused before anything is uploaded), the server's commands offered after `/`,
// Send and Stop.
import { api, conversationPath } from "./api.js";
import { followRun, loadConversations, newTurn, setRunning } from "./conversations.js";
import { button, el, formatBytes, messageOf } from "./dom.js";
import { agentChoice } from "./header.js";
import { guarded, hideBanner, scrollToEnd, showBanner, state, ui, updateEmpty } from "./page.js";

/** @typedef {import("./page.js").PendingFile} PendingFile */

/** The largest file (MAX_ATTACHMENT_BYTES in src/agent/backend.ts); a message's files together fit in about as much. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
const MAX_TOTAL_BYTES = MAX_FILE_BYTES;
const MAX_FILES = 10;
/** What src/web/schemas.ts accepts as a media type; anything else is sent as bytes. */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/;

// ---------------------------------------------------------------------------------------------
// Sending

/** `/name arguments` when name is one of the server's commands. @param {string} text */
function commandOf(text) {
  const match = /^\/(\S+)(?:\s+([\s\S]*))?$/.exec(text);
  const name = match?.[1];
  if (!name || !state.commands.some((c) => c.name === name)) return undefined;
  return { command: name, text: (match?.[2] ?? "").trim() };
}

/** @param {SubmitEvent} event */
export async function send(event) {
  event.preventDefault();
  hideSuggestions();
  const text = ui.input.value.trim();
  if (state.stream) return;
  const command = commandOf(text);
  if (!text) {
    if (state.files.length) showBanner("Write a message to go with the files.", "warning");
    return;
  }
  const key = state.key;
  const generation = state.generation;
  const files = state.files;
  hideBanner();
  state.turn = newTurn(text, files);
  updateEmpty();
  scrollToEnd(true);
  const stream = followRun(key, generation);
  ui.input.value = "";
  setFiles([]);
  const agent = agentChoice();
  try {
    await stream.send({
      ...(command ?? { text }),
      ...(ui.model.value ? { model: ui.model.value } : {}),
      ...(agent !== undefined ? { agent } : {}),
      ...(files.length ? { files: files.map(({ name, mime, data }) => ({ name, mime, data })) } : {}),
    });
    state.drafts.delete(key);
    state.agentPicked = false;
    void loadConversations();
  } catch (error) {
    if (generation !== state.generation) return;
    state.stream = undefined;
    setRunning(false);
    state.turn.root.remove();
    state.turn = undefined;
    ui.input.value = text;
    setFiles(files);
    updateEmpty();
    showBanner(messageOf(error), "error");
  }
}

export async function stop() {
  ui.stop.disabled = true;
  await guarded(() => api(`${conversationPath(state.key)}/stop`, { method: "POST" }));
}

// ---------------------------------------------------------------------------------------------
// Files

/** @param {PendingFile[]} files */
function setFiles(files) {
  state.files = files;
  ui.attachments.replaceChildren(
    ...files.map((file, i) => {
      const chip = el("span", "chip");
      chip.dataset.name = file.name;
      chip.append(el("span", "chip-name", file.name), el("span", "chip-size", formatBytes(file.size)));
      const remove = button("chip-remove", "×", () => setFiles(state.files.filter((_, j) => j !== i)));
      remove.setAttribute("aria-label", `Remove ${file.name}`);
      remove.title = `Remove ${file.name}`;
      chip.append(remove);
      return chip;
    }),
  );
  ui.attachments.hidden = files.length === 0;
}

/** A name the API takes: no folders or control characters, at most 255 characters. @param {string} name */
function safeName(name) {
  const cleaned = [...name]
    .map((ch) => (ch < " " || ch === "\u007f" || ch === "/" || ch === "\\" ? "_" : ch))
    .join("")
    .trim();
  return (cleaned || "file").slice(0, 255);
}

/** @param {File} file @returns {Promise<string>} its bytes in base64 */
function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(new Error(`“${file.name}” could not be read.`));
    reader.readAsDataURL(file);
  });
}

/** Attaches files, refusing (before reading them) any that would be too large. @param {Iterable<File>} chosen */
export async function attach(chosen) {
  const problems = [];
  const added = [];
  let total = state.files.reduce((n, f) => n + f.size, 0);
  for (const file of chosen) {
    if (state.files.length + added.length >= MAX_FILES) {
      problems.push(`At most ${MAX_FILES} files go with one message.`);
      break;
    }
    if (file.size > MAX_FILE_BYTES) {
      problems.push(`“${file.name}” is ${formatBytes(file.size)}: files of at most ${formatBytes(MAX_FILE_BYTES)} can be attached.`);
      continue;
    }
    if (total + file.size > MAX_TOTAL_BYTES) {
      problems.push(`“${file.name}” does not fit: a message's files may hold ${formatBytes(MAX_TOTAL_BYTES)} in all.`);
      continue;
    }
    total += file.size;
    added.push(file);
  }
  try {
    const read = await Promise.all(
      added.map(async (file) => ({
        name: safeName(file.name),
        mime: MEDIA_TYPE.test(file.type) ? file.type : "application/octet-stream",
        size: file.size,
        data: await readBase64(file),
      })),
    );
    setFiles([...state.files, ...read]);
  } catch (error) {
    problems.push(messageOf(error));
  }
  if (problems.length) showBanner(problems.join(" "), "error");
  else hideBanner();
}

// ---------------------------------------------------------------------------------------------
// Commands after "/"

let highlighted = 0;

/** The commands matching what is typed after `/`, while no space is typed yet. */
function matchingCommands() {
  const typed = /^\/(\S*)$/.exec(ui.input.value)?.[1];
  if (typed === undefined) return [];
  return state.commands.filter((c) => c.name.toLowerCase().startsWith(typed.toLowerCase())).slice(0, 8);
}

export function updateSuggestions() {
  const matches = matchingCommands();
  if (matches.length === 0) return hideSuggestions();
  highlighted = Math.min(highlighted, matches.length - 1);
  ui.suggestions.replaceChildren(
    ...matches.map((command, i) => {
      const item = el("li", `suggestion${i === highlighted ? " highlighted" : ""}`);
      item.id = `suggestion-${i}`;
      item.dataset.command = command.name;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", String(i === highlighted));
      item.append(el("span", "suggestion-name", `/${command.name}`), el("span", "suggestion-description", command.description));
      // mousedown, not click: the textarea keeps the focus.
      item.addEventListener("mousedown", (event) => {
        event.preventDefault();
        pick(command.name);
      });
      return item;
    }),
  );
  ui.suggestions.hidden = false;
  ui.input.setAttribute("aria-activedescendant", `suggestion-${highlighted}`);
}

function hideSuggestions() {
  ui.suggestions.hidden = true;
  ui.suggestions.replaceChildren();
  ui.input.removeAttribute("aria-activedescendant");
  highlighted = 0;
}

/** @param {string} name */
function pick(name) {
  ui.input.value = `/${name} `;
  hideSuggestions();
  ui.input.focus();
}

/**
 * The composer's keys: arrows, Tab and Enter in the command list; Enter sends, Shift+Enter is a
 * new line (not while an IME composes).
 * @param {KeyboardEvent} event
 */
export function onKey(event) {
  if (event.isComposing) return;
  const matches = ui.suggestions.hidden ? [] : matchingCommands();
  if (matches.length) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      highlighted = (highlighted + (event.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length;
      return updateSuggestions();
    }
    if (event.key === "Escape") return hideSuggestions();
    const chosen = matches[highlighted];
    // Enter on a command typed in full sends it; otherwise Enter or Tab completes the name.
    if (chosen && (event.key === "Tab" || (event.key === "Enter" && !event.shiftKey && ui.input.value !== `/${chosen.name}`))) {
      event.preventDefault();
      return pick(chosen.name);
    }
  }
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    ui.composer.requestSubmit();
  }
}
