import { isAbsolute, relative } from "node:path";
import type { ChangedFile } from "../../agent/events.js";
import type { OcFileDiff, OcPart } from "../rest/wire.js";
import { countChanges, normalisePatch, unifiedDiff } from "./unified-diff.js";

/**
 * What a turn changed in the project's files, file by file: from the server's diff where it has
 * one (git projects: `GET /session/{id}/diff`), else from the turn's own file tools (edit, write,
 * patch), whose parts say which file and, mostly, how. The server's diff also sees what `bash`
 * changed; the tools' are all there is outside git (the server's diff is `[]` there, 1.18.33).
 */
export interface FileChange {
  /** Relative to the project directory when inside it. */
  path: string;
  additions: number;
  deletions: number;
  /** A unified diff with `a/` `b/` headers; "" when not known (a file written over whose old text was not kept). */
  diff: string;
}

/** The tools that change files, as OpenCode names them across releases. */
const FILE_TOOLS = new Set(["edit", "write", "patch", "apply_patch", "multiedit"]);

type Meta = Record<string, unknown>;
const text = (o: Meta | undefined, key: string): string | undefined => (typeof o?.[key] === "string" ? (o[key] as string) : undefined);
const count = (o: Meta | undefined, key: string): number | undefined => (typeof o?.[key] === "number" ? (o[key] as number) : undefined);
const lineCount = (s: string): number => (s === "" ? 0 : s.split("\n").length - (s.endsWith("\n") ? 1 : 0));

export class ChangedFiles {
  private readonly byPath = new Map<string, FileChange>();
  /** Tools that ended (any tool): a turn that ran none changed no file, and needs no diff. */
  toolsRun = 0;

  /** `projectDir`: absolute paths under it are shown relative to it (learned from the turn's messages when not known yet). */
  constructor(private projectDir?: string) {}

  /** The directory the turn's steps ran in (an assistant message's `path.cwd`). */
  learnProjectDir(dir: string | undefined): void {
    if (dir) this.projectDir ??= dir;
  }

  get size(): number {
    return this.byPath.size;
  }

  list(): FileChange[] {
    return [...this.byPath.values()];
  }

  /** A tool part of the turn that ended; only completed file tools change files. */
  noteTool(part: OcPart): void {
    const s = part.state;
    if (s?.status === "completed" || s?.status === "error") this.toolsRun++;
    if (s?.status !== "completed" || !FILE_TOOLS.has(part.tool ?? "")) return;
    const meta = s.metadata;
    const input = s.input ?? {};
    // apply_patch: one entry per file it touched.
    if (Array.isArray(meta?.files)) {
      for (const file of meta.files as Meta[])
        this.add(this.fromEntry(file, text(file, "relativePath") ?? text(file, "filePath") ?? text(file, "file")));
      return;
    }
    const filediff = meta?.filediff as Meta | undefined;
    const where = text(filediff, "file") ?? text(meta, "filepath") ?? text(input, "filePath") ?? text(input, "path");
    if (filediff) {
      this.add(this.fromEntry({ ...filediff, patch: text(filediff, "patch") ?? text(meta, "diff") }, where));
    } else if (part.tool === "write" && typeof input.content === "string") {
      // A new file is all additions; one written over: its old text is not in the part.
      const created = meta?.exists === false;
      const path = this.relative(where);
      if (path)
        this.add({
          path,
          additions: lineCount(input.content),
          deletions: 0,
          diff: created ? unifiedDiff(path, "", input.content, "added") : "",
        });
    } else {
      this.add(this.fromEntry({ patch: text(meta, "diff") }, where));
    }
  }

  /** One file as the server's diff or a tool's metadata has it (counts, and a patch or the texts before and after). */
  fromEntry(entry: Meta | OcFileDiff, where: string | undefined): FileChange | undefined {
    const e = entry as Meta;
    const path = this.relative(where ?? text(e, "file"));
    if (!path) return undefined;
    const status = text(e, "status") ?? text(e, "type");
    const patch = text(e, "patch") ?? text(e, "diff");
    const before = text(e, "before");
    const after = text(e, "after");
    const diff = patch
      ? normalisePatch(path, patch, status)
      : before !== undefined || after !== undefined
        ? unifiedDiff(path, before ?? "", after ?? "", status)
        : "";
    const counted =
      count(e, "additions") === undefined && (before !== undefined || after !== undefined)
        ? countChanges(before ?? "", after ?? "")
        : undefined;
    return {
      path,
      additions: count(e, "additions") ?? counted?.additions ?? countLines(diff, "+"),
      deletions: count(e, "deletions") ?? counted?.deletions ?? countLines(diff, "-"),
      diff,
    };
  }

  private add(change: FileChange | undefined): void {
    if (!change) return;
    const known = this.byPath.get(change.path);
    if (!known) this.byPath.set(change.path, change);
    else
      this.byPath.set(change.path, {
        path: change.path,
        additions: known.additions + change.additions,
        deletions: known.deletions + change.deletions,
        diff: known.diff + change.diff,
      });
  }

  private relative(path: string | undefined): string | undefined {
    if (!path) return undefined;
    if (!isAbsolute(path) || !this.projectDir) return path;
    const rel = relative(this.projectDir, path);
    return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
  }
}

/** Lines of a unified diff's hunks starting with `sign` (headers excluded). */
function countLines(diff: string, sign: "+" | "-"): number {
  return diff.split("\n").filter((line) => line.startsWith(sign) && !line.startsWith(`${sign}${sign}${sign} `)).length;
}

/**
 * The server's changes for a turn, completed with files the tools changed that it does not list
 * (OpenCode 1.2 leaves out a file created in the turn's first step). A tool's path may be relative
 * to a subfolder of the worktree the server's paths start from: a server path ending in it is the same file.
 */
export function mergeChanges(server: FileChange[], tools: FileChange[]): FileChange[] {
  const same = (s: string, t: string) => s === t || s.endsWith(`/${t}`) || t.endsWith(`/${s}`);
  return [...server, ...tools.filter((t) => !server.some((s) => same(s.path, t.path)))];
}

export function changedFiles(changes: FileChange[]): ChangedFile[] {
  return changes.map(({ path, additions, deletions }) => ({ path, additions, deletions }));
}

/**
 * The changes as one unified diff text ("" when nothing changed). A file written over whose earlier
 * text is not known gets a line saying so instead of a made-up diff (outside a hunk, patch tools
 * pass such lines by, as they do `Only in …` lines).
 */
export function diffText(changes: FileChange[]): string {
  return changes.map((c) => c.diff || `${c.path}: written over (${c.additions} lines); its earlier text is not known\n`).join("");
}
