const CTRL_C = "\u0003";

/**
 * The keyboard while a turn runs on a terminal. Raw mode, so that typing does not scribble over
 * the streaming reply (keys are read and dropped) and Ctrl-C arrives as a key we act on (stop the
 * turn) rather than as a signal; and single-key answers to permission questions.
 */
export class TurnKeys {
  private waiter: { valid: string; resolve: (key: string) => void } | undefined;
  private active = false;

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly onInterrupt: () => void,
  ) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    this.input.setRawMode(true);
    this.input.on("data", this.onData);
    this.input.resume();
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    this.input.off("data", this.onData);
    this.input.setRawMode(false);
    this.input.pause();
    this.waiter?.resolve(CTRL_C);
    this.waiter = undefined;
  }

  /** The next key that is one of `valid` (lower-cased), or Ctrl-C ("\u0003"). */
  key(valid: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiter = { valid: valid.toLowerCase(), resolve };
    });
  }

  private readonly onData = (chunk: Buffer | string): void => {
    for (const char of String(chunk)) {
      const waiter = this.waiter;
      if (char === CTRL_C) {
        if (waiter) {
          this.waiter = undefined;
          waiter.resolve(CTRL_C);
        } else this.onInterrupt();
        continue;
      }
      const key = char.toLowerCase();
      if (waiter && waiter.valid.includes(key)) {
        this.waiter = undefined;
        waiter.resolve(key);
      }
    }
  };
}

export function isInterrupt(key: string): boolean {
  return key === CTRL_C;
}
