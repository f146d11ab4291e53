import type { Backend } from "../../agent/backend.js";
import type { AllowList } from "./allow.js";
import { COMMAND_SPECS, type CommandContext, findCommand, pressCommandButton, runCommand } from "./commands.js";
import { chatKey, Messenger } from "./messenger.js";
import { Prompts } from "./prompts.js";
import type { ChannelStore, PendingTurn } from "./store.js";
import { describe } from "./text.js";
import { runTurn } from "./turn.js";
import type { ChannelAdapter, ChannelState, ChatRef, Inbox, Incoming, IncomingMessage, MessageRef, Press, UserRef } from "./types.js";

export interface ChannelOptions {
  adapter: ChannelAdapter;
  backend: Backend;
  store: ChannelStore;
  allowed: AllowList;
  /** The setting that holds the allow list, named to strangers ("POCKETPAW_TELEGRAM_ALLOWED_USERS"). */
  allowSetting: string;
  /** One line for the operator (stderr): never a token, never a message's text. */
  log(line: string): void;
  /** Tool outputs longer than this go to the chat as a file (default 1500 characters). */
  toolOutputFileChars?: number;
  /** A stranger is told they are not allowed at most once in this time (default 10 minutes). */
  refusalEveryMs?: number;
}

/** A chat's turns and the commands that wait for them, one at a time, in the order they came. */
interface ChatLine {
  chat: ChatRef;
  jobs: Array<() => Promise<void>>;
  busy: boolean;
  /** The running turn's stop. */
  stopper: AbortController | undefined;
}

/**
 * One chat channel: a platform adapter driven by the shared core. The adapter hands everything
 * it receives to `accept`; each chat has one conversation and one line of work, so a message
 * that arrives while a turn runs is queued (and the chat told so) and answered after it, while
 * button presses and stop are handled at once (a turn may be waiting for exactly that press).
 */
export class Channel implements Inbox {
  readonly io: Messenger;
  private readonly prompts: Prompts;
  private readonly lines = new Map<string, ChatLine>();
  private readonly refusedAt = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private closing = false;
  private status: ChannelState;
  private interrupted: PendingTurn[] | undefined;

  constructor(private readonly o: ChannelOptions) {
    this.io = new Messenger(o.adapter);
    this.prompts = new Prompts(this.io);
    this.status = { name: o.adapter.name, state: "starting", detail: "connecting" };
  }

  get name(): string {
    return this.o.adapter.name;
  }

  state(): ChannelState {
    return { ...this.status };
  }

  /** Reports the adapter's connection state (it calls this when it loses or regains the platform). */
  setState(state: ChannelState["state"], detail: string): void {
    this.status = { name: this.name, state, detail };
  }

  /** Connects, then tells each chat whose turn a previous run of pocketpaw left unfinished. */
  async start(): Promise<void> {
    // Kept across a failed start (start is tried again), told once connected.
    this.interrupted ??= this.o.store.takeInterrupted(this.name);
    const interrupted = this.interrupted;
    try {
      await this.o.adapter.start(this);
    } catch (error) {
      this.setState("failed", describe(error));
      throw error;
    }
    this.setState("running", `${this.o.adapter.botName}, for ${this.o.allowed.describe()}`);
    await this.o.adapter.setCommands(COMMAND_SPECS).catch((error) => this.o.log(`could not register the command menu: ${describe(error)}`));
    this.interrupted = [];
    for (const turn of interrupted) {
      const text = `⚠️ pocketpaw restarted; your message “${turn.text.slice(0, 60)}${turn.text.length > 60 ? "…" : ""}” was interrupted — send it again if needed.`;
      await this.io
        .send(turn.chat, { text: this.io.markup.escape(text) })
        .catch((error) => this.o.log(`could not tell a chat about an interrupted turn: ${describe(error)}`));
    }
  }

