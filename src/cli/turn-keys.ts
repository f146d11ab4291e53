import { StringDecoder } from "node:string_decoder";

const CTRL_C = "\u0003";
const CTRL_D = "\u0004";
const CTRL_U = "\u0015";
const ESC = "\u001b";

/** Lines typed while a turn runs (the chat's type-ahead), kept to be sent after it. */
export interface TypeAhead {
  /** Lines ended with Enter, oldest first. */
  lines: string[];
  /** What is typed so far of the next line. */
  partial: string;
  /** Ctrl-D was typed on an empty line: the chat ends once the queued lines are sent. */
  ended?: boolean;
  /** Told of each line as it is queued. */
  onQueued(line: string): void;
}

/** A line typed as an answer: its text, or Esc, or Ctrl-C. */
export type TypedLine = { text: string } | "escape" | "interrupt";

type Waiter =
  | { kind: "key"; valid: string; resolve: (key: string) => void }
  | { kind: "line"; text: string; echo: { write(text: string): unknown }; resolve: (line: TypedLine) => void };

/**
 * The keyboard while a turn runs on a terminal. Raw mode, so that typing does not scribble over
 * the streaming reply and Ctrl-C arrives as a key we act on (stop the turn) rather than as a
 * signal. What is typed goes, in this order of precedence, to a question being asked (one key
 * for a permission, a line for the agent's questions), else to the type-ahead queue when there
 * is one (the chat), else nowhere. Escape sequences (arrows, function keys) are skipped; a lone
 * Esc answers a line question with "escape".
 */
export class TurnKeys {
  private waiter: Waiter | undefined;
  private active = false;
  private readonly decoder = new StringDecoder("utf8");
  /** Where an escape sequence split across reads stands. */
  private escape: "" | "esc" | "csi" | "ss3" = "";
  /** The terminal's mode before the turn, given back after it (the chat keeps it raw throughout). */
  private wasRaw = false;

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly onInterrupt: () => void,
    private readonly typeAhead?: TypeAhead,
  ) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    this.wasRaw = this.input.isRaw === true;
    this.input.setRawMode(true);
    this.input.on("data", this.onData);
    this.input.resume();
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    this.input.off("data", this.onData);
    this.input.setRawMode(this.wasRaw);
    this.input.pause();
    this.answer("interrupt");
  }

  /** The next key that is one of `valid` (lower-cased), or Ctrl-C ("\u0003"). */
  key(valid: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiter = { kind: "key", valid: valid.toLowerCase(), resolve };
    });
  }

  /** A line typed and echoed on `echo` (Backspace and Ctrl-U edit it), ended by Enter, Esc or Ctrl-C. */
  line(echo: { write(text: string): unknown }): Promise<TypedLine> {
    return new Promise((resolve) => {
      this.waiter = { kind: "line", text: "", echo, resolve };
    });
  }

  private answer(how: "interrupt" | "escape"): void {
    const waiter = this.waiter;
    if (!waiter) return;
    if (waiter.kind === "key" && how === "escape") return; // permissions are answered with letters
    this.waiter = undefined;
    if (waiter.kind === "key") waiter.resolve(CTRL_C);
    else waiter.resolve(how);
  }

  private readonly onData = (chunk: Buffer | string): void => {
    const text = typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    for (const char of text) {
      if (this.escape) {
        this.skipEscape(char);
        continue;
      }
      if (char === ESC) {
        this.escape = "esc";
        continue;
      }
      this.onChar(char);
    }
    // An Esc with nothing after it in the same read is the Esc key, not the start of a sequence.
    if (this.escape === "esc") {
      this.escape = "";
      this.answer("escape");
    }
  };

  private skipEscape(char: string): void {
    if (this.escape === "esc") this.escape = char === "[" ? "csi" : char === "O" ? "ss3" : "";
    else if (this.escape === "ss3") this.escape = "";
    else if (char >= "@" && char <= "~") this.escape = ""; // a CSI sequence's final byte
  }

  private onChar(char: string): void {
    const waiter = this.waiter;
    if (char === CTRL_C) {
      if (waiter) this.answer("interrupt");
      else this.onInterrupt();
      return;
    }
    if (waiter?.kind === "key") {
      const key = char.toLowerCase();
      if (waiter.valid.includes(key)) {
        this.waiter = undefined;
        waiter.resolve(key);
      }
      return;
    }
    if (waiter?.kind === "line") {
      const edited = edit(waiter.text, char);
      if (edited === "enter") {
        this.waiter = undefined;
        waiter.echo.write("\n");
        waiter.resolve({ text: waiter.text });
        return;
      }
      const erased = [...waiter.text].length - [...edited].length;
      if (erased > 0) waiter.echo.write("\b \b".repeat(erased));
      else if (edited !== waiter.text) waiter.echo.write(edited.slice(waiter.text.length));
      waiter.text = edited;
      return;
    }
    const queue = this.typeAhead;
    if (!queue) return;
    // As in a shell, Ctrl-D typed ahead on an empty line is the end of input, read after the turn.
    if (char === CTRL_D && !queue.partial) {
      queue.ended = true;
      return;
    }
    const edited = edit(queue.partial, char);
    if (edited !== "enter") {
      queue.partial = edited;
      return;
    }
    const line = queue.partial;
    queue.partial = "";
    if (!line.trim()) return;
    queue.lines.push(line);
    queue.onQueued(line);
  }
}

/** A line being typed after one more key: "enter" when it ends it. Other control keys are ignored. */
function edit(text: string, char: string): string | "enter" {
  if (char === "\r" || char === "\n") return "enter";
  if (char === "\u007f" || char === "\b") return [...text].slice(0, -1).join("");
  if (char === CTRL_U) return "";
  if (char < " ") return text;
  return text + char;
}

export function isInterrupt(key: string): boolean {
  return key === CTRL_C;
}
