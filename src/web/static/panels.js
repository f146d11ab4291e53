// The agent's todo list (a panel beside the chat, updated on each `todo` event) and the files a
// turn changed (a card in the turn, each file unfolding to its diff). Todo texts, paths and diffs
// come from the model and the project: text nodes only, coloured by CSS classes.
import { el, messageOf } from "./dom.js";

/** @typedef {import("../../agent/events.js").Todo} Todo */
/** @typedef {import("../../agent/events.js").ChangedFile} ChangedFile */

const TODO_MARKS = /** @type {Record<string, string>} */ ({ completed: "✓", in_progress: "◐", cancelled: "✕", pending: "○" });
const TODO_WORDS = /** @type {Record<string, string>} */ ({
  completed: "done",
  in_progress: "in progress",
  cancelled: "cancelled",
  pending: "to do",
});

/** The conversation's todo list as it stands; hidden while there is none. */
export class TodoPanel {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    this.count = el("span", "todo-count");
    const heading = el("h2", "panel-title", "Todo ");
    heading.append(this.count);
    this.list = el("ul", "todo-list");
    root.replaceChildren(heading, this.list);
    this.set([]);
  }

  /** @param {Todo[]} todos */
  set(todos) {
    this.list.replaceChildren(
      ...todos.map((todo) => {
        const status = todo.status in TODO_MARKS ? todo.status : "pending";
        const item = el("li", `todo ${status}`);
        item.dataset.status = todo.status;
        const mark = el("span", "todo-mark", TODO_MARKS[status]);
        mark.setAttribute("aria-label", TODO_WORDS[status] ?? status);
        mark.title = TODO_WORDS[status] ?? status;
        item.append(mark, el("span", "todo-text", todo.content));
        if (todo.priority === "high") item.append(el("span", "pill todo-priority", "high"));
        return item;
      }),
    );
    const done = todos.filter((t) => t.status === "completed").length;
    this.count.textContent = todos.length ? `${done}/${todos.length}` : "";
    this.root.hidden = todos.length === 0;
  }
}

/**
 * A unified diff split by file: the path each section is about, and its lines. A section starts
 * at `diff --git …` or `Index: …`, or at a `---`/`+++` pair once the section before has hunks.
 * @param {string} diff
 */
export function splitDiff(diff) {
  /** @type {{path: string, lines: string[], hunks: boolean}[]} */
  const sections = [];
  const lines = diff.replace(/\n$/, "").split("\n");
  lines.forEach((line, i) => {
    let current = sections.at(-1);
    const pair = line.startsWith("--- ") && (lines[i + 1] ?? "").startsWith("+++ ");
    if (!current || line.startsWith("diff --git ") || line.startsWith("Index: ") || (pair && current.hunks)) {
      current = { path: "", lines: [], hunks: false };
      sections.push(current);
    }
    current.lines.push(line);
    if (line.startsWith("@@")) current.hunks = true;
    else if (!current.hunks) {
      const named = /^diff --git a\/.+ b\/(.+)$/.exec(line)?.[1] ?? /^Index: (.+)$/.exec(line)?.[1];
      const header = /^(---|\+\+\+) (?:[ab]\/)?([^\t]+)/.exec(line);
      if (named && !current.path) current.path = named;
      if (header?.[2] && header[2] !== "/dev/null" && (header[1] === "+++" || !current.path)) current.path = header[2];
    }
  });
  return sections.filter((s) => s.lines.some((l) => l !== ""));
}

/** The part of a diff about one file, or undefined. @param {string} diff @param {string} path */
export function diffOfFile(diff, path) {
  const same = (/** @type {string} */ a) => a === path || a.endsWith(`/${path}`) || path.endsWith(`/${a}`);
  return splitDiff(diff)
    .find((s) => s.path && same(s.path))
    ?.lines.join("\n");
}

/** A diff as text lines, `+`/`-` coloured by class. @param {string} diff */
export function diffView(diff) {
  const pre = el("pre", "diff");
  for (const line of diff.replace(/\n$/, "").split("\n")) {
    const kind =
      line.startsWith("+++ ") || line.startsWith("--- ") || line.startsWith("diff ") || line.startsWith("Index: ") || line.startsWith("===")
        ? "meta"
        : line.startsWith("@@")
          ? "hunk"
          : line.startsWith("+")
            ? "add"
            : line.startsWith("-")
              ? "del"
              : "ctx";
    pre.append(el("span", `diff-line ${kind}`, `${line}\n`));
  }
  return pre;
}

/**
 * The files a turn changed: path, +additions −deletions, each unfolding to its diff (loaded
 * when first opened).
 */
export class FilesCard {
  /**
   * @param {ChangedFile[]} files
   * @param {() => Promise<{diff: string, whole: boolean}>} loadDiff the turn's diff (or, for an older turn, the whole conversation's)
   */
  constructor(files, loadDiff) {
    this.root = el("div", "card files");
    const adds = files.reduce((n, f) => n + f.additions, 0);
    const dels = files.reduce((n, f) => n + f.deletions, 0);
    const title = el("div", "card-title", `Changed ${files.length} file${files.length === 1 ? "" : "s"} `);
    title.append(el("span", "adds", `+${adds}`), " ", el("span", "dels", `−${dels}`));
    const list = el("ul", "file-list");
    for (const file of files) {
      const item = el("li", "changed-file");
      item.dataset.path = file.path;
      const details = el("details", "file-diff");
      const summary = el("summary");
      summary.append(
        el("span", "file-path", file.path),
        el("span", "adds", `+${file.additions}`),
        el("span", "dels", `−${file.deletions}`),
      );
      details.append(summary);
      details.addEventListener("toggle", () => {
        if (details.open && details.childElementCount === 1) void this.show(details, file.path, loadDiff);
      });
      item.append(details);
      list.append(item);
    }
    this.root.append(title, list);
  }

  /**
   * @param {HTMLDetailsElement} details
   * @param {string} path
   * @param {() => Promise<{diff: string, whole: boolean}>} loadDiff
   */
  async show(details, path, loadDiff) {
    const body = el("div", "file-diff-body", "Loading the diff…");
    details.append(body);
    try {
      const { diff, whole } = await loadDiff();
      const part = diffOfFile(diff, path);
      body.replaceChildren();
      if (whole) body.append(el("div", "note", "This file's changes over the whole conversation (a later turn has run since)."));
      body.append(part ? diffView(part) : el("div", "note", "The server has no changes to this file now (undone, or changed back)."));
    } catch (error) {
      body.replaceChildren(el("div", "note", `The diff could not be loaded: ${messageOf(error)}`));
      // Closed and opened again, it tries again.
      details.addEventListener("toggle", () => body.remove(), { once: true });
    }
  }
}