  /** Stops receiving, stops every turn on the server and waits (bounded) for them to end. Queued turns stay noted as interrupted. */
  async close(timeoutMs = 15_000): Promise<void> {
    this.closing = true;
    await this.o.adapter.stop();
    for (const line of this.lines.values()) line.stopper?.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.running]), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.setState("stopped", "stopped");
  }

  cursor(): string | undefined {
    return this.o.store.cursor(this.name);
  }

  skip(cursor: string): void {
    this.o.store.accept(this.name, cursor);
  }

  accept(incoming: Incoming, cursor?: string): void {
    // Left for the next start to receive again: the cursor does not move.
    if (this.closing) return;
    const message = incoming.kind === "message" && !incoming.command && this.o.allowed.allows(incoming.user.id) ? incoming : undefined;
    // Words typed while the agent's question waits in that chat answer it; they are no new turn.
    const answer = message && message.files.length === 0 && message.text.trim() !== "" && this.prompts.asking(message.chat);
    // Recorded before anything runs, with the cursor, in one transaction: see Inbox.
    this.o.store.accept(
      this.name,
      cursor,
      message && !answer ? { id: turnId(message), chat: message.chat, text: message.text || "(a file)" } : undefined,
    );
    if (incoming.kind === "press") this.track(this.press(incoming));
    else if (!this.o.allowed.allows(incoming.user.id)) this.track(this.refuse(incoming));
    else if (incoming.command) this.command(incoming, incoming.command);
    else if (answer) this.track(this.answer(incoming));
    else this.enqueueTurn(incoming);
  }

  /** A typed answer to the question waiting in the chat; a turn after all if it was answered meanwhile. */
  private async answer(message: IncomingMessage): Promise<void> {
    try {
      if (await this.prompts.typed(message.chat, message.text, message.user)) return;
    } catch (error) {
      this.o.log(`a typed answer failed: ${describe(error)}`);
      return;
    }
    this.enqueueTurn(message);
  }

  /** Commands that change the conversation wait for the running turn; the others answer at once. */
  private command(message: IncomingMessage, given: { name: string; args: string }): void {
    const command = findCommand(given.name);
    if (!command) {
      this.track(this.say(message.chat, `Unknown command ${this.io.command(given.name)}; ${this.io.command("help")} lists them.`));
      return;
    }
    const ctx = this.commandContext(message.chat, message.user);
    const run = () => runCommand(command, ctx, given.args);
    if (command.queued) this.enqueue(message.chat, run);
    else this.track(run());
  }

  private enqueueTurn(message: IncomingMessage): void {
    const line = this.line(message.chat);
    const ahead = line.jobs.length + (line.busy ? 1 : 0);
    // Told at once that it waits; that message then becomes the reply.
    const notice = ahead
      ? this.io
          .send(message.chat, {
            text: this.io.markup.escape(`⏳ Queued: I'll answer this after the current turn (${ahead} ahead).`),
            replyTo: message.id,
          })
          .catch((error) => void this.o.log(`could not send a queued notice: ${describe(error)}`))
      : undefined;
    this.enqueue(message.chat, async () => {
      const placeholder: MessageRef | undefined = (await notice) ?? undefined;
      const stopper = new AbortController();
      line.stopper = stopper;
      const settings = this.chatSettings(message.chat);
      try {
        await runTurn(
          {
            backend: this.o.backend,
            io: this.io,
            prompts: this.prompts,
            sessionKey: settings.key,
            model: settings.model,
            agent: settings.agent,
            signal: stopper.signal,
            toolOutputFileChars: this.o.toolOutputFileChars ?? 1500,
            log: (l) => this.o.log(l),
          },
          message,
          placeholder,
        );
      } finally {
        line.stopper = undefined;
        // A turn cut short by close() stays noted: the next start tells the chat.
        if (!this.closing) this.o.store.finish(this.name, turnId(message));
      }
    });
  }

  private enqueue(chat: ChatRef, job: () => Promise<void>): void {
    const line = this.line(chat);
    line.jobs.push(job);
    if (!line.busy) this.track(this.drain(line));
  }

  private async drain(line: ChatLine): Promise<void> {
    line.busy = true;
    try {
      for (let job = line.jobs.shift(); job && !this.closing; job = line.jobs.shift()) {
        await job().catch((error) => this.o.log(`a turn failed in pocketpaw: ${describe(error)}`));
      }
    } finally {
      line.busy = false;
    }
  }

  private async press(press: Press): Promise<void> {
    if (!this.o.allowed.allows(press.user.id)) return press.answer("Not allowed.", true).catch(() => {});
    try {
      const handled = (await this.prompts.press(press)) || (await pressCommandButton(this.commandContext(press.chat, press.user), press));
      if (!handled) await press.answer();
    } catch (error) {
      this.o.log(`a button press failed: ${describe(error)}`);
      await press.answer("That did not work.", true).catch(() => {});
    }
  }

  private async refuse(message: IncomingMessage): Promise<void> {
    const last = this.refusedAt.get(message.user.id) ?? 0;
    if (Date.now() - last < (this.o.refusalEveryMs ?? 600_000)) return;
    this.refusedAt.set(message.user.id, Date.now());
    this.o.log(`refused a message from user ${message.user.id} (not in ${this.o.allowSetting})`);
    const text = `Sorry, you are not allowed to use this bot. Your user id is ${message.user.id}: its owner can add it to ${this.o.allowSetting}.`;
    await this.io.send(message.chat, { text: this.io.markup.escape(text), replyTo: message.id });
  }

  private say(chat: ChatRef, text: string): Promise<unknown> {
    return this.io.send(chat, { text: this.io.markup.escape(text) });
  }

  private line(chat: ChatRef): ChatLine {
    const key = chatKey(chat);
    const line = this.lines.get(key) ?? { chat, jobs: [], busy: false, stopper: undefined };
    this.lines.set(key, line);
    return line;
  }

  private chatSettings(chat: ChatRef) {
    const stored = this.o.store.chat(this.name, chatKey(chat));
    return { ...stored, key: stored.conversation || `${this.name}:${chatKey(chat)}` };
  }

  private commandContext(chat: ChatRef, user: UserRef): CommandContext {
    const line = this.line(chat);
    return {
      backend: this.o.backend,
      io: this.io,
      chat,
      user,
      baseKey: `${this.name}:${chatKey(chat)}`,
      settings: () => this.chatSettings(chat),
      update: (change) => this.o.store.setChat(this.name, chatKey(chat), change),
      stopTurn: () => {
        if (!line.stopper || line.stopper.signal.aborted) return false;
        line.stopper.abort();
        return true;
      },
      queued: () => line.jobs.length,
      log: (l) => this.o.log(l),
    };
  }

  /** Work started outside any line (commands, presses, refusals), awaited by close(). */
  private track(work: Promise<unknown>): void {
    const done: Promise<void> = work
      .then(() => {})
      .catch((error) => this.o.log(`${describe(error)}`))
      .finally(() => this.running.delete(done));
    this.running.add(done);
  }
}

function turnId(message: IncomingMessage): string {
  return `${chatKey(message.chat)}/${message.id}`;
}
