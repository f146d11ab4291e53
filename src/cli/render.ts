import type { Ora } from "ora";
import type { AgentEvent, PermissionReply, QuestionAnswer, ToolResultEvent, ToolUseEvent } from "../agent/events.js";
import { type Colors, colorsFor } from "./colors.js";
import { answerSummary, changedFileLines, questionLines, todoLines, unicodeWanted } from "./render-parts.js";
import { safeText } from "./safe-text.js";

export interface Output {
  write(text: string): unknown;
}

export interface RendererOptions {
  color: boolean;
  /**
   * The terminal (stderr) to draw spinners on. Given, the renderer is live: a spinner while the
   * model works, each tool step one line with a spinner while it runs, replaced by its outcome.
   * Without it every line is written once and stays (pipes, logs, tests).
   */
  spinnerStream?: NodeJS.WriteStream;
  /** Reasoning folded into one dim line (the whole text kept in `lastThinking`); else shown whole, dimmed. */
  foldThinking?: boolean;
  /** Say how long each turn took (default true; not for transcripts, which render stored turns). */
  showTime?: boolean;
  /** Number the tool steps (`#3`) and keep their whole output for `toolOutput(3)`; hints name the chat's commands. */
  numberTools?: boolean;
  /** Symbols beyond ASCII (the todo list's ☐ ◐ ☑); default: the locale says UTF-8, or says nothing. */
  unicode?: boolean;
}

interface RunningTool {
  n: number;
  line: string;
}

/** The renderer, with `ora` loaded only when there is a terminal to spin on. */
export async function createRenderer(out: Output, err: Output, options: RendererOptions): Promise<TerminalRenderer> {
  const ora = canSpin(options.spinnerStream) ? (await import("ora")).default : undefined;
  return new TerminalRenderer(out, err, options, ora);
}

/**
 * Renders AgentEvents on a terminal: the reply's text on stdout as it streams, everything about
 * the run (tools, reasoning, permissions, retries, errors, usage) on stderr, so
 * `pocketpaw ask … > answer.txt` keeps just the answer.
 */
export class TerminalRenderer {
  readonly colors: Colors;
  private atLineStart = true;
  private readonly spinner: Ora | undefined;
  private readonly running = new Map<string, RunningTool>();
  private readonly outputs: string[] = [];
  private toolCount = 0;
  private thinking = "";
  private thinkingLive = false;
  /** The model is working and nothing shows it yet. */
  private waiting = false;
  private startedAt: number | undefined;
  /** The todo list last shown, so that an unchanged one is not shown again. */
  private shownTodos = "";
  /** The whole text of the last reasoning the model did. */
  lastThinking = "";

  constructor(
    private readonly out: Output,
    private readonly err: Output,
    private readonly options: RendererOptions,
    ora?: typeof import("ora").default,
  ) {
    this.colors = colorsFor(options.color);
    if (canSpin(options.spinnerStream) && ora) {
      // stdin is ours (the chat reads Ctrl-C and permission answers from it): ora must not take it.
      this.spinner = ora({ stream: options.spinnerStream, discardStdin: false, color: options.color ? "cyan" : false, isEnabled: true });
    }
  }

