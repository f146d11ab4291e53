/** What the translator (translate.ts) keeps per run, per message and per part. */

export interface MessageState {
  ours: boolean;
  completed: boolean;
  usageEmitted: boolean;
}

export type PartState =
  /** `held`: deltas were missed in a gap, so the text is completed from the part's final form. */
  | { kind: "text" | "reasoning"; delivered: number; ended: boolean; held: boolean }
  | { kind: "tool"; useEmitted: boolean; resultEmitted: boolean }
  | { kind: "other" };

export interface TranslatorOptions {
  /** The conversation's OpenCode session. */
  sessionId: string;
  /** The id of the user message this run sent: assistant messages answering it are the run's. */
  userMessageId: string;
  /** Every assistant message is the run's (a stream that carries only this run, like NDJSON). */
  anyAssistant?: boolean;
}
