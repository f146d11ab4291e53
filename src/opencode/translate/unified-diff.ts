/**
 * Unified diffs, for the two cases where the server gives texts rather than a patch: OpenCode 1.2's
 * turn diffs (`before`/`after`) and its edit tool's `filediff`. Written here rather than taken from
 * the `diff` package: those texts are source files a turn touched, small, and this is all of it
 * that is needed (a line LCS, hunks with three lines of context). Patches the server already
 * made (1.14 and later) are only given pocketpaw's headers (`normalisePatch`).
 */

const CONTEXT = 3;
/** Past this many line pairs in the part that differs, it is shown as replaced whole instead of matched (memory). */
const MAX_TABLE = 4_000_000;

type Op = { kind: " " | "-" | "+"; line: string };

function lines(text: string): string[] {
  if (text === "") return [];
  const all = text.split("\n");
  if (all.at(-1) === "") all.pop(); // the newline ending the last line
  return all;
}

/** The edit script from `a` to `b`: common prefix and suffix, and a longest common subsequence between. */
function editScript(a: string[], b: string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops: Op[] = a.slice(0, start).map((line) => ({ kind: " ", line }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  if (midA.length * midB.length > MAX_TABLE) {
    ops.push(...midA.map((line) => ({ kind: "-" as const, line })), ...midB.map((line) => ({ kind: "+" as const, line })));
  } else {
    // lcs[i][j]: the LCS length of midA[i..] and midB[j..], in one flat table.
    const width = midB.length + 1;
    const lcs = new Uint32Array((midA.length + 1) * width);
    for (let i = midA.length - 1; i >= 0; i--) {
      for (let j = midB.length - 1; j >= 0; j--) {
        lcs[i * width + j] =
          midA[i] === midB[j]
            ? (lcs[(i + 1) * width + j + 1] as number) + 1
            : Math.max(lcs[(i + 1) * width + j] as number, lcs[i * width + j + 1] as number);
      }
    }
    let i = 0;
    let j = 0;
    while (i < midA.length || j < midB.length) {
      if (i < midA.length && j < midB.length && midA[i] === midB[j]) {
        ops.push({ kind: " ", line: midA[i++] as string });
        j++;
      } else if (i < midA.length && (j === midB.length || (lcs[(i + 1) * width + j] as number) >= (lcs[i * width + j + 1] as number))) {
        // Removals before additions, as diff and git show them.
        ops.push({ kind: "-", line: midA[i++] as string });
      } else {
        ops.push({ kind: "+", line: midB[j++] as string });
      }
    }
  }
  ops.push(...a.slice(endA).map((line) => ({ kind: " " as const, line })));
  return ops;
}

/** The hunks (`@@ … @@` and their lines) turning `before` into `after`; "" when they are equal. */
export function diffHunks(before: string, after: string): string {
  const ops = editScript(lines(before), lines(after));
  const changed = ops.map((op, index) => (op.kind === " " ? -1 : index)).filter((index) => index >= 0);
  if (changed.length === 0) return "";
  const out: string[] = [];
  let k = 0;
  while (k < changed.length) {
    // One hunk: changes closer than twice the context share it.
    let last = k;
    while (last + 1 < changed.length && (changed[last + 1] as number) - (changed[last] as number) <= 2 * CONTEXT) last++;
    const from = Math.max(0, (changed[k] as number) - CONTEXT);
    const to = Math.min(ops.length, (changed[last] as number) + CONTEXT + 1);
    // Line numbers where the hunk starts, counted over the ops before it.
    let oldLine = 1;
    let newLine = 1;
    for (const op of ops.slice(0, from)) {
      if (op.kind !== "+") oldLine++;
      if (op.kind !== "-") newLine++;
    }
    const body = ops.slice(from, to);
    const oldCount = body.filter((op) => op.kind !== "+").length;
    const newCount = body.filter((op) => op.kind !== "-").length;
    out.push(`@@ -${oldCount ? oldLine : oldLine - 1},${oldCount} +${newCount ? newLine : newLine - 1},${newCount} @@`);
    for (const op of body) out.push(`${op.kind}${op.line}`);
    k = last + 1;
  }
  return `${out.join("\n")}\n`;
}

/** Lines added and removed between two texts. */
export function countChanges(before: string, after: string): { additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  for (const op of editScript(lines(before), lines(after))) {
    if (op.kind === "+") additions++;
    else if (op.kind === "-") deletions++;
  }
  return { additions, deletions };
}

/** `--- a/path` / `+++ b/path` (or /dev/null for an added or deleted file) over `hunks`; "" without hunks. */
export function withHeaders(path: string, hunks: string, status?: string): string {
  if (!hunks) return "";
  const from = status === "added" ? "/dev/null" : `a/${path}`;
  const to = status === "deleted" ? "/dev/null" : `b/${path}`;
  return `--- ${from}\n+++ ${to}\n${hunks.endsWith("\n") ? hunks : `${hunks}\n`}`;
}

/** A whole-file diff between two texts, with headers. */
export function unifiedDiff(path: string, before: string, after: string, status?: string): string {
  return withHeaders(path, diffHunks(before, after), status);
}

/**
 * A patch OpenCode made (`Index: /abs/path`, `===…`, `--- /abs/path`, hunks), with its own headers
 * (absolute paths, tabs) replaced by pocketpaw's, so every diff names files the same way.
 */
export function normalisePatch(path: string, patch: string, status?: string): string {
  const at = patch.search(/^@@ /m);
  return at < 0 ? "" : withHeaders(path, patch.slice(at), status);
}
