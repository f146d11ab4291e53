import pc from "picocolors";
import type { AgentEvent, PermissionReply } from "../agent/events.js";

export interface Output {
  write(text: string): unknown;
}

/**
 * Renders AgentEvents on a terminal: the reply's text on stdout as it streams, everything about
 * the run (tools, reasoning, permissions, retries, errors, usage) on stderr, so
 * `pocketpaw ask … > answer.txt` keeps just the answer.
 */
export class TerminalRenderer {
  private atLineStart = true;
  private colors: ReturnType<typeof pc.createColors>;

  constructor(
    private readonly out: Output,
    private readonly err: Output,
    color: boolean,
  ) {
    this.colors = pc.createColors(color);
  }

  render(event: AgentEvent): void {
    const c = this.colors;
    const who = "subagent" in event.metadata && event.metadata.subagent ? c.magenta("[subagent] ") : "";
    switch (event.type) {
      case "message":
        this.out.write(event.content);
        this.atLineStart = event.content.endsWith("\n");
        return;
      case "thinking":
        this.note(c.dim(c.italic(event.content)), false);
        return;
      case "thinking_done":
        this.note("", true);
        return;
      case "tool_use":
        this.note(`${who}${c.cyan("▸")} ${c.bold(event.metadata.name)} ${c.dim(event.content.slice(event.metadata.name.length + 1))}`);
        return;
      case "tool_result": {
        const mark = event.metadata.isError ? c.red("✗") : c.green("✓");
        this.note(`${who}  ${mark} ${event.metadata.name}${summarize(event.content) ? c.dim(`: ${summarize(event.content)}`) : ""}`);
        return;
      }
      case "permission_request":
        this.note(`${who}${c.yellow("?")} ${event.content}`);
        return;
      case "status":
        if (event.metadata.state === "session_created" || event.metadata.state === "busy") return;
        this.note(c.dim(`… ${event.content}`));
        return;
      case "token_usage":
        return; // summed up at the end
      case "error":
        this.note(`${who}${c.red("error:")} ${event.content}`);
        return;
      case "done": {
        const u = event.metadata.usage;
        const parts = [`${u.input} in`, `${u.output} out`];
        if (u.reasoning) parts.push(`${u.reasoning} reasoning`);
        if (u.cacheRead || u.cacheWrite) parts.push(`cache ${u.cacheRead}/${u.cacheWrite}`);
        const cost = u.cost ? ` · $${u.cost.toFixed(4)}` : "";
        const stopped = event.metadata.stopped ? " · stopped" : "";
        if (!this.atLineStart) {
          this.out.write("\n");
          this.atLineStart = true;
        }
        if (event.metadata.turns > 0) this.note(c.dim(`tokens ${parts.join(", ")}${cost}${stopped}`));
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
  }

  /** A line on stderr, starting on a fresh line even while the reply's text is mid-line. */
  private note(text: string, newline = true): void {
    if (!this.atLineStart) {
      this.out.write("\n");
      this.atLineStart = true;
    }
    this.err.write(newline ? `${text}\n` : text);
  }
}

/** The first line of a tool's output, shortened: the whole output is in the event. */
function summarize(output: string): string {
  const lines = output.split("\n").filter((l) => l.trim());
  const first = (lines[0] ?? "").trim();
  const more = lines.length > 1 ? ` (+${lines.length - 1} lines)` : "";
  return `${first.length > 100 ? `${first.slice(0, 100)}…` : first}${more}`;
}