  render(untrusted: AgentEvent): void {
    // What an event says comes from the model, its tools or the server: printed only made safe.
    const event = safeEvent(untrusted);
    const c = this.colors;
    this.startedAt ??= Date.now();
    const who = "subagent" in event.metadata && event.metadata.subagent ? c.magenta("[subagent] ") : "";
    switch (event.type) {
      case "message":
        if (!event.content) return;
        this.waiting = false;
        this.quietSpinner();
        this.out.write(event.content);
        this.atLineStart = event.content.endsWith("\n");
        return;
      case "thinking":
        this.waiting = false;
        if (this.options.foldThinking) {
          this.thinking += event.content;
          this.thinkingLive = true;
          this.updateSpinner();
        } else this.note(c.dim(c.italic(event.content)), false);
        return;
      case "thinking_done":
        if (this.options.foldThinking) this.foldThinking();
        else this.note("", true);
        return;
      case "tool_use":
        this.waiting = false;
        this.toolUse(event, who);
        return;
      case "tool_result":
        this.toolResult(event, who);
        return;
      case "permission_request":
        // An answer is asked for next: the spinner comes back with it (permissionAnswer, questionAnswer).
        this.quietSpinner();
        this.note(`${who}${c.yellow("?")} ${event.content}`);
        return;
      case "question": {
        this.quietSpinner();
        const { questions } = event.metadata;
        const lines = questions.flatMap((q, i) => questionLines(q, c, { n: i + 1, of: questions.length }));
        this.notes(lines.map((line, i) => (i === 0 ? `${who}${line}` : line)));
        return;
      }
      case "todo": {
        const shown = JSON.stringify(event.metadata.todos.map((t) => [t.content, t.status]));
        if (shown === this.shownTodos) return;
        this.shownTodos = shown;
        this.notes(todoLines(event.metadata.todos, c, this.unicode).map((line, i) => (i === 0 ? `${who}${line}` : line)));
        return;
      }
      case "files_changed":
        this.notes(changedFileLines(event.metadata.files, c, this.unicode));
        return;
      case "status":
        if (event.metadata.state === "busy") {
          this.waiting = true;
          this.updateSpinner();
          return;
        }
        // A new session is no news, and the front end that stops a turn has said so already.
        if (event.metadata.state === "session_created" || event.metadata.state === "stopping") return;
        this.note(c.dim(`… ${event.content}`));
        return;
      case "token_usage":
        return; // summed up at the end
      case "error":
        this.note(`${who}${c.red("error:")} ${event.content}`);
        return;
      case "done": {
        this.waiting = false;
        if (this.thinking) this.foldThinking();
        this.running.clear();
        this.quietSpinner();
        if (!this.atLineStart) {
          this.out.write("\n");
          this.atLineStart = true;
        }
        const u = event.metadata.usage;
        const parts = [`${u.input} in`, `${u.output} out`];
        if (u.reasoning) parts.push(`${u.reasoning} reasoning`);
        if (u.cacheRead || u.cacheWrite) parts.push(`cache ${u.cacheRead}/${u.cacheWrite}`);
        const cost = u.cost ? ` · $${u.cost.toFixed(4)}` : "";
        const took =
          this.startedAt !== undefined && this.options.showTime !== false
            ? ` · ${((Date.now() - this.startedAt) / 1000).toFixed(1)} s`
            : "";
        const stopped = event.metadata.stopped ? " · stopped" : "";
        this.startedAt = undefined;
        if (event.metadata.turns > 0) this.note(c.dim(`tokens ${parts.join(", ")}${cost}${took}${stopped}`));
        return;
      }
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  permissionAnswer(reply: PermissionReply, how: string): void {
    const c = this.colors;
    const word = reply === "reject" ? c.red("rejected") : c.green(reply === "always" ? "allowed always" : "allowed once");
    this.note(`  ${word} ${c.dim(`(${how})`)}`);
    this.updateSpinner();
  }

  /** How a question was answered (or that it was rejected), and by whom. */
  questionAnswer(answer: QuestionAnswer, how: string): void {
    const c = this.colors;
    if (answer === "reject") this.note(`  ${c.red("rejected")} ${c.dim(`(${safeText(how)})`)}`);
    else this.note(`  ${c.green("answered:")} ${answerSummary(answer)}`);
    this.updateSpinner();
  }

  /** A line on stderr, starting on a fresh line even while the reply's text is mid-line. */
  line(text: string): void {
    this.note(text);
  }

  /** Stops any spinner, e.g. before a question is asked on the terminal. */
  pause(): void {
    this.quietSpinner();
  }

  /** The whole output of tool step `n` (1-based) of this renderer's life, or the last one. */
  toolOutput(n?: number): { n: number; output: string } | undefined {
    const index = n === undefined ? this.outputs.length - 1 : n - 1;
    const output = this.outputs[index];
    return output === undefined ? undefined : { n: index + 1, output };
  }

  private toolUse(event: ToolUseEvent, who: string): void {
    const c = this.colors;
    const n = ++this.toolCount;
    const input = event.metadata.summary;
    if (this.spinner) {
      const line = `${who}${c.bold(event.metadata.name)} ${c.dim(clip(input, this.width(0.45)))}`;
      this.running.set(event.metadata.callId, { n, line });
      this.updateSpinner();
    } else {
      this.running.set(event.metadata.callId, { n, line: "" });
      this.note(`${who}${c.cyan("▸")} ${c.bold(event.metadata.name)} ${c.dim(input)}`);
    }
  }

  private toolResult(event: ToolResultEvent, who: string): void {
    const c = this.colors;
    const tool = this.running.get(event.metadata.callId);
    this.running.delete(event.metadata.callId);
    const n = tool?.n ?? ++this.toolCount;
    if (this.options.numberTools) this.outputs[n - 1] = event.content;
    const mark = event.metadata.isError ? c.red("✗") : c.green("✓");
    const ref = this.options.numberTools ? c.dim(`  #${n}`) : "";
    const summary = summarize(event.content);
    if (this.spinner) {
      const head = tool?.line || `${who}${c.bold(event.metadata.name)}`;
      this.quietSpinner();
      this.note(`${mark} ${head}${summary ? c.dim(` → ${clip(summary, this.width(0.4))}`) : ""}${ref}`);
      if (this.running.size === 0) this.waiting = true; // the model reads the result next
      this.updateSpinner();
    } else {
      this.note(`${who}  ${mark} ${event.metadata.name}${summary ? c.dim(`: ${summary}`) : ""}${ref}`);
    }
  }

  private foldThinking(): void {
    const c = this.colors;
    const text = this.thinking.trim();
    this.thinking = "";
    this.thinkingLive = false;
    this.quietSpinner();
    if (!text) return;
    this.lastThinking = text;
    const words = text.split(/\s+/).length;
    const hint = this.options.numberTools ? ", /thinking shows it" : "";
    this.note(
      c.dim(c.italic(`thought: ${clip(text.replace(/\s+/g, " "), this.width(0.6))} (${words} word${words === 1 ? "" : "s"}${hint})`)),
    );
    this.updateSpinner();
  }

  /** Shows the spinner with what is going on now, or stops it when nothing is. */
  private updateSpinner(): void {
    const spinner = this.spinner;
    if (!spinner) return;
    const c = this.colors;
    let text: string;
    if (this.running.size > 0) text = [...this.running.values()].map((t) => t.line).join("\n");
    else if (this.thinkingLive) text = c.dim(c.italic(`thinking… ${tail(this.thinking.replace(/\s+/g, " "), this.width(0.6))}`));
    else if (this.waiting) text = c.dim("working…");
    else return this.quietSpinner();
    this.newLineIfMidText();
    spinner.text = text;
    if (!spinner.isSpinning) spinner.start();
  }

  private quietSpinner(): void {
    if (this.spinner?.isSpinning) this.spinner.stop();
  }

  private newLineIfMidText(): void {
    if (!this.atLineStart) {
      this.out.write("\n");
      this.atLineStart = true;
    }
  }

  private note(text: string, newline = true): void {
    this.writeAside(newline ? `${text}\n` : text);
  }

  /** Several lines at once, e.g. a question with its options. */
  private notes(lines: string[]): void {
    this.writeAside(lines.map((line) => `${line}\n`).join(""));
  }

  private writeAside(text: string): void {
    // A spinner redraws over whatever is written under it: it steps aside for the text.
    const spinning = this.spinner?.isSpinning ?? false;
    if (spinning) this.spinner?.stop();
    this.newLineIfMidText();
    this.err.write(text);
    if (spinning) this.updateSpinner();
  }

  private get unicode(): boolean {
    return this.options.unicode ?? unicodeWanted();
  }

  /** A share of the terminal's width, for clipping one-line summaries. */
  private width(share: number): number {
    const columns = this.options.spinnerStream?.columns || 100;
    return Math.max(20, Math.floor(columns * share));
  }
}

/** The event with what the renderer prints of it (its content, a tool's name) made safe for a terminal. */
function safeEvent(event: AgentEvent): AgentEvent {
  const content = safeText(event.content);
  if (event.type === "tool_use")
    return {
      ...event,
      content,
      metadata: { ...event.metadata, name: safeText(event.metadata.name), summary: safeText(event.metadata.summary) },
    };
  if (event.type === "tool_result") return { ...event, content, metadata: { ...event.metadata, name: safeText(event.metadata.name) } };
  return content === event.content ? event : { ...event, content };
}

/**
 * Whether a spinner can be drawn on this terminal: only when it knows its width. ora counts the
 * lines to clear as text width ÷ columns, so a terminal that reports 0 columns (`script` without a
 * controlling terminal) has it clear lines forever at 100% CPU; without a spinner, lines are
 * written once, as on a pipe.
 */
export function canSpin(stream: NodeJS.WriteStream | undefined): stream is NodeJS.WriteStream {
  return stream !== undefined && Number.isFinite(stream.columns) && stream.columns > 0;
}

/** The first line of a tool's output, shortened: the whole output is in the event. */
export function summarize(output: string): string {
  const lines = output.split("\n").filter((l) => l.trim());
  const first = (lines[0] ?? "").trim();
  const more = lines.length > 1 ? ` (+${lines.length - 1} lines)` : "";
  return `${clip(first, 100)}${more}`;
}

export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function tail(text: string, max: number): string {
  return text.length > max ? `…${text.slice(-(max - 1))}` : text;
}
