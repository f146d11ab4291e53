// The scripted model's tool directives: where the conversation stands (which calls were made, which
// outputs are back), the next tool call to make, and what to reply once every call is done.
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { type ChatContentPart, type ChatMessage, contentText, type Directive } from "./scripted-directives.js";

/** A tool call the model made after the last user message, and its output once back. */
export interface MadeCall {
  name: string;
  args: Record<string, unknown>;
  output?: string;
}

/** What a request says about where the conversation stands. */
export interface Conversation {
  /** Text of the last user message. */
  userText: string;
  /** Content parts of the last user message (string content becomes one text part). */
  userParts: ChatContentPart[];
  /** Outputs of the tool results after the last user message, in order. */
  toolResults: string[];
  /** The tool calls after the last user message, in order, with their outputs. */
  calls: MadeCall[];
  /** The project folder, from the "Working directory: …" line of OpenCode's system prompt. */
  workingDirectory?: string;
  /** The system prompt is OpenCode's compaction ("context summarization") agent's. */
  isSummary: boolean;
}

export function conversationState(messages: ChatMessage[]): Conversation {
  let lastUser = -1;
  messages.forEach((m, i) => {
    if (m.role === "user") lastUser = i;
  });
  const after = messages.slice(lastUser + 1);
  const outputs = new Map<string, string>();
  for (const m of after) if (m.role === "tool" && m.tool_call_id) outputs.set(m.tool_call_id, contentText(m.content));
  const calls = after.flatMap((m) =>
    (m.role === "assistant" ? (m.tool_calls ?? []) : []).map((c): MadeCall => {
      const output = outputs.get(c.id);
      return { name: c.function.name, args: parseJsonObject(c.function.arguments), ...(output !== undefined ? { output } : {}) };
    }),
  );
  const content = lastUser >= 0 ? messages[lastUser]!.content : undefined;
  const system = messages
    .filter((m) => m.role === "system")
    .map((m) => contentText(m.content))
    .join("\n");
  const workingDirectory = /^\s*Working directory: (.+)$/m.exec(system)?.[1]?.trim();
  return {
    userText: contentText(content),
    userParts: typeof content === "string" ? [{ type: "text", text: content }] : (content ?? []),
    toolResults: after.filter((m) => m.role === "tool").map((m) => contentText(m.content)),
    calls,
    ...(workingDirectory ? { workingDirectory } : {}),
    isSummary: /context summarization|summarizing conversations/i.test(system),
  };
}

export function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export type ToolCall = { name: string; args: Record<string, unknown> };

/** The directives that make a tool call, and the call each one makes. */
export const TOOL_DIRECTIVES = new Set(["bash", "question", "todo", "write", "edit"]);

export function toolCallOf(d: Directive, workingDirectory: string | undefined): ToolCall {
  const absolute = (path: string) => (isAbsolute(path) || !workingDirectory ? path : resolve(workingDirectory, path));
  switch (d.name) {
    case "bash":
      return { name: "bash", args: { command: d.arg, description: "run it" } };
    case "question":
      return { name: "question", args: questionInput(d.arg) };
    case "todo":
      return { name: "todowrite", args: { todos: todosOf(d.arg) } };
    case "write": {
      const [path, content] = splitOnce(d.arg);
      return { name: "write", args: { filePath: absolute(path), content: content ?? "" } };
    }
    default: {
      const [path, rest] = splitOnce(d.arg);
      const [oldString, newString] = splitOnce(rest ?? "");
      return { name: "edit", args: { filePath: absolute(path), oldString, newString: newString ?? "" } };
    }
  }
}

/** What the model says about a tool directive once its call's output is back. */
export function replyOf(d: Directive, output: string): string {
  switch (d.name) {
    case "bash":
      return `Tool result received: ${output}`;
    case "question":
      return `Answer received: ${output}`;
    case "todo":
      return "Todos updated";
    case "write":
      return `Wrote ${splitOnce(d.arg)[0]}: ${output}`;
    default:
      return `Edited ${splitOnce(d.arg)[0]}: ${output}`;
  }
}

/** "a|b|c" → ["a", "b|c"]; without `|`, [text]. */
export function splitOnce(text: string): [string, string?] {
  const at = text.indexOf("|");
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}

