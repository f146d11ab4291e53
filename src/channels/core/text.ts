/** Small text helpers for what the channels show: nothing long, nothing multi-line, never a stack. */

export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function firstLine(text: string): string {
  return clip(text.split("\n")[0]?.trim() ?? "", 300);
}

/** An error in one line, for the log or the chat (the message only, never a stack). */
export function describe(error: unknown): string {
  return error instanceof Error ? firstLine(error.message) : firstLine(String(error));
}
