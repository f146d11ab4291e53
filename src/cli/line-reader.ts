import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface, type Interface } from "node:readline";

/** Where the chat's messages come from: the person at a terminal, or lines on a pipe. */
export interface LineReader {
  /**
   * The next line; undefined at the end (Ctrl-D, Ctrl-C on an empty line, end of input). On a
   * terminal `typed` is already on the line, to be edited or sent (what was typed ahead).
   */
  read(prompt: string, typed?: string): Promise<string | undefined>;
  close(): void;
}

const HISTORY_SIZE = 1000;

/**
 * Lines typed at a terminal, with node:readline's editing (arrows, Ctrl-A/E/W/U, …) and a history
 * that Up/Down walk through and that persists in a file, as people expect from a REPL. A fresh
 * readline per prompt: between prompts the terminal belongs to the running turn (TurnKeys).
 * Lines that arrive together with the one read (pasted, or typed fast) are handed to `overflow`
 * with what follows them without Enter, rather than lost with the prompt's readline.
 * The terminal stays in raw mode from the reader's creation to its close, between prompts too:
 * in the terminal's own line mode a Ctrl-D or Ctrl-C typed just as a turn ends would be taken by
 * the kernel (an end of file lost, a signal) instead of reaching the prompt or the turn.
 */
export class TerminalLineReader implements LineReader {
  private history: string[];
  /**
   * Told of the lines, and the unfinished text, that came in the same read as the line returned,
   * and whether that read also ended the input (a Ctrl-D after them).
   */
  overflow: ((lines: string[], partial: string, ended: boolean) => void) | undefined;

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
    private readonly historyFile?: string,
  ) {
    this.history = historyFile ? loadHistory(historyFile) : [];
    this.input.setRawMode(true);
  }

  read(prompt: string, typed = ""): Promise<string | undefined> {
    return new Promise((resolve) => {
      const rl: Interface = createInterface({
        input: this.input,
        output: this.output,
        terminal: true,
        prompt,
        history: this.history,
        historySize: HISTORY_SIZE,
        removeHistoryDuplicates: true,
        tabSize: 2,
      });
      let settled = false;
      const finish = (line: string | undefined) => {
        if (settled) return;
        settled = true;
        rl.close(); // …which leaves raw mode: back to it at once.
        this.input.setRawMode(true);
        resolve(line);
      };
      rl.on("history", (history: string[]) => {
        this.history = history;
        if (this.historyFile) saveHistory(this.historyFile, history);
      });
      const lines: string[] = [];
      let ended = false;
      rl.on("line", (line) => {
        lines.push(line);
        if (lines.length > 1) return;
        // The rest of the same read is handed over once readline has gone through it.
        queueMicrotask(() => {
          const partial = ended ? "" : rl.line;
          finish(lines[0]);
          if (lines.length > 1 || partial || ended) this.overflow?.(lines.slice(1), partial, ended);
        });
      });
      // Ctrl-C clears a line being typed, and on an empty line ends the chat (like a shell's exit).
      rl.on("SIGINT", () => {
        if (rl.line.length > 0) {
          rl.write(null, { ctrl: true, name: "e" });
          rl.write(null, { ctrl: true, name: "u" });
        } else {
          this.output.write("\n");
          finish(undefined);
        }
      });
      rl.on("close", () => {
        if (settled) return; // our own close, once the line is read
        // A Ctrl-D in the same read as a line ends the input after that line, not instead of it.
        if (lines.length > 0) ended = true;
        else finish(undefined);
      });
      rl.prompt();
      if (typed) rl.write(typed);
    });
  }

  close(): void {
    this.input.setRawMode(false);
  }
}

/** Lines on a pipe or from a file, one message each, read as they come. */
export class PipeLineReader implements LineReader {
  private readonly rl: Interface;
  private readonly lines: AsyncIterator<string>;

  constructor(input: NodeJS.ReadableStream) {
    this.rl = createInterface({ input, terminal: false, crlfDelay: Infinity });
    this.lines = this.rl[Symbol.asyncIterator]();
  }

  async read(): Promise<string | undefined> {
    const next = await this.lines.next();
    return next.done ? undefined : next.value;
  }

  close(): void {
    this.rl.close();
  }
}

/** The file holds one entry per line, oldest first (like a shell's); readline wants newest first. */
function loadHistory(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean).reverse().slice(0, HISTORY_SIZE);
  } catch {
    return [];
  }
}

function saveHistory(file: string, history: string[]): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // Only the person's own eyes: messages can hold anything.
    writeFileSync(file, `${[...history].reverse().join("\n")}\n`, { mode: 0o600 });
  } catch {
    // A history that can't be saved is no reason to stop chatting.
  }
}