/** `[[question:…]]`'s argument as the question tool's input (see the header). */
export function questionInput(arg: string): Record<string, unknown> {
  const trimmed = arg.trim();
  // Bad JSON throws: the request then fails at once with a 400 naming the error.
  if (trimmed.startsWith("{")) return JSON.parse(trimmed) as Record<string, unknown>;
  if (trimmed.startsWith("[")) return { questions: JSON.parse(trimmed) as unknown };
  const multiple = trimmed.startsWith("*");
  const [question = "", ...labels] = (multiple ? trimmed.slice(1) : trimmed).split("|");
  const options = labels.map((option) => {
    const [label = "", description] = option.split("=", 2);
    return { label, description: description ?? label };
  });
  return { questions: [{ question, header: question.slice(0, 30), options, ...(multiple ? { multiple: true } : {}) }] };
}

export const TODO_STATUSES = new Set(["pending", "in_progress", "completed", "cancelled"]);
export const TODO_PRIORITIES = new Set(["high", "medium", "low"]);

/** `[[todo:…]]`'s argument as todowrite's `todos` (see the header). */
export function todosOf(arg: string): Array<{ content: string; status: string; priority: string }> {
  return arg.split("|").map((item) => {
    let rest = item;
    let status = "pending";
    let priority = "medium";
    for (;;) {
      const word = /^([a-z_]+):/.exec(rest)?.[1];
      if (word && TODO_STATUSES.has(word)) status = word;
      else if (word && TODO_PRIORITIES.has(word)) priority = word;
      else break;
      rest = rest.slice(word.length + 1);
    }
    return { content: rest, status, priority };
  });
}

/**
 * The next step of the prompt's tool directives: the call to make, or (all outputs back) the
 * final reply; undefined when the prompt has none. A write or edit of an existing file first
 * reads it (OpenCode 1.2.x refuses to change a file the session has not read) unless one of this
 * prompt's earlier calls already read, wrote or edited it.
 */
export function toolPlan(directives: Directive[], conv: Conversation): { call: ToolCall } | { reply: string } | undefined {
  const mine = directives.filter((d) => TOOL_DIRECTIVES.has(d.name));
  if (mine.length === 0) return undefined;
  const replies: string[] = [];
  let k = 0;
  for (const d of mine) {
    const call = toolCallOf(d, conv.workingDirectory);
    if (call.name === "write" || call.name === "edit") {
      const path = call.args.filePath;
      const prior = conv.calls[k];
      const touched = conv.calls.slice(0, k).some((c) => ["read", "write", "edit"].includes(c.name) && c.args.filePath === path);
      if (prior?.name === "read" && prior.args.filePath === path) k++;
      else if (!prior && !touched && typeof path === "string" && existsSync(path))
        return { call: { name: "read", args: { filePath: path } } };
    }
    const made = conv.calls[k++];
    if (!made) return { call };
    replies.push(replyOf(d, made.output ?? ""));
  }
  return { reply: replies.join("\n") };
}

/** `[[echo-files]]`: one line per non-prompt part of the last user message (see the header). */
export function describeParts(parts: ChatContentPart[]): string {
  const lines: string[] = [];
  for (const part of parts) {
    if (part.type === "text") {
      const text = part.text ?? "";
      if (!text.includes("[[echo-files]]")) lines.push(`text: ${JSON.stringify(text.slice(0, 80))}`);
    } else if (part.type === "image_url") {
      lines.push(`file: image_url ${describeDataUrl(part.image_url?.url ?? "")}`);
    } else if (part.type === "file") {
      const name = part.file?.filename ? `name=${part.file.filename} ` : "";
      lines.push(`file: file ${name}${describeDataUrl(part.file?.file_data ?? "")}`);
    } else {
      lines.push(`other: ${part.type}`);
    }
  }
  return lines.some((line) => line.startsWith("file:")) ? lines.join("\n") : ["no files", ...lines].join("\n");
}

/** "mime=image/png bytes=70" (+ ` text="…"` when the bytes are text) for a data URL. */
export function describeDataUrl(url: string): string {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
  if (!match) return `url=${url.slice(0, 60)}`;
  const [, mime = "", params = "", data = ""] = match;
  const bytes = params.includes(";base64") ? Buffer.from(data, "base64") : Buffer.from(decodeURIComponent(data), "utf8");
  const text = bytes.toString("utf8");
  const isText = !text.includes("\uFFFD") && !/[\u0000-\u0008\u000E-\u001F]/.test(text);
  return `mime=${mime} bytes=${bytes.length}${isText ? ` text=${JSON.stringify(text.slice(0, 40))}` : ""}`;
}
