import type { Attachment, Backend, CommandInfo } from "../../agent/backend.js";
import { BackendError, UnknownConversationError } from "../../agent/errors.js";
import type { TerminalRenderer } from "../render.js";
import { safeText } from "../safe-text.js";

/** What the chat is on: the conversation, and the model and agent its next turns use ("" = the server's choice). */
export interface ChatState {
  key: string;
  model: string;
  agent: string;
  /** Files attached to the next message (/attach). */
  attachments: Attachment[];
}

export interface ChatContext {
  state: ChatState;
  backend: Backend;
  renderer: TerminalRenderer;
  /** A line for the person (stderr: stdout carries only replies). */
  say(text: string): void;
  /** The server's commands, once asked (/commands, and `/NAME` for one of them). */
  serverCommands?: CommandInfo[];
}

/** What a chat command asks of the chat: leave it, run a server command as a turn, or nothing more. */
export type ChatAction = "exit" | { command: string; args: string } | undefined;

export interface ChatCommand {
  name: string;
  args: string;
  help: string;
  run(ctx: ChatContext, arg: string): ChatAction | Promise<ChatAction> | void | Promise<void>;
}

/**
 * Runs a request to the server on behalf of a command: a conversation that has no messages yet,
 * and any failure of the server, are said in one line.
 */
export async function attempt(ctx: ChatContext, doing: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof UnknownConversationError) return ctx.say(`${ctx.state.key} has no messages yet: nothing to ${doing}.`);
    if (!(error instanceof BackendError)) throw error;
    ctx.say(`Could not ${doing}: ${safeText(error.message)}`);
  }
}
