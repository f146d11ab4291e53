import type { OpenCodeClient } from "../rest/client.js";
import type { OcFileDiff, OcMessage } from "../rest/wire.js";
import { ChangedFiles, diffText, type FileChange, mergeChanges } from "../translate/changed-files.js";

/** How long the end of a turn waits for the server's diff before it reports the tools' changes alone. */
const DIFF_WAIT_MS = 5_000;
/** How deep subagents' sessions are read for their file tools (a subagent may call one in turn). */
const MAX_DEPTH = 3;

/**
 * What a turn changed: the server's diff for its user message (git projects), completed with the
 * files its tools changed (the only source outside git). `tools` holds the latter when the run
 * followed the turn live; the diff is skipped when the server does not answer in time.
 * `messages`: the session's, when the caller has them (else read if needed).
 */
export async function turnChanges(
  client: OpenCodeClient,
  sessionId: string,
  userMessageId: string,
  tools: ChangedFiles,
  messages?: OcMessage[],
): Promise<FileChange[]> {
  let server = await serverDiff(client, sessionId, userMessageId);
  if (server.length > 0) {
    // OpenCode 1.2.6, having lost a step's snapshot, can repeat in a turn's diff the files an
    // earlier turn changed: the previous turn's diff tells which part is this turn's.
    const stored = messages ?? (await client.messages(sessionId).catch((): OcMessage[] => []));
    const previous = stored.filter((m) => isPrompt(m) && m.info.id < userMessageId).at(-1);
    if (previous) server = sinceEarlier(server, await serverDiff(client, sessionId, previous.info.id));
  }
  return mergeChanges(
    server.flatMap((d) => tools.fromEntry(d, d.file) ?? []),
    tools.list(),
  );
}

async function serverDiff(client: OpenCodeClient, sessionId: string, userMessageId: string): Promise<OcFileDiff[]> {
  const diff = await client.sessionDiff(sessionId, userMessageId, AbortSignal.timeout(DIFF_WAIT_MS)).catch((): OcFileDiff[] => []);
  return Array.isArray(diff) ? diff : [];
}

/**
 * A turn's diff without what the previous turn's already showed: a file whose entry is the same
 * is left out, and one given as whole texts starts from where the previous turn left it.
 * (A release whose diffs are per turn never repeats an entry, so nothing changes there.)
 */
export function sinceEarlier(diff: OcFileDiff[], earlier: OcFileDiff[]): OcFileDiff[] {
  return diff.flatMap((d) => {
    const before = earlier.find((e) => e.file === d.file);
    if (!before) return [d];
    if (before.patch === d.patch && before.before === d.before && before.after === d.after) return [];
    if (d.after === undefined || before.after === undefined) return [d];
    const { patch: _patch, additions: _additions, deletions: _deletions, ...texts } = d;
    return [{ ...texts, before: before.after, status: "modified" }];
  });
}

/**
 * The unified diff of a conversation's last turn, or of every turn in order (`all`), from what the
 * server stored: turns an undo hid are left out. "" when nothing changed.
 */
export async function conversationDiff(client: OpenCodeClient, sessionId: string, all: boolean): Promise<string> {
  const [session, messages] = await Promise.all([client.getSession(sessionId), client.messages(sessionId)]);
  const hiddenFrom = session.revert?.messageID;
  const prompts = messages.filter((m) => isPrompt(m) && !(hiddenFrom && m.info.id >= hiddenFrom));
  const turns = all ? prompts : prompts.slice(-1);
  const texts: string[] = [];
  for (const user of turns) {
    const tools = new ChangedFiles();
    await noteTools(
      client,
      messages.filter((m) => m.info.parentID === user.info.id),
      tools,
      0,
    );
    if (tools.toolsRun > 0) texts.push(diffText(await turnChanges(client, sessionId, user.info.id, tools, messages)));
  }
  return texts.join("");
}

/** A user message someone wrote (or a command's): not the one a compaction adds. */
export function isPrompt(m: OcMessage): boolean {
  return m.info.role === "user" && (m.parts ?? []).some((p) => p.type === "text" || p.type === "file");
}

/** The file tools of stored assistant messages, and of the subagents' sessions their task tools ran. */
async function noteTools(client: OpenCodeClient, answers: OcMessage[], tools: ChangedFiles, depth: number): Promise<void> {
  for (const message of answers) {
    tools.learnProjectDir(message.info.path?.cwd);
    for (const part of message.parts ?? []) {
      if (part.type !== "tool") continue;
      tools.noteTool(part);
      const child = part.tool === "task" ? part.state?.metadata?.sessionId : undefined;
      if (typeof child === "string" && depth < MAX_DEPTH) {
        const childMessages = await client.messages(child).catch((): OcMessage[] => []);
        await noteTools(
          client,
          childMessages.filter((m) => m.info.role === "assistant"),
          tools,
          depth + 1,
        );
      }
    }
  }
}
