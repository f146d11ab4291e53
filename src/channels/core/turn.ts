import { type Attachment, type Backend, MAX_ATTACHMENT_BYTES, type RunOptions } from "../../agent/backend.js";
import type { AgentEvent, ChangedFile } from "../../agent/events.js";
import { driveRun } from "../../agent/run-driver.js";
import { type Line, LiveReply } from "./live-reply.js";
import type { Markup } from "./markup.js";
import type { Messenger } from "./messenger.js";
import type { Prompts } from "./prompts.js";
import { clip, describe, firstLine } from "./text.js";
import type { IncomingMessage, MessageRef } from "./types.js";

export interface TurnContext {
  backend: Backend;
  io: Messenger;
  prompts: Prompts;
  /** The chat's conversation key and choices. */
  sessionKey: string;
  model: string;
  agent: string;
  signal: AbortSignal;
  /** Tool outputs longer than this are sent as a file. */
  toolOutputFileChars: number;
  log(line: string): void;
}

/** One message answered: files fetched, the run driven, the reply streamed into the chat. */
export async function runTurn(ctx: TurnContext, message: IncomingMessage, placeholder: MessageRef | undefined): Promise<void> {
  const { io, prompts, signal } = ctx;
  const { adapter, markup: m } = io;
  const chat = message.chat;
  const reply = new LiveReply({
    adapter,
    chat,
    pace: () => io.pace(chat),
    replyTo: message.id,
    ...(placeholder ? { placeholder } : {}),
    onError: (error) => ctx.log(`could not update a reply: ${describe(error)}`),
  });
  const files = await fetchFiles(message, (line) => reply.addLine(note(`${line} Nothing was sent to the agent.`)));
  if (!files) return reply.finish("");

  // "typing…" lasts a few seconds: renewed while the agent works, not while it waits for a button.
  let waiting = 0;
  const typing = () => {
    if (waiting === 0) adapter.typing(chat, message.id).catch(() => {});
  };
  typing();
  const typingTimer = setInterval(typing, Math.max(1000, adapter.limits.typingMs - 500));
  const tools = new Map<string, ToolLine>();
  const asking = async <T>(ask: () => Promise<T>): Promise<T> => {
    waiting++;
    try {
      await reply.seal();
      return await ask();
    } finally {
      waiting--;
    }
  };

  const run: RunOptions = {
    sessionKey: ctx.sessionKey,
    signal,
    ...(files.length ? { files } : {}),
    ...(ctx.model ? { model: ctx.model } : {}),
    ...(ctx.agent ? { agent: ctx.agent } : {}),
  };
  try {
    await driveRun(ctx.backend, message.text, {
      run,
      onEvent: (event) => show(event),
      permissions: (event) => asking(() => prompts.permission(chat, event, signal)),
      questions: (event) => asking(() => prompts.question(chat, event, signal)),
      onReplyFailed: (error) => reply.addLine(note(`⚠️ The answer did not reach the server: ${firstLine(error.message)}`)),
    });
  } finally {
    clearInterval(typingTimer);
    await reply.finish(m.escape("(no reply)"));
  }

  async function show(event: AgentEvent): Promise<void> {
    switch (event.type) {
      case "message":
        return reply.appendText(event.content);
      case "tool_use": {
        const line = new ToolLine(event.metadata.name, event.metadata.summary, event.metadata.subagent !== undefined);
        tools.set(event.metadata.callId, line);
        return reply.addLine(line);
      }
      case "tool_result": {
        const line = tools.get(event.metadata.callId);
        if (line) {
          line.state = event.metadata.isError ? "error" : "ok";
          reply.changed();
        }
        if (event.content.length > ctx.toolOutputFileChars) await sendOutput(event.metadata.name, line?.summary ?? "", event.content);
        return;
      }
      case "files_changed":
        return reply.addLine(note(`📝 ${changedFiles(event.metadata.files)}`));
      case "error":
        return reply.addLine(note(`⚠️ ${event.metadata.subagent ? "A subagent failed: " : ""}${firstLine(event.content)}`));
      case "done":
        if (event.metadata.stopped) reply.addLine(note("⏹ Stopped."));
        return;
      default:
        // Reasoning, token counts, statuses and todos: the typing indicator says the agent works.
        return;
    }
  }

  async function sendOutput(tool: string, summary: string, output: string): Promise<void> {
    await reply.seal();
    await io.pace(chat);
    const caption = m.escape(`Output of ${tool}${summary ? `: ${clip(summary, 200)}` : ""}`);
    const name = `${tool.replace(/[^\w.-]+/g, "_")}-output.txt`;
    await adapter
      .sendFile(chat, { name, data: new TextEncoder().encode(output), caption })
      .catch((error) => ctx.log(`could not send a tool output: ${describe(error)}`));
  }
}

/** The message's files as attachments; undefined (after saying why) when one is too big or cannot be fetched. */
async function fetchFiles(message: IncomingMessage, say: (line: string) => void): Promise<Attachment[] | undefined> {
  const files: Attachment[] = [];
  const tooBig = (name: string, size: number) =>
    say(`📎 ${name} is ${megabytes(size)}; pocketpaw sends files of at most ${megabytes(MAX_ATTACHMENT_BYTES)}.`);
  for (const file of message.files) {
    if (file.size !== undefined && file.size > MAX_ATTACHMENT_BYTES) {
      tooBig(file.name, file.size);
      return undefined;
    }
    let data: Uint8Array;
    try {
      data = await file.download();
    } catch (error) {
      say(`📎 ${file.name} could not be fetched (${describe(error)}).`);
      return undefined;
    }
    if (data.byteLength > MAX_ATTACHMENT_BYTES) {
      tooBig(file.name, data.byteLength);
      return undefined;
    }
    files.push({ name: file.name, mime: file.mime, data });
  }
  return files;
}

class ToolLine implements Line {
  state: "running" | "ok" | "error" = "running";
  constructor(
    readonly name: string,
    readonly summary: string,
    private readonly subagent: boolean,
  ) {}

  render(m: Markup): string {
    const mark = this.state === "running" ? "⏳" : this.state === "ok" ? "✓" : "✗";
    const summary = this.summary ? ` ${m.code(clip(this.summary, 120))}` : "";
    return `${this.subagent ? "↳ " : ""}${mark} ${m.bold(m.escape(this.name))}${summary}`;
  }
}

const note = (text: string): Line => ({ render: (m) => m.escape(text) });

function changedFiles(files: ChangedFile[]): string {
  const shown = files.slice(0, 5).map((f) => `${f.path} (+${f.additions} −${f.deletions})`);
  return `Changed ${shown.join(", ")}${files.length > 5 ? ` and ${files.length - 5} more` : ""}`;
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
